// The shared surface of metrics that take observations (Histogram, Summary): observe, startTimer, labels.
// Subclasses only say how one observation is recorded.

import { type LabelValues, Metric, type SeriesRef, splitArgs, timer } from "./metric.ts";

/** The series of an observing metric bound to fixed label values. */
export interface ObserverChild {
  observe(value: number): void;
  startTimer(): () => number;
}

export abstract class Observer<T extends string = string> extends Metric<T> {
  /** Records one observation. Non-finite values throw. */
  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  observe(a: LabelValues<T> | number, b?: number): void {
    const [labels, value] = splitArgs(a, b, Number.NaN);
    this.add(this.series(labels), value);
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

  /** Records `value` into the series `ref`. */
  protected abstract add(ref: SeriesRef, value: number): void;
}
