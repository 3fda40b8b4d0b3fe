// Benchmark (d): how long one push to an idle deployment takes to be acknowledged: through the ingest object (the
// default), straight to the family objects (before the ingest objects, and with group commit's window on: an idle
// object applies a push at once either way), next to the ceiling Worker, which stores nothing.

import { HttpTransport, type Transport } from "../lib/index.ts";
import { bundle, directObjects, PUSH_TOKEN, startMetricsWorker, tempDir } from "../test/blackbox/harness.ts";
import { anchorJob } from "./anchor.ts";

const PUSHES = 50;
/** Longer than any window measured, so every push finds its objects idle. */
const GAP_MS = 300;

export interface IdleLatency {
  label: string;
  medianMs: number;
  p99Ms: number;
}

async function latencies(transport: Transport): Promise<{ medianMs: number; p99Ms: number }> {
  await anchorJob(0, transport);
  const times: number[] = [];
  for (let i = 1; i <= PUSHES; i++) {
    await new Promise((r) => setTimeout(r, GAP_MS));
    const start = performance.now();
    await anchorJob(i, transport);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number;
  return { medianMs: at(0.5), p99Ms: at(0.99) };
}

export async function idleLatency(): Promise<IdleLatency[]> {
  const results: IdleLatency[] = [];
  const ceilingScript = await bundle("bench/workers/ceiling-worker.ts");
  const setups: [string, Record<string, string> | undefined, boolean][] = [
    ["ceiling (no storage)", undefined, false],
    ["ingest objects (default)", {}, true],
    ["before: family objects directly", { GROUP_COMMIT_WINDOW_MS: "0" }, false],
    ["before, GROUP_COMMIT_WINDOW_MS=250", { GROUP_COMMIT_WINDOW_MS: "250" }, false],
  ];
  for (const [label, vars, ingest] of setups) {
    const worker = vars
      ? await startMetricsWorker({
          persistDir: tempDir("pdc-latency-"),
          vars,
          ...(ingest ? {} : { durableObjects: directObjects() }),
        })
      : await startMetricsWorker({ persistDir: tempDir("pdc-latency-"), script: ceilingScript, durableObjects: {} });
    try {
      const transport = new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN });
      results.push({ label, ...(await latencies(transport)) });
    } finally {
      await worker.stop();
    }
  }
  return results;
}
