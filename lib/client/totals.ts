// Deltas added up per series, in one place: counters, histograms and summaries (count, sum and sketch) add, gauges
// combine by their policy. A registry keeps one FamilyTotals per family for what it has flushed, so it can render
// its metrics locally (since it started); the Pushgateway client keeps GroupTotals per group and renders them as text.

import { laterExemplars } from "../protocol/exemplars.ts";
import { combineGauge, gaugePolicy } from "../protocol/gauge-policy.ts";
import { familyName } from "../protocol/names.ts";
import { mergeNative } from "../protocol/native-histogram.ts";
import { seriesKey } from "../protocol/series-key.ts";
import { mergeSketchData, type SketchData, sketchQuantile } from "../protocol/sketch.ts";
import type {
  CounterDelta,
  FamilyDefinition,
  FamilySnapshot,
  GaugeDelta,
  HistogramDelta,
  Push,
  SeriesDelta,
  SeriesSnapshot,
  SummaryDelta,
} from "../protocol/wire.ts";

/** A series' totals: its snapshot, and for a summary the merged sketch of its observations. */
interface Tally {
  snapshot: SeriesSnapshot;
  sketch?: SketchData;
}

/** One family's totals, by series key. */
export class FamilyTotals {
  #series = new Map<string, Tally>();

  /** `definition`: the family's (its name the family name). */
  constructor(readonly definition: FamilyDefinition) {}

  /** Adds `delta` to the series `key` (a series not seen before starts from zero, created at `created` seconds). */
  add(key: string, delta: SeriesDelta, created = Date.now() / 1000): void {
    const before = this.#series.get(key);
    const snapshot = added(this.definition, before?.snapshot ?? { labels: delta.labels, created }, delta);
    const sketch = (delta as SummaryDelta).sketch;
    this.#series.set(key, { snapshot, sketch: sketch ? mergeSketchData(before?.sketch, sketch) : before?.sketch });
  }

  remove(key: string): void {
    this.#series.delete(key);
  }

  clear(): void {
    this.#series.clear();
  }

  has(key: string): boolean {
    return this.#series.has(key);
  }

  /** A copy, to add deltas to without changing this one. */
  copy(): FamilyTotals {
    const copy = new FamilyTotals(this.definition);
    copy.#series = new Map(this.#series);
    return copy;
  }

  /**
   * The series as the encoder renders them; with `only`, just those keys. A summary's quantiles (its percentiles,
   * from the merged sketch) are included with `quantiles`.
   */
  snapshot(only?: Set<string>, quantiles = false): SeriesSnapshot[] {
    const percentiles = quantiles ? (this.definition.percentiles ?? []) : [];
    const out: SeriesSnapshot[] = [];
    for (const [key, { snapshot, sketch }] of this.#series) {
      if (only && !only.has(key)) continue;
      out.push(
        sketch && percentiles.length > 0
          ? { ...snapshot, quantiles: percentiles.map((q) => [q, sketchQuantile(sketch, q)]) }
          : snapshot,
      );
    }
    return out;
  }
}

/** What a process pushed to one Pushgateway group, added up per family. */
export class GroupTotals {
  private readonly families = new Map<string, FamilyTotals>();

  /**
   * Adds a push's deltas (family names as pushed: a counter's `_total` is not part of its family); returns the keys
   * of the series it touched, by family.
   */
  add(push: Push): Map<string, Set<string>> {
    const touched = new Map<string, Set<string>>();
    for (const part of push.families) {
      const { series: deltas, reset: _r, remove: _m, replace: _p, inferred: _i, ...declared } = part;
      const name = familyName(part.type, part.name);
      let family = this.families.get(name);
      if (!family) {
        family = new FamilyTotals({ ...declared, name });
        this.families.set(name, family);
      }
      const keys = new Set<string>();
      for (const delta of deltas) {
        const key = seriesKey(part.labelNames, delta.labels);
        keys.add(key);
        family.add(key, delta);
      }
      touched.set(name, keys);
    }
    return touched;
  }

  /** The totals as families the encoder renders; with `only`, just the series it names, by family. */
  snapshot(only?: Map<string, Set<string>>): FamilySnapshot[] {
    const families: FamilySnapshot[] = [];
    for (const [name, family] of this.families) {
      const keys = only ? only.get(name) : undefined;
      if (only && !keys) continue;
      const shown = family.snapshot(keys);
      if (shown.length > 0) families.push({ ...family.definition, series: shown });
    }
    return families;
  }
}

/** `next` with the later exemplars of `base` and `delta`. */
function withExemplars(next: SeriesSnapshot, base: SeriesSnapshot, delta: SeriesDelta): SeriesSnapshot {
  const exemplars = laterExemplars(base.exemplars, (delta as CounterDelta).exemplars);
  return exemplars ? { ...next, exemplars } : next;
}

/** A series' totals after `delta`. */
function added(definition: FamilyDefinition, base: SeriesSnapshot, delta: SeriesDelta): SeriesSnapshot {
  switch (definition.type) {
    case "counter":
      return withExemplars({ ...base, value: (base.value ?? 0) + (delta as CounterDelta).inc }, base, delta);
    case "gauge":
    case "untyped": {
      const { set, inc } = delta as GaugeDelta;
      if (set === undefined) return { ...base, value: (base.value ?? 0) + (inc ?? 0) };
      const value = base.value === undefined ? set : combineGauge(gaugePolicy(definition), base.value, set);
      return { ...base, value };
    }
    case "histogram": {
      const { counts, sum, native } = delta as HistogramDelta;
      const next = { ...base, counts: counts.map((c, i) => c + (base.counts?.[i] ?? 0)), sum: (base.sum ?? 0) + sum };
      const merged = definition.native && mergeNative(base.native, native, definition.native.maxBuckets);
      if (merged) next.native = merged;
      return withExemplars(next, base, delta);
    }
    case "summary": {
      const { count, sum } = delta as SummaryDelta;
      return { ...base, count: (base.count ?? 0) + count, sum: (base.sum ?? 0) + sum };
    }
  }
}
