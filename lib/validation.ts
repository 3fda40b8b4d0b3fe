// Pure predicates on names, labels and buckets, shared by the client (definition-time errors)
// and the server (ingest-time 4xx errors). Each returns a problem description, or undefined when fine.

import type { FamilyDefinition, GaugeMerge, MetricType } from "./wire.ts";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export const METRIC_TYPES: readonly MetricType[] = ["counter", "gauge", "histogram", "summary"];
export const GAUGE_MERGES: readonly GaugeMerge[] = ["set", "sum", "max", "min"];
/** Summary windows when maxAgeSeconds is set and ageBuckets is not (as prom-client). */
export const DEFAULT_AGE_BUCKETS = 5;
/** At most this many summary windows: with the sketch's bucket cap a series' windows stay well under a 2 MB row. */
export const MAX_AGE_BUCKETS = 10;

/** A value shown inside an error message: JSON-like, shallow (no deep recursion on hostile input), cut short. */
export function show(value: unknown): string {
  const text = brief(value, 3);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function brief(value: unknown, depth: number): string {
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 80) : value);
  if (value === null || typeof value !== "object") return String(value);
  if (depth === 0) return Array.isArray(value) ? "[…]" : "{…}";
  if (Array.isArray(value))
    return `[${value
      .slice(0, 8)
      .map((v) => brief(v, depth - 1))
      .join(",")}${value.length > 8 ? ",…" : ""}]`;
  const entries = Object.entries(value).slice(0, 8);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${brief(v, depth - 1)}`).join(",")}${Object.keys(value).length > 8 ? ",…" : ""}}`;
}

export function metricNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string") return `must be a string, got ${show(name)}`;
  if (!METRIC_NAME.test(name)) return `${show(name)} is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`;
  if (name.startsWith("__")) return `${show(name)} starts with "__", which is reserved`;
  return undefined;
}

export function labelNameProblem(name: unknown, type: MetricType): string | undefined {
  if (typeof name !== "string") return `must be a string, got ${show(name)}`;
  if (!LABEL_NAME.test(name)) return `${show(name)} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`;
  if (name.startsWith("__")) return `${show(name)} starts with "__", which is reserved`;
  if (name === "le" && type === "histogram") return `"le" is reserved for histogram buckets`;
  if (name === "quantile" && type === "summary") return `"quantile" is reserved for summary quantiles`;
  return undefined;
}

export function bucketsProblem(buckets: unknown): string | undefined {
  if (!Array.isArray(buckets)) return `must be an array of numbers, got ${show(buckets)}`;
  if (buckets.length === 0) return "must hold at least one bucket";
  for (let i = 0; i < buckets.length; i++) {
    const b: unknown = buckets[i];
    if (typeof b !== "number" || !Number.isFinite(b)) return `[${i}] must be a finite number, got ${show(b)}`;
    if (i > 0 && b <= (buckets[i - 1] as number))
      return `must be strictly increasing, got ${show(buckets[i - 1])} then ${show(b)}`;
  }
  return undefined;
}

export function percentilesProblem(percentiles: unknown): string | undefined {
  if (!Array.isArray(percentiles)) return `must be an array of numbers, got ${show(percentiles)}`;
  if (percentiles.length > 20) return `has ${percentiles.length} quantiles, over the limit of 20`;
  for (let i = 0; i < percentiles.length; i++) {
    const q: unknown = percentiles[i];
    if (typeof q !== "number" || !(q >= 0 && q <= 1)) return `[${i}] must be a number from 0 to 1, got ${show(q)}`;
    if (i > 0 && q <= (percentiles[i - 1] as number))
      return `must be strictly increasing, got ${show(percentiles[i - 1])} then ${show(q)}`;
  }
  return undefined;
}

/** The family name a metric is stored under: a counter's `_total` suffix is not part of it. */
export function familyName(type: MetricType, name: string): string {
  return type === "counter" && name.endsWith("_total") ? name.slice(0, -"_total".length) : name;
}

/** Which part of two definitions of one family differs, or undefined when they agree. */
export function definitionDifference(a: FamilyDefinition, b: FamilyDefinition): string | undefined {
  if (a.type !== b.type) return `type (${a.type} vs ${b.type})`;
  if (JSON.stringify(a.labelNames) !== JSON.stringify(b.labelNames))
    return `labelNames (${show(a.labelNames)} vs ${show(b.labelNames)})`;
  if (JSON.stringify(a.buckets ?? null) !== JSON.stringify(b.buckets ?? null))
    return `buckets (${show(a.buckets)} vs ${show(b.buckets)})`;
  if (a.type === "gauge" && (a.merge ?? "set") !== (b.merge ?? "set"))
    return `merge policy (${a.merge ?? "set"} vs ${b.merge ?? "set"})`;
  if (a.type === "summary") {
    if (JSON.stringify(a.percentiles ?? []) !== JSON.stringify(b.percentiles ?? []))
      return `percentiles (${show(a.percentiles ?? [])} vs ${show(b.percentiles ?? [])})`;
    if ((a.maxAgeSeconds ?? 0) !== (b.maxAgeSeconds ?? 0) || (a.ageBuckets ?? 1) !== (b.ageBuckets ?? 1)) {
      return `quantile window (maxAgeSeconds ${a.maxAgeSeconds ?? 0} / ageBuckets ${a.ageBuckets ?? 1} vs ${b.maxAgeSeconds ?? 0} / ${b.ageBuckets ?? 1})`;
    }
  }
  return undefined;
}

/**
 * The sample names a family exposes (OpenMetrics, the superset of text 0.0.4). Two families must never share
 * one, or the scrape would repeat a series: e.g. a gauge `x_total` next to a counter `x`.
 */
export function sampleNames(name: string, type: MetricType): string[] {
  switch (type) {
    case "counter":
      return [`${name}_total`, `${name}_created`];
    case "gauge":
      return [name];
    case "histogram":
      return [`${name}_bucket`, `${name}_sum`, `${name}_count`, `${name}_created`];
    case "summary":
      return [name, `${name}_sum`, `${name}_count`, `${name}_created`];
  }
}
