// A corpus of malformed and hostile OTLP/HTTP metric exports, protobuf bodies built byte by byte here (not with the
// project's encoder) and JSON ones, each with the status and what the reply must say: a 400 (or 413, 415) changes
// nothing; a 200 with a partial success leaves out the points it names. Sent by test/blackbox/hostile.test.ts.

import { type Bytes, fixed64, ld, str, tag } from "./protobuf-bytes.ts";

export interface HostileOtlp {
  name: string;
  contentType: string;
  body: Uint8Array | string;
  status: number;
  /** What the error (or the partial success' message) must say. */
  message: RegExp;
  /** Points a partial success rejects. */
  rejected?: number;
}

/** ExportMetricsServiceRequest { resource_metrics { scope_metrics { metrics: [metric] } } }. */
const request = (...metrics: Bytes[]) =>
  new Uint8Array(
    ld(
      1,
      ld(
        2,
        metrics.flatMap((m) => ld(2, m)),
      ),
    ),
  );

const PROTO = "application/x-protobuf";
const JSON_TYPE = "application/json";
/** An OTLP/JSON export of `metrics`. */
const json = (...metrics: unknown[]) => JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics }] }] });
const deltaSum = (name: string, point: unknown) => ({
  name,
  sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [point] },
});
const attributes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: `attr.${i}`, value: { stringValue: "v" } }));

export const HOSTILE_OTLP: HostileOtlp[] = [
  // Malformed protobuf: 400, nothing applied.
  {
    name: "a truncated message",
    contentType: PROTO,
    body: new Uint8Array([0x0a, 0x05, 0x12]),
    status: 400,
    message: /protobuf body: .*truncated/,
  },
  {
    name: "an oversize length",
    contentType: PROTO,
    body: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1]),
    status: 400,
    message: /truncated/,
  },
  {
    name: "resource metrics as a varint",
    contentType: PROTO,
    body: new Uint8Array(tag(1, 0).concat(1)),
    status: 400,
    message: /field 1 \(resource_metrics\) has wire type varint, expected length-delimited/,
  },
  {
    name: "a malformed varint",
    contentType: PROTO,
    body: request([...str(1, "c"), ...ld(7, [...tag(2, 0), ...Array.from({ length: 10 }, () => 0xff), 0x01])]),
    status: 400,
    message: /malformed varint/,
  },
  {
    name: "invalid UTF-8 in a metric name",
    contentType: PROTO,
    body: request(ld(1, [0x63, 0xff])),
    status: 400,
    message: /not valid UTF-8/,
  },
  {
    name: "an unknown aggregation temporality",
    contentType: PROTO,
    body: request([...str(1, "c"), ...ld(7, [...tag(2, 0), 7])]),
    status: 400,
    message: /unknown aggregation temporality 7/,
  },
  {
    name: "a metric with two kinds of data",
    contentType: PROTO,
    body: request([...str(1, "c"), ...ld(5, []), ...ld(7, [])]),
    status: 400,
    message: /a metric carries one kind of data/,
  },
  {
    name: "a count past 2^53",
    contentType: PROTO,
    body: request([...str(1, "h"), ...ld(9, [...tag(2, 0), 1, ...ld(1, fixed64(4, 2 ** 60))])]),
    status: 400,
    message: /beyond 2\^53/,
  },
  // Malformed JSON: 400, nothing applied.
  { name: "a body that is not JSON", contentType: JSON_TYPE, body: "{", status: 400, message: /not valid JSON/ },
  {
    name: "an array for the request",
    contentType: JSON_TYPE,
    body: "[]",
    status: 400,
    message: /ExportMetricsServiceRequest/,
  },
  {
    name: "resourceMetrics that is no array",
    contentType: JSON_TYPE,
    body: '{"resourceMetrics":{}}',
    status: 400,
    message: /resourceMetrics: must be an array/,
  },
  {
    name: "asInt that is no number",
    contentType: JSON_TYPE,
    body: json(deltaSum("c", { asInt: "abc" })),
    status: 400,
    message: /asInt: must be a whole number/,
  },
  {
    name: "isMonotonic that is no boolean",
    contentType: JSON_TYPE,
    body: json({ name: "c", sum: { isMonotonic: "yes" } }),
    status: 400,
    message: /isMonotonic: must be true or false/,
  },
  {
    name: "a time that is no number",
    contentType: JSON_TYPE,
    body: json(deltaSum("c", { asInt: "1", timeUnixNano: "soon" })),
    status: 400,
    message: /timeUnixNano: must be a time in nanoseconds/,
  },
  {
    name: "an unknown temporality name",
    contentType: JSON_TYPE,
    body: json({ name: "c", sum: { aggregationTemporality: "SOMETIMES" } }),
    status: 400,
    message: /aggregationTemporality: must be an aggregation temporality/,
  },
  {
    name: "an unsupported content type",
    contentType: "text/plain",
    body: "c 1",
    status: 415,
    message: /content-type must be application\/x-protobuf or application\/json/,
  },
  // What the push's check refuses: 400 for the whole export.
  {
    name: "33 attributes",
    contentType: JSON_TYPE,
    body: json(deltaSum("c", { asInt: "1", attributes: attributes(33) })),
    status: 400,
    message: /over the limit of 32/,
  },
  {
    name: "a 2,000-character attribute value",
    contentType: JSON_TYPE,
    body: json(deltaSum("c", { asInt: "1", attributes: [{ key: "k", value: { stringValue: "v".repeat(2000) } }] })),
    status: 400,
    message: /over the limit of 1024/,
  },
  {
    name: "a 300-character metric name",
    contentType: JSON_TYPE,
    body: json(deltaSum("c".repeat(300), { asInt: "1" })),
    status: 400,
    message: /name/,
  },
  // Points left out, named in a partial success; the rest of the export is applied.
  {
    name: "NaN in a sum",
    contentType: JSON_TYPE,
    body: json(deltaSum("hostile_nan", { asDouble: "NaN" })),
    status: 200,
    rejected: 1,
    message: /a value must be a finite number, got NaN/,
  },
  {
    name: "a monotonic sum going down",
    contentType: JSON_TYPE,
    body: json(deltaSum("hostile_down", { asDouble: -3 })),
    status: 200,
    rejected: 1,
    message: /a monotonic sum cannot add -3/,
  },
  {
    name: "a summary",
    contentType: JSON_TYPE,
    body: json({ name: "s", summary: { dataPoints: [{}, {}] } }),
    status: 200,
    rejected: 2,
    message: /summaries are not accepted/,
  },
  {
    name: "exponential buckets that miss the count",
    contentType: JSON_TYPE,
    body: json({
      name: "e",
      exponentialHistogram: {
        aggregationTemporality: 1,
        dataPoints: [{ count: "5", scale: 2, positive: { offset: 0, bucketCounts: ["1"] } }],
      },
    }),
    status: 200,
    rejected: 1,
    message: /holds 1 observations but counts 5/,
  },
  {
    name: "a scale below -4",
    contentType: JSON_TYPE,
    body: json({
      name: "e",
      exponentialHistogram: { aggregationTemporality: 1, dataPoints: [{ count: "0", scale: -5 }] },
    }),
    status: 200,
    rejected: 1,
    message: /scale must be at least -4, got -5/,
  },
  {
    name: "bucket counts that miss the count",
    contentType: JSON_TYPE,
    body: json({
      name: "h",
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [{ count: "3", bucketCounts: ["1", "1"], explicitBounds: [1] }],
      },
    }),
    status: 200,
    rejected: 1,
    message: /do not add up to its count/,
  },
  {
    name: "a metric of an unknown type",
    contentType: JSON_TYPE,
    body: json({ name: "future", sketch: { dataPoints: [{}] } }),
    status: 200,
    rejected: 1,
    message: /no data of a kind this endpoint knows/,
  },
];
