// Benchmarks (b) and (c): jobs/s against the local Worker over HTTP, each job a fresh registry and one flush,
// the scraped totals checked for exactness; and Durable Object requests and SQLite rows written per flush.

import type { DeliveryOutcome, Push, Transport } from "../lib/index.ts";
import { Counter, Gauge, Histogram, HttpTransport, Registry } from "../lib/index.ts";
import { PUSH_TOKEN, sampleValue, startMetricsWorker, tempDir } from "../test/blackbox/harness.ts";

const JOBS = 400;
const CLIENTS = 2;
const KINDS = Array.from({ length: 10 }, (_, i) => `k${i}`);

export interface EndToEnd {
  jobs: number;
  seconds: number;
  jobsPerSecond: number;
  exact: boolean;
  problems: string[];
  familyRequestsPerFlush: number;
  rowsWrittenPerFlush: number;
  firstFlushRows: number;
  /** Rows the router's own push counter (pdc_pushes_total) wrote, per HTTP flush. */
  selfRowsPerFlush: number;
  selfPushesCounted: number;
}

/** Wraps a transport to count family-object requests and SQLite rows per batch. */
class CountingTransport implements Transport {
  readonly perBatch: { families: number; rows: number }[] = [];
  constructor(private readonly inner: Transport) {}
  async push(batch: Push): Promise<DeliveryOutcome[]> {
    const outcomes = await this.inner.push(batch);
    const rows = outcomes.reduce((n, o) => n + (o.status === "applied" ? (o.rowsWritten ?? 0) : 0), 0);
    this.perBatch.push({ families: batch.families.length, rows });
    return outcomes;
  }
}

async function job(index: number, transport: Transport): Promise<void> {
  const registry = new Registry({ transport });
  const events = new Counter({
    name: "bench_events_total",
    help: "Bench events.",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const steps = new Histogram({
    name: "bench_step_seconds",
    help: "Bench step time.",
    labelNames: ["kind"] as const,
    buckets: [0.1, 0.5, 1, 5, 10],
    registers: [registry],
  });
  const last = new Gauge({ name: "bench_last_job", help: "Index of a recently finished job.", registers: [registry] });
  for (let i = 0; i < 100; i++) events.inc({ kind: KINDS[i % 10] as string });
  for (let i = 0; i < 20; i++) steps.observe({ kind: KINDS[i % 10] as string }, (i % 7) * 0.9);
  last.set(index);
  const result = await registry.flush();
  if (result.delivered !== 3) throw new Error(`job ${index}: flush delivered ${result.delivered} of 3 families`);
}

export async function endToEnd(): Promise<EndToEnd> {
  const worker = await startMetricsWorker({ persistDir: tempDir("pdc-bench-") });
  try {
    const transport = new CountingTransport(
      new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN }),
    );
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < JOBS) await job(next++, transport);
      }),
    );
    const seconds = (performance.now() - start) / 1000;

    const text = await worker.scrape();
    const problems: string[] = [];
    const expect = (series: string, value: number) => {
      const got = sampleValue(text, series);
      if (got !== value) problems.push(`${series} = ${got}, expected ${value}`);
    };
    for (const kind of KINDS) {
      expect(`bench_events_total{kind="${kind}"}`, JOBS * 10);
      expect(`bench_step_seconds_count{kind="${kind}"}`, JOBS * 2);
    }
    const lastJob = sampleValue(text, "bench_last_job");
    if (lastJob === undefined || !Number.isInteger(lastJob) || lastJob < 0 || lastJob >= JOBS)
      problems.push(`bench_last_job = ${lastJob}`);

    const steady = transport.perBatch.slice(1);
    const families = await worker.mf.getDurableObjectNamespace("METRICS_FAMILY", "metrics");
    const selfStats = await (
      families.getByName("pdc_pushes") as unknown as { stats(): Promise<{ rowsWritten: number }> }
    ).stats();
    const selfPushesCounted = sampleValue(await worker.scrape(), 'pdc_pushes_total{outcome="accepted"}') ?? 0;
    return {
      jobs: JOBS,
      seconds,
      jobsPerSecond: JOBS / seconds,
      exact: problems.length === 0,
      problems,
      familyRequestsPerFlush: steady.reduce((n, b) => n + b.families, 0) / steady.length,
      rowsWrittenPerFlush: steady.reduce((n, b) => n + b.rows, 0) / steady.length,
      firstFlushRows: transport.perBatch[0]?.rows ?? 0,
      selfRowsPerFlush: selfStats.rowsWritten / JOBS,
      selfPushesCounted,
    };
  } finally {
    await worker.stop();
  }
}
