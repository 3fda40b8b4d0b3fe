// Summary: count and sum of observations. Pending delta = observation count and sum since the last flush.

import { assertFinite, type MetricConfiguration, type SeriesRef } from "./metric.ts";
import { Observer, type ObserverChild } from "./observer.ts";
import { register } from "./registry.ts";
import type { SummaryDelta } from "./wire.ts";

export type SummaryConfiguration<T extends string> = MetricConfiguration<T>;

/**
 * A summary with prom-client's API; it reports `_count` and `_sum` (no quantiles yet).
 * @example
 * const size = new Summary({ name: "payload_bytes", help: "Payload size." });
 * size.observe(512);
 */
export class Summary<T extends string = string> extends Observer<T> {
  readonly type = "summary" as const;

  constructor(config: SummaryConfiguration<T>) {
    super(config, "summary");
    this.registerWith(config, register);
  }

  protected add(ref: SeriesRef, value: number): void {
    assertFinite(this.name, "observation", value);
    this.record<SummaryDelta>(ref, (labels) => ({ labels, count: 0, sum: 0 }), (d) => {
      d.count++;
      d.sum += value;
    });
  }
}

export type SummaryChild = ObserverChild;
