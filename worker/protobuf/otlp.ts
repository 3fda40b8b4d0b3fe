// OTLP/HTTP protobuf, both ways: an ExportMetricsServiceRequest (opentelemetry/proto/collector/metrics/v1) decoded
// into the plain data of lib/protocol/otlp/model.ts, strictly for what it reads (a truncated message, a wrong wire
// type, a length past its message, invalid UTF-8) while fields it does not know are skipped, as OTLP receivers must;
// and the reply messages (ExportMetricsServiceResponse with its partial success, google.rpc.Status).

import { BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  anyValueText,
  type OtlpAttributes,
  type OtlpData,
  type OtlpExponentialPoint,
  type OtlpHistogramPoint,
  type OtlpMetric,
  type OtlpNumberPoint,
  type OtlpResourceMetrics,
  type Temporality,
} from "../../lib/protocol/otlp/model.ts";
import {
  type BinaryReader,
  type FieldSpec,
  ProtobufError,
  readMessage,
  type Spec,
  safe,
  str,
  WireType,
} from "./reader.ts";

const LD = WireType.LengthDelimited;
const VARINT = WireType.Varint;
const BIT64 = WireType.Bit64;

/** Reads a nested message with `spec`, skipping fields it does not know. */
const nested = <T>(r: BinaryReader, spec: Spec<T>, into: T, where: string) =>
  readMessage(r.bytes(), spec, into, where, true);

/** An AnyValue: its text (arrays and key-value lists as JSON). */
function anyValue(r: BinaryReader, where: string): unknown {
  const out: { v?: unknown } = {};
  const values = (into: { v?: unknown }, read: (r2: BinaryReader) => unknown) => (r2: BinaryReader) => {
    into.v = read(r2);
  };
  const spec: Spec<{ v?: unknown }> = {
    1: { name: "string_value", wire: LD, read: values(out, str) },
    2: { name: "bool_value", wire: VARINT, read: values(out, (r2) => r2.bool()) },
    3: { name: "int_value", wire: VARINT, read: values(out, (r2) => Number(r2.int64())) },
    4: { name: "double_value", wire: BIT64, read: values(out, (r2) => r2.double()) },
    5: {
      name: "array_value",
      wire: LD,
      read: values(out, (r2) => {
        const items: unknown[] = [];
        nested(
          r2,
          { 1: { name: "values", wire: LD, repeated: true, read: (r3) => items.push(anyValue(r3, where)) } },
          {},
          where,
        );
        return items;
      }),
    },
    6: {
      name: "kvlist_value",
      wire: LD,
      read: values(out, (r2) => {
        const kvs: OtlpAttributes = [];
        nested(
          r2,
          { 1: { name: "values", wire: LD, repeated: true, read: (r3) => kvs.push(keyValue(r3, where)) } },
          {},
          where,
        );
        return Object.fromEntries(kvs);
      }),
    },
    7: { name: "bytes_value", wire: LD, read: values(out, (r2) => btoa(String.fromCharCode(...r2.bytes()))) },
  };
  nested(r, spec, out, `${where} value`);
  return out.v;
}

function keyValue(r: BinaryReader, where: string): [string, string] {
  const kv: { key: string; value?: unknown } = { key: "" };
  nested(
    r,
    {
      1: { name: "key", wire: LD, read: (r2, o) => (o.key = str(r2)) },
      2: { name: "value", wire: LD, read: (r2, o) => (o.value = anyValue(r2, where)) },
    },
    kv,
    `${where} attribute`,
  );
  return [kv.key, anyValueText(kv.value)];
}

const attributesField = (where: string): FieldSpec<{ attributes: OtlpAttributes }> => ({
  name: "attributes",
  wire: LD,
  repeated: true,
  read: (r, o) => o.attributes.push(keyValue(r, where)),
});

/** The fields every data point shares: times and flags (its attributes' field number differs by type). */
function pointFields<T extends { startTime: string; time: string; flags: number }>(flagsField: number): Spec<T> {
  return {
    2: { name: "start_time_unix_nano", wire: BIT64, read: (r, o) => (o.startTime = String(r.fixed64())) },
    3: { name: "time_unix_nano", wire: BIT64, read: (r, o) => (o.time = String(r.fixed64())) },
    [flagsField]: { name: "flags", wire: VARINT, read: (r, o) => (o.flags = r.uint32()) },
  };
}

const emptyPoint = () => ({ attributes: [] as OtlpAttributes, startTime: "0", time: "0", flags: 0 });

function numberPoint(r: BinaryReader, where: string): OtlpNumberPoint {
  const spec: Spec<OtlpNumberPoint> = {
    ...pointFields<OtlpNumberPoint>(8),
    7: attributesField(where) as FieldSpec<OtlpNumberPoint>,
    4: {
      name: "as_double",
      wire: BIT64,
      read: (r2, o) => {
        o.value = r2.double();
        o.integer = false;
      },
    },
    6: {
      name: "as_int",
      wire: BIT64,
      read: (r2, o) => {
        o.value = safe(r2.sfixed64());
        o.integer = true;
      },
    },
  };
  return nested(r, spec, { ...emptyPoint(), value: 0, integer: false }, `${where} data point`);
}

function histogramPoint(r: BinaryReader, where: string): OtlpHistogramPoint {
  const spec: Spec<OtlpHistogramPoint> = {
    ...pointFields<OtlpHistogramPoint>(10),
    9: attributesField(where) as FieldSpec<OtlpHistogramPoint>,
    4: { name: "count", wire: BIT64, read: (r2, o) => (o.count = safe(r2.fixed64())) },
    5: { name: "sum", wire: BIT64, read: (r2, o) => (o.sum = r2.double()) },
    6: {
      name: "bucket_counts",
      wire: BIT64,
      repeated: true,
      packable: true,
      read: (r2, o) => o.bucketCounts.push(safe(r2.fixed64())),
    },
    7: {
      name: "explicit_bounds",
      wire: BIT64,
      repeated: true,
      packable: true,
      read: (r2, o) => o.explicitBounds.push(r2.double()),
    },
  };
  return nested(r, spec, { ...emptyPoint(), count: 0, bucketCounts: [], explicitBounds: [] }, `${where} data point`);
}

function exponentialPoint(r: BinaryReader, where: string): OtlpExponentialPoint {
  const side = (key: "positive" | "negative"): FieldSpec<OtlpExponentialPoint> => ({
    name: key,
    wire: LD,
    read: (r2, o) => {
      const b = { offset: 0, counts: [] as number[] };
      nested(
        r2,
        {
          1: { name: "offset", wire: VARINT, read: (r3, x) => (x.offset = r3.sint32()) },
          2: {
            name: "bucket_counts",
            wire: VARINT,
            repeated: true,
            packable: true,
            read: (r3, x) => x.counts.push(safe(r3.uint64())),
          },
        },
        b,
        `${where} ${key} buckets`,
      );
      o[key] = b;
    },
  });
  const spec: Spec<OtlpExponentialPoint> = {
    ...pointFields<OtlpExponentialPoint>(10),
    1: attributesField(where) as FieldSpec<OtlpExponentialPoint>,
    4: { name: "count", wire: BIT64, read: (r2, o) => (o.count = safe(r2.fixed64())) },
    5: { name: "sum", wire: BIT64, read: (r2, o) => (o.sum = r2.double()) },
    6: { name: "scale", wire: VARINT, read: (r2, o) => (o.scale = r2.sint32()) },
    7: { name: "zero_count", wire: BIT64, read: (r2, o) => (o.zeroCount = safe(r2.fixed64())) },
    8: side("positive"),
    9: side("negative"),
    14: { name: "zero_threshold", wire: BIT64, read: (r2, o) => (o.zeroThreshold = r2.double()) },
  };
  const empty = { offset: 0, counts: [] };
  const into = {
    ...emptyPoint(),
    count: 0,
    scale: 0,
    zeroCount: 0,
    zeroThreshold: 0,
    positive: empty,
    negative: empty,
  };
  return nested(r, spec, into, `${where} data point`);
}

/** Reads the data of a Gauge, Sum, Histogram or ExponentialHistogram message. */
function dataOf<P>(
  r: BinaryReader,
  where: string,
  point: (r: BinaryReader, where: string) => P,
): { points: P[]; temporality: Temporality; monotonic: boolean } {
  const out = { points: [] as P[], temporality: 0 as Temporality, monotonic: false };
  const spec: Spec<typeof out> = {
    1: { name: "data_points", wire: LD, repeated: true, read: (r2, o) => o.points.push(point(r2, where)) },
    2: {
      name: "aggregation_temporality",
      wire: VARINT,
      read: (r2, o) => {
        const t = r2.int32();
        if (t !== 0 && t !== 1 && t !== 2) throw new ProtobufError(`${where}: unknown aggregation temporality ${t}`);
        o.temporality = t;
      },
    },
    3: { name: "is_monotonic", wire: VARINT, read: (r2, o) => (o.monotonic = r2.bool()) },
  };
  return nested(r, spec, out, where);
}

function metric(r: BinaryReader, where: string, scope: string): OtlpMetric {
  const m: OtlpMetric = { scope, name: "", description: "", unit: "", data: { kind: "none" } };
  const set = (data: OtlpData) => {
    if (m.data.kind !== "none") throw new ProtobufError(`${where}: a metric carries one kind of data`);
    m.data = data;
  };
  const spec: Spec<OtlpMetric> = {
    1: { name: "name", wire: LD, read: (r2, o) => (o.name = str(r2)) },
    2: { name: "description", wire: LD, read: (r2, o) => (o.description = str(r2)) },
    3: { name: "unit", wire: LD, read: (r2, o) => (o.unit = str(r2)) },
    5: {
      name: "gauge",
      wire: LD,
      read: (r2) => set({ kind: "gauge", points: dataOf(r2, `${where} gauge`, numberPoint).points }),
    },
    7: {
      name: "sum",
      wire: LD,
      read: (r2) => {
        const d = dataOf(r2, `${where} sum`, numberPoint);
        set({ kind: "sum", points: d.points, temporality: d.temporality, monotonic: d.monotonic });
      },
    },
    9: {
      name: "histogram",
      wire: LD,
      read: (r2) => {
        const d = dataOf(r2, `${where} histogram`, histogramPoint);
        set({ kind: "histogram", points: d.points, temporality: d.temporality });
      },
    },
    10: {
      name: "exponential_histogram",
      wire: LD,
      read: (r2) => {
        const d = dataOf(r2, `${where} exponential histogram`, exponentialPoint);
        set({ kind: "exponential_histogram", points: d.points, temporality: d.temporality });
      },
    },
    11: {
      name: "summary",
      wire: LD,
      read: (r2) => set({ kind: "summary", points: dataOf(r2, `${where} summary`, (r3) => r3.bytes()).points.length }),
    },
  };
  return nested(r, spec, m, where);
}

/** The resource metrics of an ExportMetricsServiceRequest, or a ProtobufError naming where it is malformed. */
export function decodeOtlpRequest(body: Uint8Array): OtlpResourceMetrics[] {
  const out: OtlpResourceMetrics[] = [];
  readMessage(
    body,
    {
      1: {
        name: "resource_metrics",
        wire: LD,
        repeated: true,
        read: (r) => {
          const where = `resource_metrics[${out.length}]`;
          const rm: OtlpResourceMetrics = { resource: [], metrics: [] };
          nested(
            r,
            {
              1: {
                name: "resource",
                wire: LD,
                read: (r2, o) => {
                  const resource = { attributes: [] as OtlpAttributes };
                  nested(r2, { 1: attributesField(`${where} resource`) }, resource, `${where} resource`);
                  o.resource = resource.attributes;
                },
              },
              2: {
                name: "scope_metrics",
                wire: LD,
                repeated: true,
                read: (r2, o) => {
                  const at = `${where} scope_metrics`;
                  const scope = { name: "" };
                  nested(
                    r2,
                    {
                      // InstrumentationScope: its name (field 1) identifies cumulative streams.
                      1: {
                        name: "scope",
                        wire: LD,
                        read: (r3) =>
                          nested(r3, { 1: { name: "name", wire: LD, read: (r4, x) => (x.name = str(r4)) } }, scope, at),
                      },
                      2: {
                        name: "metrics",
                        wire: LD,
                        repeated: true,
                        read: (r3) => o.metrics.push(metric(r3, `${at} metric ${o.metrics.length + 1}`, scope.name)),
                      },
                    },
                    {},
                    at,
                  );
                },
              },
            },
            rm,
            where,
          );
          out.push(rm);
        },
      },
    },
    {},
    "ExportMetricsServiceRequest",
    true,
  );
  return out;
}

/** An ExportMetricsServiceResponse: empty, or a partial success with the points rejected and why. */
export function encodeOtlpResponse(rejected: number, errorMessage: string): Uint8Array {
  const w = new BinaryWriter();
  if (rejected > 0 || errorMessage !== "") {
    w.tag(1, LD).fork();
    if (rejected > 0) w.tag(1, VARINT).int64(rejected);
    if (errorMessage !== "") w.tag(2, LD).string(errorMessage);
    w.join();
  }
  return w.finish();
}

/** A google.rpc.Status: the code (gRPC's numbering) and the message, as OTLP/HTTP errors carry it. */
export function encodeStatus(code: number, text: string): Uint8Array {
  return new BinaryWriter().tag(1, VARINT).int32(code).tag(2, LD).string(text).finish();
}
