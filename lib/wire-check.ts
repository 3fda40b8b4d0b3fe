// Turns untrusted input (a parsed JSON body or an RPC argument) into a canonical PushBatch, or names the
// first problem with its path and value. Strict: unknown fields, duplicates and non-finite numbers are refused.

import { DEFAULT_PUSH_LIMITS, type PushLimits } from "./limits.ts";
import { SKETCH_MAX_BUCKETS, SKETCH_MAX_INDEX, type SketchData, sketchCount } from "./sketch.ts";
import {
  bucketsProblem,
  DEFAULT_AGE_BUCKETS,
  familyName,
  GAUGE_MERGES,
  labelNameProblem,
  MAX_AGE_BUCKETS,
  METRIC_TYPES,
  metricNameProblem,
  percentilesProblem,
  show,
} from "./validation.ts";
import type { FamilyBatch, FamilyDefinition, GaugeMerge, Labels, MetricType, PushBatch, SeriesDelta } from "./wire.ts";

export type CheckResult<T> = { ok: true; value: T } | { ok: false; error: string; status: 400 | 413 };

class Invalid extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

function fail(path: string, problem: string, status: 400 | 413 = 400): never {
  throw new Invalid(`${path}: ${problem}`, status);
}

function record(
  value: unknown,
  path: string,
  allowed: readonly string[],
  required: readonly string[],
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(path, `must be an object, got ${show(value)}`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(path, `unknown field ${show(key)}`);
  for (const key of required) if (!(key in obj)) fail(path, `missing field ${show(key)}`);
  return obj;
}

/** False for strings with lone surrogates: two such values would render as the same UTF-8 and collide. */
function wellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function finite(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(path, `must be a finite number, got ${show(value)}`);
  return value;
}

function count(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    fail(path, `must be a non-negative integer, got ${show(value)}`);
  return value;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, `must be an array, got ${show(value)}`);
  // Structured clone (RPC) keeps holes, which map/forEach would skip.
  for (let i = 0; i < value.length; i++) if (!(i in value)) fail(`${path}[${i}]`, "is missing (a hole in the array)");
  return value;
}

function checkLabels(value: unknown, path: string, labelNames: string[], limits: PushLimits): Labels {
  const obj = record(value, path, labelNames, labelNames);
  const labels: Labels = {};
  for (const name of labelNames) {
    const v = obj[name];
    if (typeof v !== "string") fail(`${path}.${name}`, `must be a string, got ${show(v)}`);
    if (v.length > limits.maxLabelValueLength)
      fail(`${path}.${name}`, `is ${v.length} characters, over the limit of ${limits.maxLabelValueLength}`);
    if (!wellFormed(v)) fail(`${path}.${name}`, `is not well-formed Unicode (lone surrogate) in ${show(v)}`);
    labels[name] = v;
  }
  return labels;
}

/** What a family's series are checked against, beyond their labels. */
interface SeriesRules {
  type: MetricType;
  labelNames: string[];
  buckets?: number[];
  merge?: GaugeMerge;
  quantiles: boolean;
}

function checkSketch(value: unknown, path: string, observations: number): SketchData {
  const s = record(value, path, ["zero", "pos", "neg"], ["zero", "pos", "neg"]);
  const side = (raw: unknown, at: string): [number, number][] => {
    const list = array(raw, at);
    if (list.length > SKETCH_MAX_BUCKETS)
      fail(at, `has ${list.length} buckets, over the limit of ${SKETCH_MAX_BUCKETS}`);
    return list.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2)
        fail(`${at}[${i}]`, `must be an [index, count] pair, got ${show(pair)}`);
      const [index, c] = pair as unknown[];
      if (typeof index !== "number" || !Number.isInteger(index) || Math.abs(index) > SKETCH_MAX_INDEX)
        fail(
          `${at}[${i}][0]`,
          `must be an integer bucket index from -${SKETCH_MAX_INDEX} to ${SKETCH_MAX_INDEX}, got ${show(index)}`,
        );
      if (i > 0 && index <= ((list[i - 1] as number[])[0] as number))
        fail(`${at}[${i}][0]`, `bucket indexes must be strictly increasing`);
      return [index, count(c, `${at}[${i}][1]`)];
    });
  };
  const sketch = {
    zero: count(s.zero, `${path}.zero`),
    pos: side(s.pos, `${path}.pos`),
    neg: side(s.neg, `${path}.neg`),
  };
  if (sketchCount(sketch) !== observations)
    fail(path, `holds ${sketchCount(sketch)} observations, but the series counts ${observations}`);
  return sketch;
}

function checkSeries(value: unknown, path: string, rules: SeriesRules, limits: PushLimits): SeriesDelta {
  const { type, labelNames } = rules;
  switch (type) {
    case "counter": {
      const s = record(value, path, ["labels", "inc"], ["labels", "inc"]);
      const inc = finite(s.inc, `${path}.inc`);
      if (inc < 0) fail(`${path}.inc`, `a counter cannot decrease, got ${show(inc)}`);
      return { labels: checkLabels(s.labels, `${path}.labels`, labelNames, limits), inc };
    }
    case "gauge": {
      const s = record(value, path, ["labels", "set", "inc"], ["labels"]);
      if ("set" in s === "inc" in s) fail(path, `a gauge series carries exactly one of "set" or "inc"`);
      if ("set" in s && rules.merge === "sum") fail(`${path}.set`, `a gauge merged by "sum" takes inc, not set`);
      if ("inc" in s && (rules.merge === "max" || rules.merge === "min"))
        fail(`${path}.inc`, `a gauge merged by "${rules.merge}" takes set, not inc`);
      const labels = checkLabels(s.labels, `${path}.labels`, labelNames, limits);
      return "set" in s ? { labels, set: finite(s.set, `${path}.set`) } : { labels, inc: finite(s.inc, `${path}.inc`) };
    }
    case "histogram": {
      const s = record(value, path, ["labels", "counts", "sum"], ["labels", "counts", "sum"]);
      const counts = array(s.counts, `${path}.counts`).map((c, i) => count(c, `${path}.counts[${i}]`));
      const expected = (rules.buckets as number[]).length + 1;
      if (counts.length !== expected)
        fail(`${path}.counts`, `must hold ${expected} counts (one per bucket plus +Inf), got ${counts.length}`);
      return {
        labels: checkLabels(s.labels, `${path}.labels`, labelNames, limits),
        counts,
        sum: finite(s.sum, `${path}.sum`),
      };
    }
    case "summary": {
      const s = record(value, path, ["labels", "count", "sum", "sketch"], ["labels", "count", "sum"]);
      const labels = checkLabels(s.labels, `${path}.labels`, labelNames, limits);
      const n = count(s.count, `${path}.count`);
      const sum = finite(s.sum, `${path}.sum`);
      if (!rules.quantiles) {
        if ("sketch" in s)
          fail(`${path}.sketch`, `this summary reports no quantiles (no percentiles), so it takes no sketch`);
        return { labels, count: n, sum };
      }
      if (!("sketch" in s)) fail(path, `missing field "sketch" (required: this summary reports quantiles)`);
      return { labels, count: n, sum, sketch: checkSketch(s.sketch, `${path}.sketch`, n) };
    }
  }
}

function wholeNumber(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    fail(path, `must be an integer from ${min} to ${max}, got ${show(value)}`);
  return value;
}

const ONLY: Record<string, MetricType> = {
  buckets: "histogram",
  merge: "gauge",
  percentiles: "summary",
  maxAgeSeconds: "summary",
  ageBuckets: "summary",
};

/** The type-specific parts of a definition, in canonical form (defaults filled in). */
function checkTypeOptions(
  f: Record<string, unknown>,
  path: string,
  type: MetricType,
  limits: PushLimits,
): Partial<FamilyDefinition> {
  for (const [field, owner] of Object.entries(ONLY)) {
    if (field in f && owner !== type)
      fail(`${path}.${field}`, `only a ${owner} has ${field}, this family is a ${type}`);
  }
  const out: Partial<FamilyDefinition> = {};
  if ("ttlSeconds" in f) out.ttlSeconds = wholeNumber(f.ttlSeconds, `${path}.ttlSeconds`, 0, 315_360_000);
  if (type === "histogram") {
    if (!("buckets" in f)) fail(path, `missing field "buckets" (required for a histogram)`);
    const problem = bucketsProblem(f.buckets);
    if (problem) fail(`${path}.buckets`, problem);
    out.buckets = f.buckets as number[];
    if (out.buckets.length > limits.maxBuckets)
      fail(`${path}.buckets`, `has ${out.buckets.length} buckets, over the limit of ${limits.maxBuckets}`);
  }
  if (type === "gauge") {
    const merge = "merge" in f ? f.merge : "set";
    if (typeof merge !== "string" || !(GAUGE_MERGES as readonly string[]).includes(merge))
      fail(`${path}.merge`, `must be one of ${GAUGE_MERGES.join(", ")}, got ${show(f.merge)}`);
    out.merge = merge as GaugeMerge;
  }
  if (type === "summary") {
    const percentiles = "percentiles" in f ? f.percentiles : [];
    const problem = percentilesProblem(percentiles);
    if (problem) fail(`${path}.percentiles`, problem);
    out.percentiles = percentiles as number[];
    out.maxAgeSeconds = wholeNumber("maxAgeSeconds" in f ? f.maxAgeSeconds : 0, `${path}.maxAgeSeconds`, 0, 31_536_000);
    out.ageBuckets = wholeNumber(
      "ageBuckets" in f ? f.ageBuckets : out.maxAgeSeconds > 0 ? DEFAULT_AGE_BUCKETS : 1,
      `${path}.ageBuckets`,
      1,
      MAX_AGE_BUCKETS,
    );
  }
  return out;
}

function checkFamily(value: unknown, path: string, limits: PushLimits, budget: { series: number }): FamilyBatch {
  const f = record(
    value,
    path,
    [
      "name",
      "type",
      "help",
      "labelNames",
      "buckets",
      "merge",
      "percentiles",
      "maxAgeSeconds",
      "ageBuckets",
      "ttlSeconds",
      "reset",
      "remove",
      "series",
    ],
    ["name", "type", "help", "series"],
  );
  if (typeof f.name === "string" && f.name.length > limits.maxNameLength)
    fail(`${path}.name`, `is ${f.name.length} characters, over the limit of ${limits.maxNameLength}`);
  const nameProblem = metricNameProblem(f.name);
  if (nameProblem) fail(`${path}.name`, nameProblem);
  if (typeof f.type !== "string" || !(METRIC_TYPES as readonly string[]).includes(f.type))
    fail(`${path}.type`, `must be one of ${METRIC_TYPES.join(", ")}, got ${show(f.type)}`);
  const type = f.type as MetricType;
  const name = familyName(type, f.name as string);
  if (metricNameProblem(name))
    fail(`${path}.name`, `${show(f.name)} leaves no valid family name once "_total" is removed`);
  if (typeof f.help !== "string") fail(`${path}.help`, `must be a string, got ${show(f.help)}`);
  if (f.help.length > limits.maxHelpLength)
    fail(`${path}.help`, `is ${f.help.length} characters, over the limit of ${limits.maxHelpLength}`);
  if (!wellFormed(f.help)) fail(`${path}.help`, `is not well-formed Unicode (lone surrogate) in ${show(f.help)}`);

  const labelNames = array("labelNames" in f ? f.labelNames : [], `${path}.labelNames`) as string[];
  if (labelNames.length > limits.maxLabelNames)
    fail(`${path}.labelNames`, `has ${labelNames.length} names, over the limit of ${limits.maxLabelNames}`);
  labelNames.forEach((l, i) => {
    const problem = labelNameProblem(l, type);
    if (problem) fail(`${path}.labelNames[${i}]`, problem);
    if (l.length > limits.maxNameLength)
      fail(`${path}.labelNames[${i}]`, `is ${l.length} characters, over the limit of ${limits.maxNameLength}`);
    if (labelNames.indexOf(l) !== i) fail(`${path}.labelNames[${i}]`, `${show(l)} appears twice`);
  });
  const options = checkTypeOptions(f, path, type, limits);

  if ("reset" in f && typeof f.reset !== "boolean")
    fail(`${path}.reset`, `must be true or false, got ${show(f.reset)}`);
  const rawRemove = "remove" in f ? array(f.remove, `${path}.remove`) : [];
  const rawSeries = array(f.series, `${path}.series`);
  budget.series -= rawSeries.length + rawRemove.length;
  if (budget.series < 0) fail(`${path}.series`, `the push holds more than ${limits.maxSeriesPerPush} series`, 413);
  const remove = rawRemove.map((l, i) => checkLabels(l, `${path}.remove[${i}]`, labelNames, limits));
  const rules: SeriesRules = {
    type,
    labelNames,
    buckets: options.buckets,
    merge: options.merge,
    quantiles: (options.percentiles?.length ?? 0) > 0,
  };
  const seen = new Set<string>();
  const series = rawSeries.map((s, i) => {
    const delta = checkSeries(s, `${path}.series[${i}]`, rules, limits);
    const key = labelKey(labelNames, delta.labels);
    if (seen.has(key))
      fail(`${path}.series[${i}].labels`, `the series ${show(delta.labels)} appears twice in this family`);
    seen.add(key);
    return delta;
  });
  return {
    name,
    type,
    help: f.help,
    labelNames,
    ...options,
    ...(f.reset === true ? { reset: true } : {}),
    ...(remove.length > 0 ? { remove } : {}),
    series,
  };
}

/** The identity of a series inside its family: its label values in labelNames order. */
export function labelKey(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((n) => labels[n] ?? ""));
}

/**
 * Checks an untrusted push and returns it in canonical form (counter names without `_total`,
 * `labelNames` present), or the first problem found, naming the field and the value.
 * @example
 * const r = checkPushBatch(JSON.parse(body));
 * if (!r.ok) return new Response(r.error, { status: r.status });
 */
export function checkPushBatch(input: unknown, limits: PushLimits = DEFAULT_PUSH_LIMITS): CheckResult<PushBatch> {
  try {
    const b = record(input, "push", ["batch", "families"], ["families"]);
    if ("batch" in b) {
      if (typeof b.batch !== "string" || b.batch.length === 0)
        fail("batch", `must be a non-empty string, got ${show(b.batch)}`);
      if (b.batch.length > limits.maxBatchIdLength)
        fail("batch", `is ${b.batch.length} characters, over the limit of ${limits.maxBatchIdLength}`);
      if (!/^[\x21-\x7e]+$/.test(b.batch))
        fail("batch", `must be printable ASCII without spaces, got ${show(b.batch)}`);
    }
    const raw = array(b.families, "families");
    if (raw.length > limits.maxFamilies)
      fail("families", `holds ${raw.length} families, over the limit of ${limits.maxFamilies}`, 413);
    const budget = { series: limits.maxSeriesPerPush };
    const families = raw.map((f, i) => checkFamily(f, `families[${i}]`, limits, budget));
    const names = new Set<string>();
    families.forEach((f, i) => {
      if (names.has(f.name)) fail(`families[${i}].name`, `the family ${show(f.name)} appears twice in this push`);
      names.add(f.name);
    });
    return { ok: true, value: { ...(typeof b.batch === "string" ? { batch: b.batch } : {}), families } };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message, status: e.status };
    throw e;
  }
}
