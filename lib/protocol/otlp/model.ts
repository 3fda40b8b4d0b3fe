// OpenTelemetry metrics as an OTLP export request carries them, in plain data: what the JSON decoder here and the
// protobuf one (worker/protobuf/otlp.ts) both produce, and what to-push.ts maps onto Prometheus families. The JSON
// decoder follows the OTLP/JSON encoding (lowerCamelCase names, 64-bit integers as strings or numbers, enums as
// numbers or names); unknown fields are ignored, as OTLP receivers must; a field of the wrong type is refused.

import { fail, type Path } from "../refusal.ts";
import { describeValue } from "../validation.ts";

/** Attribute key and value (an AnyValue as text: strings as they are, other values as Prometheus' translator writes them). */
export type OtlpAttributes = [string, string][];

export interface OtlpNumberPoint {
  attributes: OtlpAttributes;
  /** Nanoseconds since the epoch, as decimal text (64-bit). */
  startTime: string;
  time: string;
  value: number;
  /** The value was an integer (`as_int`). */
  integer: boolean;
  flags: number;
}

export interface OtlpHistogramPoint {
  attributes: OtlpAttributes;
  startTime: string;
  time: string;
  count: number;
  sum?: number;
  bucketCounts: number[];
  explicitBounds: number[];
  flags: number;
}

export interface OtlpExponentialPoint {
  attributes: OtlpAttributes;
  startTime: string;
  time: string;
  count: number;
  sum?: number;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: { offset: number; counts: number[] };
  negative: { offset: number; counts: number[] };
  flags: number;
}

/** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
export type Temporality = 0 | 1 | 2;

export type OtlpData =
  | { kind: "gauge"; points: OtlpNumberPoint[] }
  | { kind: "sum"; points: OtlpNumberPoint[]; temporality: Temporality; monotonic: boolean }
  | { kind: "histogram"; points: OtlpHistogramPoint[]; temporality: Temporality }
  | { kind: "exponential_histogram"; points: OtlpExponentialPoint[]; temporality: Temporality }
  | { kind: "summary"; points: number }
  | { kind: "none" };

export interface OtlpMetric {
  /** The instrumentation scope's name (part of what identifies a cumulative stream). */
  scope: string;
  name: string;
  description: string;
  unit: string;
  data: OtlpData;
}

export interface OtlpResourceMetrics {
  resource: OtlpAttributes;
  metrics: OtlpMetric[];
}

/** AnyValue as text: a string as it is, a bool, an integer, a double; an array or a key-value list as JSON. */
export function anyValueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

// The JSON decoder.

type Obj = Record<string, unknown>;

function obj(value: unknown, path: Path): Obj {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) fail(path, `must be an object, got ${describeValue(value)}`);
  return value as Obj;
}

function list(value: unknown, path: Path): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, `must be an array, got ${describeValue(value)}`);
  return value;
}

function text(value: unknown, path: Path): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") fail(path, `must be a string, got ${describeValue(value)}`);
  return value;
}

/** A 64-bit integer sent as a string or a number (OTLP/JSON allows both), as a safe number. */
function int64(value: unknown, path: Path, signed = false): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || (!signed && n < 0))
    fail(path, `must be a whole number${signed ? "" : " ≥ 0"} (as a string or a number), got ${describeValue(value)}`);
  return n;
}

/** A 64-bit timestamp in nanoseconds, kept as its decimal text. */
function nanos(value: unknown, path: Path): string {
  if (value === undefined || value === null) return "0";
  if (typeof value === "string" && /^\d{1,20}$/.test(value)) return value;
  // A JSON number this large is read inexactly (to about 256 ns): close enough to order a stream's points.
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < 1e20)
    return BigInt(value).toString();
  fail(path, `must be a time in nanoseconds (a string of digits), got ${describeValue(value)}`);
}

/** A double, which OTLP/JSON may send as "NaN", "Infinity" or "-Infinity" too. */
function double(value: unknown, path: Path): number {
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Number.POSITIVE_INFINITY;
  if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (typeof value !== "number") fail(path, `must be a number, got ${describeValue(value)}`);
  return value;
}

const TEMPORALITIES: Record<string, Temporality> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function temporality(value: unknown, path: Path): Temporality {
  if (value === undefined || value === null) return 0;
  if (value === 0 || value === 1 || value === 2) return value;
  if (typeof value === "string" && value in TEMPORALITIES) return TEMPORALITIES[value] as Temporality;
  fail(path, `must be an aggregation temporality (0, 1, 2 or its name), got ${describeValue(value)}`);
}

function anyValue(value: unknown, path: Path): unknown {
  const v = obj(value, path);
  if ("stringValue" in v) return text(v.stringValue, [...path, "stringValue"]);
  if ("boolValue" in v) {
    if (typeof v.boolValue !== "boolean")
      fail([...path, "boolValue"], `must be true or false, got ${describeValue(v.boolValue)}`);
    return v.boolValue;
  }
  if ("intValue" in v) return int64(v.intValue, [...path, "intValue"], true);
  if ("doubleValue" in v) return double(v.doubleValue, [...path, "doubleValue"]);
  if ("arrayValue" in v)
    return list(obj(v.arrayValue, [...path, "arrayValue"]).values, [...path, "arrayValue", "values"]).map((x, i) =>
      anyValue(x, [...path, "arrayValue", "values", i]),
    );
  if ("kvlistValue" in v)
    return Object.fromEntries(
      attributes(obj(v.kvlistValue, [...path, "kvlistValue"]).values, [...path, "kvlistValue", "values"]),
    );
  if ("bytesValue" in v) return text(v.bytesValue, [...path, "bytesValue"]);
  return "";
}

function attributes(value: unknown, path: Path): OtlpAttributes {
  return list(value, path).map((item, i) => {
    const kv = obj(item, [...path, i]);
    const key = text(kv.key, [...path, i, "key"]);
    return [key, anyValueText(anyValue(kv.value, [...path, i, "value"]))];
  });
}

function times(p: Obj, path: Path) {
  return {
    attributes: attributes(p.attributes, [...path, "attributes"]),
    startTime: nanos(p.startTimeUnixNano, [...path, "startTimeUnixNano"]),
    time: nanos(p.timeUnixNano, [...path, "timeUnixNano"]),
    flags: int64(p.flags, [...path, "flags"]),
  };
}

function numberPoint(value: unknown, path: Path): OtlpNumberPoint {
  const p = obj(value, path);
  const integer = "asInt" in p;
  const v = integer ? int64(p.asInt, [...path, "asInt"], true) : double(p.asDouble ?? 0, [...path, "asDouble"]);
  return { ...times(p, path), value: v, integer };
}

function histogramPoint(value: unknown, path: Path): OtlpHistogramPoint {
  const p = obj(value, path);
  return {
    ...times(p, path),
    count: int64(p.count, [...path, "count"]),
    ...(p.sum !== undefined && p.sum !== null ? { sum: double(p.sum, [...path, "sum"]) } : {}),
    bucketCounts: list(p.bucketCounts, [...path, "bucketCounts"]).map((c, i) => int64(c, [...path, "bucketCounts", i])),
    explicitBounds: list(p.explicitBounds, [...path, "explicitBounds"]).map((b, i) =>
      double(b, [...path, "explicitBounds", i]),
    ),
  };
}

function buckets(value: unknown, path: Path) {
  const b = obj(value, path);
  return {
    offset: int64(b.offset, [...path, "offset"], true),
    counts: list(b.bucketCounts, [...path, "bucketCounts"]).map((c, i) => int64(c, [...path, "bucketCounts", i])),
  };
}

function exponentialPoint(value: unknown, path: Path): OtlpExponentialPoint {
  const p = obj(value, path);
  return {
    ...times(p, path),
    count: int64(p.count, [...path, "count"]),
    ...(p.sum !== undefined && p.sum !== null ? { sum: double(p.sum, [...path, "sum"]) } : {}),
    scale: int64(p.scale, [...path, "scale"], true),
    zeroCount: int64(p.zeroCount, [...path, "zeroCount"]),
    zeroThreshold: p.zeroThreshold === undefined ? 0 : double(p.zeroThreshold, [...path, "zeroThreshold"]),
    positive: buckets(p.positive, [...path, "positive"]),
    negative: buckets(p.negative, [...path, "negative"]),
  };
}

function metric(value: unknown, path: Path, scope: string): OtlpMetric {
  const m = obj(value, path);
  const base = {
    scope,
    name: text(m.name, [...path, "name"]),
    description: text(m.description, [...path, "description"]),
    unit: text(m.unit, [...path, "unit"]),
  };
  const points = <T>(d: Obj, at: Path, read: (v: unknown, p: Path) => T) =>
    list(d.dataPoints, [...at, "dataPoints"]).map((p, i) => read(p, [...at, "dataPoints", i]));
  if (m.gauge !== undefined) {
    const at = [...path, "gauge"];
    return { ...base, data: { kind: "gauge", points: points(obj(m.gauge, at), at, numberPoint) } };
  }
  if (m.sum !== undefined) {
    const at = [...path, "sum"];
    const d = obj(m.sum, at);
    if (d.isMonotonic !== undefined && typeof d.isMonotonic !== "boolean")
      fail([...at, "isMonotonic"], `must be true or false, got ${describeValue(d.isMonotonic)}`);
    const data = {
      kind: "sum" as const,
      points: points(d, at, numberPoint),
      temporality: temporality(d.aggregationTemporality, [...at, "aggregationTemporality"]),
      monotonic: d.isMonotonic === true,
    };
    return { ...base, data };
  }
  /** A histogram's points (read by `read`) and temporality, from field `field` of the metric. */
  const histogram = <T>(field: "histogram" | "exponentialHistogram", read: (v: unknown, p: Path) => T) => {
    const at = [...path, field];
    const d = obj(m[field], at);
    return {
      points: points(d, at, read),
      temporality: temporality(d.aggregationTemporality, [...at, "aggregationTemporality"]),
    };
  };
  if (m.histogram !== undefined)
    return { ...base, data: { kind: "histogram", ...histogram("histogram", histogramPoint) } };
  if (m.exponentialHistogram !== undefined)
    return { ...base, data: { kind: "exponential_histogram", ...histogram("exponentialHistogram", exponentialPoint) } };
  if (m.summary !== undefined) {
    const at = [...path, "summary"];
    return {
      ...base,
      data: { kind: "summary", points: list(obj(m.summary, at).dataPoints, [...at, "dataPoints"]).length },
    };
  }
  return { ...base, data: { kind: "none" } };
}

/**
 * An OTLP/JSON ExportMetricsServiceRequest (parsed JSON) as plain data, or `Invalid` naming the field
 * (`resourceMetrics[0].scopeMetrics[1].metrics[2].sum.dataPoints[0].asInt: …`).
 */
export function parseOtlpJson(input: unknown): OtlpResourceMetrics[] {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    fail([], `the body must be an ExportMetricsServiceRequest object, got ${describeValue(input)}`);
  const request = input as Obj;
  return list(request.resourceMetrics, ["resourceMetrics"]).map((rm, i) => {
    const path: Path = ["resourceMetrics", i];
    const r = obj(rm, path);
    const resource = attributes(obj(r.resource, [...path, "resource"]).attributes, [...path, "resource", "attributes"]);
    const metrics = list(r.scopeMetrics, [...path, "scopeMetrics"]).flatMap((sm, j) => {
      const at: Path = [...path, "scopeMetrics", j];
      const scope = text(obj(obj(sm, at).scope, [...at, "scope"]).name, [...at, "scope", "name"]);
      return list(obj(sm, at).metrics, [...at, "metrics"]).map((m, k) => metric(m, [...at, "metrics", k], scope));
    });
    return { resource, metrics };
  });
}
