// Remote-write out, against a real receiver: Debian's Prometheus with its remote-write receiver takes what the
// Worker sends (an export on demand, then on the exporter's alarm), and its values match the scrape. Against a
// scripted receiver: 5xx and 429 are sent again with backoff, a 4xx is not, and the Worker's own metrics count what
// was sent and what failed.

import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Counter, Gauge, Histogram, HttpTransport, Registry } from "../../lib/index.ts";
import {
  PUSH_TOKEN,
  type RunningPrometheus,
  type RunningWorker,
  sampleValue,
  startMetricsWorker,
  startPrometheus,
  tempDir,
  waitFor,
} from "./harness.ts";
import { freePort } from "./ports.ts";

const hasPrometheus = spawnSync("prometheus", ["--version"], { stdio: "ignore" }).status === 0;
const ADMIN_TOKEN = "remote-write-admin";

async function fill(worker: RunningWorker, orders: number) {
  const registry = new Registry({
    transport: new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN }),
  });
  const placed = new Counter({ name: "rw_orders", help: "Orders.", labelNames: ["region"], registers: [registry] });
  const depth = new Gauge({ name: "rw_queue_depth", help: "Queue depth.", registers: [registry] });
  const latency = new Histogram({ name: "rw_seconds", help: "Latency.", buckets: [0.1, 1], registers: [registry] });
  placed.inc({ region: "eu" }, orders);
  depth.set(orders * 2);
  for (const v of [0.05, 0.5, 5]) latency.observe(v);
  expect(await registry.flush()).toMatchObject({ rejected: 0 });
}

const exportNow = (worker: RunningWorker) =>
  fetch(new URL("/remote-write", worker.url), { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

describe.skipIf(!hasPrometheus)("remote-write to a real Prometheus (black box)", () => {
  let worker: RunningWorker;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    const port = await freePort();
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-rw-"),
      vars: {
        ADMIN_TOKEN,
        REMOTE_WRITE_URL: `http://127.0.0.1:${port}/api/v1/write`,
        REMOTE_WRITE_INTERVAL_SECONDS: "5",
      },
    });
    prometheus = await startPrometheus(worker.url, ["--web.enable-remote-write-receiver"], port);
    await waitFor(async () => (await prometheus.query("up")) !== undefined, 60_000, "Prometheus to start");
  }, 120_000);
  afterAll(async () => {
    prometheus?.stop();
    await worker?.stop();
  });

  it("sends every family on demand; the receiver's values match the scrape", async () => {
    await fill(worker, 5);
    const reply = await exportNow(worker);
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ failed: 0, sent: expect.any(Number) });
    // Remote-written series have no job label (scraped ones do: job="pdc").
    const written = (q: string) =>
      prometheus.query(q.endsWith("{}") ? q.replace("{}", '{job=""}') : q.replace("}", ',job=""}'));
    const text = await worker.scrape();
    for (const series of [
      // Declared without _total: remote-write sends what text 0.0.4 shows.
      'rw_orders{region="eu"}',
      'rw_seconds_bucket{le="1"}',
      "rw_seconds_count{}",
      "rw_queue_depth{}",
    ]) {
      const scraped = sampleValue(text, series.replace("{}", ""));
      expect(Number(await written(series)), series).toBe(scraped);
    }
  });

  it("sends again on its alarm, every REMOTE_WRITE_INTERVAL_SECONDS", async () => {
    await fill(worker, 3);
    await waitFor(
      async () => (await prometheus.query('rw_orders{region="eu",job=""}')) === "8",
      30_000,
      "the alarm's export",
    );
    const text = await worker.scrape();
    expect(sampleValue(text, 'pdc_remote_write_samples_total{outcome="failed"}')).toBe(0);
    expect(sampleValue(text, 'pdc_remote_write_samples_total{outcome="sent"}')).toBeGreaterThan(0);
    expect(sampleValue(text, "pdc_remote_write_last_success_timestamp_seconds")).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
  });
});

describe("remote-write retries (black box)", () => {
  let worker: RunningWorker;
  let server: Server;
  const answers: number[] = [];
  let requests = 0;

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        requests++;
        res.writeHead(answers.shift() ?? 204);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-rw-retry-"),
      vars: { ADMIN_TOKEN, REMOTE_WRITE_URL: `http://127.0.0.1:${port}/write`, REMOTE_WRITE_INTERVAL_SECONDS: "3600" },
    });
    await fill(worker, 1);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    server?.close();
  });

  it("sends a request again after 503 and 429, and not after 400", async () => {
    answers.push(503, 429);
    requests = 0;
    const first = (await (await exportNow(worker)).json()) as { sent: number; failed: number };
    expect(requests).toBe(3);
    expect(first.sent).toBeGreaterThan(0);
    expect(first.failed).toBe(0);
    answers.push(400);
    requests = 0;
    const second = (await (await exportNow(worker)).json()) as { sent: number; failed: number; lastError: string };
    expect(requests).toBe(1);
    expect(second.failed).toBe(first.sent);
    expect(second.lastError).toMatch(/answered 400/);
    expect(sampleValue(await worker.scrape(), 'pdc_remote_write_samples_total{outcome="failed"}')).toBe(first.sent);
  });

  it("is refused without the admin credential, and where it is not configured", async () => {
    expect((await fetch(new URL("/remote-write", worker.url), { method: "POST" })).status).toBe(401);
    const plain = await startMetricsWorker({ persistDir: tempDir("pdc-rw-none-"), vars: { ADMIN_TOKEN } });
    try {
      const res = await exportNow(plain);
      expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([
        409,
        expect.stringMatching(/not configured/),
      ]);
    } finally {
      await plain.stop();
    }
  });
});
