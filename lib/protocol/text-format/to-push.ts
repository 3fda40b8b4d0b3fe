// Parsed text-format families, pushed to a Pushgateway grouping key, as one Push with this project's semantics: a
// short-lived job pushes what it counted. Counters, histograms and summaries (their _count and _sum) add; gauges set,
// as their family's merge policy decides; untyped samples stay untyped and set. The grouping labels become labels of
// every series, and every series has an `instance` label (empty when neither the path nor the sample sets one), as
// the Pushgateway shows them. Every part names its group, and the group's time gauges are parts of their own.

import type { Limits } from "../limits.ts";
import { familyName, GROUP_TIME_FAMILIES, PUSH_FAILURE_TIME, PUSH_TIME } from "../names.ts";
import { inferredSettings, type NativeBuckets, type NativeSettings } from "../native-histogram.ts";
import { failLine } from "../refusal.ts";
import { seriesKey } from "../series-key.ts";
import { describeValue, labelNameProblem } from "../validation.ts";
import type { FamilyPush, Labels, Push, SeriesDelta } from "../wire.ts";
import { type ParsedFamily, type ParsedSample, parseGoFloat } from "./parse.ts";

export interface TextPushOptions {
  /** The grouping labels from the URL path; they replace same-named labels of the samples. */
  grouping: Labels;
  /** `PUT`: the pushed series replace their stored values instead of adding to them. */
  replace: boolean;
  /** The push id (the Idempotency-Key header). */
  pushId?: string;
  /** The name limits the labels are checked against, and the limit on native buckets. */
  limits: Pick<Limits, "maxNameLength" | "maxNativeBuckets">;
}

/** A sample's value as a count (a histogram bucket, a summary's _count): a whole number ≥ 0. */
function countOf(sample: ParsedSample, what: string): number {
  if (!Number.isSafeInteger(sample.value) || sample.value < 0)
    failLine(sample.line, `${what} must be a whole number ≥ 0, got ${describeValue(sample.value)}`);
  return sample.value;
}

function finiteOf(sample: ParsedSample, what: string): number {
  if (!Number.isFinite(sample.value)) failLine(sample.line, `${what} must be a finite number, got ${sample.value}`);
  return sample.value;
}

/** A series being assembled from its samples: its labels (without `le`/`quantile`) and where it was first seen. */
interface Assembly {
  labels: Labels;
  line: number;
  buckets: Map<number, ParsedSample>;
  sum?: ParsedSample;
  count?: ParsedSample;
  value?: ParsedSample;
  /** A histogram's native buckets (from a protobuf body). */
  native?: NativeBuckets;
}

/** A series' labels as a message names them: the empty ones (a missing label, `instance` often) left out. */
const seriesText = (labels: Labels) => describeValue(Object.fromEntries(Object.entries(labels).filter(([, v]) => v)));

/** The value of label `name` in `labels`, never one inherited from Object.prototype (a label may be `toString`). */
const own = (labels: Labels, name: string): string | undefined =>
  Object.hasOwn(labels, name) ? labels[name] : undefined;

/** The samples of a family grouped into series, by their labels after the grouping labels are applied. */
function assemble(family: ParsedFamily, grouping: Labels, labelNames: string[]): Assembly[] {
  const series = new Map<string, Assembly>();
  for (const sample of family.samples) {
    const labels: Labels = {};
    for (const name of labelNames) labels[name] = own(grouping, name) ?? own(sample.labels, name) ?? "";
    const key = seriesKey(labelNames, labels);
    let entry = series.get(key);
    if (!entry) {
      entry = { labels, line: sample.line, buckets: new Map() };
      series.set(key, entry);
    }
    const suffix = sample.name.slice(family.name.length);
    const where = sample.line;
    const again = () =>
      failLine(
        where,
        `the series ${seriesText(labels)} of ${describeValue(family.name)} appears twice once the grouping labels apply`,
      );
    if (family.type === "histogram" && suffix === "_bucket") {
      const le = sample.labels.le === undefined ? Number.NaN : parseGoFloat(sample.labels.le);
      if (typeof le !== "number" || Number.isNaN(le))
        failLine(where, `a histogram bucket needs a numeric "le" label, got ${describeValue(sample.labels.le)}`);
      if (entry.buckets.has(le)) again();
      entry.buckets.set(le, sample);
    } else if (
      (family.type === "histogram" || family.type === "summary") &&
      (suffix === "_sum" || suffix === "_count")
    ) {
      const field = suffix === "_sum" ? "sum" : "count";
      if (entry[field]) again();
      entry[field] = sample;
      if (sample.native) entry.native = sample.native;
    } else if (family.type === "summary" && suffix === "") {
      // A quantile the job computed cannot be added to another job's: quantiles are left out, _count and _sum kept.
    } else {
      if (entry.value) again();
      entry.value = sample;
    }
  }
  return [...series.values()];
}

/**
 * The native settings of a histogram whose series carry native buckets (from a protobuf body): the coarsest schema
 * and the widest zero bucket its series have, and room for the most buckets one holds (at least the default). Every
 * series must carry them, or none.
 */
function nativeSettingsOf(
  family: ParsedFamily,
  series: Assembly[],
  maxNativeBuckets: number,
): NativeSettings | undefined {
  const natives = series.filter((s) => s.native);
  if (natives.length === 0) return undefined;
  const without = series.find((s) => !s.native);
  if (without)
    failLine(
      without.line,
      `the series ${seriesText(without.labels)} of ${describeValue(family.name)} has no native buckets, unlike the others`,
    );
  return inferredSettings(
    natives.map((s) => s.native as NativeBuckets),
    maxNativeBuckets,
  );
}

/** A histogram's upper bounds (without +Inf) from its first series; every series must have the same. */
function bucketsOf(family: ParsedFamily, series: Assembly[]): number[] {
  const first = series[0] as Assembly;
  const bounds = [...first.buckets.keys()].sort((a, b) => a - b);
  if (bounds.at(-1) !== Number.POSITIVE_INFINITY)
    failLine(first.line, `histogram ${describeValue(family.name)} has no +Inf bucket`);
  for (const s of series) {
    const own = [...s.buckets.keys()].sort((a, b) => a - b);
    if (own.join() !== bounds.join())
      failLine(
        s.line,
        `the series ${seriesText(s.labels)} of ${describeValue(family.name)} has other buckets than line ${first.line}`,
      );
  }
  return bounds.slice(0, -1);
}

function histogramDelta(family: ParsedFamily, s: Assembly, bounds: number[]): SeriesDelta {
  const cumulative = [...bounds, Number.POSITIVE_INFINITY].map((le) =>
    countOf(s.buckets.get(le) as ParsedSample, "a bucket count"),
  );
  const counts = cumulative.map((c, i) => c - (cumulative[i - 1] ?? 0));
  const fall = counts.findIndex((c) => c < 0);
  if (fall >= 0) {
    const sample = s.buckets.get([...bounds, Number.POSITIVE_INFINITY][fall] as number) as ParsedSample;
    failLine(sample.line, "bucket counts are cumulative: this one is lower than the bucket before it");
  }
  if (!s.sum)
    failLine(s.line, `the series ${seriesText(s.labels)} of histogram ${describeValue(family.name)} has no _sum`);
  const total = cumulative.at(-1) as number;
  if (s.count && countOf(s.count, "a _count") !== total)
    failLine(s.count.line, `_count is ${s.count.value}, but the +Inf bucket counts ${total}`);
  const delta = { labels: s.labels, counts, sum: finiteOf(s.sum, "a _sum") };
  return s.native ? { ...delta, native: s.native } : delta;
}

function seriesDelta(family: ParsedFamily, s: Assembly, bounds: number[]): SeriesDelta {
  switch (family.type) {
    case "counter": {
      const inc = finiteOf(s.value as ParsedSample, "a counter's value");
      if (inc < 0) failLine(s.line, `a counter cannot be negative, got ${inc}`);
      return { labels: s.labels, inc };
    }
    case "histogram":
      return histogramDelta(family, s, bounds);
    case "summary":
      if (!s.count || !s.sum)
        failLine(
          s.line,
          `the series ${seriesText(s.labels)} of summary ${describeValue(family.name)} needs both _count and _sum`,
        );
      return { labels: s.labels, count: countOf(s.count, "a _count"), sum: finiteOf(s.sum, "a _sum") };
    default:
      // NaN and ±Inf included, as the text format allows.
      return { labels: s.labels, set: (s.value as ParsedSample).value };
  }
}

/**
 * The label names of a family's series: the samples' (without `le`/`quantile`), the grouping labels and `instance`,
 * sorted.
 */
function labelNamesOf(family: ParsedFamily, grouping: Labels, limits: Pick<Limits, "maxNameLength">): string[] {
  const names = new Set([...Object.keys(grouping), INSTANCE]);
  for (const sample of family.samples) {
    for (const name of Object.keys(sample.labels)) {
      const reserved =
        (family.type === "histogram" && name === "le") || (family.type === "summary" && name === "quantile");
      if (reserved || names.has(name)) continue;
      const problem = labelNameProblem(name, family.type, limits);
      if (problem) failLine(sample.line, `label ${problem}`);
      names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * The push that adds (or, with `replace`, sets) what a text-format body carries, under its grouping key. Families
 * without samples are left out, and so are the `<name>_created` gauges that Python's client writes beside a counter,
 * histogram or summary. Throws `Invalid` naming the line of the first sample that cannot be pushed.
 * @example
 * textToPush(parsed.families, { grouping: { job: "backup" }, replace: false, pushId: "run-42", limits });
 */
export function textToPush(families: readonly ParsedFamily[], options: TextPushOptions): Push {
  // The group's time gauges are the Worker's: pushed ones are left out, as the Pushgateway leaves them out.
  const typed = families.filter(
    (f) => f.samples.length > 0 && !GROUP_TIME_FAMILIES.includes(familyName(f.type, f.name)),
  );
  const created = new Set(
    typed.flatMap((f) =>
      ["counter", "histogram", "summary"].includes(f.type) ? [`${familyName(f.type, f.name)}_created`] : [],
    ),
  );
  const parts: FamilyPush[] = [];
  for (const family of typed) {
    if ((family.type === "gauge" || family.type === "untyped") && created.has(family.name)) continue;
    const labelNames = labelNamesOf(family, options.grouping, options.limits);
    const series = assemble(family, options.grouping, labelNames);
    const bounds = family.type === "histogram" ? bucketsOf(family, series) : [];
    const native =
      family.type === "histogram" ? nativeSettingsOf(family, series, options.limits.maxNativeBuckets) : undefined;
    const type = family.type;
    // The name as the body declares it: the definition check makes the family name of it, as for every push.
    parts.push({
      name: family.name,
      type,
      help: family.help,
      labelNames,
      ...(type === "histogram" ? { buckets: bounds } : {}),
      ...(native ? { native } : {}),
      // A counter's samples named without `_total` keep that name in text 0.0.4, as the Pushgateway showed them.
      ...(type === "counter" && bareSamples(family) ? { withoutTotal: true } : {}),
      series: series.map((s) => seriesDelta(family, s, bounds)),
      ...(options.replace ? { replace: true } : {}),
      grouping: options.grouping,
      inferred: true,
    });
  }
  return { ...(options.pushId !== undefined ? { pushId: options.pushId } : {}), families: parts };
}

/** True when a counter's samples are all named as its family, without `_total` (prom-client's, client_golang's). */
function bareSamples(family: ParsedFamily): boolean {
  return familyName("counter", family.name) === family.name && family.samples.every((s) => s.name === family.name);
}

/** The label every series pushed through the Pushgateway API has, empty when nothing sets it. */
const INSTANCE = "instance";

const GROUP_TIME_HELP: Record<string, string> = {
  [PUSH_TIME]: "Last Unix time when changing this group in the Pushgateway succeeded.",
  [PUSH_FAILURE_TIME]: "Last Unix time when changing this group in the Pushgateway failed.",
};

/**
 * The part that sets a group's time gauge (`push_time_seconds` or `push_failure_time_seconds`) to `seconds`: one
 * series with the grouping labels (and `instance`), in the group, kept at the latest time any push set.
 * @example groupTimePart("push_time_seconds", { job: "backup" }, Date.now() / 1000);
 */
export function groupTimePart(name: string, grouping: Labels, seconds: number): FamilyPush {
  const labels = { [INSTANCE]: "", ...grouping };
  return {
    name,
    type: "gauge",
    help: GROUP_TIME_HELP[name] ?? "",
    labelNames: Object.keys(labels).sort(),
    merge: "max",
    series: [{ labels, set: seconds }],
    grouping,
    inferred: true,
  };
}
