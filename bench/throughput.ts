// Benchmark (b): the anchor workload over HTTP against the metrics Worker and, in the same run, against the ceiling
// Worker (same client; it parses the push and answers, no validation, no storage). Short slices alternate between the
// two, so both see the same moments of machine load; the figure is total jobs over total time for each.

import { HttpTransport } from "../lib/index.ts";
import {
  bundle,
  familyStats,
  PUSH_TOKEN,
  ramDir,
  sampleValue,
  startMetricsWorker,
  tempDir,
} from "../test/blackbox/harness.ts";
import { ANCHOR_FAMILIES, KINDS, runJobs } from "./anchor.ts";

const CLIENTS = 2;
const SLICES = 16;
const SLICE_JOBS = 100;
const WARMUP_JOBS = 20;

export interface Throughput {
  /** Jobs per second over all slices. */
  ours: number;
  ceiling: number;
  /** ceiling time / our time, slice by slice. */
  sliceRatios: number[];
  exact: boolean;
  problems: string[];
  /** Per push (steady state): family-object requests, rows written by the families, groups committed. */
  objectRequestsPerPush: number;
  rowsPerPush: number;
  groupsPerPush: number;
  /** Pushes received over the run, and requests that reached the Worker's own push counter (pdc_pushes). */
  pushes: number;
  selfRequests: number;
}

/**
 * Runs the comparison. With `ram`, the metrics Worker keeps its SQLite files in RAM (tmpfs), which takes this machine's
 * disk flushes (one per family object per push) out of the figure.
 */
export async function throughput(vars: Record<string, string> = {}, ram = false): Promise<Throughput> {
  const metrics = await startMetricsWorker({ persistDir: ram ? ramDir("pdc-bench-") : tempDir("pdc-bench-"), vars });
  const ceilingScript = await bundle("bench/workers/ceiling-worker.ts");
  const ceiling = await startMetricsWorker({
    persistDir: tempDir("pdc-bench-ceiling-"),
    script: ceilingScript,
    stateless: true,
  });
  try {
    const ours = new HttpTransport({ url: new URL("/push", metrics.url).href, token: PUSH_TOKEN });
    const reference = new HttpTransport({ url: new URL("/push", ceiling.url).href, token: PUSH_TOKEN });
    // Warm both (the first pushes register the families and load the code).
    await runJobs(WARMUP_JOBS, CLIENTS, ours, 0);
    await runJobs(WARMUP_JOBS, CLIENTS, reference, 0);
    const before = await familyStats(metrics, ANCHOR_FAMILIES);
    let oursSeconds = 0;
    let ceilingSeconds = 0;
    const sliceRatios: number[] = [];
    for (let slice = 0; slice < SLICES; slice++) {
      const timeOurs = async () =>
        SLICE_JOBS / (await runJobs(SLICE_JOBS, CLIENTS, ours, WARMUP_JOBS + slice * SLICE_JOBS));
      const timeCeiling = async () => SLICE_JOBS / (await runJobs(SLICE_JOBS, CLIENTS, reference));
      // Alternate which one goes first.
      let a: number;
      let b: number;
      if (slice % 2 === 0) {
        a = await timeOurs();
        b = await timeCeiling();
      } else {
        b = await timeCeiling();
        a = await timeOurs();
      }
      oursSeconds += a;
      ceilingSeconds += b;
      sliceRatios.push(b / a);
    }
    const after = await familyStats(metrics, ANCHOR_FAMILIES);
    const pushes = SLICES * SLICE_JOBS;

    const text = await metrics.scrape();
    const problems: string[] = [];
    const expect = (series: string, value: number) => {
      const got = sampleValue(text, series);
      if (got !== value) problems.push(`${series} = ${got}, expected ${value}`);
    };
    const jobs = WARMUP_JOBS + pushes;
    for (const kind of KINDS) {
      expect(`bench_events_total{kind="${kind}"}`, jobs * 10);
      expect(`bench_step_seconds_count{kind="${kind}"}`, jobs * 2);
    }
    return {
      ours: pushes / oursSeconds,
      ceiling: pushes / ceilingSeconds,
      sliceRatios,
      exact: problems.length === 0,
      problems,
      objectRequestsPerPush: (after.requests - before.requests) / pushes,
      rowsPerPush: (after.rowsWritten - before.rowsWritten) / pushes,
      groupsPerPush: (after.groups - before.groups) / pushes,
      pushes: jobs,
      selfRequests: (await familyStats(metrics, ["pdc_pushes"])).requests,
    };
  } finally {
    await metrics.stop();
    await ceiling.stop();
  }
}
