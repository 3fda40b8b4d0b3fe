// Benchmark (f): what a push from an HTTP producer (Lambda, a script, a Pushgateway client) costs, counted, not
// reasoned: senders push the anchor shape at a steady rate with pushes in flight at once; the objects count their
// requests and rows written (SQL cursors); the bill follows the published prices (bench/pricing.ts) plus the Worker
// request that carries each push. Three setups: today's path (no ingest objects: each family object per push), the
// ingest objects by default (acknowledged = a durable log row), and with a durability window of 1 s.

import { HttpTransport } from "../lib/index.ts";
import {
  directObjects,
  familyStats,
  ingestStats,
  PUSH_TOKEN,
  sampleValue,
  startMetricsWorker,
  tempDir,
} from "../test/blackbox/harness.ts";
import { ANCHOR_FAMILIES, anchorJob, KINDS } from "./anchor.ts";
import { pace } from "./pace.ts";
import { PRICES, SECONDS_PER_MONTH } from "./pricing.ts";

/** Per million Workers requests (Workers Paid), the floor every push pays. */
export const WORKER_REQUESTS_PER_MILLION = 0.3;
const IN_FLIGHT = 32;

export interface HttpMode {
  label: string;
  ingest: boolean;
  vars: Record<string, string>;
}

export const HTTP_MODES: HttpMode[] = [
  { label: "before (no ingest objects)", ingest: false, vars: {} },
  { label: "ingest objects (default)", ingest: true, vars: {} },
  { label: "ingest, DURABILITY_WINDOW_MS=1000", ingest: true, vars: { DURABILITY_WINDOW_MS: "1000" } },
];

export interface HttpCostRun {
  mode: string;
  targetRate: number;
  achievedRate: number;
  requestsPerPush: number;
  rowsPerPush: number;
  /** Objects active at once, on average: the ingest object (whole time) and the family objects (busy time). */
  ingestActive: number;
  familiesActive: number;
  dollarsPerMillion: number;
  exact: boolean;
}

/** Sends anchor jobs at `rate` per second for `seconds` (at most IN_FLIGHT at once); returns how many it sent. */
function drive(transport: HttpTransport, rate: number, seconds: number, first: number): Promise<number> {
  return pace(rate, seconds, IN_FLIGHT, (i) => anchorJob(first + i, transport));
}

/** Dollars per million pushes for per-push requests and rows, and objects active at `rate` pushes per second. */
function perMillion(requests: number, rows: number, active: number, rate: number): number {
  const durationPerPush = (active * PRICES.objectMemoryGb * PRICES.durationPerMillionGbSeconds) / 1e6 / rate;
  return (
    WORKER_REQUESTS_PER_MILLION +
    requests * PRICES.requestsPerMillion +
    rows * PRICES.rowsWrittenPerMillion +
    durationPerPush * 1e6
  );
}

/** Dollars a month at `rate` pushes per second, from a run: per-push costs scale, the ingest object stays active. */
export function monthlyAt(run: HttpCostRun, rate: number): number {
  const active = run.ingestActive + run.familiesActive * (rate / run.targetRate);
  return (perMillion(run.requestsPerPush, run.rowsPerPush, active, rate) * rate * SECONDS_PER_MONTH) / 1e6;
}

export async function httpCost(
  mode: HttpMode,
  rates: number[],
  seconds: number,
  warmup: number,
): Promise<HttpCostRun[]> {
  const metrics = await startMetricsWorker({
    persistDir: tempDir("pdc-http-cost-"),
    vars: mode.vars,
    ...(mode.ingest ? {} : { durableObjects: directObjects() }),
  });
  try {
    const transport = new HttpTransport({ url: new URL("/push", metrics.url).href, token: PUSH_TOKEN });
    const count = async () => {
      const [families, ingest] = [
        await familyStats(metrics, [...ANCHOR_FAMILIES, "pdc_pushes"]),
        mode.ingest ? await ingestStats(metrics) : { requests: 0, rowsWritten: 0 },
      ];
      return {
        requests: families.requests + ingest.requests,
        rows: families.rowsWritten + ingest.rowsWritten,
        busyMs: families.busyMs,
      };
    };
    const runs: HttpCostRun[] = [];
    let jobs = 0;
    for (const rate of rates) {
      jobs += await drive(transport, rate, warmup, jobs);
      await metrics.scrape(); // folds what the warm-up left
      const before = await count();
      const started = performance.now();
      const pushes = await drive(transport, rate, seconds, jobs);
      const elapsed = (performance.now() - started) / 1000;
      await metrics.scrape(); // folds what the window acknowledged: its rows and requests are the pushes'
      const after = await count();
      const achievedRate = pushes / elapsed;
      jobs += pushes;
      const requestsPerPush = (after.requests - before.requests) / pushes;
      const rowsPerPush = (after.rows - before.rows) / pushes;
      const familiesActive = (after.busyMs - before.busyMs) / 1000 / elapsed;
      const ingestActive = mode.ingest ? 1 : 0;
      runs.push({
        mode: mode.label,
        targetRate: rate,
        achievedRate,
        requestsPerPush,
        rowsPerPush,
        ingestActive,
        familiesActive,
        dollarsPerMillion: perMillion(requestsPerPush, rowsPerPush, ingestActive + familiesActive, achievedRate),
        exact: false,
      });
    }
    // Exact: every counter increment of every job sent (each acknowledged: a job throws otherwise), in the scrape.
    const text = await metrics.scrape();
    const counted = KINDS.reduce((n, kind) => n + (sampleValue(text, `bench_events_total{kind="${kind}"}`) ?? 0), 0);
    for (const run of runs) run.exact = counted === jobs * 100;
    return runs;
  } finally {
    await metrics.stop();
  }
}
