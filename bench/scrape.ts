// Benchmark (e): the scrape. 100 families × 1,000 series in the metrics Worker, scraped as text 0.0.4, as
// OpenMetrics and as protobuf (what Prometheus asks for with native histograms), next to prom-client's `registry.metrics()` over the same series in this Node process; then
// 100 families × 10,000 series (1,000,000), scraped once, with the time to first byte, the time to the end, and the
// workerd process's peak memory while it streamed. And a sharded family's spread over its objects.

import { dirname } from "node:path";
import type { WorkerOptions } from "miniflare";
import client from "prom-client";
import { WebSocket } from "ws";
import { Counter, DurableObjectTransport, type FamilyPush, Registry } from "../lib/index.ts";
import { shardObjectName } from "../lib/protocol/names.ts";
import {
  bundle,
  COMPATIBILITY_DATE,
  familyObjects,
  familyStats,
  type RunningWorker,
  startMetricsWorker,
  tempDir,
} from "../test/blackbox/harness.ts";
import { freePort } from "../test/blackbox/ports.ts";

const OPENMETRICS = "application/openmetrics-text; version=1.0.0";
const PROTOBUF = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

export interface ScrapeRun {
  bytes: number;
  seconds: number;
  firstByteSeconds: number;
}

/** A 1,000,000-series scrape, with the V8 heap of the Worker isolate that served it. */
export interface MillionRun extends ScrapeRun {
  heapBaselineMb: number;
  heapPeakMb: number;
}

/** Scrapes once over HTTP, reading the body as it streams; returns its size and timings. */
function timedScrape(worker: RunningWorker, accept?: string): Promise<ScrapeRun> {
  return timedBody(() => fetch(new URL("/metrics", worker.url), accept ? { headers: { accept } } : {}));
}

/** Reads the body of the response `request` gives as it streams; returns its size and timings. */
async function timedBody(request: () => Promise<Response>): Promise<ScrapeRun> {
  const start = performance.now();
  const res = await request();
  if (res.status !== 200) throw new Error(`the scrape answered ${res.status}: ${await res.text()}`);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let bytes = 0;
  let firstByte = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (bytes === 0) firstByte = performance.now() - start;
    bytes += value.byteLength;
  }
  return { bytes, seconds: (performance.now() - start) / 1000, firstByteSeconds: firstByte / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The series of family `f`: `n` counters labelled like HTTP routes. */
function family(f: number, n: number, from = 0, count = n): FamilyPush {
  return {
    name: `scrape_family_${String(f).padStart(3, "0")}`,
    type: "counter",
    help: `Requests served by handler ${f}.`,
    labelNames: ["path", "code"],
    series: Array.from({ length: count }, (_, i) => ({
      labels: { path: `/api/v1/items/${from + i}`, code: i % 5 === 0 ? "500" : "200" },
      inc: from + i + 1,
    })),
  };
}

/** Fills the Worker with `families` families of `perFamily` series, straight through the family objects. */
async function fill(worker: RunningWorker, families: number, perFamily: number): Promise<void> {
  const namespace = await worker.mf.getDurableObjectNamespace("METRICS_FAMILY", "metrics");
  const step = 5_000;
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < families) {
        const f = next++;
        for (let from = 0; from < perFamily; from += step) {
          const part = family(f, perFamily, from, Math.min(step, perFamily - from));
          const stub = namespace.getByName(part.name) as unknown as {
            push(id: string, p: FamilyPush): Promise<{ status: string }>;
          };
          const outcome = await stub.push(`fill-${f}-${from}`, part);
          if (outcome.status !== "applied") throw new Error(`filling ${part.name}: ${JSON.stringify(outcome)}`);
        }
      }
    }),
  );
}

/** prom-client's metrics() over the same 100 × 1,000 series, median of `rounds`, in seconds. */
async function promClientMetrics(
  families: number,
  perFamily: number,
  rounds: number,
): Promise<{ seconds: number; bytes: number }> {
  const registry = new client.Registry();
  for (let f = 0; f < families; f++) {
    const { name, help, series } = family(f, perFamily);
    const counter = new client.Counter({
      name: `${name}_total`,
      help,
      labelNames: ["path", "code"],
      registers: [registry],
    });
    for (const s of series) counter.inc(s.labels, (s as { inc: number }).inc);
  }
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    const text = await registry.metrics();
    times.push((performance.now() - start) / 1000);
    bytes = Buffer.byteLength(text);
  }
  return { seconds: median(times), bytes };
}

/** Reads a Worker isolate's V8 heap through the inspector, as often as it can, while `work` runs. */
async function peakHeap(
  inspectorPort: number,
  workerName: string,
  work: () => Promise<void>,
): Promise<{ baselineMb: number; peakMb: number }> {
  const socket = new WebSocket(`ws://127.0.0.1:${inspectorPort}/core:user:${workerName}`);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let id = 0;
  const call = (method: string) =>
    new Promise<{ usedSize?: number }>((resolve) => {
      const mine = ++id;
      const onMessage = (data: Buffer) => {
        const message = JSON.parse(data.toString()) as { id?: number; result?: { usedSize?: number } };
        if (message.id !== mine) return;
        socket.off("message", onMessage);
        resolve(message.result ?? {});
      };
      socket.on("message", onMessage);
      socket.send(JSON.stringify({ id: mine, method }));
    });
  try {
    // (HeapProfiler.collectGarbage answers only once another message arrives: the baseline is taken as it is.)
    const baseline = (await call("Runtime.getHeapUsage")).usedSize ?? 0;
    let peak = baseline;
    let running = true;
    const sampling = (async () => {
      while (running) {
        peak = Math.max(peak, (await call("Runtime.getHeapUsage")).usedSize ?? 0);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await work();
    running = false;
    await sampling;
    return { baselineMb: baseline / 2 ** 20, peakMb: peak / 2 ** 20 };
  } finally {
    socket.close();
  }
}

export interface ScrapeBench {
  promClient: { seconds: number; bytes: number };
  text: ScrapeRun;
  openMetrics: ScrapeRun;
  protobuf: ScrapeRun;
  million?: MillionRun;
  requestsPerScrape: number;
  concurrent: ConcurrentRun;
  shardSpread: number[];
}

/** 100 scrapes at once: the object requests they made in all, whether every body was the same, and the time. */
export interface ConcurrentRun {
  scrapes: number;
  requests: number;
  identical: boolean;
  seconds: number;
}

/** Object requests of the catalog so far (its stats call is not counted). */
async function catalogRequests(worker: RunningWorker): Promise<number> {
  const namespace = await worker.mf.getDurableObjectNamespace("METRICS_CATALOG", "metrics");
  return (await (namespace.getByName("catalog") as unknown as { stats(): Promise<{ requests: number }> }).stats())
    .requests;
}

/**
 * A Worker that sends 100 scrapes at once to the metrics Worker through a service binding: inside workerd they
 * arrive together (from Node they would trickle in through the local HTTP proxy's connection limit), as a burst of
 * scrapers would in production. It answers how many distinct bodies came back.
 */
const BURST_WORKER: WorkerOptions = {
  name: "burst",
  modules: true,
  compatibilityDate: COMPATIBILITY_DATE,
  serviceBindings: { METRICS: "metrics" },
  script: `export default {
    async fetch(request, env) {
      const n = Number(new URL(request.url).searchParams.get("n"));
      const replies = await Promise.all(Array.from({ length: n }, () => env.METRICS.fetch("http://metrics.test/metrics")));
      const bodies = await Promise.all(replies.map((r) => r.text()));
      return Response.json({ scrapes: n, ok: replies.every((r) => r.status === 200), distinct: new Set(bodies).size });
    },
  };`,
};

/** 100 scrapes sent at once (single flight: one collection serves them all). */
async function concurrentScrapes(worker: RunningWorker, names: string[]): Promise<ConcurrentRun> {
  const before = (await familyStats(worker, names)).requests + (await catalogRequests(worker));
  const start = performance.now();
  const burst = await worker.mf.getWorker("burst");
  const reply = (await (await burst.fetch("http://burst.test/?n=100")).json()) as {
    scrapes: number;
    ok: boolean;
    distinct: number;
  };
  if (!reply.ok) throw new Error("a concurrent scrape failed");
  const seconds = (performance.now() - start) / 1000;
  const after = (await familyStats(worker, names)).requests + (await catalogRequests(worker));
  return { scrapes: reply.scrapes, requests: after - before, identical: reply.distinct === 1, seconds };
}

export async function scrapeBench(million: boolean): Promise<ScrapeBench> {
  const result: Partial<ScrapeBench> = {};
  result.promClient = await promClientMetrics(100, 1_000, 5);
  const worker = await startMetricsWorker({ persistDir: tempDir("pdc-scrape-"), others: [BURST_WORKER] });
  try {
    await fill(worker, 100, 1_000);
    await timedScrape(worker);
    const text: ScrapeRun[] = [];
    const om: ScrapeRun[] = [];
    const protobuf: ScrapeRun[] = [];
    for (let r = 0; r < 5; r++) {
      text.push(await timedScrape(worker));
      om.push(await timedScrape(worker, OPENMETRICS));
      protobuf.push(await timedScrape(worker, PROTOBUF));
    }
    const pick = (runs: ScrapeRun[]) => runs.find((x) => x.seconds === median(runs.map((y) => y.seconds))) as ScrapeRun;
    result.text = pick(text);
    result.openMetrics = pick(om);
    result.protobuf = pick(protobuf);
    const names = Array.from({ length: 100 }, (_, f) => family(f, 0).name);
    const before = await familyStats(worker, names);
    await timedScrape(worker);
    // Family pages read by one scrape, plus one request to the catalog.
    result.requestsPerScrape = (await familyStats(worker, names)).requests - before.requests + 1;
    result.concurrent = await concurrentScrapes(worker, names);
    result.shardSpread = await shardSpread(worker);
  } finally {
    await worker.stop();
  }
  if (million) result.million = await millionSeries();
  return result as ScrapeBench;
}

/** 1,000 flushes of a family with 8 shards, through the Durable Object transport: pushes per shard. */
async function shardSpread(worker: RunningWorker): Promise<number[]> {
  const namespace = await worker.mf.getDurableObjectNamespace("METRICS_FAMILY", "metrics");
  const registry = new Registry({ transport: new DurableObjectTransport(namespace) });
  const hits = new Counter({ name: "spread_hits_total", help: "Hits.", shards: 8, registers: [registry] });
  for (let i = 0; i < 1_000; i++) {
    hits.inc();
    await registry.flush();
  }
  const shards = Array.from({ length: 8 }, (_, k) => shardObjectName("spread_hits", k));
  return Promise.all(shards.map(async (name) => (await familyStats(worker, [name])).pushes));
}

/**
 * 100 × 10,000 series, scraped once through a Worker that holds no family object (its isolate is the scrape's alone,
 * as a Worker's is in production, where the objects live elsewhere), with that isolate's V8 heap sampled throughout.
 */
async function millionSeries(): Promise<MillionRun> {
  const inspectorPort = await freePort();
  const script = await bundle("worker/index.ts");
  const worker = await startMetricsWorker({
    persistDir: tempDir("pdc-scrape-1m-"),
    script,
    inspectorPort,
    others: [
      {
        name: "scraper",
        modules: true,
        modulesRoot: dirname(script),
        scriptPath: script,
        compatibilityDate: COMPATIBILITY_DATE,
        durableObjects: familyObjects("metrics"),
        bindings: { ALLOW_ANONYMOUS_SCRAPE: "true" },
      },
    ],
  });
  try {
    await fill(worker, 100, 10_000);
    const scraper = await worker.mf.getWorker("scraper");
    let run: ScrapeRun = { bytes: 0, seconds: 0, firstByteSeconds: 0 };
    const heap = await peakHeap(inspectorPort, "scraper", async () => {
      run = await timedBody(() => scraper.fetch("http://metrics.test/metrics") as unknown as Promise<Response>);
    });
    return { ...run, heapBaselineMb: heap.baselineMb, heapPeakMb: heap.peakMb };
  } finally {
    await worker.stop();
  }
}
