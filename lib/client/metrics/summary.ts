// Summary: count, sum and quantiles of observations. Pending delta = count, sum and a mergeable sketch of the
// observations since the last flush; the store merges sketches per series and time window.

import { addToSketch, emptySketch } from "../../protocol/sketch.ts";
import type { Labels } from "../../protocol/wire.ts";
import {
  assertFinite,
  type CollectFunction,
  finiteSum,
  type LabelValues,
  type MetricConfiguration,
  type MetricObjectWithValues,
  type MetricValueWithName,
  type SeriesRef,
} from "./metric.ts";
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
  /** Called before every flush with `this` the summary (see MetricConfiguration.collect). */
  collect?: CollectFunction<Summary<T>>;
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

  /**
   * As prom-client's `get()`, of what this process observed since its registry started (the aggregate over every
   * process, per time window, lives in the store). Per series, as prom-client: one value per percentile with a
   * `quantile` label (the number), from the sketch of every observation (within 1%; NaN before the first, where
   * prom-client says 0), then `_sum` and `_count` naming their sample in `metricName`. Runs `collect` first. Label
   * values are strings, every declared label present; a summary without labels always shows its series.
   * @example
   * latency.observe(0.042);
   * (await latency.get()).values.find((v) => v.labels.quantile === 0.5)?.value; // ≈ 0.042
   */
  override get(): Promise<MetricObjectWithValues<MetricValueWithName<T | "quantile">>> {
    const { name } = this;
    return this.collected((s, own): MetricValueWithName<T | "quantile">[] => {
      const labels = own as LabelValues<T | "quantile">;
      return [
        ...this.percentiles.map((quantile, i) => ({
          labels: { quantile, ...labels },
          value: s.quantiles?.[i]?.[1] ?? Number.NaN,
        })),
        { labels, value: s.sum ?? 0, metricName: `${name}_sum` },
        { labels, value: s.count ?? 0, metricName: `${name}_count` },
      ];
    });
  }

  protected add(ref: SeriesRef, value: number): void {
    assertFinite(value);
    this.record<PendingSummary>(
      ref,
      (labels) => this.emptyDelta(labels),
      (d) => {
        d.count++;
        d.sum = finiteSum(this.name, d.sum, value);
        if (d.sketch) addToSketch(d.sketch, value);
      },
    );
  }

  private emptyDelta(labels: Labels): PendingSummary {
    return { labels, count: 0, sum: 0, ...(this.percentiles.length > 0 ? { sketch: emptySketch() } : {}) };
  }
}

export type SummaryChild = ObserverChild;
