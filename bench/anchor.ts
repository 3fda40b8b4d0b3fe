// The benchmark's anchor workload, one job: a fresh registry, 100 counter increments over 10 label values, 20
// histogram observations and 1 gauge set, sent as one push (3 families, 21 series).

import { Counter, Gauge, Histogram, Pushgateway, Registry, type Transport } from "../lib/index.ts";

export const KINDS = Array.from({ length: 10 }, (_, i) => `k${i}`);
export const ANCHOR_FAMILIES = ["bench_events", "bench_step_seconds", "bench_last_job"];

/** Where a job sends its metrics: a transport (flush), or a Pushgateway's URL (pushAdd, the text format). */
export type Sink = Transport | { gateway: string };

/** Runs one job and sends it to `sink`; throws unless all 3 families were delivered. */
export async function anchorJob(index: number, sink: Sink): Promise<void> {
  const registry = "gateway" in sink ? new Registry() : new Registry({ transport: sink });
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
  if ("gateway" in sink) {
    await new Pushgateway(sink.gateway, {}, registry).pushAdd({ jobName: "bench" });
    return;
  }
  const result = await registry.flush();
  if (result.delivered !== 3) throw new Error(`job ${index}: flush delivered ${result.delivered} of 3 families`);
}

/** Runs `jobs` anchor jobs from `clients` parallel clients; returns jobs per second. */
export async function runJobs(jobs: number, clients: number, transport: Sink, firstIndex = 0): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < jobs) await anchorJob(firstIndex + next++, transport);
    }),
  );
  return (jobs / (performance.now() - start)) * 1000;
}
