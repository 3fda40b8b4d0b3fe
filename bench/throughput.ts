// Benchmark (b): the anchor workload over HTTP against the metrics Worker and, in the same run, against reference
// Workers driven by the same client: the ceiling (parses the push and answers, no storage), and two floors that add,
// step by step, what any design with a Durable Object per family must do per push (one call per family object; one
// durable write per family object). Short slices rotate between the four, so all see the same moments of machine
// load; each figure is total jobs over total time. Two more references for the ingest design: the floor of a design
// that sends a whole push to one object writing one durable row (ingest-shaped), and the real Pushgateway (its
// Debian package, fed by our Pushgateway client), which keeps only the last push.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { HttpTransport } from "../lib/index.ts";
import {
  bundle,
  familyStats,
  ingestStats,
  PUSH_TOKEN,
  type RunningWorker,
  ramDir,
  sampleValue,
  startMetricsWorker,
  tempDir,
  waitFor,
} from "../test/blackbox/harness.ts";
import { freePort } from "../test/blackbox/ports.ts";
import { ANCHOR_FAMILIES, KINDS, runJobs, type Sink } from "./anchor.ts";

const SLICES = 12;
const SLICE_JOBS = 100;
const WARMUP_JOBS = 20;

export interface Throughput {
  /** Jobs per second over all slices: the metrics Worker and each reference. */
  ours: number;
  ceiling: number;
  callsOnly: number;
  oneWritePerFamily: number;
  /** One object call and one durable row per push (the floor of an ingest-shaped design). */
  ingestFloor: number;
  /** The real Pushgateway (undefined when it is not installed). */
  pushgateway: number | undefined;
  /** ceiling time / our time, slice by slice. */
  sliceRatios: number[];
  exact: boolean;
  problems: string[];
  /** Per push (steady state): object requests (ingest and family objects), rows written, family groups committed. */
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
/** The Debian Pushgateway on a free port, in memory only; undefined when it is not installed. */
async function startPushgateway(): Promise<{ url: string; process: ChildProcess } | undefined> {
  if (spawnSync("prometheus-pushgateway", ["--version"], { stdio: "ignore" }).status !== 0) return undefined;
  const port = await freePort();
  const child = spawn("prometheus-pushgateway", [`--web.listen-address=127.0.0.1:${port}`, "--persistence.file="], {
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, process: child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  return undefined;
}

export async function throughput(
  ram: boolean,
  checkSelfMetrics: boolean,
  vars: Record<string, string> = {},
  clients = 2,
): Promise<Throughput> {
  const dir = (prefix: string) => (ram ? ramDir(prefix) : tempDir(prefix));
  const workers: RunningWorker[] = [];
  const gateway = await startPushgateway();
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
    type Target = "ours" | "ceiling" | "callsOnly" | "oneWritePerFamily" | "ingestFloor" | "pushgateway";
    const targets: [Target, Sink][] = [
      ["ours", transport(metrics)],
      ["ceiling", transport(ceiling)],
      ["callsOnly", transport(floor, "?write=0")],
      ["oneWritePerFamily", transport(floor, "?write=1")],
      ["ingestFloor", transport(floor, "?ingest=1")],
      ...(gateway ? [["pushgateway", { gateway: gateway.url }] as [Target, Sink]] : []),
    ];
    for (const [, t] of targets) await runJobs(WARMUP_JOBS, clients, t, 0);
    const cost = async () => {
      const [families, ingest] = [await familyStats(metrics, ANCHOR_FAMILIES), await ingestStats(metrics)];
      return {
        ...families,
        requests: families.requests + ingest.requests,
        rowsWritten: families.rowsWritten + ingest.rowsWritten,
      };
    };
    const before = await cost();
    const seconds: Record<Target, number> = {
      ours: 0,
      ceiling: 0,
      callsOnly: 0,
      oneWritePerFamily: 0,
      ingestFloor: 0,
      pushgateway: 0,
    };
    const sliceRatios: number[] = [];
    for (let slice = 0; slice < SLICES; slice++) {
      const times: Partial<Record<keyof typeof seconds, number>> = {};
      // Rotate the order, so no target always follows the same one.
      for (let k = 0; k < targets.length; k++) {
        const [name, t] = targets[(slice + k) % targets.length] as (typeof targets)[number];
        const first = name === "ours" ? WARMUP_JOBS + slice * SLICE_JOBS : 0;
        const took = SLICE_JOBS / (await runJobs(SLICE_JOBS, clients, t, first));
        times[name] = took;
        seconds[name] += took;
      }
      sliceRatios.push((times.ceiling as number) / (times.ours as number));
    }
    // The scrape folds what the ingest objects hold, so the fold's requests and rows are counted too.
    const text = await metrics.scrape();
    const after = await cost();
    const pushes = SLICES * SLICE_JOBS;
    const jobs = WARMUP_JOBS + pushes;

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
      ingestFloor: rate("ingestFloor"),
      pushgateway: gateway ? rate("pushgateway") : undefined,
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
    gateway?.process.kill();
  }
}
