// Starts the real metrics Worker (esbuild bundle → Miniflare → workerd) with SQLite Durable Objects
// persisted to a folder, listening on a loopback port. Used by the black-box tests and the benchmark.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare, type WorkerOptions } from "miniflare";

const root = resolve(import.meta.dirname, "../..");
export const COMPATIBILITY_DATE = "2026-04-26";
export const PUSH_TOKEN = "blackbox-push-token";

/** Bundles a Worker entry (TypeScript) to one ES module, as wrangler would. */
export async function bundle(entry: string): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), "pdc-bundle-")), "worker.mjs");
  await build({
    entryPoints: [resolve(root, entry)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*"],
    outfile,
    logLevel: "error",
    conditions: ["source", "workerd", "worker", "browser"],
    mainFields: ["module", "main"],
  });
  return outfile;
}

export function familyObjects(scriptName?: string): WorkerOptions["durableObjects"] {
  return {
    METRICS_FAMILY: { className: "FamilyObject", useSQLite: true, ...(scriptName ? { scriptName } : {}) },
    METRICS_CATALOG: { className: "CatalogObject", useSQLite: true, ...(scriptName ? { scriptName } : {}) },
    METRICS_INGEST: { className: "IngestObject", useSQLite: true, ...(scriptName ? { scriptName } : {}) },
    METRICS_EXPORT: { className: "ExportObject", useSQLite: true, ...(scriptName ? { scriptName } : {}) },
  };
}

/**
 * `count` copies of a user Worker (each its own isolate, named `<name>-<i>`) bound to the metrics Worker's family
 * objects, from the bundle at `scriptPath`.
 */
export function userWorkers(
  scriptPath: string,
  count: number,
  name: string,
  vars: Record<string, string> = {},
): WorkerOptions[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${name}-${i}`,
    modules: true,
    modulesRoot: dirname(scriptPath),
    scriptPath,
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: familyObjects("metrics"),
    bindings: vars,
  }));
}

/** The cost counters of the family objects named `names` (the stats RPC is not counted as a request). */
export async function familyStats(worker: RunningWorker, names: readonly string[]) {
  const namespace = await worker.mf.getDurableObjectNamespace("METRICS_FAMILY", "metrics");
  type Stats = { requests: number; pushes: number; groups: number; rowsWritten: number; busyMs: number };
  const all = await Promise.all(
    names.map((n) => (namespace.getByName(n) as unknown as { stats(): Promise<Stats> }).stats()),
  );
  const sum = (key: keyof Stats) => all.reduce((n, s) => n + s[key], 0);
  return {
    requests: sum("requests"),
    pushes: sum("pushes"),
    groups: sum("groups"),
    rowsWritten: sum("rowsWritten"),
    busyMs: sum("busyMs"),
  };
}

/** The cost counters of the ingest objects (none when the Worker runs without them). */
export async function ingestStats(worker: RunningWorker, shards = 1) {
  type Stats = {
    requests: number;
    pushes: number;
    groups: number;
    folds: number;
    rowsWritten: number;
    pending: number;
  };
  const namespace = await worker.mf.getDurableObjectNamespace("METRICS_INGEST", "metrics").catch(() => undefined);
  const all = namespace
    ? await Promise.all(
        Array.from({ length: shards }, (_, k) =>
          (namespace.getByName(`ingest#${k}`) as unknown as { stats(): Promise<Stats> }).stats(),
        ),
      )
    : [];
  const sum = (key: keyof Stats) => all.reduce((n, s) => n + s[key], 0);
  return {
    requests: sum("requests"),
    pushes: sum("pushes"),
    groups: sum("groups"),
    folds: sum("folds"),
    rowsWritten: sum("rowsWritten"),
  };
}

/** The metrics Worker's objects without the ingest objects: every push goes to the family objects directly. */
export function directObjects(): WorkerOptions["durableObjects"] {
  const { METRICS_INGEST: _ingest, ...rest } = familyObjects() as Record<string, unknown>;
  return rest as WorkerOptions["durableObjects"];
}

export interface RunningWorker {
  url: URL;
  mf: Miniflare;
  stop(): Promise<void>;
  push(body: unknown, token?: string): Promise<Response>;
  scrape(accept?: string): Promise<string>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh folder in RAM (/dev/shm) where the machine has one, else in the temp folder. */
export function ramDir(prefix: string): string {
  return existsSync("/dev/shm") ? mkdtempSync(join("/dev/shm", prefix)) : tempDir(prefix);
}

/** A fresh folder inside the repo's node_modules/.cache, where bundled Node scripts still resolve packages. */
export function scriptDir(prefix: string): string {
  const cache = join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  return mkdtempSync(join(cache, prefix));
}

/** Starts the metrics Worker on 127.0.0.1 with its storage in `persistDir`; extra Workers may join it. */
export async function startMetricsWorker(options: {
  persistDir: string;
  vars?: Record<string, string>;
  script?: string;
  others?: WorkerOptions[];
  /** A fixed port (to restart on the same URL); default any free one. */
  port?: number;
  /** Receives everything workerd prints (Worker logs included). */
  onOutput?: (text: string) => void;
  /** The script's own Durable Object bindings (a reference Worker), instead of the metrics objects. */
  durableObjects?: WorkerOptions["durableObjects"];
  /** Opens V8's inspector on this port (every Worker a target, `ws://127.0.0.1:<port>/core:user:<name>`). */
  inspectorPort?: number;
}): Promise<RunningWorker> {
  const scriptPath = options.script ?? (await bundle("worker/index.ts"));
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: options.port ?? 0,
    ...(options.inspectorPort !== undefined ? { inspectorPort: options.inspectorPort } : {}),
    ...(options.onOutput
      ? {
          handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
            for (const stream of [stdout, stderr])
              stream.on("data", (chunk: Buffer) => options.onOutput?.(chunk.toString("utf8")));
          },
        }
      : {}),
    durableObjectsPersist: options.persistDir,
    workers: [
      {
        name: "metrics",
        modules: true,
        modulesRoot: dirname(scriptPath),
        scriptPath,
        compatibilityDate: COMPATIBILITY_DATE,
        durableObjects: options.durableObjects ?? familyObjects(),
        // The scrape is open in these tests unless a test closes it (the closed default is tested on its own).
        bindings: { PUSH_TOKEN, ALLOW_ANONYMOUS_SCRAPE: "true", ...options.vars },
      },
      ...(options.others ?? []),
    ],
  });
  const url = await mf.ready;
  const worker: RunningWorker = {
    url,
    mf,
    stop: () => mf.dispose(),
    push: (body, token = PUSH_TOKEN) =>
      fetch(new URL("/push", url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      }),
    scrape: async (accept) => {
      const res = await fetch(new URL("/metrics", url), accept ? { headers: { accept } } : {});
      if (res.status !== 200) throw new Error(`scrape answered ${res.status}: ${await res.text()}`);
      return res.text();
    },
  };
  return worker;
}

/** The value of one sample line (`name{labels} value`) in a text exposition, or undefined. */
export function sampleValue(exposition: string, series: string): number | undefined {
  const line = exposition.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Polls `probe` until it returns true, or throws after `timeoutMs`. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A real Prometheus server scraping a Worker every second, and its instant queries (the first result's value). */
export interface RunningPrometheus {
  port: number;
  query(q: string): Promise<string | undefined>;
  stop(): void;
}

/** Starts Debian's `prometheus` scraping `target` (honor_labels, as the README configures it) with `flags`, on `listenPort` or a free one. */
export async function startPrometheus(target: URL, flags: string[], listenPort?: number): Promise<RunningPrometheus> {
  const { freePort } = await import("./ports.ts");
  const dir = tempDir("pdc-prometheus-");
  const port = listenPort ?? (await freePort());
  writeFileSync(
    join(dir, "prometheus.yml"),
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pdc\n    honor_labels: true\n    static_configs:\n      - targets: ["${target.host}"]\n`,
  );
  const server = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ],
    { stdio: "ignore" },
  );
  const query = async (q: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).catch(
      () => undefined,
    );
    if (!res?.ok) return undefined;
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    return body.data.result[0]?.value[1];
  };
  return { port, query, stop: () => server.kill("SIGTERM") };
}
