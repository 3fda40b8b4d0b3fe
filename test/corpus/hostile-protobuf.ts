// A corpus of malformed and hostile protobuf bodies (MetricFamily messages, length-delimited), built byte by byte
// here (not with the project's encoder), each with what the 400's message must say. Sent to the Pushgateway API by
// test/blackbox/hostile.test.ts and test/worker/pushgateway/protobuf.test.ts.

import { type Bytes, dbl, delimited, ld, sint, str, tag, uint, varint, zigzag } from "./protobuf-bytes.ts";

export interface HostileProtobuf {
  name: string;
  body: Uint8Array;
  message: RegExp;
}

// MetricFamily: 1 name, 2 help, 3 type, 4 metric. Metric: 1 label, 2 gauge, 3 counter, 4 summary, 5 untyped,
// 6 timestamp_ms, 7 histogram. Histogram: 1 count, 2 sum, 3 bucket, 5 schema, 6 zero threshold, 7 zero count,
// 12 positive span, 13 positive delta. Bucket: 1 cumulative count, 2 upper bound. Span: 1 offset, 2 length.
const COUNTER = 0;
const GAUGE = 1;
const HISTOGRAM = 4;
const family = (name: string, type: number, ...metrics: Bytes[]) => [
  ...str(1, name),
  ...str(2, "Help."),
  ...uint(3, type),
  ...metrics.flatMap((m) => ld(4, m)),
];
const label = (name: string, value: string) => ld(1, [...str(1, name), ...str(2, value)]);
const gauge = (v: number, ...labels: Bytes[]) => [...labels.flat(), ...ld(2, dbl(1, v))];
const counter = (v: number) => ld(3, dbl(1, v));
/** A native histogram of `count` observations: its spans and deltas as given. */
const native = (fields: {
  count: number;
  sum?: number;
  schema?: number;
  spans: number[][];
  deltas: number[];
  zero?: number;
}) =>
  ld(7, [
    ...uint(1, fields.count),
    ...dbl(2, fields.sum ?? 1),
    ...sint(5, fields.schema ?? 3),
    ...dbl(6, 2 ** -128),
    ...uint(7, fields.zero ?? 0),
    ...fields.spans.flatMap(([offset = 0, length = 0]) => ld(12, [...sint(1, offset), ...uint(2, length)])),
    ...ld(
      13,
      fields.deltas.flatMap((d) => varint(zigzag(d))),
    ),
  ]);

/** A valid gauge family, to put a bad message after. */
const GOOD = family("hp_ok", GAUGE, gauge(1));

const cases: [string, Uint8Array, RegExp][] = [
  ["a truncated length varint", new Uint8Array([0x80]), /message 1: (truncated|malformed varint)/],
  ["a length past the end", new Uint8Array([10, ...str(1, "x")]), /message 1: truncated/],
  ["an oversize length", new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]), /message 1: truncated/],
  ["a bad message after a good one", new Uint8Array([...delimited(GOOD), 0x05, 0x0a]), /message 2: truncated/],
  [
    "a nested length past its message",
    delimited([...str(1, "hp_a"), ...tag(4, 2), ...varint(50), 1, 2]),
    /message 1: field 4 \(metric\): truncated/,
  ],
  [
    "a truncated double",
    delimited([...str(1, "hp_a"), ...uint(3, GAUGE), ...tag(4, 2), 3, ...tag(2, 2), 1, ...tag(1, 1)]),
    /truncated/,
  ],
  [
    "a name sent as a varint",
    delimited([...uint(1, 5)]),
    /field 1 \(name\) has wire type varint, expected length-delimited/,
  ],
  [
    "a type sent as a string",
    delimited([...str(1, "hp_a"), ...str(3, "gauge")]),
    /field 3 \(type\) has wire type length-delimited, expected varint/,
  ],
  [
    "a gauge value sent as a varint",
    delimited(family("hp_a", GAUGE, ld(2, uint(1, 3)))),
    /gauge: field 1 \(value\) has wire type varint, expected 64-bit/,
  ],
  [
    "a group wire type",
    delimited([...str(1, "hp_a"), ...tag(4, 3), ...tag(4, 4)]),
    /field 4 \(metric\) has wire type start-group/,
  ],
  ["field number 0", delimited([0x02, 0x01, 0x41]), /message 1: malformed field tag/],
  ["an unknown field in MetricFamily", delimited([...GOOD, ...uint(9, 1)]), /message 1: unknown field 9/],
  [
    "an unknown field in Metric",
    delimited(family("hp_a", GAUGE, [...gauge(1), ...uint(12, 1)])),
    /metric 1: unknown field 12/,
  ],
  [
    "an unknown field in Histogram",
    delimited(family("hp_a", HISTOGRAM, ld(7, [...uint(1, 0), ...uint(30, 1)]))),
    /histogram: unknown field 30/,
  ],
  ["an unknown metric type", delimited(family("hp_a", 9, gauge(1))), /message 1: unknown metric type 9/],
  ["a name twice in one message", delimited([...GOOD, ...str(1, "hp_b")]), /field 1 \(name\) appears twice/],
  ["invalid UTF-8 in a name", delimited([...ld(1, [0x68, 0xff]), ...uint(3, GAUGE)]), /not valid UTF-8/],
  [
    "invalid UTF-8 in a label value",
    delimited(family("hp_a", GAUGE, gauge(1, ld(1, [...str(1, "k"), ...ld(2, [0xc3])])))),
    /not valid UTF-8/,
  ],
  [
    "a gauge value in a counter family",
    delimited(family("hp_a_total", COUNTER, gauge(1))),
    /carries a gauge value in a counter family/,
  ],
  [
    "a timestamp on a sample",
    delimited(family("hp_a", GAUGE, [...gauge(1), ...uint(6, 1_700_000_000_000)])),
    /timestamps are not accepted on pushed samples/,
  ],
  ["a gauge histogram", delimited(family("hp_a", 5, ld(7, uint(1, 0)))), /gauge histograms are not accepted/],
  [
    "a label twice in one metric",
    delimited(family("hp_a", GAUGE, gauge(1, label("k", "1"), label("k", "2")))),
    /the label "k" appears twice/,
  ],
  [
    "a histogram with an le label",
    delimited(family("hp_a", HISTOGRAM, [...label("le", "1"), ...native({ count: 0, spans: [], deltas: [] })])),
    /cannot have a label "le"/,
  ],
  ["a family twice in one push", delimited(GOOD, GOOD), /message 2 .*appears twice in this push/],
  [
    "spans covering more buckets than counts",
    delimited(family("hp_a", HISTOGRAM, native({ count: 1, spans: [[0, 3]], deltas: [1] }))),
    /the spans cover more buckets than the 1 counts/,
  ],
  [
    "counts beyond the spans",
    delimited(family("hp_a", HISTOGRAM, native({ count: 2, spans: [[0, 1]], deltas: [1, 0] }))),
    /the spans cover 1 buckets, but 2 counts follow/,
  ],
  [
    "deltas making a negative count",
    delimited(family("hp_a", HISTOGRAM, native({ count: 1, spans: [[0, 2]], deltas: [1, -2] }))),
    /the deltas make a count of -1/,
  ],
  [
    "a schema past 8",
    delimited(family("hp_a", HISTOGRAM, native({ count: 1, schema: 9, spans: [[0, 1]], deltas: [1] }))),
    /schema: must be an integer from -4 to 8, got 9/,
  ],
  [
    "native buckets holding other than the count",
    delimited(family("hp_a", HISTOGRAM, native({ count: 3, spans: [[0, 1]], deltas: [1] }))),
    /holds 1 observations, but the series counts 3/,
  ],
  [
    "a NaN sum",
    delimited(family("hp_a", HISTOGRAM, native({ count: 1, sum: Number.NaN, spans: [[0, 1]], deltas: [1] }))),
    /_sum must be a finite number, got NaN/,
  ],
  [
    "a NaN counter",
    delimited(family("hp_a_total", COUNTER, counter(Number.NaN))),
    /a counter's value must be a finite number, got NaN/,
  ],
  [
    "a float count that is not whole",
    delimited(family("hp_a", HISTOGRAM, ld(7, [...dbl(4, 1.5), ...dbl(2, 1)]))),
    /sample_count_float must be a whole number/,
  ],
  [
    "a count past 2^53",
    delimited(family("hp_a", HISTOGRAM, ld(7, [...uint(1, 2 ** 60), ...dbl(2, 1)]))),
    /beyond 2\^53/,
  ],
  ["an empty family name", delimited(family("", GAUGE, gauge(1))), /name/],
  ["a bad label name", delimited(family("hp_a", GAUGE, gauge(1, label("1bad", "v")))), /label/],
];

/** The corpus, each case named and with its expected message. */
export const HOSTILE_PROTOBUF: HostileProtobuf[] = cases.map(([name, body, message]) => ({ name, body, message }));
