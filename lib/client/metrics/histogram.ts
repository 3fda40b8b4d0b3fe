// Histogram: observations counted into fixed buckets. Pending delta = per-bucket counts (+Inf last) and the sum.

import {
  emptyNative,
  NATIVE_DEFAULTS,
  type NativeSettings,
  observeNative,
  schemaForFactor,
} from "../../protocol/native-histogram.ts";
import type { Labels } from "../../protocol/wire.ts";
import { DEFAULT_BUCKETS } from "./buckets.ts";
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
import type { PendingHistogram } from "./pending-family.ts";

/**
 * A native (exponential-bucket) histogram's options, after client_golang's: the resolution as a `schema` (-4 to 8)
 * or as the largest growth from one bucket to the next (`bucketFactor`, e.g. 1.1: schema 3), the zero bucket's
 * half-width, and the most buckets a series keeps (past it, the resolution halves).
 */
export interface NativeHistogramOptions {
  schema?: number;
  bucketFactor?: number;
  zeroThreshold?: number;
  maxBuckets?: number;
}

/** The settings `options` ask for (true: the defaults). */
function nativeSettings(options: NativeHistogramOptions | true): NativeSettings {
  const o = options === true ? {} : options;
  if (o.schema !== undefined && o.bucketFactor !== undefined)
    throw new TypeError("a native histogram takes a schema or a bucketFactor, not both");
  const schema = o.bucketFactor !== undefined ? schemaForFactor(o.bucketFactor) : (o.schema ?? NATIVE_DEFAULTS.schema);
  return {
    schema,
    zeroThreshold: o.zeroThreshold ?? NATIVE_DEFAULTS.zeroThreshold,
    maxBuckets: o.maxBuckets ?? NATIVE_DEFAULTS.maxBuckets,
  };
}

export interface HistogramConfiguration<T extends string> extends MetricConfiguration<T> {
  /**
   * Upper bounds, strictly increasing; +Inf is implied. Default: prom-client's DEFAULT_BUCKETS, or none for a native
   * histogram (`[]`: its series show only the +Inf bucket, `_sum` and `_count` in the text formats).
   */
  buckets?: readonly number[];
  /**
   * Also keep native (exponential) buckets, which Prometheus scrapes in the protobuf format: `true` for the defaults
   * (schema 3, zero threshold 2^-128, 160 buckets) or the options. Without `buckets`, the histogram is native only.
   */
  native?: NativeHistogramOptions | true;
  /** Called before every flush with `this` the histogram (see MetricConfiguration.collect). */
  collect?: CollectFunction<Histogram<T>>;
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
    const native = config.native === undefined ? undefined : nativeSettings(config.native);
    const buckets = [...(config.buckets ?? (native ? [] : DEFAULT_BUCKETS))];
    super(config, "histogram", { buckets, ...(native ? { native } : {}) });
    const definition = this.definition();
    this.buckets = definition.buckets as number[];
    this.#native = definition.native;
  }

  /** The native buckets' settings, when the histogram keeps them. */
  readonly #native: NativeSettings | undefined;

  /**
   * Makes the series with these labels part of the next flush even if nothing is observed for it, so it exists in
   * the store with zero counts (prom-client's `zero()`: a series that reads 0 before its first observation, for
   * `rate()` and alerts). Counts already pending for it are kept: the store holds the aggregate, which only
   * `remove()` clears.
   * @example
   * for (const route of ["/", "/login"]) latency.zero({ route });
   */
  zero(labels?: LabelValues<T>): void {
    this.record<PendingHistogram>(
      this.series(labels),
      (l) => this.emptyDelta(l),
      () => {},
    );
  }

  /**
   * As prom-client's `get()`, of what this process observed since its registry started (the aggregate over every
   * process lives in the store). Per series, as prom-client: the cumulative `_bucket` values with an `le` label (the
   * bound as a number, "+Inf" last, each with its latest exemplar or null), then `_sum` and `_count`, each naming its
   * sample in `metricName`. Runs `collect`
   * first. Label values are strings, every declared label present; a histogram without labels always shows its
   * series (zeros before anything is observed).
   * @example
   * latency.observe(0.3);
   * (await latency.get()).values.find((v) => v.metricName === "job_seconds_count")?.value; // 1
   */
  override get(): Promise<MetricObjectWithValues<MetricValueWithName<T | "le">>> {
    const { name } = this;
    return this.collected((s, own): MetricValueWithName<T | "le">[] => {
      const labels = own as LabelValues<T | "le">;
      let count = 0;
      const buckets = [...this.buckets, "+Inf" as const].map((le, i) => {
        count += s.counts?.[i] ?? 0;
        const e = s.exemplars?.[i];
        const exemplar = e ? { labelSet: e.labels, value: e.value, timestamp: e.timestamp } : null;
        return { labels: { ...labels, le }, value: count, metricName: `${name}_bucket`, exemplar };
      });
      return [
        ...buckets,
        { labels, value: s.sum ?? 0, metricName: `${name}_sum` },
        { labels, value: count, metricName: `${name}_count` },
      ];
    });
  }

  protected add(ref: SeriesRef, value: number, exemplarLabels?: Record<string, string | number>): void {
    assertFinite(value);
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && value > (buckets[i] as number)) i++;
    const exemplar = exemplarLabels && this.exemplar(exemplarLabels, value, i);
    this.record<PendingHistogram>(
      ref,
      (labels) => this.emptyDelta(labels),
      (d) => {
        (d.counts[i] as number)++;
        if (d.native) observeNative(d.native, value);
        d.sum = finiteSum(this.name, d.sum, value);
        if (exemplar) {
          d.exemplars ??= new Array<null>(buckets.length + 1).fill(null);
          d.exemplars[i] = exemplar;
        }
      },
    );
  }

  private emptyDelta(labels: Labels): PendingHistogram {
    const counts = new Array<number>(this.buckets.length + 1).fill(0);
    return { labels, counts, sum: 0, ...(this.#native ? { native: emptyNative(this.#native) } : {}) };
  }
}

export type HistogramChild = ObserverChild;
