// Gauge: a value that goes up and down. Pending delta = an absolute value once `set` happened
// (later inc/dec adjust it), otherwise the sum of inc/dec since the last flush.

import { combineGauge, gaugeOperationProblem } from "../../protocol/gauge-policy.ts";
import { describeValue } from "../../protocol/validation.ts";
import type { GaugeDelta, GaugeMerge } from "../../protocol/wire.ts";
import { notADelta, notANumber } from "../errors.ts";
import {
  assertFinite,
  type CollectFunction,
  finiteSum,
  type LabelValues,
  Metric,
  type MetricConfiguration,
  type MetricObjectWithValues,
  type MetricValue,
  type SeriesRef,
  splitArgs,
  timer,
} from "./metric.ts";

export interface GaugeConfiguration<T extends string> extends MetricConfiguration<T> {
  /**
   * How concurrent writers combine in the store: "set" (default: last write wins, inc/dec adjust the stored
   * value), "sum" (inc/dec from every writer add up; set throws), "max" / "min" (the largest / smallest value
   * set wins; inc/dec throw).
   */
  merge?: GaugeMerge;
  /** Called before every flush with `this` the gauge: set it from state read at flush time. */
  collect?: CollectFunction<Gauge<T>>;
}

/**
 * A gauge, with prom-client's API.
 * @example
 * const depth = new Gauge({ name: "queue_depth", help: "Items waiting." });
 * depth.set(12);
 * const end = depth.startTimer(); await work(); end();
 * // Or read at flush time:
 * new Gauge({ name: "queue_length", help: "Queue length.", collect() { this.set(queue.length); } });
 */
export class Gauge<T extends string = string> extends Metric<T> {
  declare readonly type: "gauge";
  readonly merge: GaugeMerge;

  constructor(config: GaugeConfiguration<T>) {
    super(config, "gauge", { merge: config.merge ?? "set" });
    this.merge = this.definition().merge as GaugeMerge;
  }

  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(a?: LabelValues<T> | number, b?: number): void {
    const [labels, value] = splitArgs(a, b, 1);
    this.change(this.series(labels), value);
  }

  dec(value?: number): void;
  dec(labels: LabelValues<T>, value?: number): void;
  dec(a?: LabelValues<T> | number, b?: number): void {
    const [labels, value] = splitArgs(a, b, 1);
    assertFinite(value, notADelta);
    this.change(this.series(labels), -value);
  }

  set(value: number): void;
  set(labels: LabelValues<T>, value: number): void;
  set(a: LabelValues<T> | number, b?: number): void {
    // No value is a mistake prom-client throws at too ("Value is not a valid number: undefined").
    const [labels, value] = splitArgs(a, b, undefined as unknown as number);
    this.assign(this.series(labels), value);
  }

  /** Sets the gauge to the current Unix time in seconds. */
  setToCurrentTime(labels?: LabelValues<T>): void {
    this.assign(this.series(labels), Date.now() / 1000);
  }

  /** Starts a timer; the returned function sets the gauge to the elapsed seconds and returns them. */
  startTimer(labels?: LabelValues<T>): (endLabels?: LabelValues<T>) => number {
    return timer((seconds, endLabels) =>
      this.assign(this.series({ ...labels, ...endLabels } as LabelValues<T>), seconds),
    );
  }

  /**
   * As prom-client's `get()`: per series, this process's value (what it set, adjusted by its inc/dec, since its
   * registry started; the value over every process lives in the store). Runs `collect` first. Label values are
   * strings, every declared label present; a gauge without labels always shows its series (0 before anything is
   * recorded). `aggregator` is "max"/"min" for gauges merged so, else "sum" (prom-client's default).
   * @example
   * depth.set(12);
   * (await depth.get()).values; // [{ labels: {}, value: 12 }]
   */
  override get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    const { merge } = this;
    return this.collected(
      (s, labels) => [{ labels, value: s.value ?? 0 }],
      merge === "max" || merge === "min" ? merge : "sum",
    );
  }

  labels(values: LabelValues<T>): GaugeChild;
  labels(...values: (string | number)[]): GaugeChild;
  labels(...args: [LabelValues<T>] | (string | number)[]): GaugeChild {
    const ref = this.childRef(args);
    return {
      inc: (value = 1) => this.change(ref, value),
      dec: (value = 1) => {
        assertFinite(value, notADelta);
        this.change(ref, -value);
      },
      set: (value) => this.assign(ref, value),
      setToCurrentTime: () => this.assign(ref, Date.now() / 1000),
      startTimer: () => timer((seconds) => this.assign(ref, seconds)),
    };
  }

  private change(ref: SeriesRef, value: number): void {
    assertFinite(value, notADelta);
    const problem = gaugeOperationProblem(this.merge, "inc");
    if (problem) throw new TypeError(`metric ${describeValue(this.name)}: ${problem}`);
    this.record<GaugeDelta>(
      ref,
      (labels) => ({ labels, inc: 0 }),
      (d) => {
        if (d.set !== undefined) d.set = finiteSum(this.name, d.set, value);
        else d.inc = finiteSum(this.name, d.inc ?? 0, value);
      },
    );
  }

  private assign(ref: SeriesRef, value: number): void {
    // A value may be NaN or ±Inf (prom-client takes them, and the text format has them); a change may not.
    if (typeof value !== "number") throw notANumber(value);
    const problem = gaugeOperationProblem(this.merge, "set");
    if (problem) throw new TypeError(`metric ${describeValue(this.name)}: ${problem}`);
    const merge = this.merge;
    this.record<GaugeDelta>(
      ref,
      (labels) => ({ labels }),
      (d) => {
        // A change recorded before the value (`inc` then `set`) is overtaken by it.
        d.set = d.set === undefined ? value : combineGauge(merge, d.set, value);
        delete d.inc;
      },
    );
  }
}

export interface GaugeChild {
  inc(value?: number): void;
  dec(value?: number): void;
  set(value: number): void;
  setToCurrentTime(): void;
  startTimer(): () => number;
}
