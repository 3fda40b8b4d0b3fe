// What a collector reports, read into a family: prom-client's `get()` shape (`{ values: [{ value, labels?,
// metricName? }] }`), as custom collectors in the client and scrape-time collectors in the Worker report it. The label
// names are the collector's own if it declares them, else every label its values carry; a histogram's buckets are
// the `le` values it reports, a summary's quantiles the `quantile` values. The family goes through the one
// definition check; the values must be numbers (NaN and ±Inf included, as the text formats write them).

import { checkDefinition } from "./definition.ts";
import type { Limits } from "./limits.ts";
import { declaredWithoutTotal } from "./names.ts";
import { Invalid, refusalText } from "./refusal.ts";
import { seriesKey } from "./series-key.ts";
import { describeValue } from "./validation.ts";
import type { FamilyDefinition, Labels, MetricType, SeriesSnapshot } from "./wire.ts";

/** One value a collector reports, as prom-client's `get()` returns it. */
export interface CollectorValue {
  value: number;
  labels?: Record<string, string | number>;
  /** The sample's name: `<name>_bucket`, `_sum` or `_count` for histograms and summaries. */
  metricName?: string;
}

/** Who reports the values: a family's name, help and type, and its label names if it declares them. */
export interface CollectedFamilyDeclaration {
  name: string;
  /** Its help text; a collector that gives none is shown with COLLECTED_WITHOUT_HELP. */
  help?: string;
  type: MetricType;
  labelNames?: readonly string[];
}

/** The help of a collected family whose collector gives none (an empty one fails Prometheus' lint). */
export const COLLECTED_WITHOUT_HELP = "Collected without HELP text.";

/** A collector's family and its series (absolute values), by series key. */
export interface CollectedValues {
  definition: FamilyDefinition;
  series: Map<string, SeriesSnapshot>;
}

/**
 * The family and series `values` describe, as `collector` declares them; throws a TypeError naming the problem.
 * @example readCollected({ name: "depth", help: "Depth.", type: "gauge" }, [{ value: 3 }], DEFAULT_LIMITS);
 */
export function readCollected(
  collector: CollectedFamilyDeclaration,
  reported: unknown,
  limits: Limits,
): CollectedValues {
  const values: CollectorValue[] = Array.isArray(reported) ? reported : [];
  const { name, type } = collector;
  const help = collector.help === undefined || collector.help === "" ? COLLECTED_WITHOUT_HELP : collector.help;
  const special = type === "histogram" ? "le" : type === "summary" ? "quantile" : undefined;
  const declared = Array.isArray(collector.labelNames) ? collector.labelNames.map(String) : undefined;
  const names = new Set<string>(declared);
  const marks = new Set<number>();
  for (const { labels = {} } of values)
    for (const [label, value] of Object.entries(labels)) {
      if (label !== special) names.add(label);
      else if (String(value) !== "+Inf") marks.add(Number(value));
    }
  const labelNames = [...names];
  const sorted = [...marks].sort((a, b) => a - b);
  let definition: FamilyDefinition;
  try {
    definition = checkDefinition(
      {
        name,
        help,
        type,
        labelNames,
        ...(type === "histogram" ? { buckets: sorted } : {}),
        ...(type === "summary" ? { percentiles: sorted } : {}),
        ...(declaredWithoutTotal(type, name) ? { withoutTotal: true } : {}),
      },
      limits,
      [],
    );
  } catch (error) {
    if (error instanceof Invalid)
      throw new TypeError(`collector ${describeValue(name)}: ${refusalText(error.refusal)}`);
    throw error;
  }
  const series = new Map<string, SeriesSnapshot>();
  const created = Date.now() / 1000;
  for (const v of values) {
    const value = v.value;
    const own = v.labels ?? {};
    if (typeof value !== "number")
      throw new TypeError(`collector ${describeValue(name)}: value ${describeValue(value)} is not a number`);
    const labels: Labels = Object.fromEntries(labelNames.map((label) => [label, String(own[label] ?? "")]));
    const key = seriesKey(labelNames, labels);
    let s = series.get(key);
    if (!s) {
      s = { labels, created };
      series.set(key, s);
    }
    const sample = v.metricName ?? name;
    if (type !== "histogram" && type !== "summary") s.value = value;
    else if (sample.endsWith("_sum")) s.sum = value;
    else if (sample.endsWith("_count")) s.count = value;
    else if (type === "histogram") {
      const bound = String(own.le);
      const i = bound === "+Inf" ? sorted.length : sorted.indexOf(Number(bound));
      s.counts ??= new Array<number>(sorted.length + 1).fill(0);
      s.counts[i] = value;
    } else {
      s.quantiles ??= [];
      s.quantiles.push([Number(own.quantile), value]);
    }
  }
  for (const s of series.values()) {
    // prom-client reports cumulative bucket values; the store keeps per-bucket counts.
    const counts = s.counts;
    if (counts) for (let i = counts.length - 1; i > 0; i--) counts[i] = (counts[i] ?? 0) - (counts[i - 1] ?? 0);
    s.quantiles?.sort((a, b) => (a[0] as number) - (b[0] as number));
    if (type === "summary") s.count ??= 0;
  }
  return { definition, series };
}
