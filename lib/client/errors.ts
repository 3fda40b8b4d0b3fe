// What the client throws at a programmer's mistake, as types a user can tell apart with `instanceof`: a metric (or a
// registry's prefix and default labels) that the server would refuse, thrown where it is declared. Delivery problems
// never throw: they are kept for retry or counted (see the delivery pipeline).

import { type Refusal, refusalText } from "../protocol/refusal.ts";
import { describeValue } from "../protocol/validation.ts";

/**
 * A metric definition the server would refuse (a bad name, too many labels, bad buckets…), thrown by the metric's
 * constructor or the registry it joins; `refusal` says where and what, as the server would. A TypeError, as
 * prom-client's.
 * @example
 * try { new Counter({ name: "1bad", help: "…" }); } catch (e) { if (e instanceof InvalidMetricError) e.refusal.path; }
 */
export class InvalidMetricError extends TypeError {
  constructor(
    /** The metric (or family, as a registry sends it) the definition is of. */
    readonly metric: string,
    readonly refusal: Refusal,
  ) {
    super(`metric ${describeValue(metric)}: ${refusalText(refusal)}`);
  }
}
