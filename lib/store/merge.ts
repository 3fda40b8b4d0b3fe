// How a delta combines with a series' stored state, per metric type and, for gauges, per merge policy.
// One pure function, used by the Durable Object (on SQLite rows) and by the in-memory store alike.

import { laterExemplars } from "../protocol/exemplars.ts";
import { combineGauge, gaugePolicy } from "../protocol/gauge-policy.ts";
import { mergeNative, type NativeBuckets } from "../protocol/native-histogram.ts";
import type {
  CounterDelta,
  Exemplars,
  FamilyDefinition,
  GaugeDelta,
  HistogramDelta,
  SeriesDelta,
  SummaryDelta,
} from "../protocol/wire.ts";
import { addToWindows, type SketchWindows } from "./quantile-windows.ts";

/** The mutable part of a stored series. */
export interface SeriesState {
  value?: number;
  counts?: number[];
  /** A native histogram's exponential buckets. */
  native?: NativeBuckets;
  sum?: number;
  count?: number;
  /** Summary quantile sketches by time window. */
  windows?: SketchWindows;
  /** A counter's or a histogram's latest exemplars. */
  exemplars?: Exemplars;
}

/** `next` with the later exemplars of `state` and `delta` (none: none). */
function withExemplars(
  next: SeriesState,
  state: SeriesState | undefined,
  delta: { exemplars?: Exemplars },
): SeriesState {
  const exemplars = laterExemplars(state?.exemplars, delta.exemplars);
  return exemplars ? { ...next, exemplars } : next;
}

/** A gauge's stored value after a delta, per the family's merge policy. */
function mergeGauge(definition: FamilyDefinition, before: number | undefined, delta: GaugeDelta): number {
  if (delta.set === undefined) return (before ?? 0) + (delta.inc ?? 0);
  return before === undefined ? delta.set : combineGauge(gaugePolicy(definition), before, delta.set);
}

/**
 * Returns the state after applying `delta` to `state` (undefined for a new series) at `nowMs`.
 * Counters add; gauges follow their merge policy; histograms add per bucket; summaries add count and sum and
 * merge their sketch into the current window.
 * @example
 * mergeSeries({ name: "c", type: "counter", help: "", labelNames: [] }, { value: 2 }, { labels: {}, inc: 3 }, 0); // { value: 5 }
 */
export function mergeSeries(
  definition: FamilyDefinition,
  state: SeriesState | undefined,
  delta: SeriesDelta,
  nowMs: number,
): SeriesState {
  switch (definition.type) {
    case "counter": {
      const c = delta as CounterDelta;
      return withExemplars({ value: (state?.value ?? 0) + c.inc }, state, c);
    }
    case "gauge":
    case "untyped":
      return { value: mergeGauge(definition, state?.value, delta as GaugeDelta) };
    case "histogram": {
      const h = delta as HistogramDelta;
      const counts = h.counts.map((c, i) => c + (state?.counts?.[i] ?? 0));
      const next: SeriesState = { counts, sum: (state?.sum ?? 0) + h.sum };
      const native = definition.native && mergeNative(state?.native, h.native, definition.native.maxBuckets);
      if (native) next.native = native;
      return withExemplars(next, state, h);
    }
    case "summary": {
      const s = delta as SummaryDelta;
      const windows = s.sketch ? addToWindows(state?.windows, definition, s.sketch, nowMs) : state?.windows;
      return { count: (state?.count ?? 0) + s.count, sum: (state?.sum ?? 0) + s.sum, ...(windows ? { windows } : {}) };
    }
  }
}
