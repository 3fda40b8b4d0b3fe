// Counter: a value that only goes up. Pending delta = the sum of increments since the last flush.

import type { CounterDelta } from "../../protocol/wire.ts";
import { counterDecrease } from "../errors.ts";
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
  type WithExemplar,
} from "./metric.ts";

export interface CounterConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Called before every flush with `this` the counter (see MetricConfiguration.collect). */
  collect?: CollectFunction<Counter<T>>;
}

/**
 * A counter, with prom-client's API. Exposed as `<name>_total` whether or not the name ends in `_total`.
 * @example
 * const requests = new Counter({ name: "http_requests_total", help: "Requests.", labelNames: ["route"] as const });
 * requests.inc({ route: "/" });
 * requests.labels("/").inc(2);
 */
export class Counter<T extends string = string> extends Metric<T> {
  declare readonly type: "counter";

  constructor(config: CounterConfiguration<T>) {
    super(config, "counter");
  }

  /**
   * Adds `value` (default 1) to the series with `labels`. Negative or non-finite values throw. With
   * `enableExemplars`, prom-client's `inc({ labels, value, exemplarLabels })` also keeps an exemplar.
   */
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(withExemplar: WithExemplar<T>): void;
  inc(a?: LabelValues<T> | WithExemplar<T> | number, b?: number): void {
    const [labels, value, exemplarLabels] = this.argsOf(a, b, 1);
    this.add(this.series(labels), value, exemplarLabels);
  }

  /**
   * As prom-client's `get()`: one value per series, what this process counted since its registry started (what it
   * flushed plus what is pending; the aggregate over every process lives in the store). Runs `collect` first. Label
   * values are strings, every declared label present ("" when not given); a counter without labels always shows its
   * series (0 before anything is counted).
   * @example
   * requests.inc({ route: "/" }, 2);
   * (await requests.get()).values; // [{ labels: { route: "/" }, value: 2 }]
   */
  override get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    return this.collected((s, labels) => [{ labels, value: s.value ?? 0 }]);
  }

  /** The series with these label values (an object, or values in labelNames order). */
  labels(values: LabelValues<T>): CounterChild;
  labels(...values: (string | number)[]): CounterChild;
  labels(...args: [LabelValues<T>] | (string | number)[]): CounterChild {
    const ref = this.childRef(args);
    return { inc: (value = 1) => this.add(ref, value) };
  }

  private add(ref: SeriesRef, value: number, exemplarLabels?: Record<string, string | number>): void {
    assertFinite(value);
    if (value < 0) throw counterDecrease();
    const exemplar = exemplarLabels && this.exemplar(exemplarLabels, value, 0);
    this.record<CounterDelta>(
      ref,
      (labels) => ({ labels, inc: 0 }),
      (d) => {
        d.inc = finiteSum(this.name, d.inc, value);
        if (exemplar) d.exemplars = [exemplar];
      },
    );
  }
}

export interface CounterChild {
  inc(value?: number): void;
}
