// The shared surface of metrics that take observations (Histogram, Summary): observe, startTimer, labels.
// Subclasses only say how one observation is recorded.

import { type LabelValues, Metric, type SeriesRef, timer, type WithExemplar } from "./metric.ts";

/** The series of an observing metric bound to fixed label values. */
export interface ObserverChild {
  observe(value: number): void;
  startTimer(): () => number;
}

export abstract class Observer<T extends string = string> extends Metric<T> {
  /**
   * Records one observation. Non-finite values throw. With `enableExemplars`, a histogram's prom-client form
   * `observe({ labels, value, exemplarLabels })` also keeps an exemplar for the observation's bucket.
   */
  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  observe(withExemplar: WithExemplar<T>): void;
  observe(a: LabelValues<T> | WithExemplar<T> | number, b?: number): void {
    // No value is a mistake ("Value is not a valid number: undefined", as prom-client words it).
    const [labels, value, exemplarLabels] = this.argsOf(a, b, undefined as unknown as number);
    this.add(this.series(labels), value, exemplarLabels);
  }

  /** Starts a timer; the returned function observes the elapsed seconds (with start and end labels) and returns them. */
  startTimer(labels?: LabelValues<T>): (endLabels?: LabelValues<T>) => number {
    return timer((seconds, endLabels) => this.add(this.series({ ...labels, ...endLabels } as LabelValues<T>), seconds));
  }

  /** The series with these label values (an object, or values in labelNames order). */
  labels(values: LabelValues<T>): ObserverChild;
  labels(...values: (string | number)[]): ObserverChild;
  labels(...args: [LabelValues<T>] | (string | number)[]): ObserverChild {
    const ref = this.childRef(args);
    return { observe: (value) => this.add(ref, value), startTimer: () => timer((seconds) => this.add(ref, seconds)) };
  }

  /** Records `value` into the series `ref`, with an exemplar of `exemplarLabels` where the type keeps them. */
  protected abstract add(ref: SeriesRef, value: number, exemplarLabels?: Record<string, string | number>): void;
}
