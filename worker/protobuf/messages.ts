// The Prometheus protobuf exposition format (io.prometheus.client.MetricFamily, length-delimited), both ways, on
// @bufbuild/protobuf's wire layer: plain objects in and out, no generated classes. Decoding is strict, as for every
// body a producer sends: a truncated message, a field with the wrong wire type, a length past its message, an
// unknown field or enum value, a repeated singular field, invalid UTF-8 — each is refused with the message and the
// field it was found in. (Fields newer than client_golang 1.14 that Prometheus defines are known: `unit` and a native
// histogram's `exemplars` are read and left out; `created_timestamp` is read, and written: it is where a family's
// creation time travels, not `_created` series.)

import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  type BinaryReader,
  delimitedItems,
  type FieldSpec,
  message,
  ProtobufError,
  readMessage,
  type Spec,
  safe,
  str,
} from "./reader.ts";

export { ProtobufError };

/** The Content-Type of a scrape in this format. */
export const PROTOBUF_CONTENT_TYPE =
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/** MetricType as the format numbers it. */
export const PROTO_TYPES = ["counter", "gauge", "summary", "untyped", "histogram", "gauge_histogram"] as const;
export type ProtoType = (typeof PROTO_TYPES)[number];

export interface ProtoExemplar {
  labels: [string, string][];
  value: number;
  /** Seconds since the epoch, when it has one. */
  timestamp?: number;
}

export interface ProtoBucket {
  cumulativeCount: number;
  upperBound: number;
  exemplar?: ProtoExemplar;
}

export interface ProtoHistogram {
  /** When the series was created, in seconds since the epoch (`created_timestamp`). */
  created?: number;
  sampleCount: number;
  sampleSum: number;
  buckets: ProtoBucket[];
  /** Present when the histogram has native buckets (any native field was sent). */
  native?: {
    schema: number;
    zeroThreshold: number;
    zeroCount: number;
    /** [offset, length] spans and the absolute count of each bucket they cover. */
    negativeSpans: number[][];
    negativeCounts: number[];
    positiveSpans: number[][];
    positiveCounts: number[];
  };
}

export interface ProtoMetric {
  labels: [string, string][];
  gauge?: number;
  /** `created`: as a histogram's. */
  counter?: { value: number; exemplar?: ProtoExemplar; created?: number };
  summary?: { sampleCount: number; sampleSum: number; quantiles: number[][]; created?: number };
  untyped?: number;
  histogram?: ProtoHistogram;
  timestampMs?: number;
}

export interface ProtoFamily {
  name: string;
  help: string;
  type: ProtoType;
  metrics: ProtoMetric[];
}

const LABEL: Spec<{ name?: string; value?: string }> = {
  1: { name: "name", wire: WireType.LengthDelimited, read: (r, o) => (o.name = str(r)) },
  2: { name: "value", wire: WireType.LengthDelimited, read: (r, o) => (o.value = str(r)) },
};

function readLabel(bytes: Uint8Array, where: string): [string, string] {
  const label = readMessage<{ name?: string; value?: string }>(bytes, LABEL, {}, `${where} label`);
  return [label.name ?? "", label.value ?? ""];
}

const TIMESTAMP: Spec<{ seconds: number; nanos: number }> = {
  1: { name: "seconds", wire: WireType.Varint, read: (r, o) => (o.seconds = Number(r.int64())) },
  2: { name: "nanos", wire: WireType.Varint, read: (r, o) => (o.nanos = r.int32()) },
};

/** The repeated LabelPair field of a Metric or an Exemplar. */
function labelField(where: string): FieldSpec<{ labels: [string, string][] }> {
  return {
    name: "label",
    wire: WireType.LengthDelimited,
    repeated: true,
    read: (r, o) => o.labels.push(readLabel(message(r), where)),
  };
}

function exemplarSpec(where: string): Spec<ProtoExemplar> {
  return {
    1: labelField(where),
    2: { name: "value", wire: WireType.Bit64, read: (r, o) => (o.value = r.double()) },
    3: timestampField("timestamp", (o, seconds) => (o.timestamp = seconds), where),
  };
}

/** A google.protobuf.Timestamp field, handed to `set` in seconds since the epoch. */
function timestampField<T>(name: string, set: (o: T, seconds: number) => void, where: string): FieldSpec<T> {
  return {
    name,
    wire: WireType.LengthDelimited,
    read: (r, o) => {
      const t = readMessage(message(r), TIMESTAMP, { seconds: 0, nanos: 0 }, `${where} ${name}`);
      set(o, t.seconds + t.nanos / 1e9);
    },
  };
}

/** The `created_timestamp` field of a counter, a summary or a histogram. */
const createdField = <T extends { created?: number }>(where: string) =>
  timestampField<T>("created_timestamp", (o, seconds) => (o.created = seconds), where);

function readExemplar(bytes: Uint8Array, where: string): ProtoExemplar {
  return readMessage(bytes, exemplarSpec(`${where} exemplar`), { labels: [], value: 0 }, `${where} exemplar`);
}

/** Ignores a field Prometheus defines and this project does not keep (it was still checked for its wire type). */
const ignore = (wire: WireType, name: string): FieldSpec<unknown> => ({
  name,
  wire,
  repeated: wire === WireType.LengthDelimited && name === "exemplars",
  read: (r) => void r.skip(wire),
});

type Native = NonNullable<ProtoHistogram["native"]>;
type HistogramBuild = ProtoHistogram & {
  native: Native;
  nativeSeen: boolean;
  negDeltas: number[];
  posDeltas: number[];
  negFloats: number[];
  posFloats: number[];
};

function spanReader(side: "negativeSpans" | "positiveSpans", where: string) {
  const spec: Spec<{ offset: number; length: number }> = {
    1: { name: "offset", wire: WireType.Varint, read: (r, o) => (o.offset = r.sint32()) },
    2: { name: "length", wire: WireType.Varint, read: (r, o) => (o.length = r.uint32()) },
  };
  return (r: BinaryReader, o: HistogramBuild) => {
    const span = readMessage(message(r), spec, { offset: 0, length: 0 }, `${where} span`);
    o.native[side].push([span.offset, span.length]);
    o.nativeSeen = true;
  };
}

/** A count sent as a double (a float histogram's): whole and ≥ 0, or a refusal. */
function wholeDouble(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ProtobufError(`${what} must be a whole number ≥ 0, got ${value}`);
  return value;
}

function histogramSpec(where: string): Spec<HistogramBuild> {
  const bucket: Spec<ProtoBucket & { floatCount?: number }> = {
    1: { name: "cumulative_count", wire: WireType.Varint, read: (r, o) => (o.cumulativeCount = safe(r.uint64())) },
    4: { name: "cumulative_count_float", wire: WireType.Bit64, read: (r, o) => (o.floatCount = r.double()) },
    2: { name: "upper_bound", wire: WireType.Bit64, read: (r, o) => (o.upperBound = r.double()) },
    3: {
      name: "exemplar",
      wire: WireType.LengthDelimited,
      read: (r, o) => (o.exemplar = readExemplar(message(r), `${where} bucket`)),
    },
  };
  const native =
    (read: (r: BinaryReader, n: Native, o: HistogramBuild) => void) => (r: BinaryReader, o: HistogramBuild) => {
      o.nativeSeen = true;
      read(r, o.native, o);
    };
  return {
    1: { name: "sample_count", wire: WireType.Varint, read: (r, o) => (o.sampleCount = safe(r.uint64())) },
    4: {
      name: "sample_count_float",
      wire: WireType.Bit64,
      read: (r, o) => {
        const v = r.double();
        if (v > 0) o.sampleCount = wholeDouble(v, "sample_count_float");
      },
    },
    2: { name: "sample_sum", wire: WireType.Bit64, read: (r, o) => (o.sampleSum = r.double()) },
    3: {
      name: "bucket",
      wire: WireType.LengthDelimited,
      repeated: true,
      read: (r, o) => {
        const b = readMessage<ProtoBucket & { floatCount?: number }>(
          message(r),
          bucket,
          { cumulativeCount: 0, upperBound: 0 },
          `${where} bucket`,
        );
        const { floatCount, ...rest } = b;
        if (floatCount !== undefined && floatCount > 0)
          rest.cumulativeCount = wholeDouble(floatCount, "cumulative_count_float");
        o.buckets.push(rest);
      },
    },
    5: { name: "schema", wire: WireType.Varint, read: native((r, n) => (n.schema = r.sint32())) },
    6: { name: "zero_threshold", wire: WireType.Bit64, read: native((r, n) => (n.zeroThreshold = r.double())) },
    7: { name: "zero_count", wire: WireType.Varint, read: native((r, n) => (n.zeroCount = safe(r.uint64()))) },
    8: {
      name: "zero_count_float",
      wire: WireType.Bit64,
      read: native((r, n) => {
        const v = r.double();
        if (v > 0) n.zeroCount = wholeDouble(v, "zero_count_float");
      }),
    },
    9: {
      name: "negative_span",
      wire: WireType.LengthDelimited,
      repeated: true,
      read: spanReader("negativeSpans", where),
    },
    10: {
      name: "negative_delta",
      wire: WireType.Varint,
      repeated: true,
      packable: true,
      read: native((r, _n, o) => o.negDeltas.push(Number(r.sint64()))),
    },
    11: {
      name: "negative_count",
      wire: WireType.Bit64,
      repeated: true,
      packable: true,
      read: native((r, _n, o) => o.negFloats.push(r.double())),
    },
    12: {
      name: "positive_span",
      wire: WireType.LengthDelimited,
      repeated: true,
      read: spanReader("positiveSpans", where),
    },
    13: {
      name: "positive_delta",
      wire: WireType.Varint,
      repeated: true,
      packable: true,
      read: native((r, _n, o) => o.posDeltas.push(Number(r.sint64()))),
    },
    14: {
      name: "positive_count",
      wire: WireType.Bit64,
      repeated: true,
      packable: true,
      read: native((r, _n, o) => o.posFloats.push(r.double())),
    },
    15: createdField<HistogramBuild>(where),
    16: ignore(WireType.LengthDelimited, "exemplars") as FieldSpec<HistogramBuild>,
  };
}

/** Absolute counts from deltas (integer histograms) or the float counts (float histograms), one form only. */
function sideCounts(deltas: number[], floats: number[], what: string): number[] {
  if (deltas.length > 0 && floats.length > 0)
    throw new ProtobufError(`${what}: both deltas and float counts were sent`);
  if (floats.length > 0) return floats.map((v) => wholeDouble(v, `${what} count`));
  let running = 0;
  return deltas.map((d) => {
    running += d;
    if (!Number.isSafeInteger(running) || running < 0)
      throw new ProtobufError(`${what}: the deltas make a count of ${running}`);
    return running;
  });
}

function readHistogram(bytes: Uint8Array, where: string): ProtoHistogram {
  const build: HistogramBuild = {
    sampleCount: 0,
    sampleSum: 0,
    buckets: [],
    native: {
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      negativeSpans: [],
      negativeCounts: [],
      positiveSpans: [],
      positiveCounts: [],
    },
    nativeSeen: false,
    negDeltas: [],
    posDeltas: [],
    negFloats: [],
    posFloats: [],
  };
  readMessage(bytes, histogramSpec(`${where} histogram`), build, `${where} histogram`);
  const { sampleCount, sampleSum, buckets, native, nativeSeen, created } = build;
  const histogram = { ...(created !== undefined ? { created } : {}), sampleCount, sampleSum, buckets };
  if (!nativeSeen) return histogram;
  native.negativeCounts = sideCounts(build.negDeltas, build.negFloats, `${where} histogram negative buckets`);
  native.positiveCounts = sideCounts(build.posDeltas, build.posFloats, `${where} histogram positive buckets`);
  return { ...histogram, native };
}

const QUANTILE: Spec<{ quantile: number; value: number }> = {
  1: { name: "quantile", wire: WireType.Bit64, read: (r, o) => (o.quantile = r.double()) },
  2: { name: "value", wire: WireType.Bit64, read: (r, o) => (o.value = r.double()) },
};

function metricSpec(where: string): Spec<ProtoMetric> {
  const value = (field: "gauge" | "untyped"): FieldSpec<ProtoMetric> => ({
    name: field,
    wire: WireType.LengthDelimited,
    read: (r, o) => {
      const spec: Spec<{ value: number }> = {
        1: { name: "value", wire: WireType.Bit64, read: (r2, v) => (v.value = r2.double()) },
      };
      o[field] = readMessage(message(r), spec, { value: 0 }, `${where} ${field}`).value;
    },
  });
  const counter: Spec<{ value: number; exemplar?: ProtoExemplar; created?: number }> = {
    1: { name: "value", wire: WireType.Bit64, read: (r, o) => (o.value = r.double()) },
    2: {
      name: "exemplar",
      wire: WireType.LengthDelimited,
      read: (r, o) => (o.exemplar = readExemplar(message(r), `${where} counter`)),
    },
    3: createdField(where),
  };
  const summary: Spec<{ sampleCount: number; sampleSum: number; quantiles: number[][]; created?: number }> = {
    1: { name: "sample_count", wire: WireType.Varint, read: (r, o) => (o.sampleCount = safe(r.uint64())) },
    2: { name: "sample_sum", wire: WireType.Bit64, read: (r, o) => (o.sampleSum = r.double()) },
    3: {
      name: "quantile",
      wire: WireType.LengthDelimited,
      repeated: true,
      read: (r, o) => {
        const q = readMessage(message(r), QUANTILE, { quantile: 0, value: 0 }, `${where} quantile`);
        o.quantiles.push([q.quantile, q.value]);
      },
    },
    4: createdField(where),
  };
  return {
    1: labelField(where),
    2: value("gauge"),
    3: {
      name: "counter",
      wire: WireType.LengthDelimited,
      read: (r, o) => (o.counter = readMessage(message(r), counter, { value: 0 }, `${where} counter`)),
    },
    4: {
      name: "summary",
      wire: WireType.LengthDelimited,
      read: (r, o) =>
        (o.summary = readMessage(
          message(r),
          summary,
          { sampleCount: 0, sampleSum: 0, quantiles: [] },
          `${where} summary`,
        )),
    },
    5: value("untyped"),
    6: { name: "timestamp_ms", wire: WireType.Varint, read: (r, o) => (o.timestampMs = Number(r.int64())) },
    7: {
      name: "histogram",
      wire: WireType.LengthDelimited,
      read: (r, o) => (o.histogram = readHistogram(message(r), where)),
    },
  };
}

function familySpec(where: string): Spec<ProtoFamily & { typeNumber?: number }> {
  return {
    1: { name: "name", wire: WireType.LengthDelimited, read: (r, o) => (o.name = str(r)) },
    2: { name: "help", wire: WireType.LengthDelimited, read: (r, o) => (o.help = str(r)) },
    3: { name: "type", wire: WireType.Varint, read: (r, o) => (o.typeNumber = r.int32()) },
    4: {
      name: "metric",
      wire: WireType.LengthDelimited,
      repeated: true,
      read: (r, o) =>
        o.metrics.push(
          readMessage(
            message(r),
            metricSpec(`${where} metric ${o.metrics.length + 1}`),
            { labels: [] },
            `${where} metric ${o.metrics.length + 1}`,
          ),
        ),
    },
    5: ignore(WireType.LengthDelimited, "unit") as FieldSpec<ProtoFamily>,
  };
}

/**
 * The MetricFamily messages of a length-delimited body, in order, or a ProtobufError naming the first problem and
 * the message (1-based) it is in.
 */
export function decodeDelimited(body: Uint8Array): ProtoFamily[] {
  return delimitedItems(body, (bytes, i) => {
    const where = `message ${i + 1}`;
    const f = readMessage(bytes, familySpec(where), { name: "", help: "", type: "gauge", metrics: [] }, where);
    const type = PROTO_TYPES[f.typeNumber ?? 0];
    if (type === undefined) throw new ProtobufError(`${where}: unknown metric type ${f.typeNumber}`);
    return { name: f.name, help: f.help, type, metrics: f.metrics };
  });
}

/** Builds MetricFamily messages, each length-delimited, into one buffer. */
export class DelimitedWriter {
  private readonly w = new BinaryWriter();

  /** Writes one MetricFamily. */
  family(f: ProtoFamily): void {
    const { w } = this;
    w.fork();
    w.tag(1, WireType.LengthDelimited).string(f.name);
    if (f.help !== "") w.tag(2, WireType.LengthDelimited).string(f.help);
    w.tag(3, WireType.Varint).uint32(PROTO_TYPES.indexOf(f.type));
    for (const m of f.metrics) this.metric(m);
    w.join();
  }

  /** The bytes written so far (and a fresh start). */
  finish(): Uint8Array {
    return this.w.finish();
  }

  private count(field: number, n: number): void {
    this.w.tag(field, WireType.Varint);
    if (n <= 0xffffffff) this.w.uint32(n);
    else this.w.uint64(n);
  }

  private double(field: number, v: number): void {
    this.w.tag(field, WireType.Bit64).double(v);
  }

  private labels(field: number, labels: readonly [string, string][]): void {
    const { w } = this;
    for (const [name, value] of labels) {
      w.tag(field, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(name);
      w.tag(2, WireType.LengthDelimited).string(value);
      w.join();
    }
  }

  private exemplar(field: number, e: ProtoExemplar | undefined): void {
    if (!e) return;
    const { w } = this;
    w.tag(field, WireType.LengthDelimited).fork();
    this.labels(1, e.labels);
    this.double(2, e.value);
    this.timestamp(3, e.timestamp);
    w.join();
  }

  /** A google.protobuf.Timestamp of `seconds` since the epoch, if there is one. */
  private timestamp(field: number, seconds: number | undefined): void {
    if (seconds === undefined || !(seconds >= 0)) return;
    const { w } = this;
    const whole = Math.floor(seconds);
    const nanos = Math.round((seconds - whole) * 1e9);
    // Its length is known up front (two small varints): no fork and join, which a scrape would pay per series.
    const length = 1 + varintSize(whole) + (nanos > 0 ? 1 + varintSize(nanos) : 0);
    w.tag(field, WireType.LengthDelimited).uint32(length);
    w.tag(1, WireType.Varint).uint64(whole);
    if (nanos > 0) w.tag(2, WireType.Varint).int32(nanos);
  }

  private metric(m: ProtoMetric): void {
    const { w } = this;
    w.tag(4, WireType.LengthDelimited).fork();
    this.labels(1, m.labels);
    const value = (field: number, v: number) => {
      w.tag(field, WireType.LengthDelimited).fork();
      this.double(1, v);
      w.join();
    };
    if (m.gauge !== undefined) value(2, m.gauge);
    if (m.untyped !== undefined) value(5, m.untyped);
    if (m.counter) {
      w.tag(3, WireType.LengthDelimited).fork();
      this.double(1, m.counter.value);
      this.exemplar(2, m.counter.exemplar);
      this.timestamp(3, m.counter.created);
      w.join();
    }
    if (m.summary) {
      w.tag(4, WireType.LengthDelimited).fork();
      this.count(1, m.summary.sampleCount);
      this.double(2, m.summary.sampleSum);
      for (const [q = 0, v = 0] of m.summary.quantiles) {
        w.tag(3, WireType.LengthDelimited).fork();
        this.double(1, q);
        this.double(2, v);
        w.join();
      }
      this.timestamp(4, m.summary.created);
      w.join();
    }
    if (m.histogram) this.histogram(m.histogram);
    w.join();
  }

  private histogram(h: ProtoHistogram): void {
    const { w } = this;
    w.tag(7, WireType.LengthDelimited).fork();
    this.count(1, h.sampleCount);
    this.double(2, h.sampleSum);
    for (const b of h.buckets) {
      w.tag(3, WireType.LengthDelimited).fork();
      this.count(1, b.cumulativeCount);
      this.double(2, b.upperBound);
      this.exemplar(3, b.exemplar);
      w.join();
    }
    const n = h.native;
    if (n) {
      w.tag(5, WireType.Varint).sint32(n.schema);
      this.double(6, n.zeroThreshold);
      this.count(7, n.zeroCount);
      this.side(9, 10, n.negativeSpans, n.negativeCounts);
      this.side(12, 13, n.positiveSpans, n.positiveCounts);
    }
    this.timestamp(15, h.created);
    w.join();
  }

  /** A native side: its spans, then its counts as deltas (packed). */
  private side(spanField: number, deltaField: number, spans: readonly number[][], counts: readonly number[]): void {
    const { w } = this;
    for (const [offset = 0, length = 0] of spans) {
      w.tag(spanField, WireType.LengthDelimited).fork();
      w.tag(1, WireType.Varint).sint32(offset);
      w.tag(2, WireType.Varint).uint32(length);
      w.join();
    }
    if (counts.length === 0) return;
    w.tag(deltaField, WireType.LengthDelimited).fork();
    let previous = 0;
    for (const c of counts) {
      const delta = c - previous;
      if (delta >= -0x80000000 && delta <= 0x7fffffff) w.sint32(delta);
      else w.sint64(delta);
      previous = c;
    }
    w.join();
  }
}

/** The bytes a non-negative integer takes as a varint. */
function varintSize(n: number): number {
  let size = 1;
  for (let rest = n; rest >= 128; rest = Math.floor(rest / 128)) size++;
  return size;
}
