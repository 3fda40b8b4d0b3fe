// Pure predicates on names, labels, buckets and quantiles. Each returns a problem description, or undefined when
// the value is fine; callers add where the value came from (a metric's options, a field of a push).

import type { Limits } from "./limits.ts";
import type { GaugeMerge, MetricType } from "./wire.ts";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const METRIC_TYPES: readonly MetricType[] = ["counter", "gauge", "histogram", "summary", "untyped"];
export const GAUGE_MERGES: readonly GaugeMerge[] = ["set", "sum", "max", "min"];

/** A value shown inside an error message: JSON-like, shallow (no deep recursion on hostile input), cut short. */
export function describeValue(value: unknown): string {
  const text = brief(value, 3);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function brief(value: unknown, depth: number): string {
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? value.slice(0, 80) : value);
  if (value === null || typeof value !== "object") return String(value);
  if (depth === 0) return Array.isArray(value) ? "[…]" : "{…}";
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map((v) => brief(v, depth - 1));
    return `[${items.join(",")}${value.length > 8 ? ",…" : ""}]`;
  }
  const entries = Object.entries(value).slice(0, 8);
  const more = Object.keys(value).length > 8 ? ",…" : "";
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${brief(v, depth - 1)}`).join(",")}${more}}`;
}

/** False for strings with lone surrogates: two such values would render as the same UTF-8 and collide. */
export function wellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function metricNameProblem(name: unknown, limits: Pick<Limits, "maxNameLength">): string | undefined {
  if (typeof name !== "string") return `must be a string, got ${describeValue(name)}`;
  if (name.length > limits.maxNameLength) {
    return `is ${name.length} characters, over the limit of ${limits.maxNameLength}`;
  }
  if (!METRIC_NAME.test(name)) return `${describeValue(name)} is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)`;
  if (name.startsWith("__")) return `${describeValue(name)} starts with "__", which is reserved`;
  return undefined;
}

export function labelNameProblem(
  name: unknown,
  type: MetricType,
  limits: Pick<Limits, "maxNameLength">,
): string | undefined {
  if (typeof name !== "string") return `must be a string, got ${describeValue(name)}`;
  if (name.length > limits.maxNameLength) {
    return `is ${name.length} characters, over the limit of ${limits.maxNameLength}`;
  }
  if (!LABEL_NAME.test(name)) return `${describeValue(name)} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)`;
  if (name.startsWith("__")) return `${describeValue(name)} starts with "__", which is reserved`;
  if (name === "le" && type === "histogram") return `"le" is reserved for histogram buckets`;
  if (name === "quantile" && type === "summary") return `"quantile" is reserved for summary quantiles`;
  return undefined;
}

/** A label value: a string within the length limit, well-formed Unicode. */
export function labelValueProblem(value: unknown, limits: Pick<Limits, "maxLabelValueLength">): string | undefined {
  if (typeof value !== "string") return `must be a string, got ${describeValue(value)}`;
  if (value.length > limits.maxLabelValueLength) {
    return `is ${value.length} characters, over the limit of ${limits.maxLabelValueLength}`;
  }
  if (!wellFormed(value)) return `is not well-formed Unicode (lone surrogate) in ${describeValue(value)}`;
  return undefined;
}

/** A series' label set: its names and values together within `maxSeriesLabelsLength` characters. */
export function seriesLabelsProblem(
  labelNames: readonly string[],
  labels: Readonly<Record<string, string>>,
  limits: Pick<Limits, "maxSeriesLabelsLength">,
): string | undefined {
  let length = 0;
  for (const name of labelNames)
    length += name.length + (Object.hasOwn(labels, name) ? (labels[name] ?? "").length : 0);
  if (length <= limits.maxSeriesLabelsLength) return undefined;
  return `label names and values are ${length} characters together, over the limit of ${limits.maxSeriesLabelsLength} per series`;
}

export function bucketsProblem(buckets: unknown, limits: Pick<Limits, "maxBuckets">): string | undefined {
  if (!Array.isArray(buckets)) return `must be an array of numbers, got ${describeValue(buckets)}`;
  if (buckets.length === 0) return "must hold at least one bucket";
  if (buckets.length > limits.maxBuckets)
    return `has ${buckets.length} buckets, over the limit of ${limits.maxBuckets}`;
  for (let i = 0; i < buckets.length; i++) {
    const b: unknown = buckets[i];
    if (typeof b !== "number" || !Number.isFinite(b)) return `[${i}] must be a finite number, got ${describeValue(b)}`;
    if (i > 0 && b <= (buckets[i - 1] as number)) {
      return `must be strictly increasing, got ${describeValue(buckets[i - 1])} then ${describeValue(b)}`;
    }
  }
  return undefined;
}

export function percentilesProblem(percentiles: unknown, limits: Pick<Limits, "maxPercentiles">): string | undefined {
  if (!Array.isArray(percentiles)) return `must be an array of numbers, got ${describeValue(percentiles)}`;
  if (percentiles.length > limits.maxPercentiles) {
    return `has ${percentiles.length} quantiles, over the limit of ${limits.maxPercentiles}`;
  }
  for (let i = 0; i < percentiles.length; i++) {
    const q: unknown = percentiles[i];
    if (typeof q !== "number" || !(q >= 0 && q <= 1))
      return `[${i}] must be a number from 0 to 1, got ${describeValue(q)}`;
    if (i > 0 && q <= (percentiles[i - 1] as number)) {
      return `must be strictly increasing, got ${describeValue(percentiles[i - 1])} then ${describeValue(q)}`;
    }
  }
  return undefined;
}

/** An integer from `min` to `max`. */
export function wholeNumberProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    return `must be an integer from ${min} to ${max}, got ${describeValue(value)}`;
  }
  return undefined;
}
