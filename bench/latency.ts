// Benchmark (d): how long one push to an idle object takes to be acknowledged, with group commit's window off and
// on (an idle object applies a push at once either way), next to the ceiling Worker, which stores nothing.

import { HttpTransport, type Transport } from "../lib/index.ts";
import { bundle, PUSH_TOKEN, startMetricsWorker, tempDir } from "../test/blackbox/harness.ts";
import { anchorJob } from "./anchor.ts";

const PUSHES = 30;
/** Longer than any window measured, so every push finds its objects idle. */
const GAP_MS = 300;

export interface IdleLatency {
  label: string;
  medianMs: number;
}

async function medianLatency(transport: Transport): Promise<number> {
  await anchorJob(0, transport);
  const times: number[] = [];
  for (let i = 1; i <= PUSHES; i++) {
    await new Promise((r) => setTimeout(r, GAP_MS));
    const start = performance.now();
    await anchorJob(i, transport);
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] as number;
}

export async function idleLatency(): Promise<IdleLatency[]> {
  const results: IdleLatency[] = [];
  const ceilingScript = await bundle("bench/workers/ceiling-worker.ts");
  const setups: [string, Record<string, string> | undefined][] = [
    ["ceiling (no storage)", undefined],
    ["GROUP_COMMIT_WINDOW_MS=0", { GROUP_COMMIT_WINDOW_MS: "0" }],
    ["GROUP_COMMIT_WINDOW_MS=250", { GROUP_COMMIT_WINDOW_MS: "250" }],
  ];
  for (const [label, vars] of setups) {
    const worker = vars
      ? await startMetricsWorker({ persistDir: tempDir("pdc-latency-"), vars })
      : await startMetricsWorker({ persistDir: tempDir("pdc-latency-"), script: ceilingScript, durableObjects: {} });
    try {
      const transport = new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN });
      results.push({ label, medianMs: await medianLatency(transport) });
    } finally {
      await worker.stop();
    }
  }
  return results;
}
