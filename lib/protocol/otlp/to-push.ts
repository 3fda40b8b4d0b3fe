// OpenTelemetry metrics (an OTLP export, lib/protocol/otlp/model.ts) as one Push with this project's semantics, and
// the data points it cannot take, counted for OTLP's partial success. The one place that decides how OTLP maps:
// - names as Prometheus translates them: characters outside [a-zA-Z0-9_:] become "_", the unit becomes a suffix
//   ("s" → _seconds, "By" → _bytes, "1" on a gauge → _ratio, "{requests}" → nothing), and a monotonic sum is a
//   counter (exposed with "_total" by the one naming rule, names.ts);
// - a monotonic Sum with delta temporality adds; with cumulative temporality each point carries its stream's totals
//   (the stream: resource, scope, metric and attributes; its start time), whose growth the store adds
//   (lib/store/cumulative.ts); a non-monotonic Sum and a Gauge set a gauge; a Histogram is a classic histogram, an
//   ExponentialHistogram a native one (its scale is the schema; scales above 8 are reduced to 8, exactly), each
//   delta or cumulative as a Sum; a Summary is rejected;
// - attributes become labels (keys sanitized as names; two keys that sanitize alike join their values with ";"),
//   the resource's service.namespace/service.name become `job`, other resource attributes are dropped unless
//   listed (aggregating across instances is the point);
// - points of one series within a request add up (a gauge keeps its latest).

import type { Limits } from "../limits.ts";
import {
  inferredSettings,
  mergeNative,
  NATIVE_SCHEMA_MIN,
  type NativeBuckets,
  nativeCount,
  reduceSchema,
} from "../native-histogram.ts";
import { seriesKey } from "../series-key.ts";
import type {
  CounterDelta,
  FamilyPush,
  GaugeDelta,
  HistogramDelta,
  Labels,
  MetricType,
  Push,
  SeriesDelta,
} from "../wire.ts";
import type {
  OtlpAttributes,
  OtlpExponentialPoint,
  OtlpHistogramPoint,
  OtlpMetric,
  OtlpNumberPoint,
  OtlpResourceMetrics,
} from "./model.ts";

export interface OtlpPushOptions {
  /** Resource attributes kept as labels (besides service.namespace/service.name, which make `job`). */
  resourceLabels: readonly string[];
  /** The push id: the same export sent again is the same push (counted once). */
  pushId?: string;
  limits: Pick<Limits, "maxNameLength" | "maxNativeBuckets">;
}

export interface OtlpConversion {
  push: Push;
  /** Data points not taken, and why (the first reasons, for the partial success' message). */
  rejected: number;
  reasons: string[];
}

/** OTLP units as Prometheus' translator spells them in a suffix. */
const UNITS: Record<string, string> = {
  d: "days",
  h: "hours",
  min: "minutes",
  s: "seconds",
  ms: "milliseconds",
  us: "microseconds",
  ns: "nanoseconds",
  By: "bytes",
  KiBy: "kibibytes",
  MiBy: "mebibytes",
  GiBy: "gibibytes",
  TiBy: "tibibytes",
  KBy: "kilobytes",
  MBy: "megabytes",
  GBy: "gigabytes",
  TBy: "terabytes",
  m: "meters",
  V: "volts",
  A: "amperes",
  J: "joules",
  W: "watts",
  g: "grams",
  Cel: "celsius",
  Hz: "hertz",
  "%": "percent",
};
const PER: Record<string, string> = {
  s: "second",
  m: "minute",
  h: "hour",
  d: "day",
  w: "week",
  mo: "month",
  y: "year",
};

/** A name with every character outside [a-zA-Z0-9_:] as "_", runs of "_" as one, never starting with a digit. */
function sanitize(name: string, colons: boolean): string {
  const out = name.replace(colons ? /[^a-zA-Z0-9_:]/g : /[^a-zA-Z0-9_]/g, "_").replace(/__+/g, "_");
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

/** The unit as a name suffix ("" for none): "s" → "seconds", "By/s" → "bytes_per_second", "{requests}" → "". */
function unitSuffix(unit: string, type: MetricType): string {
  const bare = unit.replace(/\{[^}]*\}/g, "").trim();
  if (bare === "1") return type === "gauge" ? "ratio" : "";
  const [main = "", per] = bare.split("/");
  const parts = [UNITS[main] ?? (main ? sanitize(main, false) : "")];
  if (per) parts.push(`per_${PER[per] ?? UNITS[per] ?? sanitize(per, false)}`);
  return parts
    .filter(Boolean)
    .join("_")
    .replace(/^_+|_+$/g, "");
}

/** A metric's declared name as Prometheus translates it: sanitized, with its unit as a suffix. */
export function otlpMetricName(metric: Pick<OtlpMetric, "name" | "unit">, type: MetricType): string {
  let name = sanitize(metric.name, true);
  const suffix = unitSuffix(metric.unit, type);
  if (suffix && !name.endsWith(`_${suffix}`) && !name.endsWith(`_${suffix}_total`)) {
    // A counter's "_total" stays last.
    name = name.endsWith("_total") ? `${name.slice(0, -6)}_${suffix}_total` : `${name}_${suffix}`;
  }
  return name;
}

/** An attribute key as a label name: sanitized, a leading "_" or digit prefixed with "key". */
export function otlpLabelName(key: string): string {
  const out = key.replace(/[^a-zA-Z0-9_]/g, "_");
  if (/^[0-9]/.test(out)) return `key_${out}`;
  return out.startsWith("_") ? `key${out}` : out;
}

/** Attributes as labels; two keys that sanitize alike join their values with ";" (in key order). */
function labelsOf(attributes: OtlpAttributes, into: Labels = {}): Labels {
  const sorted = [...attributes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of sorted) {
    const name = otlpLabelName(key);
    into[name] = Object.hasOwn(into, name) ? `${into[name]};${value}` : value;
  }
  return into;
}

/** The labels a resource gives every series: `job` and the resource attributes kept. */
function resourceLabels(resource: OtlpAttributes, keep: readonly string[]): Labels {
  const get = (key: string) => resource.find(([k]) => k === key)?.[1];
  const name = get("service.name");
  const namespace = get("service.namespace");
  const labels: Labels = {};
  if (name !== undefined) labels.job = namespace ? `${namespace}/${name}` : name;
  return labelsOf(
    resource.filter(([k]) => keep.includes(k)),
    labels,
  );
}

/** A family being assembled from points: its definition and its series by key. */
interface Assembly {
  type: MetricType;
  help: string;
  buckets?: number[];
  native?: boolean;
  labelNames: Set<string>;
  series: Map<string, SeriesDelta & { time?: string }>;
}

/** An ExponentialHistogram point's buckets as a native histogram's (OTLP index i is Prometheus' i + 1). */
function nativeOf(p: OtlpExponentialPoint): NativeBuckets {
  const side = ({ offset, counts }: { offset: number; counts: number[] }) =>
    counts.flatMap((c, i) => (c > 0 ? [[offset + i + 1, c]] : []));
  const data = {
    schema: p.scale,
    zeroThreshold: p.zeroThreshold,
    zeroCount: p.zeroCount,
    positive: side(p.positive),
    negative: side(p.negative),
  };
  return reduceSchema(data, Math.min(p.scale, 8));
}

const later = (a: string | undefined, b: string) => a === undefined || BigInt(b) >= BigInt(a);

/**
 * The push that adds (counters, histograms) or sets (gauges) what an OTLP export carries, and the points it leaves
 * out. Throws nothing for bad points: they are counted as rejected with their reason.
 * @example otlpToPush(parseOtlpJson(body), { resourceLabels: [], limits }).push.families[0].name;
 */
export function otlpToPush(request: readonly OtlpResourceMetrics[], options: OtlpPushOptions): OtlpConversion {
  const families = new Map<string, Assembly>();
  let rejected = 0;
  const reasons: string[] = [];
  const reject = (count: number, reason: string) => {
    rejected += count;
    if (reasons.length < 5 && !reasons.includes(reason)) reasons.push(reason);
  };
  for (const { resource, metrics } of request) {
    const base = resourceLabels(resource, options.resourceLabels);
    for (const metric of metrics) {
      const data = metric.data;
      const named = `metric ${JSON.stringify(metric.name)}`;
      if (data.kind === "none") {
        reject(
          1,
          `${named}: carries no data of a kind this endpoint knows (gauge, sum, histogram, exponential histogram)`,
        );
        continue;
      }
      if (data.kind === "summary") {
        reject(data.points, `${named}: summaries are not accepted (their quantiles cannot be added up)`);
        continue;
      }
      // Unspecified temporality is taken as cumulative, the OTLP default.
      const cumulative = data.kind !== "gauge" && data.temporality !== 1;
      const counter = data.kind === "sum" && data.monotonic;
      const type: MetricType =
        data.kind === "histogram" || data.kind === "exponential_histogram"
          ? "histogram"
          : counter
            ? "counter"
            : "gauge";
      const name = otlpMetricName(metric, type);
      let family = families.get(name);
      const native = data.kind === "exponential_histogram";
      if (family && (family.type !== type || (type === "histogram" && family.native !== native))) {
        reject(
          data.points.length,
          `${named}: another metric of this request is named ${JSON.stringify(name)} as a ${family.type}`,
        );
        continue;
      }
      if (!family) {
        family = { type, help: metric.description, labelNames: new Set(Object.keys(base)), series: new Map() };
        if (native) family.native = true;
        families.set(name, family);
      }
      for (const point of data.points as (OtlpNumberPoint | OtlpHistogramPoint | OtlpExponentialPoint)[]) {
        // A point flagged "no recorded value" carries nothing.
        if ((point.flags & 1) === 1) continue;
        const labels = labelsOf(point.attributes, { ...base });
        const stream = cumulative ? streamId(resource, metric, point.attributes) : undefined;
        const problem = addPoint(family, labels, point, data.kind, counter, stream);
        if (problem) reject(1, `${named}: ${problem}`);
      }
    }
  }
  const parts: FamilyPush[] = [];
  for (const [name, f] of families) {
    if (f.series.size === 0) continue;
    const labelNames = [...f.labelNames].sort();
    const series = [...f.series.values()].map(({ time: _time, ...delta }) => ({
      ...delta,
      labels: Object.fromEntries(
        labelNames.map((n) => [n, Object.hasOwn(delta.labels, n) ? (delta.labels[n] as string) : ""]),
      ),
    }));
    const natives = f.native
      ? series.flatMap((s) => {
          const h = s as HistogramDelta;
          return [h.native as NativeBuckets, ...(h.cumulative ?? []).map((p) => p.native as NativeBuckets)];
        })
      : [];
    parts.push({
      name,
      type: f.type,
      help: f.help,
      labelNames,
      ...(f.type === "histogram" ? { buckets: f.buckets ?? [] } : {}),
      ...(f.native ? { native: inferredSettings(natives, options.limits.maxNativeBuckets) } : {}),
      series,
      inferred: true,
    });
  }
  return {
    push: { ...(options.pushId !== undefined ? { pushId: options.pushId } : {}), families: parts },
    rejected,
    reasons,
  };
}

/** Two FNV-1a hashes of `text` (32 bits each, other seeds), as 16 hex digits. */
function hash64(text: string): string {
  const one = (seed: number) => {
    let h = seed;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return (h >>> 0).toString(16).padStart(8, "0");
  };
  return one(0x811c9dc5) + one(0x050c5d1f);
}

/** A cumulative stream's id: its resource (every attribute), scope, metric name and point attributes. */
function streamId(resource: OtlpAttributes, metric: OtlpMetric, attributes: OtlpAttributes): string {
  const sorted = (a: OtlpAttributes) => [...a].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return `otlp-${hash64(JSON.stringify([sorted(resource), metric.scope, metric.name, sorted(attributes)]))}`;
}

/** `points` with `point` in: a second point of one stream keeps the later of the two. */
function withPoint<P extends { stream: string; time: string }>(points: P[] | undefined, point: P): P[] {
  const others = (points ?? []).filter((p) => p.stream !== point.stream);
  const same = points?.find((p) => p.stream === point.stream);
  return [...others, same && !later(same.time, point.time) ? same : point];
}

/** Adds one point to its series in `family` (`stream`: a cumulative stream's); the reason it cannot, or undefined. */
function addPoint(
  family: Assembly,
  labels: Labels,
  point: OtlpNumberPoint | OtlpHistogramPoint | OtlpExponentialPoint,
  kind: "gauge" | "sum" | "histogram" | "exponential_histogram",
  counter: boolean,
  stream: string | undefined,
): string | undefined {
  const at = stream === undefined ? undefined : { stream, start: point.startTime, time: point.time };
  for (const name of Object.keys(labels)) family.labelNames.add(name);
  const key = seriesKey(Object.keys(labels).sort(), labels);
  const before = family.series.get(key);
  if (kind === "gauge" || kind === "sum") {
    const { value } = point as OtlpNumberPoint;
    if (!Number.isFinite(value)) return `a value must be a finite number, got ${value}`;
    if (counter) {
      if (value < 0) return `a monotonic sum cannot add ${value}`;
      const c = before as CounterDelta | undefined;
      if (at)
        family.series.set(key, {
          labels,
          inc: c?.inc ?? 0,
          cumulative: withPoint(c?.cumulative, { ...at, total: value }),
        });
      else
        family.series.set(key, {
          labels,
          inc: (c?.inc ?? 0) + value,
          ...(c?.cumulative ? { cumulative: c.cumulative } : {}),
        });
      return undefined;
    }
    // A gauge (or a non-monotonic sum, which is what its value is now) keeps its latest point.
    if (!before || later(before.time, point.time))
      family.series.set(key, { labels, set: value, time: point.time } as GaugeDelta);
    return undefined;
  }
  const h = point as OtlpHistogramPoint | OtlpExponentialPoint;
  const sum = h.sum ?? 0;
  if (!Number.isFinite(sum)) return `a histogram's sum must be a finite number, got ${sum}`;
  let delta: HistogramDelta;
  if (kind === "histogram") {
    const p = h as OtlpHistogramPoint;
    const bounds = p.explicitBounds;
    if (p.bucketCounts.length !== bounds.length + 1)
      return `a histogram point has ${p.bucketCounts.length} bucket counts for ${bounds.length} bounds (one more expected)`;
    if (p.bucketCounts.reduce((a, b) => a + b, 0) !== p.count)
      return "a histogram point's bucket counts do not add up to its count";
    family.buckets ??= bounds;
    if (family.buckets.join() !== bounds.join()) return "a histogram point has other bounds than the family's first";
    delta = at
      ? { labels, counts: p.bucketCounts.map(() => 0), sum: 0, cumulative: [{ ...at, counts: p.bucketCounts, sum }] }
      : { labels, counts: p.bucketCounts, sum };
  } else {
    const p = h as OtlpExponentialPoint;
    if (p.scale < NATIVE_SCHEMA_MIN)
      return `an exponential histogram's scale must be at least ${NATIVE_SCHEMA_MIN}, got ${p.scale}`;
    const native = nativeOf(p);
    const held = nativeCount(native);
    if (held !== p.count) return `an exponential histogram point holds ${held} observations but counts ${p.count}`;
    family.buckets ??= [];
    const none = { ...native, zeroCount: 0, positive: [], negative: [] };
    delta = at
      ? { labels, counts: [0], sum: 0, native: none, cumulative: [{ ...at, counts: [p.count], sum, native }] }
      : { labels, counts: [p.count], sum, native };
  }
  if (before) {
    const b = before as HistogramDelta;
    const merged: HistogramDelta = {
      labels,
      counts: b.counts.map((c, i) => c + (delta.counts[i] ?? 0)),
      sum: b.sum + delta.sum,
    };
    // Uncapped: the push's check holds the merged buckets to the limit on native buckets.
    const native = mergeNative(b.native, delta.native, Number.MAX_SAFE_INTEGER);
    if (native) merged.native = native;
    let points = b.cumulative;
    for (const p of delta.cumulative ?? []) points = withPoint(points, p);
    if (points) merged.cumulative = points;
    delta = merged;
  }
  family.series.set(key, delta);
  return undefined;
}
