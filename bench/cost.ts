// Benchmark (c): cost per traffic. Twenty copies of a user Worker (twenty isolates) serve requests that each record
// the anchor shape and flush through the family objects; we count the family objects' requests, rows written and
// active time per second at two request rates, flushing the recommended way (flushSoon + group commit window) and,
// for comparison, after every request. Then turn the rates into dollars a month (bench/pricing.ts).

import {
  bundle,
  familyStats,
  ingestStats,
  startMetricsWorker,
  tempDir,
  userWorkers,
} from "../test/blackbox/harness.ts";
import { pace } from "./pace.ts";
import { type MonthlyBill, monthlyBill } from "./pricing.ts";

const FAMILIES = ["anchor_events", "anchor_step_seconds", "anchor_last_request"];
const ISOLATES = 20;

export interface TrafficSetup {
  label: string;
  /** "soon": flushSoon(maxDelayMs = flushDelayMs); "each": flush() after every request; "each-ingest": the same,
   * through the ingest objects. */
  flush: "soon" | "each" | "each-ingest";
  flushDelayMs: number;
  groupWindowMs: number;
}

export interface TrafficRun {
  targetRate: number;
  /** Requests per second the machine actually served. */
  achievedRate: number;
  objectRequestsPerSecond: number;
  rowsWrittenPerSecond: number;
  /** Family objects active at once, on average (the duration the bill counts). */
  activeObjects: number;
  bill: MonthlyBill;
}

export const RECOMMENDED: TrafficSetup = {
  label: "recommended",
  flush: "soon",
  flushDelayMs: 5_000,
  groupWindowMs: 5_000,
};
export const EVERY_REQUEST: TrafficSetup = {
  label: "flush every request",
  flush: "each",
  flushDelayMs: 0,
  groupWindowMs: 0,
};
export const EVERY_REQUEST_INGEST: TrafficSetup = {
  label: "flush every request, through the ingest objects",
  flush: "each-ingest",
  flushDelayMs: 0,
  groupWindowMs: 0,
};

/** Sends requests at `rate` per second (as fast as possible when behind), round robin over the isolates. */
async function drive(
  users: { fetch(url: string): Promise<Response> }[],
  rate: number,
  seconds: number,
  flush: string,
): Promise<number> {
  const start = performance.now();
  const sent = await pace(rate, seconds, 64, (i) =>
    (users[i % users.length] as (typeof users)[number])
      .fetch(`http://anchor.test/?flush=${flush}`)
      .then((r) => r.text()),
  );
  return (sent / (performance.now() - start)) * 1000;
}

/**
 * Serves traffic with `setup` at each of `rates` (requests/s) for `seconds` each, after `warmupSeconds` of traffic,
 * and measures what the family objects did while it ran.
 */
export async function costPerTraffic(
  setup: TrafficSetup,
  rates: number[],
  seconds: number,
  warmupSeconds: number,
): Promise<TrafficRun[]> {
  const script = await bundle("test/fixtures/anchor-worker.ts");
  const metrics = await startMetricsWorker({
    persistDir: tempDir("pdc-cost-"),
    vars: { GROUP_COMMIT_WINDOW_MS: String(setup.groupWindowMs) },
    others: userWorkers(script, ISOLATES, "anchor", { FLUSH_DELAY_MS: String(setup.flushDelayMs) }),
  });
  try {
    const users = await Promise.all(Array.from({ length: ISOLATES }, (_, i) => metrics.mf.getWorker(`anchor-${i}`)));
    const runs: TrafficRun[] = [];
    for (const rate of rates) {
      const viaIngest = setup.flush === "each-ingest";
      // The family objects' counters, and the ingest object's (counted active the whole time when it is used).
      const count = async () => {
        const [families, ingest] = [await familyStats(metrics, FAMILIES), await ingestStats(metrics)];
        return {
          requests: families.requests + ingest.requests,
          rowsWritten: families.rowsWritten + ingest.rowsWritten,
          busyMs: families.busyMs,
        };
      };
      await drive(users, rate, warmupSeconds, setup.flush);
      if (viaIngest) await metrics.scrape();
      const before = await count();
      const started = performance.now();
      const achievedRate = await drive(users, rate, seconds, setup.flush);
      const elapsed = (performance.now() - started) / 1000;
      if (viaIngest) await metrics.scrape(); // the fold of what the window acknowledged belongs to it
      const after = await count();
      const rates = {
        requestsPerSecond: (after.requests - before.requests) / elapsed,
        rowsWrittenPerSecond: (after.rowsWritten - before.rowsWritten) / elapsed,
        activeObjects: (after.busyMs - before.busyMs) / 1000 / elapsed + (viaIngest ? 1 : 0),
      };
      runs.push({
        targetRate: rate,
        achievedRate,
        objectRequestsPerSecond: rates.requestsPerSecond,
        rowsWrittenPerSecond: rates.rowsWrittenPerSecond,
        activeObjects: rates.activeObjects,
        bill: monthlyBill(rates),
      });
    }
    return runs;
  } finally {
    await metrics.stop();
  }
}
