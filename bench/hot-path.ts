// Benchmark (a): the client's recording hot path next to prom-client, in the same process and run.

import client from "prom-client";
import { Counter, Histogram, Registry, Summary } from "../lib/index.ts";

const KINDS = Array.from({ length: 10 }, (_, i) => `k${i}`);
const VALUES = Array.from({ length: 1024 }, () => Math.random() * 2);

/** Median ops/s of `op` over `rounds` rounds of about `ms` milliseconds each. */
function opsPerSecond(op: (i: number) => void, rounds = 5, ms = 400): number {
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let j = 0; j < 10_000; j++) op(n++);
      elapsed = performance.now() - start;
    }
    rates.push((n / elapsed) * 1000);
  }
  return rates.sort((a, b) => a - b)[Math.floor(rounds / 2)] as number;
}

export function hotPath(): { name: string; ours: number; promClient: number }[] {
  const ours = new Registry();
  const theirs = new client.Registry();
  const c = new Counter({ name: "hot_events_total", help: "H.", labelNames: ["kind"] as const, registers: [ours] });
  const pc = new client.Counter({ name: "hot_events_total", help: "H.", labelNames: ["kind"], registers: [theirs] });
  const h = new Histogram({ name: "hot_seconds", help: "H.", labelNames: ["kind"] as const, registers: [ours] });
  const ph = new client.Histogram({ name: "hot_seconds", help: "H.", labelNames: ["kind"], registers: [theirs] });
  const sm = new Summary({ name: "hot_summary_seconds", help: "H.", labelNames: ["kind"] as const, registers: [ours] });
  const ps = new client.Summary({ name: "hot_summary_seconds", help: "H.", labelNames: ["kind"], registers: [theirs] });
  const rows = [
    {
      name: "Counter.inc({kind})",
      ours: () => opsPerSecond((i) => c.inc({ kind: KINDS[i % 10] as string })),
      promClient: () => opsPerSecond((i) => pc.inc({ kind: KINDS[i % 10] as string })),
    },
    {
      name: "Histogram.observe({kind}, v)",
      ours: () => opsPerSecond((i) => h.observe({ kind: KINDS[i % 10] as string }, VALUES[i & 1023] as number)),
      promClient: () => opsPerSecond((i) => ph.observe({ kind: KINDS[i % 10] as string }, VALUES[i & 1023] as number)),
    },
    {
      name: "Summary.observe({kind}, v)",
      ours: () => opsPerSecond((i) => sm.observe({ kind: KINDS[i % 10] as string }, VALUES[i & 1023] as number)),
      promClient: () => opsPerSecond((i) => ps.observe({ kind: KINDS[i % 10] as string }, VALUES[i & 1023] as number)),
    },
  ];
  return rows.map((row) => {
    row.ours();
    row.promClient();
    return { name: row.name, ours: row.ours(), promClient: row.promClient() };
  });
}
