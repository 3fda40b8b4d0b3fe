// Benchmark (h): what a push through the Pushgateway API costs, beside a JSON push of the same shape in the same
// run (the reference): POST and PUT of a text body (3 families, 21 series, like the anchor) from 20 groups at a
// steady rate, the group's push_time_seconds and, for a PUT, its read of the catalog's index included. Requests and
// rows are counted by the objects (SQL cursors); the catalog's requests too.

import { familyStats, ingestStats, PUSH_TOKEN, startMetricsWorker, tempDir } from "../test/blackbox/harness.ts";
import { WORKER_REQUESTS_PER_MILLION } from "./http-cost.ts";
import { pace } from "./pace.ts";
import { PRICES } from "./pricing.ts";

const GROUPS = 20;
const FAMILIES = ["pg_bench_events", "pg_bench_depth", "pg_bench_seconds", "push_time_seconds"];

/** A job's body: a counter of 5 series, a gauge, a histogram of 4 buckets (3 families, 21 samples' worth). */
function body(i: number): string {
  const events = Array.from({ length: 5 }, (_, k) => `pg_bench_events_total{kind="k${k}"} ${1 + (i % 3)}`);
  const seconds = ['le="0.1"} 1', 'le="1"} 2', 'le="10"} 3', 'le="+Inf"} 3'].map((b) => `pg_bench_seconds_bucket{${b}`);
  return [
    "# TYPE pg_bench_events_total counter",
    ...events,
    "# TYPE pg_bench_depth gauge",
    `pg_bench_depth ${i}`,
    "# TYPE pg_bench_seconds histogram",
    ...seconds,
    "pg_bench_seconds_sum 4.2",
    "pg_bench_seconds_count 3",
    "",
  ].join("\n");
}

export interface PushgatewayCostRun {
  method: string;
  rate: number;
  requestsPerPush: number;
  rowsPerPush: number;
  dollarsPerMillion: number;
}

/** POST and PUT at `rate` pushes a second for `seconds` each (after a warm-up of `warmup` seconds). */
export async function pushgatewayCost(rate: number, seconds: number, warmup: number): Promise<PushgatewayCostRun[]> {
  const metrics = await startMetricsWorker({ persistDir: tempDir("pdc-pg-cost-") });
  try {
    const catalog = await metrics.mf.getDurableObjectNamespace("METRICS_CATALOG", "metrics");
    const count = async () => {
      const families = await familyStats(metrics, FAMILIES);
      const ingest = await ingestStats(metrics);
      const listed = await (
        catalog.getByName("catalog") as unknown as { stats(): Promise<{ requests: number }> }
      ).stats();
      return {
        requests: families.requests + ingest.requests + listed.requests,
        rows: families.rowsWritten + ingest.rowsWritten,
      };
    };
    const push = (method: string) => async (i: number) => {
      const res = await fetch(new URL(`/metrics/job/pg-bench/instance/i${i % GROUPS}`, metrics.url), {
        method,
        headers: { authorization: `Bearer ${PUSH_TOKEN}` },
        body: body(i),
      });
      if (!res.ok) throw new Error(`${method} answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    const runs: PushgatewayCostRun[] = [];
    for (const method of ["POST", "PUT"]) {
      await pace(rate, warmup, 32, push(method));
      await metrics.scrape();
      const before = await count();
      const pushes = await pace(rate, seconds, 32, push(method));
      await metrics.scrape(); // folds what was acknowledged: its rows and requests are the pushes'
      const after = await count();
      const requestsPerPush = (after.requests - before.requests) / pushes;
      const rowsPerPush = (after.rows - before.rows) / pushes;
      const dollarsPerMillion =
        WORKER_REQUESTS_PER_MILLION +
        requestsPerPush * PRICES.requestsPerMillion +
        rowsPerPush * PRICES.rowsWrittenPerMillion;
      runs.push({ method, rate, requestsPerPush, rowsPerPush, dollarsPerMillion });
    }
    return runs;
  } finally {
    await metrics.stop();
  }
}
