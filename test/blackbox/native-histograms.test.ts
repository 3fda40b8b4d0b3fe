// Native histograms and the protobuf format against the real counterparts: 50 concurrent Go batch jobs built with
// client_golang's push helper (protobuf delimited, its default) push counters, gauges, classic and native
// histograms to the Pushgateway API, and the scrape holds their exact sums; this library's own native histogram
// arrives over HTTP (JSON); a real Prometheus with native histograms enabled scrapes the Worker in protobuf, and
// histogram_count, histogram_sum and histogram_quantile agree with what the raw observations say. Skipped, visibly,
// where Go or Prometheus are not installed (.ci/run installs them).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Counter, Histogram, HttpTransport, Registry } from "../../lib/index.ts";
import { decodeDelimited } from "../../worker/protobuf/messages.ts";
import { bucketByDefinition } from "../fixtures/native-buckets.ts";
import {
  PUSH_TOKEN,
  type RunningWorker,
  sampleValue,
  startMetricsWorker,
  startPrometheus,
  tempDir,
  waitFor,
} from "./harness.ts";

const GOPATH = "/usr/share/gocode";
const hasGo =
  spawnSync("go", ["version"], { stdio: "ignore" }).status === 0 &&
  existsSync(join(GOPATH, "src/github.com/prometheus/client_golang/prometheus/push"));
const hasPrometheus = spawnSync("prometheus", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasGo && process.env.PDC_REQUIRE_GO === "1")
  throw new Error(
    "PDC_REQUIRE_GO=1 but go or client_golang are missing (golang-go golang-github-prometheus-client-golang-dev)",
  );
if (!hasGo)
  console.warn(
    "\n*** SKIPPING the Go pushers: no go / client_golang (apt-get install golang-go golang-github-prometheus-client-golang-dev) ***\n",
  );
if (!hasPrometheus && process.env.PDC_REQUIRE_PROMETHEUS === "1")
  throw new Error("PDC_REQUIRE_PROMETHEUS=1 but prometheus is not installed");

const PROTOBUF = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
const PUSHERS = 50;
const OBSERVATIONS = 20;
/** What Go pusher n observes j-th (test/fixtures/go-pusher/main.go computes the same). */
const observation = (n: number, j: number) => (n + 1) * (j + 1) * 0.0125;
const goValues = Array.from({ length: PUSHERS }, (_, n) =>
  Array.from({ length: OBSERVATIONS }, (_, j) => observation(n, j)),
).flat();
/** What this library's producer observes: four decades, log-uniform. */
const jsValues = Array.from({ length: 400 }, (_, i) => 0.001 * 10 ** ((i * 4) / 400));

/** The q-quantile of `values` as a rank: the smallest value with at least q·n values at or below it. */
function rankQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

describe.skipIf(!hasGo)("Go pushers and native histograms (black box)", () => {
  let worker: RunningWorker;

  beforeAll(async () => {
    const cache = join(process.cwd(), "node_modules", ".cache", "pdc");
    mkdirSync(cache, { recursive: true });
    const binary = join(cache, "go-pusher");
    const build = spawnSync("go", ["build", "-o", binary, "."], {
      cwd: join(process.cwd(), "test/fixtures/go-pusher"),
      env: { ...process.env, GO111MODULE: "off", GOPATH, GOCACHE: join(cache, "gocache"), GOFLAGS: "" },
      encoding: "utf8",
    });
    expect(build.stderr + build.stdout).toBe("");
    worker = await startMetricsWorker({ persistDir: tempDir("pdc-native-") });
    // 50 batch jobs at once, each pushing once to the same group.
    const runs = Array.from(
      { length: PUSHERS },
      (_, n) =>
        new Promise<string>((resolve) => {
          const child = spawn(binary, [worker.url.origin, PUSH_TOKEN, String(n), String(OBSERVATIONS)]);
          let out = "";
          child.stderr.on("data", (d: Buffer) => (out += d.toString()));
          child.on("close", (code) => resolve(code === 0 ? "" : `pusher ${n}: exit ${code} ${out}`));
        }),
    );
    expect((await Promise.all(runs)).filter(Boolean)).toEqual([]);
    // This library's native histogram, flushed over HTTP (the JSON push).
    const registry = new Registry({
      transport: new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN }),
    });
    const latency = new Histogram({ name: "js_native_seconds", help: "Latency.", native: true, registers: [registry] });
    for (const v of jsValues) latency.observe(v);
    // A family of 2,500 series: the scrape reads it in pages, which protobuf carries as several messages of one name.
    const paged = new Counter({ name: "js_paged", help: "Paged.", labelNames: ["id"], registers: [registry] });
    for (let i = 0; i < 2_500; i++) paged.inc({ id: String(i) }, i % 7);
    expect(await registry.flush()).toMatchObject({ rejected: 0, retained: 0 });
  }, 180_000);
  afterAll(async () => worker?.stop());

  it("holds the exact sums of 50 concurrent Go pushers: counters, gauges, classic buckets", async () => {
    const text = await worker.scrape();
    expect(sampleValue(text, 'go_records_processed_total{instance="",job="go-batch",kind="ok"}')).toBe(
      PUSHERS * OBSERVATIONS,
    );
    expect(sampleValue(text, 'go_records_processed_total{instance="",job="go-batch",kind="retried"}')).toBe(
      (PUSHERS * (PUSHERS - 1)) / 2,
    );
    for (const n of [0, 17, 49])
      expect(sampleValue(text, `go_last_batch_size{instance="",job="go-batch",pusher="${n}"}`)).toBe(OBSERVATIONS);
    for (const le of [0.1, 1, 10])
      expect(sampleValue(text, `go_classic_seconds_bucket{instance="",job="go-batch",le="${le}"}`)).toBe(
        goValues.filter((v) => v <= le).length,
      );
    expect(sampleValue(text, 'go_classic_seconds_count{instance="",job="go-batch"}')).toBe(goValues.length);
    expect(sampleValue(text, 'go_classic_seconds_sum{instance="",job="go-batch"}')).toBeCloseTo(
      goValues.reduce((a, b) => a + b, 0),
      6,
    );
    // A native-only histogram shows its count in the text formats; one with both shows its classic buckets.
    expect(sampleValue(text, 'go_native_seconds_bucket{instance="",job="go-batch",le="+Inf"}')).toBe(goValues.length);
    expect(sampleValue(text, 'go_both_seconds_bucket{instance="",job="go-batch",le="0.5"}')).toBe(
      goValues.filter((v) => v <= 0.5).length,
    );
  });

  it("holds the Go pushers' native buckets exactly, as the protobuf scrape shows them", async () => {
    const res = await fetch(new URL("/metrics", worker.url), { headers: { accept: PROTOBUF } });
    expect(res.headers.get("content-type")).toContain("application/vnd.google.protobuf");
    const families = decodeDelimited(new Uint8Array(await res.arrayBuffer()));
    for (const name of ["go_native_seconds", "go_both_seconds"]) {
      const h = families.find((f) => f.name === name)?.metrics[0]?.histogram;
      expect(h?.sampleCount).toBe(goValues.length);
      const native = h?.native;
      expect(native?.schema).toBe(3);
      // Every bucket with its count, from the spans, against the buckets computed from the raw observations.
      const got = new Map<number, number>();
      let index = 0;
      let k = 0;
      for (const [offset = 0, length = 0] of native?.positiveSpans ?? []) {
        index += offset;
        for (let i = 0; i < length; i++) got.set(index++, native?.positiveCounts[k++] as number);
      }
      const expected = new Map<number, number>();
      for (const v of goValues)
        expected.set(bucketByDefinition(v, 3), (expected.get(bucketByDefinition(v, 3)) ?? 0) + 1);
      expect([...got].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0])).toEqual(
        [...expected].sort((a, b) => a[0] - b[0]),
      );
    }
  });

  it.skipIf(!hasPrometheus)(
    "is scraped in protobuf by a real Prometheus with native histograms: count, sum and quantiles agree",
    async () => {
      const prometheus = await startPrometheus(worker.url, ["--enable-feature=native-histograms"]);
      const query = async (q: string) => {
        const value = await prometheus.query(q);
        return value === undefined ? undefined : Number(value);
      };
      try {
        await waitFor(
          async () => (await query("histogram_count(go_native_seconds)")) !== undefined,
          60_000,
          "a native histogram in Prometheus",
        );
        expect(await query('go_records_processed_total{kind="ok"}')).toBe(PUSHERS * OBSERVATIONS);
        // The paged family, read from several MetricFamily messages of one name, arrives whole. Declared without
        // _total, it is named so in protobuf (as client_golang names such a counter).
        await waitFor(async () => (await query("count(js_paged)")) === 2_500, 30_000, "every page of js_paged");
        expect(await query("sum(js_paged)")).toBe(
          Array.from({ length: 2_500 }, (_, i) => i % 7).reduce((a, b) => a + b, 0),
        );
        for (const [name, values] of [
          ["go_native_seconds", goValues],
          ["go_both_seconds", goValues],
          ["js_native_seconds", jsValues],
        ] as const) {
          expect(await query(`histogram_count(${name})`)).toBe(values.length);
          const sum = values.reduce((a, b) => a + b, 0);
          expect(Math.abs(((await query(`histogram_sum(${name})`)) as number) - sum) / sum).toBeLessThan(1e-9);
          // Schema 3: a bucket's bounds are 2^(1/8) apart, so an estimate inside the right bucket is within 9.05%.
          for (const q of [0.5, 0.9, 0.99]) {
            const estimate = (await query(`histogram_quantile(${q}, ${name})`)) as number;
            const exact = rankQuantile([...values], q);
            expect(Math.abs(estimate - exact) / exact, `${name} q=${q}: ${estimate} vs ${exact}`).toBeLessThan(
              2 ** (1 / 8) - 1,
            );
          }
        }
      } finally {
        prometheus.stop();
      }
    },
  );
});
