// What a process pushed to one Pushgateway group, added up per series: counters, histograms and summaries (count and
// sum) add, gauges combine by their policy. The Pushgateway client renders it as text: a `push` (PUT) sends the
// totals, a `pushAdd` (POST) a push's own deltas beside the gauges' current values.

import { combineGauge, gaugePolicy } from "../protocol/gauge-policy.ts";
import { familyName } from "../protocol/names.ts";
import { seriesKey } from "../protocol/series-key.ts";
import type {
  FamilyDefinition,
  FamilySnapshot,
  GaugeDelta,
  HistogramDelta,
  Push,
  SeriesDelta,
  SeriesSnapshot,
  SummaryDelta,
} from "../protocol/wire.ts";

interface FamilyTotals {
  definition: FamilyDefinition;
  series: Map<string, SeriesSnapshot>;
}

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
        family = { definition: { ...declared, name }, series: new Map() };
        this.families.set(name, family);
      }
      const keys = new Set<string>();
      for (const delta of deltas) {
        const key = seriesKey(part.labelNames, delta.labels);
        keys.add(key);
        family.series.set(key, added(family.definition, family.series.get(key), delta));
      }
      touched.set(name, keys);
    }
    return touched;
  }

  /** The totals as families the encoder renders; with `only`, just the series it names, by family. */
  snapshot(only?: Map<string, Set<string>>): FamilySnapshot[] {
    const families: FamilySnapshot[] = [];
    for (const [name, { definition, series }] of this.families) {
      const keys = only ? only.get(name) : undefined;
      if (only && !keys) continue;
      const shown = [...series].filter(([key]) => !keys || keys.has(key)).map(([, s]) => s);
      if (shown.length > 0) families.push({ ...definition, series: shown });
    }
    return families;
  }
}

/** A series' totals after `delta` (a series not seen before starts from zero). */
function added(definition: FamilyDefinition, before: SeriesSnapshot | undefined, delta: SeriesDelta): SeriesSnapshot {
  const base: SeriesSnapshot = before ?? { labels: delta.labels, created: Date.now() / 1000 };
  switch (definition.type) {
    case "counter":
      return { ...base, value: (base.value ?? 0) + (delta as { inc: number }).inc };
    case "gauge":
    case "untyped": {
      const { set, inc } = delta as GaugeDelta;
      if (set === undefined) return { ...base, value: (base.value ?? 0) + (inc ?? 0) };
      const value = base.value === undefined ? set : combineGauge(gaugePolicy(definition), base.value, set);
      return { ...base, value };
    }
    case "histogram": {
      const { counts, sum } = delta as HistogramDelta;
      return { ...base, counts: counts.map((c, i) => c + (base.counts?.[i] ?? 0)), sum: (base.sum ?? 0) + sum };
    }
    case "summary": {
      const { count, sum } = delta as SummaryDelta;
      return { ...base, count: (base.count ?? 0) + count, sum: (base.sum ?? 0) + sum };
    }
  }
}
