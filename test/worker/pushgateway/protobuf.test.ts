// The protobuf delimited format inside workerd, both ways: a Pushgateway push in protobuf (what client_golang's push
// helper sends) lands as its text form would, native histograms included, and adds across pushes; a scrape that
// asks for protobuf gets MetricFamily messages with classic and native buckets. (A real Go pusher and a real
// Prometheus are in test/blackbox/native-histograms.test.ts.)

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { nativeIndex } from "../../../lib/protocol/native-histogram.ts";
import { DelimitedWriter, decodeDelimited, type ProtoFamily } from "../../../worker/protobuf/messages.ts";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";
import { HOSTILE_PROTOBUF } from "../../corpus/hostile-protobuf.ts";

const TOKEN = "test-push-token";
const PROTOBUF = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

function body(families: ProtoFamily[]): Uint8Array {
  const writer = new DelimitedWriter();
  for (const f of families) writer.family(f);
  return writer.finish();
}

function push(path: string, bytes: Uint8Array, method = "POST") {
  return exports.default.fetch(
    new Request(`http://metrics.test/metrics/${path}`, {
      method,
      body: bytes,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": PROTOBUF },
    }),
  );
}

async function stored(family: string) {
  return (await collectFamilies(env)).find((f) => f.name === family);
}

/** A Go-style native histogram message of `values` at schema 3 (positive values only), with classic `bounds`. */
function histogramOf(values: number[], bounds: number[]) {
  const byIndex = new Map<number, number>();
  for (const v of values) byIndex.set(nativeIndex(v, 3), (byIndex.get(nativeIndex(v, 3)) ?? 0) + 1);
  const indexes = [...byIndex.keys()].sort((a, b) => a - b);
  const spans: number[][] = [];
  let next = 0;
  for (const i of indexes) {
    const last = spans.at(-1);
    if (last && i === next) (last[1] as number)++;
    else spans.push([i - next, 1]);
    next = i + 1;
  }
  return {
    sampleCount: values.length,
    sampleSum: values.reduce((a, b) => a + b, 0),
    buckets: bounds.map((upperBound) => ({
      cumulativeCount: values.filter((v) => v <= upperBound).length,
      upperBound,
    })),
    native: {
      schema: 3,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positiveSpans: spans,
      positiveCounts: indexes.map((i) => byIndex.get(i) as number),
      negativeSpans: [],
      negativeCounts: [],
    },
  };
}

describe("protobuf pushes and scrapes", () => {
  it("a protobuf push lands as its text form would, and a second one adds", async () => {
    const families: ProtoFamily[] = [
      {
        name: "pb_jobs_total",
        help: "Jobs.",
        type: "counter",
        metrics: [{ labels: [["kind", "a"]], counter: { value: 3 } }],
      },
      { name: "pb_depth", help: "Depth.", type: "gauge", metrics: [{ labels: [], gauge: 7 }] },
      {
        name: "pb_seconds",
        help: "Latency.",
        type: "histogram",
        metrics: [{ labels: [], histogram: histogramOf([0.2, 0.7, 3], [0.5, 1]) }],
      },
      {
        name: "pb_size",
        help: "Size.",
        type: "summary",
        metrics: [{ labels: [], summary: { sampleCount: 2, sampleSum: 9, quantiles: [[0.5, 4]] } }],
      },
    ];
    for (let i = 0; i < 2; i++) expect((await push("job/pb/instance/i1", body(families))).status).toBe(200);
    expect((await stored("pb_jobs"))?.series.map((s) => [s.labels, s.value])).toEqual([
      [{ instance: "i1", job: "pb", kind: "a" }, 6],
    ]);
    expect((await stored("pb_depth"))?.series[0]?.value).toBe(7);
    const histogram = await stored("pb_seconds");
    expect(histogram?.native).toMatchObject({ schema: 3 });
    expect(histogram?.series[0]).toMatchObject({ counts: [2, 2, 2], sum: 7.8 });
    const expected = [0.2, 0.7, 3]
      .map((v) => [nativeIndex(v, 3), 2])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(histogram?.series[0]?.native).toEqual({
      schema: 3,
      zeroThreshold: 2 ** -128,
      zeroCount: 0,
      positive: expected,
      negative: [],
    });
    expect((await stored("pb_size"))?.series[0]).toMatchObject({ count: 4, sum: 18 });
  });

  it("a scrape that asks for protobuf gets MetricFamily messages, native buckets as spans", async () => {
    const families: ProtoFamily[] = [
      {
        name: "pbs_seconds",
        help: "Latency.",
        type: "histogram",
        metrics: [{ labels: [], histogram: histogramOf([1, 1.05, 100], [10]) }],
      },
      { name: "pbs_done_total", help: "Done.", type: "counter", metrics: [{ labels: [], counter: { value: 2 } }] },
    ];
    expect((await push("job/pbs", body(families))).status).toBe(200);
    const res = await exports.default.fetch(
      new Request("http://metrics.test/metrics", {
        headers: { accept: `${PROTOBUF};q=0.7,text/plain;version=0.0.4;q=0.3` },
      }),
    );
    expect(res.headers.get("content-type")).toBe(PROTOBUF);
    const scraped = decodeDelimited(new Uint8Array(await res.arrayBuffer()));
    const histogram = scraped.find((f) => f.name === "pbs_seconds");
    expect(histogram?.type).toBe("histogram");
    const h = histogram?.metrics[0]?.histogram;
    expect(h?.sampleCount).toBe(3);
    expect(h?.buckets).toEqual([{ cumulativeCount: 2, upperBound: 10 }]);
    // 1 and 1.05 share bucket 0 and 1 (schema 3: (1, 1.09]); 100 is bucket 54: spans [0,2] and [52,1].
    expect([nativeIndex(1, 3), nativeIndex(1.05, 3), nativeIndex(100, 3)]).toEqual([0, 1, 54]);
    expect(h?.native).toMatchObject({
      schema: 3,
      positiveSpans: [
        [0, 2],
        [52, 1],
      ],
      positiveCounts: [1, 1, 1],
    });
    expect(scraped.find((f) => f.name === "pbs_done_total")?.metrics[0]?.counter?.value).toBe(2);
    expect(scraped.some((f) => f.name.startsWith("pdc_"))).toBe(true);
  });

  it("the hostile corpus has a case for each way a body can be malformed", () => {
    expect(HOSTILE_PROTOBUF.length).toBeGreaterThanOrEqual(30);
    expect(new Set(HOSTILE_PROTOBUF.map((c) => c.name)).size).toBe(HOSTILE_PROTOBUF.length);
  });

  it.each(HOSTILE_PROTOBUF)("refuses $name with a 400 naming it, storing nothing", async ({ body: bytes, message }) => {
    const res = await push("job/hostile-pb", bytes);
    const { error } = (await res.json()) as { error: string };
    expect([res.status, error]).toEqual([400, expect.stringMatching(message)]);
    expect((await collectFamilies(env)).filter((f) => f.name.startsWith("hp_"))).toEqual([]);
  });
});
