// The Pushgateway-compatible endpoint (`PUT|POST|DELETE /metrics/job/<job>{/<label>/<value>}`) driven by real
// clients nobody here wrote: Python's prometheus_client (push_to_gateway, pushadd_to_gateway, delete_from_gateway
// with basic_auth_handler, each call its own python process), prom-client's Pushgateway class, and curl as in the
// Pushgateway README. POST adds, PUT replaces the series it carries, DELETE removes the group; 200 concurrent
// short-lived pushers (prom-client and python) end in exact totals, and a retried push with the same
// Idempotency-Key counts once. The final scrape passes promtool. Python and curl are skipped, visibly, where missing
// unless PDC_REQUIRE_PYTHON=1 / PDC_REQUIRE_CURL=1.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import client from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUP_TIME_FAMILIES } from "../../lib/protocol/names.ts";
import { PUSH_TOKEN, type RunningWorker, startMetricsWorker, tempDir } from "./harness.ts";

const PYTHON = "/usr/bin/python3";
const CURL = "/usr/bin/curl";
const hasPython =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ["-c", "import prometheus_client.exposition"], { stdio: "ignore" }).status === 0;
const hasCurl = existsSync(CURL) && spawnSync(CURL, ["--version"], { stdio: "ignore" }).status === 0;
const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasPython && process.env.PDC_REQUIRE_PYTHON === "1") {
  throw new Error(
    `PDC_REQUIRE_PYTHON=1 but ${PYTHON} cannot import prometheus_client (apt-get install -y python3-prometheus-client)`,
  );
}
if (!hasCurl && process.env.PDC_REQUIRE_CURL === "1") {
  throw new Error(`PDC_REQUIRE_CURL=1 but ${CURL} is missing (apt-get install -y curl)`);
}
if (!hasPython) {
  console.warn(
    `\n*** SKIPPING Python prometheus_client pushes: ${PYTHON} cannot import prometheus_client (apt-get install -y python3-prometheus-client) ***\n`,
  );
}
if (!hasCurl) console.warn(`\n*** SKIPPING curl pushes: ${CURL} is missing (apt-get install -y curl) ***\n`);

const SCRAPE_TOKEN = "pushgateway-clients-scrape-token";
const ADMIN_TOKEN = "pushgateway-clients-admin-token";

// ---- Running the real clients -------------------------------------------------------------------------------------

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (killed after 60 s), with `env` added to this process's environment. */
function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, timeout: 60_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * What every Python script starts with: the gateway's URL and a `handler` built from prometheus_client's
 * basic_auth_handler (any username, the push token as password), `admin` the same with the admin token, and `keyed`
 * adding an Idempotency-Key header from PDC_KEY.
 */
const PYTHON_PRELUDE = `
import os, sys, urllib.error
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client import delete_from_gateway, push_to_gateway, pushadd_to_gateway
from prometheus_client.exposition import basic_auth_handler

GATEWAY = os.environ["PDC_GATEWAY"]

def handler(url, method, timeout, headers, data):
    return basic_auth_handler(url, method, timeout, headers, data, "batch-user", os.environ["PDC_PUSH_TOKEN"])

def admin(url, method, timeout, headers, data):
    return basic_auth_handler(url, method, timeout, headers, data, "ops", os.environ["PDC_ADMIN_TOKEN"])

def keyed(url, method, timeout, headers, data):
    return handler(url, method, timeout, headers + [("Idempotency-Key", os.environ["PDC_KEY"])], data)
`;

// ---- Reading the scrape -------------------------------------------------------------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples and `# TYPE`s of a text-format 0.0.4 scrape. */
function parseScrape(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1] as string, type[2] as string);
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable scrape line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[name as string] = value as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

/** A sample as one canonical line: labels sorted by name, the value as a JavaScript number prints. */
function canonical(name: string, labels: Record<string, string>, value: number): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return `${name}{${pairs.join(",")}} ${value}`;
}

/**
 * Every sample of the scrape whose `job` label is `job`, as sorted canonical lines: empty labels left out (Prometheus
 * reads `instance=""` as no instance), and the groups' push times too (a test of their own checks them).
 */
function jobLines(scrape: { samples: Sample[] }, job: string): string[] {
  return scrape.samples
    .filter((s) => s.labels.job === job && !GROUP_TIME_FAMILIES.includes(s.name))
    .map((s) => canonical(s.name, Object.fromEntries(Object.entries(s.labels).filter(([, v]) => v !== "")), s.value))
    .sort();
}

/** The expected lines of a histogram series (cumulative `counts` for `bounds`, then +Inf) and its _sum and _count. */
function histogramLines(
  name: string,
  labels: Record<string, string>,
  bounds: number[],
  observations: number[],
): string[] {
  const le = [...bounds.map(String), "+Inf"];
  const counts = [...bounds, Number.POSITIVE_INFINITY].map((b) => observations.filter((v) => v <= b).length);
  return [
    ...counts.map((c, i) => canonical(`${name}_bucket`, { ...labels, le: le[i] as string }, c)),
    canonical(
      `${name}_sum`,
      labels,
      observations.reduce((a, b) => a + b, 0),
    ),
    canonical(`${name}_count`, labels, observations.length),
  ];
}

/** The expected _sum and _count lines of a summary series (quantiles are not kept). */
function summaryLines(name: string, labels: Record<string, string>, observations: number[]): string[] {
  return [
    canonical(
      `${name}_sum`,
      labels,
      observations.reduce((a, b) => a + b, 0),
    ),
    canonical(`${name}_count`, labels, observations.length),
  ];
}

const sorted = (lines: string[]) => [...lines].sort();

/** The per-family outcomes of a push reply's JSON body (prom-client's `{ body }`), as sorted `family:status`. */
const statuses = (reply: { body?: unknown }) =>
  (JSON.parse(String(reply.body)) as { families: { name: string; status: string }[] }).families
    .map((f) => `${f.name}:${f.status}`)
    .sort();

describe("Pushgateway endpoint with real clients (black box)", () => {
  let worker: RunningWorker;
  let gateway: string;

  const scrape = async () => {
    const res = await fetch(new URL("/metrics", worker.url), { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    return { text, ...parseScrape(text) };
  };

  /** Runs a Python script (after the prelude) in its own process; `env` adds PDC_* variables. */
  const python = (script: string, env: Record<string, string> = {}) =>
    run(PYTHON, ["-c", PYTHON_PRELUDE + script], {
      PDC_GATEWAY: gateway,
      PDC_PUSH_TOKEN: PUSH_TOKEN,
      PDC_ADMIN_TOKEN: ADMIN_TOKEN,
      ...env,
    });

  /** Runs a shell command line (curl as the README writes it); GATEWAY, PUSH_TOKEN and ADMIN_TOKEN are set. */
  const shell = (commandLine: string) =>
    run("/bin/sh", ["-c", commandLine], { GATEWAY: gateway, PUSH_TOKEN, ADMIN_TOKEN });

  /** A curl call's HTTP status and JSON body (the command line ends with `-sS -w '\n%{http_code}'`). */
  const curlReply = (exit: Exit) => {
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
    const cut = exit.stdout.lastIndexOf("\n");
    return { status: Number(exit.stdout.slice(cut + 1)), body: JSON.parse(exit.stdout.slice(0, cut)) as unknown };
  };

  const expectPythonOk = (exit: Exit) => {
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
  };

  beforeAll(async () => {
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-pushgateway-clients-"),
      vars: { SCRAPE_TOKEN, ADMIN_TOKEN },
    });
    gateway = worker.url.href.replace(/\/$/, "");
  });
  afterAll(async () => worker?.stop());

  // ---- Python prometheus_client ----------------------------------------------------------------------------------

  describe.skipIf(!hasPython)("Python prometheus_client", () => {
    it("pushadd_to_gateway from two processes: counters, histograms and summaries add up, gauges set", async () => {
      const script = `
registry = CollectorRegistry()
orders = Counter("py_orders", "Orders processed.", ["kind"], registry=registry)
latency = Histogram("py_latency_seconds", "Latency.", buckets=(0.25, 1, 4), registry=registry)
payload = Summary("py_payload_bytes", "Payload size.", registry=registry)
last = Gauge("py_last_run", "The last run.", registry=registry)
run = int(os.environ["PDC_RUN"])
if run == 1:
    orders.labels("a").inc(3)
    orders.labels("b").inc(1)
    latency.observe(0.25)
    latency.observe(2)
    payload.observe(10)
    payload.observe(6)
else:
    orders.labels("a").inc(4)
    latency.observe(0.5)
    latency.observe(8)
    payload.observe(1.5)
last.set(run)
# "dir" holds a "/": the client writes it as dir@base64/<base64url>.
pushadd_to_gateway(GATEWAY, job="py_batch", registry=registry, grouping_key={"instance": "worker-1", "dir": "/srv/in"}, handler=handler)
`;
      expectPythonOk(await python(script, { PDC_RUN: "1" }));
      expectPythonOk(await python(script, { PDC_RUN: "2" }));

      const scraped = await scrape();
      const group = { dir: "/srv/in", instance: "worker-1", job: "py_batch" };
      expect(jobLines(scraped, "py_batch")).toEqual(
        sorted([
          canonical("py_orders_total", { ...group, kind: "a" }, 7),
          canonical("py_orders_total", { ...group, kind: "b" }, 1),
          ...histogramLines("py_latency_seconds", group, [0.25, 1, 4], [0.25, 2, 0.5, 8]),
          ...summaryLines("py_payload_bytes", group, [10, 6, 1.5]),
          canonical("py_last_run", group, 2),
        ]),
      );
      expect(scraped.types.get("py_orders_total")).toBe("counter");
      expect(scraped.types.get("py_latency_seconds")).toBe("histogram");
      expect(scraped.types.get("py_payload_bytes")).toBe("summary");
      expect(scraped.types.get("py_last_run")).toBe("gauge");
      // Python's <name>_created gauges are not stored.
      expect(scraped.samples.filter((s) => s.name.startsWith("py_") && s.name.endsWith("_created"))).toEqual([]);
    });

    it("push_to_gateway (PUT) replaces the carried series: cumulative 5 then 8 ends at 8, another group untouched", async () => {
      const script = `
registry = CollectorRegistry()
retries = Counter("py_put_retries", "Retries.", registry=registry)
duration = Histogram("py_put_seconds", "Duration.", buckets=(1,), registry=registry)
grouping = {"instance": os.environ["PDC_INSTANCE"]}
for value in os.environ["PDC_STEPS"].split(","):
    retries.inc(float(value))
    duration.observe(float(value) / 4)
    if os.environ["PDC_MODE"] == "put":
        push_to_gateway(GATEWAY, job="py_put", registry=registry, grouping_key=grouping, handler=handler)
    else:
        pushadd_to_gateway(GATEWAY, job="py_put", registry=registry, grouping_key=grouping, handler=handler)
`;
      // Another group, added to once; then a long-lived process pushes its running totals twice with PUT.
      expectPythonOk(await python(script, { PDC_MODE: "add", PDC_INSTANCE: "other", PDC_STEPS: "2" }));
      expectPythonOk(await python(script, { PDC_MODE: "put", PDC_INSTANCE: "main", PDC_STEPS: "5,3" }));
      const main = { instance: "main", job: "py_put" };
      const other = { instance: "other", job: "py_put" };
      expect(jobLines(await scrape(), "py_put")).toEqual(
        sorted([
          canonical("py_put_retries_total", main, 8),
          canonical("py_put_retries_total", other, 2),
          ...histogramLines("py_put_seconds", main, [1], [1.25, 0.75]),
          ...histogramLines("py_put_seconds", other, [1], [0.5]),
        ]),
      );
      // A restarted process starts from zero: its PUT replaces the stored totals again.
      expectPythonOk(await python(script, { PDC_MODE: "put", PDC_INSTANCE: "main", PDC_STEPS: "1" }));
      expect(jobLines(await scrape(), "py_put")).toEqual(
        sorted([
          canonical("py_put_retries_total", main, 1),
          canonical("py_put_retries_total", other, 2),
          ...histogramLines("py_put_seconds", main, [1], [0.25]),
          ...histogramLines("py_put_seconds", other, [1], [0.5]),
        ]),
      );
    });

    it("delete_from_gateway removes the group's series in every family (admin token only), another group stays", async () => {
      const push = `
registry = CollectorRegistry()
files = Counter("py_del_files", "Files removed.", registry=registry)
seconds = Histogram("py_del_seconds", "Duration.", buckets=(1, 10), registry=registry)
size = Summary("py_del_bytes", "Bytes freed.", registry=registry)
for instance, n in (("a", 3), ("b", 5)):
    files.inc(n)
    seconds.observe(n)
    size.observe(n * 100)
    pushadd_to_gateway(GATEWAY, job="py_del", registry=registry, grouping_key={"instance": instance}, handler=handler)
    registry = CollectorRegistry()
    files = Counter("py_del_files", "Files removed.", registry=registry)
    seconds = Histogram("py_del_seconds", "Duration.", buckets=(1, 10), registry=registry)
    size = Summary("py_del_bytes", "Bytes freed.", registry=registry)
`;
      expectPythonOk(await python(push));
      const a = { instance: "a", job: "py_del" };
      const b = { instance: "b", job: "py_del" };
      const linesOfB = [
        canonical("py_del_files_total", b, 5),
        ...histogramLines("py_del_seconds", b, [1, 10], [5]),
        ...summaryLines("py_del_bytes", b, [500]),
      ];
      expect(jobLines(await scrape(), "py_del")).toEqual(
        sorted([
          canonical("py_del_files_total", a, 3),
          ...histogramLines("py_del_seconds", a, [1, 10], [3]),
          ...summaryLines("py_del_bytes", a, [300]),
          ...linesOfB,
        ]),
      );

      const remove = `
try:
    delete_from_gateway(GATEWAY, job="py_del", grouping_key={"instance": "a"}, handler=handler)
    print("deleted with the push token")
except urllib.error.HTTPError as error:
    print("push token refused", error.code)
delete_from_gateway(GATEWAY, job="py_del", grouping_key={"instance": "a"}, handler=admin)
print("deleted")
`;
      const exit = await python(remove);
      expectPythonOk(exit);
      expect(exit.stdout).toBe("push token refused 401\ndeleted\n");
      expect(jobLines(await scrape(), "py_del")).toEqual(sorted(linesOfB));
    });
  });

  // ---- prom-client's Pushgateway -------------------------------------------------------------------------------

  describe("prom-client Pushgateway", () => {
    /** A fresh prom-client registry with one counter, histogram, summary and gauge named `prefix_…`. */
    const promClientJob = (prefix: string) => {
      const registry = new client.Registry();
      return {
        registry,
        orders: new client.Counter({
          name: `${prefix}_orders_total`,
          help: "Orders processed.",
          labelNames: ["kind"],
          registers: [registry],
        }),
        latency: new client.Histogram({
          name: `${prefix}_latency_seconds`,
          help: "Latency.",
          buckets: [0.25, 1, 4],
          registers: [registry],
        }),
        payload: new client.Summary({ name: `${prefix}_payload_bytes`, help: "Payload size.", registers: [registry] }),
        last: new client.Gauge({ name: `${prefix}_last_run`, help: "The last run.", registers: [registry] }),
      };
    };

    it("pushAdd from separate clients (Bearer, Basic via auth, gzip body) adds up exactly", async () => {
      const params = { jobName: "pc_batch", groupings: { instance: "worker-1", dir: "/srv/in" } };
      const first = promClientJob("pc");
      first.orders.inc({ kind: "a" }, 3);
      first.orders.inc({ kind: "b" }, 1);
      first.latency.observe(0.25);
      first.latency.observe(2);
      first.payload.observe(10);
      first.payload.observe(6);
      first.last.set(1);
      const bearer = new client.Pushgateway(
        gateway,
        { headers: { Authorization: `Bearer ${PUSH_TOKEN}` }, timeout: 30_000 },
        first.registry,
      );
      const reply = await bearer.pushAdd(params);
      expect((reply.resp as { statusCode: number }).statusCode).toBe(200);
      expect(statuses(reply)).toEqual([
        "pc_last_run:applied",
        "pc_latency_seconds:applied",
        "pc_orders:applied",
        "pc_payload_bytes:applied",
      ]);

      const second = promClientJob("pc");
      second.orders.inc({ kind: "a" }, 4);
      second.latency.observe(0.5);
      second.latency.observe(8);
      second.payload.observe(1.5);
      second.last.set(2);
      await new client.Pushgateway(
        gateway,
        { auth: `batch-user:${PUSH_TOKEN}`, timeout: 30_000 },
        second.registry,
      ).pushAdd(params);

      const third = promClientJob("pc");
      third.orders.inc({ kind: "b" }, 10);
      third.latency.observe(1);
      third.payload.observe(0.5);
      third.last.set(3);
      await new client.Pushgateway(
        gateway,
        { headers: { Authorization: `Bearer ${PUSH_TOKEN}`, "Content-Encoding": "gzip" }, timeout: 30_000 },
        third.registry,
      ).pushAdd(params);

      const scraped = await scrape();
      const group = { dir: "/srv/in", instance: "worker-1", job: "pc_batch" };
      expect(jobLines(scraped, "pc_batch")).toEqual(
        sorted([
          canonical("pc_orders_total", { ...group, kind: "a" }, 7),
          canonical("pc_orders_total", { ...group, kind: "b" }, 11),
          ...histogramLines("pc_latency_seconds", group, [0.25, 1, 4], [0.25, 2, 0.5, 8, 1]),
          ...summaryLines("pc_payload_bytes", group, [10, 6, 1.5, 0.5]),
          canonical("pc_last_run", group, 3),
        ]),
      );
      expect(scraped.types.get("pc_orders_total")).toBe("counter");

      // A wrong token is refused, and prom-client rejects with the status and our JSON body.
      const refused = new client.Pushgateway(gateway, { auth: "batch-user:wrong", timeout: 30_000 }, third.registry);
      await expect(refused.pushAdd(params)).rejects.toThrow(
        'push failed with status 401, {"error":"invalid credentials"}',
      );
      expect(jobLines(await scrape(), "pc_batch")).toEqual(jobLines(scraped, "pc_batch"));
    });

    it("push (PUT) replaces the carried series and delete removes the group, another group stays", async () => {
      const main = { jobName: "pc_put", groupings: { instance: "main" } };
      const other = { jobName: "pc_put", groupings: { instance: "other" } };
      const options = { headers: { Authorization: `Bearer ${PUSH_TOKEN}` }, timeout: 30_000 };

      const otherJob = promClientJob("pc_put");
      otherJob.orders.inc({ kind: "a" }, 2);
      otherJob.latency.observe(0.5);
      await new client.Pushgateway(gateway, options, otherJob.registry).pushAdd(other);

      // A long-lived process: its registry keeps running totals, each push carries them.
      const job = promClientJob("pc_put");
      const longLived = new client.Pushgateway(gateway, options, job.registry);
      job.orders.inc({ kind: "a" }, 5);
      job.latency.observe(2);
      job.last.set(1);
      await longLived.push(main);
      job.orders.inc({ kind: "a" }, 3);
      job.latency.observe(0.25);
      job.last.set(2);
      await longLived.push(main);

      const m = { instance: "main", job: "pc_put" };
      const o = { instance: "other", job: "pc_put" };
      // prom-client exposes an unlabelled gauge never set as 0 and a summary never observed as _sum 0, _count 0.
      const linesOfOther = [
        canonical("pc_put_orders_total", { ...o, kind: "a" }, 2),
        ...histogramLines("pc_put_latency_seconds", o, [0.25, 1, 4], [0.5]),
        ...summaryLines("pc_put_payload_bytes", o, []),
        canonical("pc_put_last_run", o, 0),
      ];
      expect(jobLines(await scrape(), "pc_put")).toEqual(
        sorted([
          canonical("pc_put_orders_total", { ...m, kind: "a" }, 8),
          ...histogramLines("pc_put_latency_seconds", m, [0.25, 1, 4], [2, 0.25]),
          canonical("pc_put_last_run", m, 2),
          ...summaryLines("pc_put_payload_bytes", m, []),
          ...linesOfOther,
        ]),
      );

      // DELETE needs the admin token once one is set: the push token is refused, the admin token deletes.
      await expect(longLived.delete(main)).rejects.toThrow("push failed with status 401");
      const admin = new client.Pushgateway(gateway, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      const deleted = await admin.delete(main);
      expect((deleted.resp as { statusCode: number }).statusCode).toBe(202);
      expect(JSON.parse(String(deleted.body))).toEqual({
        grouping: { job: "pc_put", instance: "main" },
        families: [
          { family: "pc_put_last_run", deleted: 1 },
          { family: "pc_put_latency_seconds", deleted: 1 },
          { family: "pc_put_orders", deleted: 1 },
          { family: "pc_put_payload_bytes", deleted: 1 },
          { family: "push_failure_time_seconds", deleted: 1 },
          { family: "push_time_seconds", deleted: 1 },
        ],
      });
      expect(jobLines(await scrape(), "pc_put")).toEqual(sorted(linesOfOther));
    });
  });

  // ---- curl, as in the Pushgateway README ------------------------------------------------------------------------

  describe.skipIf(!hasCurl)("curl --data-binary", () => {
    it("takes the README's one-line and heredoc pushes, and the README's DELETE of a group", async () => {
      const oneLine = curlReply(
        await shell(
          `echo "some_metric 3.14" | curl -sS -w '\\n%{http_code}' -u "pusher:$PUSH_TOKEN" --data-binary @- "$GATEWAY/metrics/job/some_job"`,
        ),
      );
      expect(oneLine).toEqual({
        status: 200,
        body: { families: [{ name: "some_metric", status: "applied", series: 1 }] },
      });

      // The README's heredoc (its counter renamed: README's some_metric is untyped in the one-line push above, and
      // one name cannot be both), plus an untyped metric. Pushed twice: the counter adds, gauge and untyped set.
      const heredoc = `cat <<EOF | curl -sS -w '\\n%{http_code}' -H "Authorization: Bearer $PUSH_TOKEN" --data-binary @- "$GATEWAY/metrics/job/some_job/instance/some_instance"
# TYPE some_counter counter
some_counter{label="val1"} 42
# TYPE another_metric gauge
# HELP another_metric Just an example.
another_metric 2398.283
untyped_metric{label="val2"} 7
EOF`;
      for (let i = 0; i < 2; i++) expect(curlReply(await shell(heredoc)).status).toBe(200);

      const scraped = await scrape();
      const group = { instance: "some_instance", job: "some_job" };
      expect(jobLines(scraped, "some_job")).toEqual(
        sorted([
          canonical("some_metric", { job: "some_job" }, 3.14),
          // Pushed as some_counter: kept so in text 0.0.4, as the Pushgateway shows it.
          canonical("some_counter", { ...group, label: "val1" }, 84),
          canonical("another_metric", group, 2398.283),
          canonical("untyped_metric", { ...group, label: "val2" }, 7),
        ]),
      );
      expect(scraped.types.get("some_counter")).toBe("counter");
      expect(scraped.text).toContain("# HELP another_metric Just an example.\n# TYPE another_metric gauge\n");

      const deleted = curlReply(
        await shell(
          `curl -sS -w '\\n%{http_code}' -X DELETE -H "Authorization: Bearer $ADMIN_TOKEN" "$GATEWAY/metrics/job/some_job/instance/some_instance"`,
        ),
      );
      expect(deleted.status).toBe(202);
      expect(jobLines(await scrape(), "some_job")).toEqual([canonical("some_metric", { job: "some_job" }, 3.14)]);

      const anonymous = curlReply(
        await shell(
          `echo "some_metric 1" | curl -sS -w '\\n%{http_code}' --data-binary @- "$GATEWAY/metrics/job/some_job"`,
        ),
      );
      expect(anonymous).toEqual({ status: 401, body: { error: "missing or malformed credentials" } });
      expect(jobLines(await scrape(), "some_job")).toEqual([canonical("some_metric", { job: "some_job" }, 3.14)]);
    });

    it("decodes @base64 grouping values: the README's path@base64/L3Zhci90bXA, padding, an empty value, job@base64", async () => {
      const push = async (path: string, value: number) =>
        curlReply(
          await shell(
            `printf '# TYPE cleaner_files_removed counter\\ncleaner_files_removed ${value}\\n' | curl -sS -w '\\n%{http_code}' -u "cleaner:$PUSH_TOKEN" --data-binary @- "$GATEWAY/metrics/${path}"`,
          ),
        ).status;
      expect(await push("job/directory_cleaner/path@base64/L3Zhci90bXA", 12)).toBe(200);
      expect(await push("job/directory_cleaner/path@base64/L3Zhci90bXA", 12)).toBe(200);
      expect(await push("job/directory_cleaner/path@base64/L3Zhci9sb2c=", 5)).toBe(200);
      expect(await push("job/directory_cleaner/path@base64/=", 1)).toBe(200);
      expect(await push("job@base64/ZGlyZWN0b3J5X2NsZWFuZXI/path@base64/L3Zhci90bXA", 100)).toBe(200);
      expect(jobLines(await scrape(), "directory_cleaner")).toEqual(
        sorted([
          canonical("cleaner_files_removed", { job: "directory_cleaner", path: "/var/tmp" }, 124),
          canonical("cleaner_files_removed", { job: "directory_cleaner", path: "/var/log" }, 5),
          canonical("cleaner_files_removed", { job: "directory_cleaner" }, 1),
        ]),
      );
    });
  });

  // ---- Many short-lived pushers at once ------------------------------------------------------------------------

  it("200 concurrent short-lived pushers (prom-client and python) give exact totals; a retried push counts once", async () => {
    const PUSHERS = 200;
    const PYTHON_PUSHERS = hasPython ? 8 : 0;
    const GROUPS = 4;
    const BUCKETS = [0.25, 1, 4];
    // Dyadic values: their float sums are exact in any order.
    const increment = (n: number) => (n % 5) + 1;
    const duration = (n: number) => [0.25, 0.5, 1, 2, 4, 8, 0.125][n % 7] as number;
    const bytes = (n: number) => (n % 9) * 0.5 + 0.25;
    const instance = (n: number) => `i${n % GROUPS}`;
    const key = (n: number) => `crowd-pusher-${n}`;
    // Pushers that send their push twice with one Idempotency-Key: one after the other, at once, and a python one.
    const SEQUENTIAL_RETRY = 0;
    const CONCURRENT_RETRY = 1;
    const PYTHON_RETRY = PUSHERS - 1;

    const nodePusher = async (n: number): Promise<string[][]> => {
      const registry = new client.Registry();
      new client.Counter({ name: "crowd_jobs_total", help: "Jobs done.", registers: [registry] }).inc(increment(n));
      new client.Histogram({
        name: "crowd_duration_seconds",
        help: "Job duration.",
        buckets: BUCKETS,
        registers: [registry],
      }).observe(duration(n));
      new client.Summary({ name: "crowd_payload_bytes", help: "Payload size.", registers: [registry] }).observe(
        bytes(n),
      );
      const retried = n === SEQUENTIAL_RETRY || n === CONCURRENT_RETRY;
      const headers = { Authorization: `Bearer ${PUSH_TOKEN}`, ...(retried ? { "Idempotency-Key": key(n) } : {}) };
      const pusher = new client.Pushgateway(gateway, { headers, timeout: 60_000 }, registry);
      const params = { jobName: "crowd", groupings: { instance: instance(n) } };
      const replies =
        n === SEQUENTIAL_RETRY
          ? [await pusher.pushAdd(params), await pusher.pushAdd(params)]
          : n === CONCURRENT_RETRY
            ? await Promise.all([pusher.pushAdd(params), pusher.pushAdd(params)])
            : [await pusher.pushAdd(params)];
      return replies.map((reply) => {
        expect((reply.resp as { statusCode: number }).statusCode).toBe(200);
        return statuses(reply);
      });
    };

    const pythonPusher = `
registry = CollectorRegistry()
Counter("crowd_jobs", "Jobs done.", registry=registry).inc(float(os.environ["PDC_INC"]))
Histogram("crowd_duration_seconds", "Job duration.", buckets=(0.25, 1, 4), registry=registry).observe(float(os.environ["PDC_DURATION"]))
Summary("crowd_payload_bytes", "Payload size.", registry=registry).observe(float(os.environ["PDC_BYTES"]))
times = 2 if os.environ.get("PDC_KEY") else 1
for _ in range(times):
    pushadd_to_gateway(GATEWAY, job="crowd", registry=registry, grouping_key={"instance": os.environ["PDC_INSTANCE"]}, handler=keyed if times == 2 else handler)
`;
    const pushers = Array.from({ length: PUSHERS }, (_, n) => n);
    const started = Date.now();
    const [nodeReplies, pythonExits] = await Promise.all([
      Promise.all(pushers.slice(0, PUSHERS - PYTHON_PUSHERS).map(nodePusher)),
      Promise.all(
        pushers.slice(PUSHERS - PYTHON_PUSHERS).map((n) =>
          python(pythonPusher, {
            PDC_INC: String(increment(n)),
            PDC_DURATION: String(duration(n)),
            PDC_BYTES: String(bytes(n)),
            PDC_INSTANCE: instance(n),
            ...(n === PYTHON_RETRY ? { PDC_KEY: key(n) } : {}),
          }),
        ),
      ),
    ]);
    const elapsed = Date.now() - started;
    for (const exit of pythonExits) expectPythonOk(exit);

    const families = ["crowd_duration_seconds", "crowd_jobs", "crowd_payload_bytes"];
    const applied = families.map((f) => `${f}:applied`);
    const duplicate = families.map((f) => `${f}:duplicate`);
    nodeReplies.forEach((replies, n) => {
      if (n === SEQUENTIAL_RETRY) expect(replies).toEqual([applied, duplicate]);
      else if (n === CONCURRENT_RETRY) {
        // Each family applies the push once, whichever of the two requests reaches it first.
        expect(replies).toHaveLength(2);
        for (const [i] of families.entries())
          expect([replies[0]?.[i], replies[1]?.[i]].sort()).toEqual([applied[i], duplicate[i]]);
      } else expect(replies).toEqual([applied]);
    });

    const expected: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const inGroup = pushers.filter((n) => n % GROUPS === g);
      const labels = { instance: `i${g}`, job: "crowd" };
      expected.push(
        canonical(
          "crowd_jobs_total",
          labels,
          inGroup.map(increment).reduce((a, b) => a + b, 0),
        ),
        ...histogramLines("crowd_duration_seconds", labels, BUCKETS, inGroup.map(duration)),
        ...summaryLines("crowd_payload_bytes", labels, inGroup.map(bytes)),
      );
    }
    const scraped = await scrape();
    expect(jobLines(scraped, "crowd")).toEqual(sorted(expected));
    // The totals over every group, spelled out: 200 jobs of 1..5, 200 observations.
    const total = (name: string) =>
      scraped.samples.filter((s) => s.name === name && s.labels.job === "crowd").reduce((a, s) => a + s.value, 0);
    expect(total("crowd_jobs_total")).toBe(600);
    expect(total("crowd_duration_seconds_count")).toBe(PUSHERS);
    expect(total("crowd_payload_bytes_count")).toBe(PUSHERS);
    console.log(`200 concurrent pushers (${PYTHON_PUSHERS} python processes) took ${elapsed} ms`);
  });

  it.skipIf(!hasPromtool)("leaves a scrape that promtool check metrics accepts", async () => {
    const { text } = await scrape();
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    // Clean, lint included (what curl pushed without a HELP line got a help text of its own), but for the counters
    // curl pushed without _total: kept so, as the Pushgateway shows them, they meet promtool's naming lint (exit 3)
    // as they do on the Pushgateway, and nothing else does.
    const lints: [string, string[]][] = [
      ["cleaner_files_removed", ['counter metrics should have "_total" suffix']],
      [
        "some_counter",
        ['counter metrics should have "_total" suffix', "metric name should not include type 'counter'"],
      ],
    ];
    // Those with samples left when the curl tests ran (this test reads what the ones before it pushed and deleted).
    const bare = lints
      .filter(([name]) => new RegExp(`^${name}[{ ]`, "m").test(text))
      .flatMap(([name, problems]) => problems.map((problem) => `${name} ${problem}`))
      .sort();
    if (hasCurl) expect(bare).toHaveLength(1);
    expect((check.stdout + check.stderr).split("\n").filter(Boolean).sort()).toEqual(bare);
    expect(check.status).toBe(bare.length > 0 ? 3 : 0);
    if (hasCurl) expect(text).toContain("# HELP some_metric Pushed without HELP text.\n");
  });
});
