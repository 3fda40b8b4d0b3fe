// A custom collector, as prom-client's registry takes one: any object with `name`, `help`, `type` and `get()` (sync
// or async), prom-client's own metric instances included. It reports absolute values; this module reads them into
// a family (definition and series) and, at each flush, turns them into deltas: a gauge is set, a counter, a
// histogram and a summary's count and sum are sent as the difference since the last flush (a value lower than the
// last one is a restart, sent whole). A summary is pushed with its count and sum: quantiles computed by one process
// cannot be merged with another's.

import { type CollectedValues, type CollectorValue, readCollected } from "../protocol/collected.ts";
import type { Limits } from "../protocol/limits.ts";
import { familyName } from "../protocol/names.ts";
import { describeValue } from "../protocol/validation.ts";
import type { FamilyDefinition, MetricType, SeriesDelta, SeriesSnapshot } from "../protocol/wire.ts";

export type { CollectorValue } from "../protocol/collected.ts";

/** A custom collector, as prom-client's `registerMetric` takes it. */
export interface Collector {
  name: string;
  help: string;
  type: Exclude<MetricType, "untyped">;
  /** Its label names, if it declares them (prom-client's metrics do); else the labels its values carry. */
  labelNames?: readonly string[];
  get(): { values: CollectorValue[] } | Promise<{ values: CollectorValue[] }>;
}

/** True for an object a registry takes as a custom collector. */
export function isCollector(value: unknown): value is Collector {
  const c = value as Partial<Collector> | null;
  return typeof c === "object" && c !== null && typeof c.name === "string" && typeof c.get === "function";
}

/** What a collector reported at its last read: its family and series, absolute. */
export type Reading = CollectedValues;

/** The family a collector fills: its last reading and what was sent of it. */
export class CollectedFamily {
  /** The family name. */
  readonly name: string;
  #latest: Reading | undefined;
  #sent = new Map<string, SeriesSnapshot>();

  constructor(readonly collector: Collector) {
    const { name, type } = collector;
    if (!["counter", "gauge", "histogram", "summary"].includes(type))
      throw new TypeError(`collector ${describeValue(name)}: type ${describeValue(type)} is not a metric type`);
    this.name = familyName(type, name);
  }

  /** Runs `get()` and keeps what it reports; throws a TypeError naming the problem. */
  async read(limits: Limits): Promise<Reading> {
    const got = await this.collector.get();
    const reading = readCollected(this.collector, got?.values, limits);
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

  /** The deltas from what was sent to the last reading, which is sent from now on. */
  takeDeltas(): SeriesDelta[] {
    const latest = this.#latest;
    if (!latest) return [];
    const deltas: SeriesDelta[] = [];
    for (const [key, now] of latest.series) {
      const delta = deltaOf(latest.definition.type, this.#sent.get(key), now);
      if (delta) deltas.push(delta);
    }
    this.#sent = latest.series;
    return deltas;
  }
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
