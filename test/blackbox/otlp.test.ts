// OTLP/HTTP ingest against the real OpenTelemetry JS SDK: 50 concurrent short-lived producer processes (the SDK's
// OTLP exporters, half JSON, half protobuf, delta temporality) export counters, up-down counters, explicit and
// exponential histograms; the scrape holds their exact sums and the native buckets computed from the raw values.
// An export sent again (an exporter's retry after a lost reply) counts once. With cumulative temporality (50 more
// producers, each exporting twice), each export adds what its totals grew: stale exports add nothing, restarts count
// anew.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeDelimited } from "../../worker/protobuf/messages.ts";
import { bucketByDefinition } from "../fixtures/native-buckets.ts";
import { PUSH_TOKEN, type RunningWorker, sampleValue, startMetricsWorker, tempDir } from "./harness.ts";

const PRODUCERS = 50;
const COUNT = 10;
const PROTOBUF = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
const durations = Array.from({ length: PRODUCERS }, (_, n) =>
  Array.from({ length: COUNT }, (_, j) => ((n + 1) * (j + 1)) / 100),
).flat();
const sizes = Array.from({ length: PRODUCERS }, (_, n) =>
  Array.from({ length: COUNT }, (_, j) => 100 * (n + 1) + j),
).flat();

describe("OTLP ingest from the OpenTelemetry JS SDK (black box)", () => {
  let worker: RunningWorker;
  let producer: string;
  const run = (args: string[]) =>
    new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [producer, worker.url.origin, PUSH_TOKEN, ...args]);
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("close", (code) => resolve(code === 0 ? out : `exit ${code}: ${out}`));
    });

  beforeAll(async () => {
    producer = join(process.cwd(), "node_modules", ".cache", "pdc", "otel-producer.mjs");
    await build({
      entryPoints: ["test/fixtures/otel-producer.ts"],
      bundle: true,
      packages: "external",
      platform: "node",
      format: "esm",
      outfile: producer,
      logLevel: "error",
    });
    worker = await startMetricsWorker({ persistDir: tempDir("pdc-otlp-") });
    const outputs = await Promise.all(
      Array.from({ length: PRODUCERS }, (_, n) =>
        run([n % 2 === 0 ? "json" : "proto", "delta", String(n), String(COUNT)]),
      ),
    );
    // The exporter logs nothing when every export succeeded.
    expect(outputs.filter((o) => o !== "")).toEqual([]);
  }, 180_000);
  afterAll(async () => worker?.stop());

  it("adds up 50 producers' delta exports exactly: counters, up-down counters, explicit histograms", async () => {
    const text = await worker.scrape();
    for (const method of ["card", "wallet"])
      expect(sampleValue(text, `checkout_orders_total{job="shop/checkout",payment_method="${method}"}`)).toBe(
        (PRODUCERS * COUNT) / 2,
      );
    expect(sampleValue(text, 'checkout_inflight{job="shop/checkout"}')).toBe(0);
    for (const le of [0.1, 0.5, 1, 5])
      expect(sampleValue(text, `checkout_duration_seconds_bucket{job="shop/checkout",le="${le}"}`)).toBe(
        durations.filter((v) => v <= le).length,
      );
    expect(sampleValue(text, 'checkout_duration_seconds_count{job="shop/checkout"}')).toBe(durations.length);
    expect(sampleValue(text, 'checkout_duration_seconds_sum{job="shop/checkout"}')).toBeCloseTo(
      durations.reduce((a, b) => a + b, 0),
      6,
    );
  });

  it("merges the exponential histograms exactly into a native one (the coarsest producer's scale)", async () => {
    const res = await fetch(new URL("/metrics", worker.url), { headers: { accept: PROTOBUF } });
    const h = decodeDelimited(new Uint8Array(await res.arrayBuffer())).find(
      (f) => f.name === "checkout_payload_size_bytes",
    )?.metrics[0]?.histogram;
    expect(h?.sampleCount).toBe(sizes.length);
    expect(h?.sampleSum).toBe(sizes.reduce((a, b) => a + b, 0));
    const schema = h?.native?.schema as number;
    const got = new Map<number, number>();
    let index = 0;
    let k = 0;
    for (const [offset = 0, length = 0] of h?.native?.positiveSpans ?? []) {
      index += offset;
      for (let i = 0; i < length; i++) got.set(index++, h?.native?.positiveCounts[k++] as number);
    }
    const expected = new Map<number, number>();
    for (const v of sizes)
      expected.set(bucketByDefinition(v, schema), (expected.get(bucketByDefinition(v, schema)) ?? 0) + 1);
    const sorted = (m: Map<number, number>) => [...m].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
    expect(sorted(got)).toEqual(sorted(expected));
  });

  it("counts an export sent twice (a retry after a lost reply) once, and takes gzip", async () => {
    const body = JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "retry" } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: "retried.exports",
                  sum: {
                    aggregationTemporality: 1,
                    isMonotonic: true,
                    dataPoints: [{ asInt: "7", timeUnixNano: "1796000000000000000" }],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const send = () =>
      fetch(new URL("/v1/metrics", worker.url), {
        method: "POST",
        headers: { authorization: `Bearer ${PUSH_TOKEN}`, "content-type": "application/json" },
        body,
      });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    expect(sampleValue(await worker.scrape(), 'retried_exports_total{job="retry"}')).toBe(7);
    // A later export of the same point, gzipped: an export of its own, it adds (once).
    const gzipped = await fetch(new URL("/v1/metrics", worker.url), {
      method: "POST",
      headers: {
        authorization: `Bearer ${PUSH_TOKEN}`,
        "content-type": "application/json",
        "content-encoding": "gzip",
      },
      body: gzipSync(body.replace("1796000000000000000", "1796000000000000001")),
    });
    expect([gzipped.status, await gzipped.json()]).toEqual([200, {}]);
    expect(sampleValue(await worker.scrape(), 'retried_exports_total{job="retry"}')).toBe(14);
  });

  it("adds up 50 producers' cumulative exports exactly: each export adds what its totals grew", async () => {
    const outputs = await Promise.all(
      Array.from({ length: PRODUCERS }, (_, n) =>
        run([n % 2 === 0 ? "proto" : "json", "cumulative", String(n), String(COUNT)]),
      ),
    );
    expect(outputs.filter((o) => o !== "")).toEqual([]);
    const text = await worker.scrape();
    // Two exports each, the second's totals twice the first's: 2 × COUNT per producer in all.
    for (const method of ["card", "wallet"])
      expect(
        sampleValue(text, `checkout_orders_total{job="shop/checkout-cumulative",payment_method="${method}"}`),
      ).toBe(PRODUCERS * COUNT);
    for (const le of [0.1, 0.5, 1, 5])
      expect(sampleValue(text, `checkout_duration_seconds_bucket{job="shop/checkout-cumulative",le="${le}"}`)).toBe(
        2 * durations.filter((v) => v <= le).length,
      );
    expect(sampleValue(text, 'checkout_payload_size_bytes_count{job="shop/checkout-cumulative"}')).toBe(
      2 * sizes.length,
    );
  });

  it("counts a cumulative stream's growth once: a stale export adds nothing, a restart counts anew", async () => {
    const exportOf = (total: number, start: string, time: string, order: "ab" | "ba" = "ab") => {
      const attributes = [
        { key: "a", value: { stringValue: "1" } },
        { key: "b", value: { stringValue: "2" } },
      ];
      return JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "streams" } }] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: "stream.total",
                    sum: {
                      aggregationTemporality: 2,
                      isMonotonic: true,
                      dataPoints: [
                        {
                          asInt: String(total),
                          startTimeUnixNano: start,
                          timeUnixNano: time,
                          attributes: order === "ab" ? attributes : [...attributes].reverse(),
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      });
    };
    const send = async (body: string) => {
      const res = await fetch(new URL("/v1/metrics", worker.url), {
        method: "POST",
        headers: { authorization: `Bearer ${PUSH_TOKEN}`, "content-type": "application/json" },
        body,
      });
      expect(await res.json()).toEqual({});
    };
    const total = async () => sampleValue(await worker.scrape(), 'stream_total{a="1",b="2",job="streams"}');
    await send(exportOf(5, "100", "200"));
    await send(exportOf(8, "100", "300"));
    expect(await total()).toBe(8);
    // The first export again, its bytes otherwise (not a replay by push id): older than the stream's mark, it adds nothing.
    await send(exportOf(5, "100", "200", "ba"));
    expect(await total()).toBe(8);
    // The process restarted (a new start time): its total counts from zero.
    await send(exportOf(2, "400", "500"));
    expect(await total()).toBe(10);
    // A total lower than the mark under the same start is a reset too.
    await send(exportOf(1, "400", "600"));
    expect(await total()).toBe(11);
  });
});
