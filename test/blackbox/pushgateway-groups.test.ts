// Group semantics against the real Pushgateway (Debian's prometheus-pushgateway): the same sequence of PUT, POST and
// DELETE calls over nested groups (job/a, job/a/instance/x, job/a/instance/y) and over a family spread over three
// objects (FAMILY_SHARDS) goes to both. After every step the series of each group agree (their names and labels),
// values agree except where our POST adds to a counter on purpose, and push_time_seconds exists for the same groups
// with the same labels; a refused push sets push_failure_time_seconds on both. Then prom-client's pushAdd of a counter
// named without _total shows the same series names in text 0.0.4 on both. Skipped, visibly, without the Pushgateway
// unless PDC_REQUIRE_PUSHGATEWAY=1.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import client from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GROUP_TIME_FAMILIES } from "../../lib/protocol/names.ts";
import { parseTextFormat } from "../../lib/protocol/text-format/parse.ts";
import { PUSH_TOKEN, type RunningWorker, startMetricsWorker, tempDir } from "./harness.ts";
import { freePort } from "./ports.ts";

const BINARY = "prometheus-pushgateway";
const hasPushgateway = spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
if (!hasPushgateway && process.env.PDC_REQUIRE_PUSHGATEWAY === "1")
  throw new Error(`PDC_REQUIRE_PUSHGATEWAY=1 but ${BINARY} is missing (apt-get install -y prometheus-pushgateway)`);
if (!hasPushgateway)
  console.warn(`\n*** SKIPPING the comparison with the real Pushgateway: ${BINARY} is missing ***\n`);

const ADMIN_TOKEN = "groups-admin-token";
const SCRAPE_TOKEN = "groups-scrape-token";

/** A step of the sequence: a method, a grouping path after /metrics/, a text body. */
type Step = [method: "PUT" | "POST" | "DELETE", path: string, body: string];

/** The counter family our POST adds to (the Pushgateway's POST replaces): the one place values may differ. */
const ADDING = "cmp_runs_total";

const STEPS: Step[] = [
  ["PUT", "job/a", 'cmp_state 1\ncmp_items{k="1"} 2\n# TYPE cmp_runs_total counter\ncmp_runs_total 1\n'],
  ["PUT", "job/a/instance/x", "cmp_state 3\ncmp_sharded 4\n"],
  ["POST", "job/a/instance/y", 'cmp_items{k="2"} 5\ncmp_sharded 6\n'],
  ["POST", "job/a", "# TYPE cmp_runs_total counter\ncmp_runs_total 2\n"],
  // The group job/a loses cmp_state and cmp_runs_total (not named), keeps cmp_items{k="1"} with the new value.
  ["PUT", "job/a", 'cmp_items{k="1"} 7\n'],
  ["POST", "job/a/instance/x", "cmp_sharded 9\n"],
  // Not the groups nested in it.
  ["DELETE", "job/a", ""],
  // The group y keeps only cmp_sharded, on whichever shards it was.
  ["PUT", "job/a/instance/y", "cmp_sharded 8\n"],
  ["PUT", "job/a/instance/x", ""],
  ["POST", "job/a", "# TYPE cmp_runs_total counter\ncmp_runs_total 3\n"],
  ["DELETE", "job/a/instance/y", ""],
];

/** Each group's series of a scrape (groups by their job and instance), as `name{labels} value`, the time gauges apart. */
function groupsOf(text: string): { series: Map<string, Map<string, number>>; times: Map<string, string[]> } {
  const parsed = parseTextFormat(text);
  if (!parsed.ok) throw new Error(`a scrape does not parse: line ${parsed.line}: ${parsed.error}`);
  const series = new Map<string, Map<string, number>>();
  const times = new Map<string, string[]>();
  for (const family of parsed.families)
    for (const s of family.samples) {
      if (s.labels.job !== "a") continue;
      const labels = Object.entries(s.labels)
        .filter(([, value]) => value !== "")
        .sort(([x], [y]) => (x < y ? -1 : 1));
      const group = `job=${s.labels.job},instance=${s.labels.instance ?? ""}`;
      const id = `${s.name}{${labels.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
      if (GROUP_TIME_FAMILIES.includes(s.name)) {
        // A time of 0: the group exists, no push to it succeeded (or failed).
        times.set(group, [...(times.get(group) ?? []), `${id} ${s.value === 0 ? "0" : "set"}`].sort());
        continue;
      }
      const of = series.get(group) ?? new Map<string, number>();
      of.set(id, s.value);
      series.set(group, of);
    }
  return { series, times };
}

describe.skipIf(!hasPushgateway)("Pushgateway groups against the real Pushgateway (black box)", () => {
  let worker: RunningWorker;
  let gatewayProcess: ChildProcess;
  let real: string;
  let ours: string;

  beforeAll(async () => {
    const port = await freePort();
    // In memory only: no persistence file, so every run starts empty.
    gatewayProcess = spawn(BINARY, [`--web.listen-address=127.0.0.1:${port}`, "--persistence.file="], {
      stdio: "ignore",
    });
    real = `http://127.0.0.1:${port}`;
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-groups-"),
      vars: { ADMIN_TOKEN, SCRAPE_TOKEN, FAMILY_SHARDS: JSON.stringify({ cmp_sharded: 3 }) },
    });
    ours = worker.url.href.replace(/\/$/, "");
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${real}/-/ready`).catch(() => undefined))?.ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("the Pushgateway did not start");
  });
  afterAll(async () => {
    gatewayProcess?.kill("SIGTERM");
    await worker?.stop();
  });

  const send = async (base: string, [method, path, body]: Step) => {
    const token = method === "DELETE" ? ADMIN_TOKEN : PUSH_TOKEN;
    const res = await fetch(`${base}/metrics/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "text/plain; version=0.0.4" },
      ...(method === "DELETE" ? {} : { body }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const scrape = async (base: string) => {
    const res = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${SCRAPE_TOKEN}`, accept: "text/plain; version=0.0.4" },
    });
    expect(res.status).toBe(200);
    return res.text();
  };
  const ok = (status: number) => status >= 200 && status < 300;

  it("agrees after every step: each group's series, values where POST does not add, push_time_seconds", async () => {
    for (const [i, step] of STEPS.entries()) {
      const [realStatus, ourStatus] = [await send(real, step), await send(ours, step)];
      expect([i, ok(realStatus), ok(ourStatus)]).toEqual([i, true, true]);
      const [theirs, mine] = [groupsOf(await scrape(real)), groupsOf(await scrape(ours))];
      const where = `after step ${i + 1} (${step[0]} ${step[1]})`;
      expect([where, [...mine.series.keys()].sort()]).toEqual([where, [...theirs.series.keys()].sort()]);
      for (const [group, series] of theirs.series) {
        const own = mine.series.get(group) ?? new Map();
        expect([where, group, [...own.keys()].sort()]).toEqual([where, group, [...series.keys()].sort()]);
        for (const [id, value] of series)
          if (!id.startsWith(ADDING)) expect([where, id, own.get(id)]).toEqual([where, id, value]);
      }
      // Both time gauges of every group, push_failure_time_seconds 0 for a group no push to failed.
      expect([where, mine.times]).toEqual([where, theirs.times]);
    }
    // Where POST adds on purpose: job/a's counter was PUT at 1 and POSTed 2, then PUT away, then POSTed 3.
    const counter = (text: string) => groupsOf(text).series.get("job=a,instance=")?.get(`${ADDING}{job="a"}`);
    expect([counter(await scrape(real)), counter(await scrape(ours))]).toEqual([3, 3]);
  });

  it("a refused push sets the group's push_failure_time_seconds on both, and makes its push_time_seconds 0", async () => {
    // cmp_runs_total is a counter of group job/a on both: a gauge of that name is inconsistent (the Pushgateway) or
    // another type (ours).
    const step: Step = ["POST", "job/a/instance/z", "# TYPE cmp_runs_total gauge\ncmp_runs_total 1\n"];
    expect([await send(real, step), await send(ours, step)]).toEqual([400, 409]);
    const [theirs, mine] = [groupsOf(await scrape(real)), groupsOf(await scrape(ours))];
    const failed = ['push_failure_time_seconds{instance="z",job="a"} set', 'push_time_seconds{instance="z",job="a"} 0'];
    expect(theirs.times.get("job=a,instance=z")).toEqual(failed);
    expect(mine.times.get("job=a,instance=z")).toEqual(failed);
    expect(mine.series.get("job=a,instance=z")).toBeUndefined();
  });

  it("a counter x beside a gauge x_total in one body: both take it, and show the same series in text 0.0.4", async () => {
    const step: Step = [
      "POST",
      "job/pair",
      "# TYPE cmp_pair counter\ncmp_pair 4\n# TYPE cmp_pair_total gauge\ncmp_pair_total 9\n",
    ];
    expect([ok(await send(real, step)), ok(await send(ours, step))]).toEqual([true, true]);
    const samples = async (base: string) => {
      const parsed = parseTextFormat(await scrape(base));
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.families
        .flatMap((f) => f.samples.map((s) => `${f.type} ${s.name} ${s.value}`))
        .filter((line) => line.includes(" cmp_pair"))
        .sort();
    };
    expect(await samples(real)).toEqual(["counter cmp_pair 4", "gauge cmp_pair_total 9"]);
    expect(await samples(ours)).toEqual(["counter cmp_pair 4", "gauge cmp_pair_total 9"]);
  });

  it("prom-client's pushAdd of a counter named without _total: the same series names in text 0.0.4", async () => {
    const names = async (base: string) => {
      const registry = new client.Registry();
      const counter = new client.Counter({ name: "cmp_jobs_processed", help: "Jobs.", registers: [registry] });
      counter.inc(2);
      const gateway = new client.Pushgateway(base, { headers: { Authorization: `Bearer ${PUSH_TOKEN}` } }, registry);
      await gateway.pushAdd({ jobName: "a_prom_client" });
      const parsed = parseTextFormat(await scrape(base));
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.families
        .flatMap((f) => f.samples)
        .filter((s) => s.labels.job === "a_prom_client" && !GROUP_TIME_FAMILIES.includes(s.name))
        .map((s) => `${s.name} ${s.value}`);
    };
    expect(await names(real)).toEqual(["cmp_jobs_processed 2"]);
    expect(await names(ours)).toEqual(["cmp_jobs_processed 2"]);
  });
});
