// Pure predicates on names, labels, buckets and quantiles. Each returns a problem description, or undefined when
// the value is fine; callers add where the value came from (a metric's options, a field of a push).

import type { Limits } from "./limits.ts";
import type { GaugeMerge, MetricType } from "./wire.ts";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const METRIC_TYPES: readonly MetricType[] = ["counter", "gauge", "histogram", "summary", "untyped"];
export const GAUGE_MERGES: readonly GaugeMerge[] = ["set", "sum", "max", "min"];
/** The label name a type keeps for its own samples, and what they are. */
const RESERVED_LABEL: Partial<Record<MetricType, [string, string]>> = {
  histogram: ["le", "buckets"],
  summary: ["quantile", "quantiles"],
};

/** A value shown inside an error message: JSON-like, shallow (no deep recursion on hostile input), cut short. */
export function describeValue(value: unknown): string {
  const text = brief(value, 3);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function brief(value: unknown, depth: number): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 80));
  if (typeof value !== "object" || value === null) return String(value);
  const list = Array.isArray(value);
  if (depth === 0) return list ? "[…]" : "{…}";
  // Nine entries at most are looked at (a hostile array may be long).
  const entries = list ? value.slice(0, 9).map((v) => ["", v]) : Object.entries(value).slice(0, 9);
  const items = entries.slice(0, 8).map(([k, v]) => (list ? "" : `${JSON.stringify(k)}:`) + brief(v, depth - 1));
  const text = items.join(",") + (entries.length > 8 ? ",…" : "");
  return list ? `[${text}]` : `{${text}}`;
}

/** False for strings with lone surrogates: two such values would render as the same UTF-8 and collide. */
export function wellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** A string of at most `max` characters, well-formed Unicode. */
export function textProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== "string") return `must be a string, got ${describeValue(value)}`;
  if (value.length > max) return `is ${value.length} characters, over the limit of ${max}`;
  if (!wellFormed(value)) return `is not well-formed Unicode (lone surrogate) in ${describeValue(value)}`;
}

/** A metric or label name: within the length limit, matching `pattern`. */
function nameProblem(name: unknown, max: number, pattern: RegExp, kind: string): string | undefined {
  const problem = textProblem(name, max);
  if (problem) return problem;
  if (!pattern.test(name as string))
    return `${describeValue(name)} is not a valid ${kind} name (${pattern.source.slice(1, -1)})`;
}

/** A metric name: within the length limit, of the allowed characters (it may start with "__": only labels may not). */
export function metricNameProblem(name: unknown, limits: Pick<Limits, "maxNameLength">): string | undefined {
  return nameProblem(name, limits.maxNameLength, METRIC_NAME, "metric");
}

/** Whether `name` has the characters of a metric name (the length limit aside). */
export function isMetricName(name: unknown): boolean {
  return typeof name === "string" && METRIC_NAME.test(name);
}

/** Whether `name` has the characters of a label name (the length limit and reserved names aside). */
export function isLabelName(name: unknown): boolean {
  return typeof name === "string" && LABEL_NAME.test(name);
}

/** The label name `type` keeps for its own samples ("le" of a histogram's buckets), if any. */
export function reservedLabel(type: MetricType): string | undefined {
  return RESERVED_LABEL[type]?.[0];
}

export function labelNameProblem(
  name: unknown,
  type: MetricType,
  limits: Pick<Limits, "maxNameLength">,
): string | undefined {
  const [reserved, samples] = RESERVED_LABEL[type] ?? [];
  const problem = nameProblem(name, limits.maxNameLength, LABEL_NAME, "label");
  if (problem) return problem;
  // Label names that start with "__" are Prometheus's own (__name__, __address__…).
  if ((name as string).startsWith("__")) return `${describeValue(name)} starts with "__", which is reserved`;
  return name === reserved ? `"${reserved}" is reserved for ${type} ${samples}` : undefined;
}

/** A label value: a string within the length limit, well-formed Unicode. */
export function labelValueProblem(value: unknown, limits: Pick<Limits, "maxLabelValueLength">): string | undefined {
  return textProblem(value, limits.maxLabelValueLength);
}

/** A series' label set: its names and values together within `maxSeriesLabelsLength` characters. */
export function seriesLabelsProblem(
  labelNames: readonly string[],
  labels: Readonly<Record<string, string>>,
  limits: Pick<Limits, "maxSeriesLabelsLength">,
): string | undefined {
  let length = 0;
  for (const name of labelNames)
    length += name.length + (Object.hasOwn(labels, name) ? (labels[name]?.length ?? 0) : 0);
  const max = limits.maxSeriesLabelsLength;
  if (length > max)
    return `label names and values are ${length} characters together, over the limit of ${max} per series`;
}

/** A strictly increasing list of at most `max` numbers, each passing `valid` (which `range` names). */
function increasingProblem(
  list: unknown,
  max: number,
  unit: string,
  valid: (n: number) => boolean,
  range: string,
): string | undefined {
  if (!Array.isArray(list)) return `must be an array of numbers, got ${describeValue(list)}`;
  if (list.length > max) return `has ${list.length} ${unit}, over the limit of ${max}`;
  for (let i = 0; i < list.length; i++) {
    const n: unknown = list[i];
    if (typeof n !== "number" || !valid(n)) return `[${i}] must be ${range}, got ${describeValue(n)}`;
    if (i > 0 && n <= list[i - 1]) return `must be strictly increasing, got ${describeValue(list[i - 1])} then ${n}`;
  }
}

export function bucketsProblem(buckets: unknown, limits: Pick<Limits, "maxBuckets">): string | undefined {
  if (Array.isArray(buckets) && buckets.length === 0) return "must hold at least one bucket";
  return increasingProblem(buckets, limits.maxBuckets, "buckets", Number.isFinite, "a finite number");
}

export function percentilesProblem(percentiles: unknown, limits: Pick<Limits, "maxPercentiles">): string | undefined {
  return increasingProblem(
    percentiles,
    limits.maxPercentiles,
    "quantiles",
    (q) => q >= 0 && q <= 1,
    "a number from 0 to 1",
  );
}

/** An integer from `min` to `max`. */
export function wholeNumberProblem(value: unknown, min: number, max: number): string | undefined {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
    return `must be an integer from ${min} to ${max}, got ${describeValue(value)}`;
}
