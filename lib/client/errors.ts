// What the client throws at a programmer's mistake, as types a user can tell apart with `instanceof`: a metric (or a
// registry's prefix and default labels) that the server would refuse, thrown where it is declared. Delivery problems
// never throw: they are kept for retry or counted (see the delivery pipeline).
//
// Where prom-client throws at the same mistake, the message is prom-client's, word for word, so that code and tests
// ported from it read the same errors; the server's full reason stays on `InvalidMetricError.refusal`.

import { type Refusal, refusalText } from "../protocol/refusal.ts";
import { describeValue, isLabelName, isMetricName, reservedLabel } from "../protocol/validation.ts";
import type { MetricType } from "../protocol/wire.ts";

/** prom-client's words for a value that is not a (finite) number: "Value is not a valid number: 3ms". */
export function notANumber(value: unknown): TypeError {
  return new TypeError(`Value is not a valid number: ${formatted(value)}`);
}

/** prom-client's words for a gauge's change that is not a (finite) number: "Delta is not a valid number: asd". */
export function notADelta(value: unknown): TypeError {
  return new TypeError(`Delta is not a valid number: ${formatted(value)}`);
}

/** prom-client's words for a negative counter increment. */
export function counterDecrease(): TypeError {
  return new TypeError("It is not possible to decrease a counter");
}

/** prom-client's words for a label that was not declared: `Added label "b" is not included in initial labelset: [ 'a' ]`. */
export function undeclaredLabel(label: string, declared: readonly string[]): TypeError {
  const list = declared.length === 0 ? "[]" : `[ ${declared.map((name) => `'${name}'`).join(", ")} ]`;
  return new TypeError(`Added label "${label}" is not included in initial labelset: ${list}`);
}

/** A value as Node's `util.format` shows a lone argument (prom-client's messages use it): strings bare. */
function formatted(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) return describeValue(value);
  return String(value);
}

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
    /** The message, when not the refusal's own text (prom-client's words, see `definitionError`). */
    message?: string,
  ) {
    super(message ?? `metric ${describeValue(metric)}: ${refusalText(refusal)}`);
  }
}

/**
 * The error for a metric's declaration refused with `refusal`: in prom-client's words where prom-client refuses it too
 * (a name not of a metric name's characters, a missing help, a label name not of a label name's characters or the
 * type's own label), else the refusal's text (a name too long, a label name starting with "__"…).
 */
export function definitionError(
  declared: { name: unknown; help: unknown; labelNames: readonly unknown[] },
  type: MetricType,
  refusal: Refusal,
): InvalidMetricError {
  const [field, index] = refusal.path;
  const name = String(declared.name);
  let words: string | undefined;
  if (field === "name" && !declared.name) words = "Missing mandatory name parameter";
  else if (field === "name" && !isMetricName(declared.name)) words = `Invalid metric name: ${name}`;
  else if (field === "help" && !declared.help) words = "Missing mandatory help parameter";
  else if (field === "labelNames" && typeof index === "number") {
    const label = declared.labelNames[index];
    const invalid = declared.labelNames.filter((l) => !isLabelName(l));
    if (label === reservedLabel(type)) words = `${label} is a reserved label keyword`;
    else if (invalid.includes(label)) words = `At least one label name is invalid: ${invalid.join(",")}`;
  }
  return new InvalidMetricError(name, refusal, words);
}
