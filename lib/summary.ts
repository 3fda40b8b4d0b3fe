// Summary: count, sum and quantiles of observations. Pending delta = count, sum and a mergeable sketch of the
// observations since the last flush; the store merges sketches per series and time window.

import { assertFinite, type MetricConfiguration, type SeriesRef } from "./metric.ts";
import { Observer, type ObserverChild } from "./observer.ts";
import type { PendingSummary } from "./pending-family.ts";
import { register } from "./registry.ts";
import { addToSketch, emptySketch } from "./sketch.ts";
import { DEFAULT_AGE_BUCKETS, MAX_AGE_BUCKETS, percentilesProblem, show } from "./validation.ts";
import type { FamilyDefinition } from "./wire.ts";

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
  readonly type = "summary" as const;
  readonly percentiles: readonly number[];
  readonly maxAgeSeconds: number;
  readonly ageBuckets: number;

  constructor(config: SummaryConfiguration<T>) {
    super(config, "summary");
    const percentiles = [...(config.percentiles ?? DEFAULT_PERCENTILES)];
    const problem = percentilesProblem(percentiles);
    if (problem) throw new TypeError(`metric ${show(config.name)}: percentiles ${problem}`);
    const maxAge = config.maxAgeSeconds ?? 0;
    const ageBuckets = config.ageBuckets ?? (maxAge > 0 ? DEFAULT_AGE_BUCKETS : 1);
    if (!Number.isInteger(maxAge) || maxAge < 0)
      throw new TypeError(
        `metric ${show(config.name)}: maxAgeSeconds must be a non-negative integer, got ${show(maxAge)}`,
      );
    if (!Number.isInteger(ageBuckets) || ageBuckets < 1 || ageBuckets > MAX_AGE_BUCKETS)
      throw new TypeError(
        `metric ${show(config.name)}: ageBuckets must be an integer from 1 to ${MAX_AGE_BUCKETS}, got ${show(ageBuckets)}`,
      );
    this.percentiles = percentiles;
    this.maxAgeSeconds = maxAge;
    this.ageBuckets = ageBuckets;
    this.registerWith(config, register);
  }

  override definition(): FamilyDefinition {
    return {
      ...super.definition(),
      percentiles: [...this.percentiles],
      maxAgeSeconds: this.maxAgeSeconds,
      ageBuckets: this.ageBuckets,
    };
  }

  protected add(ref: SeriesRef, value: number): void {
    assertFinite(this.name, "observation", value);
    const quantiles = this.percentiles.length > 0;
    this.record<PendingSummary>(
      ref,
      (labels) => ({ labels, count: 0, sum: 0, ...(quantiles ? { sketch: emptySketch() } : {}) }),
      (d) => {
        d.count++;
        d.sum += value;
        if (d.sketch) addToSketch(d.sketch, value);
      },
    );
  }
}

export type SummaryChild = ObserverChild;
