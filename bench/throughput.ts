// Benchmark (b): the anchor workload over HTTP against the metrics Worker and, in the same run, against reference
// Workers driven by the same client: the ceiling (parses the push and answers, no storage), and two floors that add,
// step by step, what any design with a Durable Object per family must do per push (one call per family object; one
// durable write per family object). Short slices rotate between the four, so all see the same moments of machine
// load; each figure is total jobs over total time.

import { HttpTransport, type Transport } from "../lib/index.ts";
import {
  bundle,
  familyStats,
  PUSH_TOKEN,
  type RunningWorker,
  ramDir,
  sampleValue,
  startMetricsWorker,
  tempDir,
  waitFor,
} from "../test/blackbox/harness.ts";
import { ANCHOR_FAMILIES, KINDS, runJobs } from "./anchor.ts";

const CLIENTS = 2;
const SLICES = 12;
const SLICE_JOBS = 100;
const WARMUP_JOBS = 20;

export interface Throughput {
  /** Jobs per second over all slices: the metrics Worker and each reference. */
  ours: number;
  ceiling: number;
  callsOnly: number;
  oneWritePerFamily: number;
  /** ceiling time / our time, slice by slice. */
  sliceRatios: number[];
  exact: boolean;
  problems: string[];
  /** Per push (steady state): family-object requests, rows written by the families, groups committed. */
  objectRequestsPerPush: number;
  rowsPerPush: number;
  groupsPerPush: number;
  /** Pushes received, pdc_pushes_total{outcome="accepted"} once flushed, and the pushes that took to its object. */
  pushes: number;
  selfCounted: number;
  selfRequests: number;
}

/**
 * Runs the comparison. With `ram`, the SQLite files live in RAM (tmpfs), which takes this machine's disk flushes
 * (one per family object per push) out of the figures. With `checkSelfMetrics`, waits for the Worker's own push
 * counter to be flushed (SELF_METRICS_FLUSH_MS, 10 s) and reads what it cost.
 */
export async function throughput(
  ram: boolean,
  checkSelfMetrics: boolean,
  vars: Record<string, string> = {},
): Promise<Throughput> {
  const dir = (prefix: string) => (ram ? ramDir(prefix) : tempDir(prefix));
  const workers: RunningWorker[] = [];
  try {
    const metrics = await startMetricsWorker({ persistDir: dir("pdc-bench-"), vars });
    workers.push(metrics);
    const ceiling = await startMetricsWorker({
      persistDir: dir("pdc-bench-ceiling-"),
      script: await bundle("bench/workers/ceiling-worker.ts"),
      durableObjects: {},
    });
    workers.push(ceiling);
    const floor = await startMetricsWorker({
      persistDir: dir("pdc-bench-floor-"),
      script: await bundle("bench/workers/floor-worker.ts"),
      durableObjects: { FLOOR: { className: "FloorObject", useSQLite: true } },
    });
    workers.push(floor);
    const transport = (worker: RunningWorker, query = "") =>
      new HttpTransport({ url: new URL(`/push${query}`, worker.url).href, token: PUSH_TOKEN });
    const targets: [keyof Pick<Throughput, "ours" | "ceiling" | "callsOnly" | "oneWritePerFamily">, Transport][] = [
      ["ours", transport(metrics)],
      ["ceiling", transport(ceiling)],
      ["callsOnly", transport(floor, "?write=0")],
      ["oneWritePerFamily", transport(floor, "?write=1")],
    ];
    for (const [, t] of targets) await runJobs(WARMUP_JOBS, CLIENTS, t, 0);
    const before = await familyStats(metrics, ANCHOR_FAMILIES);
    const seconds = { ours: 0, ceiling: 0, callsOnly: 0, oneWritePerFamily: 0 };
    const sliceRatios: number[] = [];
    for (let slice = 0; slice < SLICES; slice++) {
      const times: Partial<Record<keyof typeof seconds, number>> = {};
      // Rotate the order, so no target always follows the same one.
      for (let k = 0; k < targets.length; k++) {
        const [name, t] = targets[(slice + k) % targets.length] as (typeof targets)[number];
        const first = name === "ours" ? WARMUP_JOBS + slice * SLICE_JOBS : 0;
        const took = SLICE_JOBS / (await runJobs(SLICE_JOBS, CLIENTS, t, first));
        times[name] = took;
        seconds[name] += took;
      }
      sliceRatios.push((times.ceiling as number) / (times.ours as number));
    }
    const after = await familyStats(metrics, ANCHOR_FAMILIES);
    const pushes = SLICES * SLICE_JOBS;
    const jobs = WARMUP_JOBS + pushes;

    const text = await metrics.scrape();
    const problems: string[] = [];
    const expect = (series: string, value: number) => {
      const got = sampleValue(text, series);
      if (got !== value) problems.push(`${series} = ${got}, expected ${value}`);
    };
    for (const kind of KINDS) {
      expect(`bench_events_total{kind="${kind}"}`, jobs * 10);
      expect(`bench_step_seconds_count{kind="${kind}"}`, jobs * 2);
    }
    let selfCounted = 0;
    if (checkSelfMetrics) {
      const counted = async () => sampleValue(await metrics.scrape(), 'pdc_pushes_total{outcome="accepted"}') ?? 0;
      await waitFor(async () => (await counted()) >= jobs, 30_000, "the Worker's own push counts").catch(() => {});
      selfCounted = await counted();
      if (selfCounted !== jobs)
        problems.push(`pdc_pushes_total{outcome="accepted"} = ${selfCounted}, expected ${jobs}`);
    }
    const rate = (key: keyof typeof seconds) => pushes / seconds[key];
    return {
      ours: rate("ours"),
      ceiling: rate("ceiling"),
      callsOnly: rate("callsOnly"),
      oneWritePerFamily: rate("oneWritePerFamily"),
      sliceRatios,
      exact: problems.length === 0,
      problems,
      objectRequestsPerPush: (after.requests - before.requests) / pushes,
      rowsPerPush: (after.rowsWritten - before.rowsWritten) / pushes,
      groupsPerPush: (after.groups - before.groups) / pushes,
      pushes: jobs,
      selfCounted,
      selfRequests: (await familyStats(metrics, ["pdc_pushes"])).pushes,
    };
  } finally {
    for (const worker of workers) await worker.stop();
  }
}
