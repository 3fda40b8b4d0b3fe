// A custom collector, as prom-client's registry takes one: any object with `get()` (sync or async) and a name, help
// and type on it or in what `get()` reports, prom-client's own metric instances included. It reports absolute values; this module reads them into
// a family (definition and series) and, at each flush, turns them into deltas: a gauge is set, a counter, a
// histogram and a summary's count and sum are sent as the difference since the last flush (a value lower than the
// last one is a restart, sent whole). A summary is pushed with its count and sum: quantiles computed by one process
// cannot be merged with another's.

import { type CollectedValues, type CollectorValue, readCollected } from "../protocol/collected.ts";
import type { Limits } from "../protocol/limits.ts";
import { familyName } from "../protocol/names.ts";
import { describeValue, METRIC_TYPES } from "../protocol/validation.ts";
import type { FamilyDefinition, Labels, MetricType, SeriesDelta, SeriesSnapshot } from "../protocol/wire.ts";

export type { CollectorValue } from "../protocol/collected.ts";

/** What a collector's `get()` reports, in prom-client's shape: its values, and its name, help and type if it says. */
export interface CollectorReport {
  name?: string;
  help?: string;
  type?: string;
  values: CollectorValue[];
}

/**
 * A custom collector, as prom-client's `registerMetric` takes it: `get()`, and `name`, `help` and `type` on the
 * object or in what `get()` reports (prom-client reads them from there).
 */
export interface Collector {
  name?: string;
  help?: string;
  type?: string;
  /** Its label names, if it declares them (prom-client's metrics do); else the labels its values carry. */
  labelNames?: readonly string[];
  get(): CollectorReport | Promise<CollectorReport>;
}

/** What a collector reported at its last read: its family and series, absolute, and the name it reported. */
export interface Reading extends CollectedValues {
  name: string;
}

/** The family a collector fills: its last reading and what was sent of it. */
export class CollectedFamily {
  #latest: Reading | undefined;
  #sent = new Map<string, SeriesSnapshot>();

  constructor(readonly collector: Collector) {}

  /** The name it goes by: its own, else the one its last reading reported. */
  get name(): string | undefined {
    return this.collector.name ?? this.#latest?.name;
  }

  /** Its family's name, once known (from its last reading, or its own name and type). */
  get family(): string | undefined {
    if (this.#latest) return this.#latest.definition.name;
    const { name, type } = this.collector;
    return name !== undefined && isMetricType(type) ? familyName(type, name) : name;
  }

  /** Runs `get()` and keeps what it reports; throws a TypeError naming the problem. */
  async read(limits: Limits): Promise<Reading> {
    const got = await this.collector.get();
    const name = this.collector.name ?? got?.name;
    const type = got?.type ?? this.collector.type;
    if (typeof name !== "string") throw new TypeError(`it reports no name, got ${describeValue(name)}`);
    if (!isMetricType(type)) throw new TypeError(`type ${describeValue(type)} is not a metric type`);
    const help = got?.help ?? this.collector.help;
    const declaration = { name, type, help, labelNames: this.collector.labelNames };
    const reading = { ...readCollected(declaration, got?.values, limits), name };
    this.#latest = reading;
    return reading;
  }

  /** What the last read reported (undefined before the first, or after one that failed). */
  get latest(): Reading | undefined {
    return this.#latest;
  }

  /** Drops the last reading, after a read that failed: nothing is shown or sent of it until one succeeds. */
  forget(): void {
    this.#latest = undefined;
  }

  /** The definition as pushed: a summary carries count and sum only. */
  pushed(reading: Reading): FamilyDefinition {
    return reading.definition.type === "summary" ? { ...reading.definition, percentiles: [] } : reading.definition;
  }

  /**
   * The deltas from what was sent to the last reading, which is sent from now on. A series whose values are not all
   * finite (prom-client shows NaN and ±Inf; the store takes finite numbers only) is not sent, and handed to `unsent`.
   */
  takeDeltas(unsent: (labels: Labels) => void): SeriesDelta[] {
    const latest = this.#latest;
    if (!latest) return [];
    const deltas: SeriesDelta[] = [];
    const sent = new Map(this.#sent);
    for (const [key, now] of latest.series) {
      if (!finiteSeries(now)) {
        unsent(now.labels);
        continue;
      }
      const delta = deltaOf(latest.definition.type, this.#sent.get(key), now);
      if (delta) deltas.push(delta);
      sent.set(key, now);
    }
    this.#sent = sent;
    return deltas;
  }
}

/** True when every number of `series` is finite. */
function finiteSeries(series: SeriesSnapshot): boolean {
  const numbers = [series.value, series.sum, series.count, ...(series.counts ?? [])];
  return numbers.every((n) => n === undefined || Number.isFinite(n));
}

/** True for the four metric types and untyped. */
function isMetricType(type: unknown): type is MetricType {
  return METRIC_TYPES.includes(type as MetricType);
}

/** The delta from `before` (undefined: never sent) to `now`, or undefined when nothing changed. */
function deltaOf(type: MetricType, before: SeriesSnapshot | undefined, now: SeriesSnapshot): SeriesDelta | undefined {
  const { labels } = now;
  switch (type) {
    case "gauge":
    case "untyped":
      return before?.value === now.value ? undefined : { labels, set: now.value ?? 0 };
    case "counter": {
      const restarted = (now.value ?? 0) < (before?.value ?? 0);
      const inc = restarted ? (now.value ?? 0) : (now.value ?? 0) - (before?.value ?? 0);
      return before && inc === 0 ? undefined : { labels, inc };
    }
    case "histogram": {
      const was = before?.counts ?? [];
      const restarted = (now.counts ?? []).some((c, i) => c < (was[i] ?? 0));
      const counts = (now.counts ?? []).map((c, i) => (restarted ? c : c - (was[i] ?? 0)));
      const sum = restarted ? (now.sum ?? 0) : (now.sum ?? 0) - (before?.sum ?? 0);
      return before && counts.every((c) => c === 0) ? undefined : { labels, counts, sum };
    }
    case "summary": {
      const restarted = (now.count ?? 0) < (before?.count ?? 0);
      const count = restarted ? (now.count ?? 0) : (now.count ?? 0) - (before?.count ?? 0);
      const sum = restarted ? (now.sum ?? 0) : (now.sum ?? 0) - (before?.sum ?? 0);
      return before && count === 0 ? undefined : { labels, count, sum };
    }
  }
}
