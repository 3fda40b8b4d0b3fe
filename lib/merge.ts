// How a delta combines with a series' stored state, per metric type. One pure function, used by the
// Durable Object (on SQLite rows) and by the in-memory store (for tests and local use) alike.

import type { CounterDelta, GaugeDelta, HistogramDelta, MetricType, SeriesDelta, SummaryDelta } from "./wire.ts";

/** The mutable part of a stored series. */
export interface SeriesState {
  value?: number;
  counts?: number[];
  sum?: number;
  count?: number;
}

/**
 * Returns the state after applying `delta` to `state` (undefined for a new series).
 * Counters add; gauges take `set` or add `inc`; histograms add per bucket; summaries add count and sum.
 * @example
 * mergeSeries("counter", { value: 2 }, { labels: {}, inc: 3 }); // { value: 5 }
 */
export function mergeSeries(type: MetricType, state: SeriesState | undefined, delta: SeriesDelta): SeriesState {
  switch (type) {
    case "counter":
      return { value: (state?.value ?? 0) + (delta as CounterDelta).inc };
    case "gauge": {
      const g = delta as GaugeDelta;
      return { value: g.set !== undefined ? g.set : (state?.value ?? 0) + (g.inc ?? 0) };
    }
    case "histogram": {
      const h = delta as HistogramDelta;
      const counts = h.counts.map((c, i) => c + (state?.counts?.[i] ?? 0));
      return { counts, sum: (state?.sum ?? 0) + h.sum };
    }
    case "summary": {
      const s = delta as SummaryDelta;
      return { count: (state?.count ?? 0) + s.count, sum: (state?.sum ?? 0) + s.sum };
    }
  }
}
