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
import { increment, type StreamMarks, type Totals } from "./cumulative.ts";
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
  /** The last totals of each cumulative stream that wrote it (lib/store/cumulative.ts). */
  streams?: StreamMarks;
}

/** What a delta's cumulative points add, and the series' stream marks after them. */
function cumulativeGrowth(
  state: SeriesState | undefined,
  points: readonly ({ stream: string; start: string; time: string } & Totals)[],
  nowMs: number,
): { added: Totals[]; streams: StreamMarks | undefined } {
  let streams = state?.streams;
  const added: Totals[] = [];
  for (const { stream, start, time, ...totals } of points) {
    const step = increment(streams, { stream, start, time }, totals, nowMs);
    streams = step.marks;
    if (step.add) added.push(step.add);
  }
  return { added, streams };
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
      const next: SeriesState = { value: (state?.value ?? 0) + c.inc };
      const cumulative = (c.cumulative ?? []).map(({ total, ...point }) => ({ ...point, value: total }));
      const { added, streams } = cumulativeGrowth(state, cumulative, nowMs);
      for (const a of added) next.value = (next.value ?? 0) + (a.value ?? 0);
      if (streams) next.streams = streams;
      return withExemplars(next, state, c);
    }
    case "gauge":
    case "untyped":
      return { value: mergeGauge(definition, state?.value, delta as GaugeDelta) };
    case "histogram": {
      const h = delta as HistogramDelta;
      const { added, streams } = cumulativeGrowth(state, h.cumulative ?? [], nowMs);
      const counts = h.counts.map(
        (c, i) => c + (state?.counts?.[i] ?? 0) + added.reduce((n, a) => n + (a.counts?.[i] ?? 0), 0),
      );
      const next: SeriesState = {
        counts,
        sum: (state?.sum ?? 0) + h.sum + added.reduce((n, a) => n + (a.sum ?? 0), 0),
      };
      if (definition.native) {
        let native = mergeNative(state?.native, h.native, definition.native.maxBuckets);
        for (const a of added) native = mergeNative(native, a.native, definition.native.maxBuckets);
        if (native) next.native = native;
      }
      if (streams) next.streams = streams;
      return withExemplars(next, state, h);
    }
    case "summary": {
      const s = delta as SummaryDelta;
      const windows = s.sketch ? addToWindows(state?.windows, definition, s.sketch, nowMs) : state?.windows;
      return { count: (state?.count ?? 0) + s.count, sum: (state?.sum ?? 0) + s.sum, ...(windows ? { windows } : {}) };
    }
  }
}
