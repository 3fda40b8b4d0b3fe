// Summary: count and sum of observations. Pending delta = observation count and sum since the last flush.

import { assertFinite, type LabelValues, Metric, type MetricConfiguration, type SeriesRef, splitArgs, timer } from "./metric.ts";
import { register } from "./registry.ts";
import type { SummaryDelta } from "./wire.ts";

export type SummaryConfiguration<T extends string> = MetricConfiguration<T>;

/**
 * A summary with prom-client's API; it reports `_count` and `_sum` (no quantiles yet).
 * @example
 * const size = new Summary({ name: "payload_bytes", help: "Payload size." });
 * size.observe(512);
 */
export class Summary<T extends string = string> extends Metric<T> {
  readonly type = "summary" as const;

  constructor(config: SummaryConfiguration<T>) {
    super(config, "summary");
    this.registerWith(config, register);
  }

  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  observe(a: LabelValues<T> | number, b?: number): void {
    const [labels, value] = splitArgs(a, b, Number.NaN);
    this.add(this.series(labels), value);
  }

  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(labels?: LabelValues<T>): (endLabels?: LabelValues<T>) => number {
    return timer((seconds, endLabels) => this.add(this.series({ ...labels, ...endLabels } as LabelValues<T>), seconds));
  }

  labels(values: LabelValues<T>): SummaryChild;
  labels(...values: (string | number)[]): SummaryChild;
  labels(...args: [LabelValues<T>] | (string | number)[]): SummaryChild {
    const ref = this.childRef(args);
    return {
      observe: (value) => this.add(ref, value),
      startTimer: () => timer((seconds) => this.add(ref, seconds)),
    };
  }

  private add(ref: SeriesRef, value: number): void {
    assertFinite(this.name, "observation", value);
    this.record<SummaryDelta>(ref, (labels) => ({ labels, count: 0, sum: 0 }), (d) => {
      d.count++;
      d.sum += value;
    });
  }
}

export interface SummaryChild {
  observe(value: number): void;
  startTimer(): () => number;
}
