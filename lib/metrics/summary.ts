// Summary: count, sum and quantiles of observations. Pending delta = count, sum and a mergeable sketch of the
// observations since the last flush; the store merges sketches per series and time window.

import { addToSketch, emptySketch } from "../sketch.ts";
import { assertFinite, finiteSum, type MetricConfiguration, type SeriesRef } from "./metric.ts";
import { Observer, type ObserverChild } from "./observer.ts";
import type { PendingSummary } from "./pending-family.ts";

/** prom-client's default summary quantiles. */
export const DEFAULT_PERCENTILES: readonly number[] = Object.freeze([0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999]);

export interface SummaryConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Quantiles to report, strictly increasing in [0, 1]; `[]` for count and sum only. Default as prom-client. */
  percentiles?: readonly number[];
  /** Quantiles cover the last maxAgeSeconds (default: all time) … */
  maxAgeSeconds?: number;
  /** … in this many rotating windows (default 5 when maxAgeSeconds is set). */
  ageBuckets?: number;
}

/**
 * A summary with prom-client's API whose quantiles stay meaningful across many processes: each flush ships a
 * mergeable sketch (1% relative error), and the store merges them per series and time window.
 * @example
 * const latency = new Summary({ name: "rpc_seconds", help: "RPC latency.", percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5 });
 * latency.observe(0.042);
 */
export class Summary<T extends string = string> extends Observer<T> {
  declare readonly type: "summary";
  readonly percentiles: readonly number[];
  readonly maxAgeSeconds: number;
  readonly ageBuckets: number;

  constructor(config: SummaryConfiguration<T>) {
    super(config, "summary", {
      percentiles: [...(config.percentiles ?? DEFAULT_PERCENTILES)],
      maxAgeSeconds: config.maxAgeSeconds ?? 0,
      ...(config.ageBuckets !== undefined ? { ageBuckets: config.ageBuckets } : {}),
    });
    const definition = this.definition();
    this.percentiles = definition.percentiles as number[];
    this.maxAgeSeconds = definition.maxAgeSeconds as number;
    this.ageBuckets = definition.ageBuckets as number;
  }

  protected add(ref: SeriesRef, value: number): void {
    assertFinite(this.name, "observation", value);
    const quantiles = this.percentiles.length > 0;
    this.record<PendingSummary>(
      ref,
      (labels) => ({ labels, count: 0, sum: 0, ...(quantiles ? { sketch: emptySketch() } : {}) }),
      (d) => {
        d.count++;
        d.sum = finiteSum(this.name, d.sum, value);
        if (d.sketch) addToSketch(d.sketch, value);
      },
    );
  }
}

export type SummaryChild = ObserverChild;
