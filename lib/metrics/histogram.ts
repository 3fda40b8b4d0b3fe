// Histogram: observations counted into fixed buckets. Pending delta = per-bucket counts (+Inf last) and the sum.

import type { HistogramDelta } from "../wire.ts";
import { DEFAULT_BUCKETS } from "./buckets.ts";
import { assertFinite, finiteSum, type MetricConfiguration, type SeriesRef } from "./metric.ts";
import { Observer, type ObserverChild } from "./observer.ts";

export interface HistogramConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Upper bounds, strictly increasing; +Inf is implied. Default: prom-client's DEFAULT_BUCKETS. */
  buckets?: readonly number[];
}

/**
 * A histogram, with prom-client's API.
 * @example
 * const latency = new Histogram({ name: "job_seconds", help: "Job time.", buckets: [0.1, 0.5, 1] });
 * latency.observe(0.3);
 * const end = latency.startTimer(); await job(); end();
 */
export class Histogram<T extends string = string> extends Observer<T> {
  declare readonly type: "histogram";
  readonly buckets: readonly number[];

  constructor(config: HistogramConfiguration<T>) {
    super(config, "histogram", { buckets: [...(config.buckets ?? DEFAULT_BUCKETS)] });
    this.buckets = this.definition().buckets as number[];
  }

  protected add(ref: SeriesRef, value: number): void {
    assertFinite(this.name, "observation", value);
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && value > (buckets[i] as number)) i++;
    this.record<HistogramDelta>(
      ref,
      (labels) => ({ labels, counts: new Array<number>(buckets.length + 1).fill(0), sum: 0 }),
      (d) => {
        (d.counts[i] as number)++;
        d.sum = finiteSum(this.name, d.sum, value);
      },
    );
  }
}

export type HistogramChild = ObserverChild;
