// Faults against the real Worker: SIGKILL in the middle of a sustained push load (also while the ingest objects fold),
// restart on the same storage, clients resend what was not acknowledged with the same batch ids → the totals are
// exactly what was sent; the same for OTLP exporters (delta and cumulative), which resend the same bytes.
// And 10,000 increments as 500 concurrent pushes over 3 families add up exactly.

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { Counter, HttpTransport, Registry } from "../../lib/index.ts";
import { PUSH_TOKEN, type RunningWorker, sampleValue, scriptDir, startMetricsWorker, tempDir } from "./harness.ts";
import { freePort } from "./ports.ts";

async function serveInChild(
  script: string,
  port: number,
  persistDir: string,
  vars: Record<string, string>,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script, String(port), persistDir, JSON.stringify(vars)], {
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the Worker process did not start in 30 s")), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("READY")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`the Worker process exited with ${code}`)));
  });
  return child;
}

/** The Worker served from a Node process of its own (test/blackbox/serve.ts), bundled. */
async function serveScript(): Promise<string> {
  const script = join(scriptDir("pdc-serve-"), "serve.mjs");
  await build({
    entryPoints: ["test/blackbox/serve.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: script,
    logLevel: "error",
    define: { "import.meta.dirname": JSON.stringify(import.meta.dirname) },
  });
  return script;
}

/** SIGKILL the whole process group: node and its workerd. */
function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    process.kill(-(child.pid as number), "SIGKILL");
  });
}

describe("faults (black box)", () => {
  let worker: RunningWorker | undefined;
  afterAll(async () => worker?.stop());

  it.each([
    ["one flush per job", {}, false],
    ["group commit (20 ms window) and coalesced flushes", { GROUP_COMMIT_WINDOW_MS: "20" }, true],
    // Kills that also land while the ingest objects fold (every 50 ms) into the family objects.
    ["four ingest objects folding every 50 ms", { INGEST_SHARDS: "4", INGEST_FOLD_MS: "50" }, false],
  ] as const)(
    "loses nothing and doubles nothing across a SIGKILL mid-load and a restart: %s",
    async (_, vars, soon) => {
      const persistDir = tempDir("pdc-kill-");
      const port = await freePort();
      const script = await serveScript();
      let server = await serveInChild(script, port, persistDir, vars);

      const CLIENTS = 4;
      const FLUSHES = 60;
      const url = `http://127.0.0.1:${port}/push`;
      const sent = new Array<number>(CLIENTS).fill(0);
      const failedFlushes = { count: 0 };
      let acknowledged = 0;
      const clients = Array.from({ length: CLIENTS }, async (_, c) => {
        const registry = new Registry({
          transport: new HttpTransport({ url, token: PUSH_TOKEN, timeoutMs: 2_000, retries: 1, backoffMs: 20 }),
          onError: () => {},
        });
        const jobs = new Counter({
          name: "kill_jobs_total",
          help: "Jobs under fault.",
          labelNames: ["client"] as const,
          registers: [registry],
        });
        // A job: record, then flush; with `soon`, three jobs at a time share coalesced flushes, as requests in one
        // Worker isolate do.
        const job = async (i: number) => {
          const n = 1 + ((i * 7 + c) % 5);
          jobs.inc({ client: String(c) }, n);
          sent[c] = (sent[c] as number) + n;
          return soon ? registry.flushSoon(undefined, { maxDelayMs: 5 }) : registry.flush();
        };
        for (let i = 0; i < FLUSHES; i += soon ? 3 : 1) {
          const results = await Promise.all(soon ? [job(i), job(i + 1), job(i + 2)] : [job(i)]);
          if (results.some((r) => r.retained > 0)) failedFlushes.count++;
          acknowledged += (results[0] as { delivered: number }).delivered * (soon ? 3 : 1);
          await new Promise((r) => setTimeout(r, 10));
        }
        for (let attempt = 0; registry.stats.retainedSeries > 0 && attempt < 100; attempt++) {
          await registry.flush();
          await new Promise((r) => setTimeout(r, 100));
        }
        return registry.stats;
      });

      while (acknowledged < (CLIENTS * FLUSHES) / 3) await new Promise((r) => setTimeout(r, 10));
      await killHard(server);
      await new Promise((r) => setTimeout(r, 500));
      server = await serveInChild(script, port, persistDir, vars);
      const stats = await Promise.all(clients);

      try {
        expect(stats.every((s) => s.retainedSeries === 0 && s.droppedSeries === 0 && s.rejectedSeries === 0)).toBe(
          true,
        );
        expect(failedFlushes.count).toBeGreaterThan(0);
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        for (let c = 0; c < CLIENTS; c++)
          expect(sampleValue(text, `kill_jobs_total{client="${c}"}`), `client ${c}`).toBe(sent[c]);
      } finally {
        await killHard(server);
      }
    },
  );

  it("loses nothing and doubles nothing for OTLP exporters across a SIGKILL and a restart: delta and cumulative", async () => {
    const persistDir = tempDir("pdc-kill-otlp-");
    const port = await freePort();
    const script = await serveScript();
    let server = await serveInChild(script, port, persistDir, {});
    const url = `http://127.0.0.1:${port}/v1/metrics`;
    const CLIENTS = 4;
    const EXPORTS = 40;
    /** An export as an SDK sends it: its counter's delta (or its stream's total), its own time. */
    const body = (c: number, i: number, temporality: 1 | 2, value: number) =>
      JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: `fault-${c}` } }] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: temporality === 1 ? "fault.delta" : "fault.cumulative",
                    sum: {
                      aggregationTemporality: temporality,
                      isMonotonic: true,
                      dataPoints: [{ asInt: String(value), startTimeUnixNano: "1", timeUnixNano: String(1_000 + i) }],
                    },
                  },
                ],
              },
            ],
          },
        ],
      });
    let failures = 0;
    /** Sends an export until it is acknowledged, the same bytes every time, as an exporter retries. */
    const exportUntilAcknowledged = async (text: string) => {
      for (;;) {
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${PUSH_TOKEN}`, "content-type": "application/json" },
          body: text,
          signal: AbortSignal.timeout(2_000),
        }).catch(() => undefined);
        if (res?.status === 200) return;
        failures++;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    let acknowledged = 0;
    const sent = new Array<number>(CLIENTS).fill(0);
    const clients = Array.from({ length: CLIENTS }, async (_, c) => {
      let total = 0;
      for (let i = 0; i < EXPORTS; i++) {
        const n = 1 + ((i * 7 + c) % 5);
        sent[c] = (sent[c] as number) + n;
        total += n;
        await exportUntilAcknowledged(body(c, i, 1, n));
        await exportUntilAcknowledged(body(c, i, 2, total));
        acknowledged++;
      }
    });
    while (acknowledged < (CLIENTS * EXPORTS) / 3) await new Promise((r) => setTimeout(r, 10));
    await killHard(server);
    await new Promise((r) => setTimeout(r, 500));
    server = await serveInChild(script, port, persistDir, {});
    await Promise.all(clients);
    try {
      // The kill met exports in flight (or on their way), which were sent again.
      expect(failures).toBeGreaterThan(0);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (let c = 0; c < CLIENTS; c++) {
        expect(sampleValue(text, `fault_delta_total{job="fault-${c}"}`), `client ${c}, delta`).toBe(sent[c]);
        expect(sampleValue(text, `fault_cumulative_total{job="fault-${c}"}`), `client ${c}, cumulative`).toBe(sent[c]);
      }
    } finally {
      await killHard(server);
    }
  });

  it.each([
    ["applied as they come", {}],
    ["with group commit (20 ms window)", { GROUP_COMMIT_WINDOW_MS: "20" }],
    ["acknowledged from memory with a durability window of 1 s", { DURABILITY_WINDOW_MS: "1000" }],
  ] as const)("adds 10,000 increments sent as 500 concurrent pushes over 3 families exactly, %s", async (_, vars) => {
    await worker?.stop();
    const running = await startMetricsWorker({ persistDir: tempDir("pdc-500-"), vars });
    worker = running;
    const bodies = Array.from({ length: 500 }, (_, i) => {
      const a = i % 11;
      const b = (i * 3) % 7;
      const hist = 20 - a - b;
      return {
        batch: `five-hundred-${i}`,
        families: [
          {
            name: "many_a",
            type: "counter",
            help: "A.",
            labelNames: ["k"],
            series: [{ labels: { k: String(i % 4) }, inc: a }],
          },
          { name: "many_b", type: "gauge", help: "B.", labelNames: [], series: [{ labels: {}, inc: b }] },
          {
            name: "many_c_seconds",
            type: "histogram",
            help: "C.",
            labelNames: [],
            buckets: [1],
            series: [{ labels: {}, counts: [hist, 0], sum: hist }],
          },
        ],
      };
    });
    const statuses = (await Promise.all(bodies.map((body) => running.push(body)))).map((r) => r.status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const first = await running.scrape();
    // Every push again, with its id, after the scrape folded them (a producer's late retries): nothing counts twice.
    const again = (await Promise.all(bodies.map((body) => running.push(body)))).map((r) => r.status);
    expect(again.filter((s) => s !== 200)).toEqual([]);
    const text = await running.scrape();
    expect(text.replace(/^pdc_.*\n/gm, "")).toBe(first.replace(/^pdc_.*\n/gm, ""));
    const a = [0, 1, 2, 3].reduce((n, k) => n + (sampleValue(text, `many_a_total{k="${k}"}`) ?? 0), 0);
    const b = sampleValue(text, "many_b") ?? 0;
    const c = sampleValue(text, "many_c_seconds_count") ?? 0;
    expect(a + b + c).toBe(10_000);
    expect(a).toBe(Array.from({ length: 500 }, (_, i) => i % 11).reduce((x, y) => x + y, 0));
    expect(b).toBe(Array.from({ length: 500 }, (_, i) => (i * 3) % 7).reduce((x, y) => x + y, 0));
  });
});
