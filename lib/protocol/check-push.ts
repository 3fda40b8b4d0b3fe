// Turns untrusted input (a parsed JSON body or an RPC argument) into a canonical Push, or names the first problem
// with its path and value. Strict: unknown fields, duplicates and non-finite numbers are refused. Names are turned
// into family names by the one definition check (a counter `x_total` is the family `x`; see names.ts), and two parts
// that name one counter family both ways merge.

import { checkDefinition, definitionDifference } from "./definition.ts";
import { exemplarProblem, exemplarSlots, laterExemplars } from "./exemplars.ts";
import { gaugeOperationProblem, gaugePolicy } from "./gauge-policy.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { checkNative } from "./native-histogram.ts";
import { array, at, fail, failOn, Invalid, type Path, type Refusal, record } from "./refusal.ts";
import { seriesKey } from "./series-key.ts";
import {
  addToSketch,
  emptySketch,
  SKETCH_EXACT_MAX,
  SKETCH_MAX_BUCKETS,
  SKETCH_MAX_INDEX,
  type SketchData,
  sketchCount,
  sketchData,
} from "./sketch.ts";
import { describeValue, labelValueProblem, seriesLabelsProblem } from "./validation.ts";
import {
  type CounterDelta,
  type CumulativePoint,
  type Exemplar,
  type FamilyDefinition,
  type FamilyPush,
  type HistogramDelta,
  type Labels,
  numberOfJson,
  type Push,
  type SeriesDelta,
} from "./wire.ts";

export type CheckResult<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

function finite(value: unknown, path: Path): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    fail(path, `must be a finite number, got ${describeValue(value)}`);
  return value;
}

/** A gauge's or untyped sample's value: any number, NaN and ±Inf included (JSON: "NaN", "+Inf", "-Inf"). */
function sampleValue(value: unknown, path: Path): number {
  const number = numberOfJson(value);
  if (number === undefined)
    fail(path, `must be a number ("NaN", "+Inf" or "-Inf" in JSON), got ${describeValue(value)}`);
  return number;
}

function count(value: unknown, path: Path): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    fail(path, `must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

function checkLabels(value: unknown, path: Path, labelNames: string[], limits: Limits): Labels {
  const obj = record(value, path, labelNames, labelNames);
  const labels: Labels = {};
  for (const name of labelNames) {
    const v = obj[name];
    const problem = labelValueProblem(v, limits);
    if (problem) fail(at(path, name), problem);
    labels[name] = v as string;
  }
  failOn(seriesLabelsProblem(labelNames, labels, limits), path);
  return labels;
}

function checkSketch(value: unknown, path: Path, observations: number): SketchData {
  const s = record(value, path, ["zero", "pos", "neg", "exact"], ["zero", "pos", "neg"]);
  const side = (raw: unknown, where: Path): number[][] => {
    const list = array(raw, where);
    if (list.length > SKETCH_MAX_BUCKETS) {
      fail(where, `has ${list.length} buckets, over the limit of ${SKETCH_MAX_BUCKETS}`);
    }
    let previous = Number.NEGATIVE_INFINITY;
    return list.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2)
        fail(at(where, i), `must be an [index, count] pair, got ${describeValue(pair)}`);
      const [index, c] = pair as unknown[];
      if (typeof index !== "number" || !Number.isInteger(index) || Math.abs(index) > SKETCH_MAX_INDEX) {
        const range = `from -${SKETCH_MAX_INDEX} to ${SKETCH_MAX_INDEX}`;
        fail(at(where, i, 0), `must be an integer bucket index ${range}, got ${describeValue(index)}`);
      }
      if (index <= previous) fail(at(where, i, 0), "bucket indexes must be strictly increasing");
      previous = index;
      return [index, count(c, at(where, i, 1))];
    });
  };
  const sketch = {
    zero: count(s.zero, at(path, "zero")),
    pos: side(s.pos, at(path, "pos")),
    neg: side(s.neg, at(path, "neg")),
  };
  const held = sketchCount(sketch);
  if (held !== observations) fail(path, `holds ${held} observations, but the series counts ${observations}`);
  if (s.exact === undefined) return sketch;
  return { ...sketch, exact: checkExact(s.exact, at(path, "exact"), sketch) };
}

/** A sketch's observations: as many as it counts (at most SKETCH_EXACT_MAX), finite, each in its bucket. */
function checkExact(value: unknown, path: Path, sketch: SketchData): number[] {
  const list = array(value, path);
  if (list.length > SKETCH_EXACT_MAX)
    fail(path, `holds ${list.length} observations, over the ${SKETCH_EXACT_MAX} a sketch keeps exactly`);
  list.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v))
      fail(at(path, i), `must be a finite number, got ${describeValue(v)}`);
  });
  const exact = (list as number[]).slice().sort((a, b) => a - b);
  const filled = emptySketch();
  for (const v of exact) addToSketch(filled, v);
  const rebuilt = sketchData(filled);
  const same = (a: number[][], b: number[][]) => JSON.stringify(a) === JSON.stringify(b);
  if (rebuilt.zero !== sketch.zero || !same(rebuilt.pos, sketch.pos) || !same(rebuilt.neg, sketch.neg))
    fail(path, "the observations do not fall into the sketch's buckets");
  return exact;
}

/** `delta` with its exemplars checked (one slot per bucket or, for a counter, one; each null or an exemplar). */
function withExemplars<D extends SeriesDelta>(delta: D, raw: unknown, path: Path, definition: FamilyDefinition): D {
  if (raw === undefined) return delta;
  const slots = exemplarSlots(definition);
  const list = array(raw, path);
  if (list.length !== slots)
    fail(
      path,
      `must hold ${slots} exemplars or nulls (one per ${slots === 1 ? "series" : "bucket, +Inf last"}), got ${list.length}`,
    );
  const exemplars = list.map((item, i): Exemplar | null => {
    if (item === null) return null;
    const e = record(item, at(path, i), ["labels", "value", "timestamp"], ["labels", "value", "timestamp"]);
    const exemplar = e as unknown as Exemplar;
    failOn(exemplarProblem(exemplar, definition, i), at(path, i));
    return { labels: { ...exemplar.labels }, value: exemplar.value, timestamp: exemplar.timestamp };
  });
  return exemplars.some((e) => e !== null) ? { ...delta, exemplars } : delta;
}

/** Cumulative points' common fields: a stream id (as a push id is), its start and the point's time in nanoseconds. */
function checkPoints<T>(
  raw: unknown,
  path: Path,
  limits: Limits,
  fields: readonly string[],
  rest: (point: Record<string, unknown>, at: Path) => T,
): (CumulativePoint & T)[] {
  const streams = new Set<string>();
  return array(raw, path).map((item, i) => {
    const p = record(item, at(path, i), ["stream", "start", "time", ...fields], ["stream", "start", "time", ...fields]);
    failOn(pushIdProblem(p.stream, limits), at(path, i, "stream"));
    if (streams.has(p.stream as string))
      fail(at(path, i, "stream"), `the stream ${describeValue(p.stream)} appears twice`);
    streams.add(p.stream as string);
    for (const field of ["start", "time"] as const) {
      if (typeof p[field] !== "string" || !/^\d{1,20}$/.test(p[field] as string))
        fail(at(path, i, field), `must be a time in nanoseconds (up to 20 digits), got ${describeValue(p[field])}`);
    }
    return { stream: p.stream as string, start: p.start as string, time: p.time as string, ...rest(p, at(path, i)) };
  });
}

function checkSeries(value: unknown, path: Path, definition: FamilyDefinition, limits: Limits): SeriesDelta {
  const { labelNames } = definition;
  switch (definition.type) {
    case "counter": {
      const s = record(value, path, ["labels", "inc", "exemplars", "cumulative"], ["labels", "inc"]);
      const inc = finite(s.inc, at(path, "inc"));
      if (inc < 0) fail(at(path, "inc"), `a counter cannot decrease, got ${describeValue(inc)}`);
      const labels = checkLabels(s.labels, at(path, "labels"), labelNames, limits);
      const delta: CounterDelta = { labels, inc };
      if ("cumulative" in s)
        delta.cumulative = checkPoints(s.cumulative, at(path, "cumulative"), limits, ["total"], (p, where) => {
          const total = finite(p.total, at(where, "total"));
          if (total < 0) fail(at(where, "total"), `a counter's total cannot be negative, got ${describeValue(total)}`);
          return { total };
        });
      return withExemplars(delta, s.exemplars, at(path, "exemplars"), definition);
    }
    case "gauge":
    case "untyped": {
      const s = record(value, path, ["labels", "set", "inc"], ["labels"]);
      if ("set" in s === "inc" in s) fail(path, `a ${definition.type} series carries exactly one of "set" or "inc"`);
      const operation = "set" in s ? "set" : "inc";
      failOn(gaugeOperationProblem(gaugePolicy(definition), operation), at(path, operation));
      const labels = checkLabels(s.labels, at(path, "labels"), labelNames, limits);
      // A value may be NaN or ±Inf, as the text format allows (JSON spells them "NaN", "+Inf", "-Inf"); a change may not.
      return "set" in s
        ? { labels, set: sampleValue(s.set, at(path, "set")) }
        : { labels, inc: finite(s.inc, at(path, "inc")) };
    }
    case "histogram": {
      const s = record(
        value,
        path,
        ["labels", "counts", "sum", "native", "exemplars", "cumulative"],
        ["labels", "counts", "sum"],
      );
      const counts = array(s.counts, at(path, "counts")).map((c, i) => count(c, at(path, "counts", i)));
      const expected = (definition.buckets as number[]).length + 1;
      if (counts.length !== expected) {
        fail(at(path, "counts"), `must hold ${expected} counts (one per bucket plus +Inf), got ${counts.length}`);
      }
      const labels = checkLabels(s.labels, at(path, "labels"), labelNames, limits);
      const delta: HistogramDelta = { labels, counts, sum: finite(s.sum, at(path, "sum")) };
      // A native histogram's series carry their exponential buckets, holding every observation the counts hold.
      if (definition.native && !("native" in s))
        fail(path, `missing field "native" (required: this histogram keeps native buckets)`);
      if (!definition.native && "native" in s)
        fail(at(path, "native"), "this histogram keeps no native buckets (its definition has no native settings)");
      if (definition.native) {
        const observations = counts.reduce((a, b) => a + b, 0);
        delta.native = checkNative(s.native, at(path, "native"), limits, observations);
      }
      if ("cumulative" in s) {
        const fields = definition.native ? ["counts", "sum", "native"] : ["counts", "sum"];
        delta.cumulative = checkPoints(s.cumulative, at(path, "cumulative"), limits, fields, (p, where) => {
          const totals = array(p.counts, at(where, "counts")).map((c, i) => count(c, at(where, "counts", i)));
          if (totals.length !== expected)
            fail(at(where, "counts"), `must hold ${expected} counts (one per bucket plus +Inf), got ${totals.length}`);
          const point = { counts: totals, sum: finite(p.sum, at(where, "sum")) };
          if (!definition.native) return point;
          const observations = totals.reduce((a, b) => a + b, 0);
          return { ...point, native: checkNative(p.native, at(where, "native"), limits, observations) };
        });
      }
      return withExemplars(delta, s.exemplars, at(path, "exemplars"), definition);
    }
    case "summary": {
      const s = record(value, path, ["labels", "count", "sum", "sketch"], ["labels", "count", "sum"]);
      const labels = checkLabels(s.labels, at(path, "labels"), labelNames, limits);
      const n = count(s.count, at(path, "count"));
      const sum = finite(s.sum, at(path, "sum"));
      if ((definition.percentiles ?? []).length === 0) {
        if ("sketch" in s)
          fail(at(path, "sketch"), "this summary reports no quantiles (no percentiles), so it takes no sketch");
        return { labels, count: n, sum };
      }
      if (!("sketch" in s)) fail(path, `missing field "sketch" (required: this summary reports quantiles)`);
      return { labels, count: n, sum, sketch: checkSketch(s.sketch, at(path, "sketch"), n) };
    }
  }
}

/**
 * A part's Pushgateway group: `job` and grouping labels, each a label name of the family, and every series of the
 * part carries their values.
 */
function checkGrouping(
  value: unknown,
  path: Path,
  definition: FamilyDefinition,
  series: readonly SeriesDelta[],
  limits: Limits,
): Labels {
  const names = Object.keys(record(value, path, definition.labelNames, []));
  if (!names.includes("job")) fail(path, `a group needs a "job" label, got ${describeValue(value)}`);
  const grouping = checkLabels(value, path, names, limits);
  if (grouping.job === "") fail(at(path, "job"), "the job name cannot be empty");
  for (const [i, delta] of series.entries()) {
    const other = names.find((name) => delta.labels[name] !== grouping[name]);
    if (other !== undefined)
      fail(
        at(path.slice(0, -1), "series", i, "labels", other),
        `the series is in group ${describeValue(grouping)}, so its label ${describeValue(other)} must be ${describeValue(grouping[other])}`,
      );
  }
  return grouping;
}

const FAMILY_FIELDS = [
  ...["name", "type", "help", "labelNames", "buckets", "native", "merge", "percentiles", "maxAgeSeconds", "ageBuckets"],
  "withoutTotal",
  ...["ttlSeconds", "shards", "reset", "remove", "replace", "grouping", "inferred", "series"],
];

function checkFamily(value: unknown, path: Path, limits: Limits, budget: { series: number }): FamilyPush {
  const f = record(value, path, FAMILY_FIELDS, ["name", "type", "help", "series"]);
  const definition = checkDefinition(f, limits, path);
  for (const flag of ["reset", "replace", "inferred"] as const) {
    if (flag in f && typeof f[flag] !== "boolean")
      fail(at(path, flag), `must be true or false, got ${describeValue(f[flag])}`);
  }
  const rawRemove = "remove" in f ? array(f.remove, at(path, "remove")) : [];
  const rawSeries = array(f.series, at(path, "series"));
  budget.series -= rawSeries.length + rawRemove.length;
  if (budget.series < 0) {
    const limit = { name: "maxSeriesPerPush" as const, value: limits.maxSeriesPerPush };
    fail(at(path, "series"), `the push holds more than ${limits.maxSeriesPerPush} series`, 413, limit);
  }
  const remove = rawRemove.map((l, i) => checkLabels(l, at(path, "remove", i), definition.labelNames, limits));
  const seen = new Set<string>();
  const series = rawSeries.map((s, i) => {
    const delta = checkSeries(s, at(path, "series", i), definition, limits);
    const key = seriesKey(definition.labelNames, delta.labels);
    if (seen.has(key))
      fail(at(path, "series", i, "labels"), `the series ${describeValue(delta.labels)} appears twice in this family`);
    seen.add(key);
    return delta;
  });
  const grouping =
    "grouping" in f ? checkGrouping(f.grouping, at(path, "grouping"), definition, series, limits) : undefined;
  return {
    ...definition,
    ...(f.reset === true ? { reset: true } : {}),
    ...(remove.length > 0 ? { remove } : {}),
    ...(f.replace === true ? { replace: true } : {}),
    ...(grouping ? { grouping } : {}),
    ...(f.inferred === true ? { inferred: true } : {}),
    series,
  };
}

/**
 * One part of two that name the same counter family (`x` and `x_total`): their series together, a series in both
 * adding up. Undefined when they cannot merge: another type, another definition, or deletions or replacements.
 */
function mergeNamedTwice(a: FamilyPush, b: FamilyPush): FamilyPush | undefined {
  const plain = (p: FamilyPush) => p.type === "counter" && !p.reset && !p.remove && !p.replace;
  if (!plain(a) || !plain(b) || a.inferred !== b.inferred) return undefined;
  // Label names inferred from samples are whatever the samples carry: the merged family has them all (a label a
  // series lacks is empty). Declared ones must agree, as every other term of the definition.
  const labelNames = a.inferred ? [...new Set([...a.labelNames, ...b.labelNames])].sort() : a.labelNames;
  const [first, second] = a.inferred
    ? [
        { ...a, labelNames },
        { ...b, labelNames },
      ]
    : [a, b];
  if (definitionDifference(first, second) || a.shards !== b.shards) return undefined;
  const series = new Map<string, CounterDelta>();
  for (const delta of [...a.series, ...b.series] as CounterDelta[]) {
    const labels = Object.fromEntries(
      labelNames.map((name) => [name, (Object.hasOwn(delta.labels, name) ? delta.labels[name] : "") ?? ""]),
    );
    const key = seriesKey(labelNames, labels);
    const before = series.get(key);
    const exemplars = laterExemplars(before?.exemplars, delta.exemplars);
    series.set(key, { labels, inc: (before?.inc ?? 0) + delta.inc, ...(exemplars ? { exemplars } : {}) });
  }
  return { ...a, labelNames, series: [...series.values()] };
}

/** Why `id` cannot be a push id (the `batch` field, the Idempotency-Key header), or undefined. */
export function pushIdProblem(id: unknown, limits: Pick<Limits, "maxPushIdLength">): string | undefined {
  if (typeof id !== "string" || id.length === 0) return `must be a non-empty string, got ${describeValue(id)}`;
  if (id.length > limits.maxPushIdLength)
    return `is ${id.length} characters, over the limit of ${limits.maxPushIdLength}`;
  if (!/^[\x21-\x7e]+$/.test(id)) return `must be printable ASCII without spaces, got ${describeValue(id)}`;
  return undefined;
}

/**
 * Checks an untrusted push and returns it in canonical form (defaults filled in), or the first problem found,
 * naming the field and the value.
 * @example
 * const r = checkPush(JSON.parse(body));
 * if (!r.ok) return new Response(refusalText(r.refusal), { status: r.refusal.status });
 */
export function checkPush(input: unknown, limits: Limits = DEFAULT_LIMITS): CheckResult<Push> {
  try {
    const b = record(input, ["push"], ["batch", "pushId", "families"], ["families"]);
    // The push id is `batch` on the wire (its first name) and `pushId` in code; one of them.
    if ("batch" in b && "pushId" in b) fail(["pushId"], 'a push has one push id: "batch" or "pushId", not both');
    const idField = "batch" in b ? "batch" : "pushId";
    const pushId = b[idField];
    if (idField in b) failOn(pushIdProblem(pushId, limits), [idField]);
    const raw = array(b.families, ["families"]);
    if (raw.length > limits.maxFamiliesPerPush) {
      const limit = { name: "maxFamiliesPerPush" as const, value: limits.maxFamiliesPerPush };
      fail(["families"], `holds ${raw.length} families, over the limit of ${limits.maxFamiliesPerPush}`, 413, limit);
    }
    const budget = { series: limits.maxSeriesPerPush };
    const checked = raw.map((f, i) => checkFamily(f, ["families", i], limits, budget));
    const families: FamilyPush[] = [];
    /** Where each family is in `families`, and the name it was pushed under. */
    const byName = new Map<string, { index: number; pushed: unknown }>();
    checked.forEach((f, i) => {
      const pushed = (raw[i] as { name?: unknown }).name;
      const first = byName.get(f.name);
      if (first === undefined) {
        byName.set(f.name, { index: families.length, pushed });
        families.push(f);
        return;
      }
      // A counter named both ways (`x` and `x_total`) in one push is one family: its parts merge.
      const merged = first.pushed === pushed ? undefined : mergeNamedTwice(families[first.index] as FamilyPush, f);
      if (!merged) fail(["families", i, "name"], `the family ${describeValue(f.name)} appears twice in this push`);
      families[first.index] = merged;
    });
    return { ok: true, value: { ...(typeof pushId === "string" ? { pushId } : {}), families } };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, refusal: e.refusal };
    throw e;
  }
}
