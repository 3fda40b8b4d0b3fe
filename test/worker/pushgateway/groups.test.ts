// Pushgateway groups inside workerd: a series records the group that wrote it; DELETE removes exactly one group (not
// the groups nested in it, nor series no group wrote); PUT replaces exactly one group in every family, sharded ones
// included; each group has its push_time_seconds, and push_failure_time_seconds (0 until a push to it is refused).

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardObjectName } from "../../../lib/protocol/names.ts";
import type { FamilyPage } from "../../../lib/protocol/wire.ts";
import { PAGE_BYTES, PAGE_SERIES } from "../../../lib/store/family-store.ts";
import { FENCE_GRACE_MS, FENCE_LINGER_MS } from "../../../lib/store/group-fences.ts";
import { mergedShards } from "../../../lib/store/merge-shards.ts";
import type { FamilyObject } from "../../../worker/objects/family-object.ts";
import { drainIngest } from "../../../worker/objects/stubs.ts";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";

const TOKEN = "test-push-token";
let runs = 0;
const job = (base: string) => `grp-${base}-${++runs}`;

function gateway(method: string, path: string, body = "") {
  return exports.default.fetch(
    new Request(`http://metrics.test/metrics/${path}`, {
      method,
      body: method === "DELETE" ? undefined : body,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "text/plain; version=0.0.4" },
    }),
  );
}

function pushJson(families: unknown[]) {
  return exports.default.fetch("http://metrics.test/push", {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ families }),
  });
}

/** Every stored series of the job, as "family{instance=…,k=…} value" lines, sorted. */
async function seriesOfJob(name: string): Promise<string[]> {
  const lines: string[] = [];
  for (const family of await collectFamilies(env))
    for (const s of family.series) {
      if (s.labels.job !== name) continue;
      const labels = Object.entries(s.labels)
        .filter(([label, value]) => label !== "job" && value !== "")
        .map(([label, value]) => `${label}=${value}`)
        .join(",");
      // A group's time gauges: "t" once set, "0" before (push_failure_time_seconds until a push fails).
      const value = family.name.startsWith("push_") ? (s.value === 0 ? "0" : "t") : String(s.value ?? s.count);
      lines.push(`${family.name}{${labels}} ${value}`);
    }
  return lines.sort();
}

describe("Pushgateway groups (workerd)", () => {
  it("DELETE removes exactly one group: not the groups nested in it, nor series no group wrote", async () => {
    const name = job("nested");
    const body = (v: number) => `# TYPE grp_nested_total counter\ngrp_nested_total{k="a"} ${v}\n`;
    expect((await gateway("POST", `job/${name}`, body(1))).status).toBe(200);
    expect((await gateway("POST", `job/${name}/instance/x`, body(2))).status).toBe(200);
    expect((await gateway("POST", `job/${name}/instance/y`, body(3))).status).toBe(200);
    // The same labels as the group job/<name>'s series, pushed by no group: the DELETE is not about it.
    const plain = {
      name: "grp_plain_total",
      type: "counter",
      help: "P.",
      labelNames: ["instance", "job", "k"],
      series: [{ labels: { instance: "", job: name, k: "a" }, inc: 5 }],
    };
    expect((await pushJson([plain])).status).toBe(200);
    const before = await seriesOfJob(name);
    expect(before).toEqual([
      "grp_nested{instance=x,k=a} 2",
      "grp_nested{instance=y,k=a} 3",
      "grp_nested{k=a} 1",
      "grp_plain{k=a} 5",
      "push_failure_time_seconds{instance=x} 0",
      "push_failure_time_seconds{instance=y} 0",
      "push_failure_time_seconds{} 0",
      "push_time_seconds{instance=x} t",
      "push_time_seconds{instance=y} t",
      "push_time_seconds{} t",
    ]);
    const res = await gateway("DELETE", `job/${name}`);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      grouping: { job: name },
      families: [
        { family: "grp_nested", deleted: 1 },
        { family: "push_failure_time_seconds", deleted: 1 },
        { family: "push_time_seconds", deleted: 1 },
      ],
    });
    expect(await seriesOfJob(name)).toEqual(
      before.filter(
        (line) => !["grp_nested{k=a} 1", "push_failure_time_seconds{} 0", "push_time_seconds{} t"].includes(line),
      ),
    );
    expect((await gateway("DELETE", `job/${name}/instance/x`)).status).toBe(202);
    expect(await seriesOfJob(name)).toEqual([
      "grp_nested{instance=y,k=a} 3",
      "grp_plain{k=a} 5",
      "push_failure_time_seconds{instance=y} 0",
      "push_time_seconds{instance=y} t",
    ]);
    // Deleted again: nothing to delete, nothing else touched.
    expect(await (await gateway("DELETE", `job/${name}/instance/x`)).json()).toEqual({
      grouping: { job: name, instance: "x" },
      families: [],
    });
  });

  it("PUT replaces the group in every family: the families it does not name lose the group's series", async () => {
    const name = job("put");
    const two = '# TYPE grp_put_a gauge\ngrp_put_a 1\n# TYPE grp_put_b gauge\ngrp_put_b{k="1"} 2\ngrp_put_b{k="2"} 3\n';
    expect((await gateway("PUT", `job/${name}`, two)).status).toBe(200);
    expect((await gateway("PUT", `job/${name}/instance/x`, two)).status).toBe(200);
    const res = await gateway("PUT", `job/${name}`, '# TYPE grp_put_b gauge\ngrp_put_b{k="2"} 4\n');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      families: [
        { name: "grp_put_b", status: "applied", series: 1 },
        { name: "grp_put_a", status: "applied", series: 0 },
      ],
    });
    expect(await seriesOfJob(name)).toEqual([
      "grp_put_a{instance=x} 1",
      "grp_put_b{instance=x,k=1} 2",
      "grp_put_b{instance=x,k=2} 3",
      "grp_put_b{k=2} 4",
      "push_failure_time_seconds{instance=x} 0",
      "push_failure_time_seconds{} 0",
      "push_time_seconds{instance=x} t",
      "push_time_seconds{} t",
    ]);
    // An empty PUT empties the group; its push time stays, newer.
    const [time] = await pushTimes(name, "");
    expect((await gateway("PUT", `job/${name}`, "")).status).toBe(200);
    expect(await seriesOfJob(name)).toEqual([
      "grp_put_a{instance=x} 1",
      "grp_put_b{instance=x,k=1} 2",
      "grp_put_b{instance=x,k=2} 3",
      "push_failure_time_seconds{instance=x} 0",
      "push_failure_time_seconds{} 0",
      "push_time_seconds{instance=x} t",
      "push_time_seconds{} t",
    ]);
    expect((await pushTimes(name, ""))[0]).toBeGreaterThanOrEqual(time as number);
    // A POST adds to the group again, in a family the PUT emptied.
    expect((await gateway("POST", `job/${name}`, "# TYPE grp_put_a gauge\ngrp_put_a 7\n")).status).toBe(200);
    expect(await seriesOfJob(name)).toContain("grp_put_a{} 7");
  });

  it("PUT replaces the group also in a family a push acknowledged just before wrote (not folded, so not indexed yet)", async () => {
    const name = job("waiting");
    const [f1, f2, f3] = ["grp_wait_a", "grp_wait_b", "grp_wait_c"].map((f) => `${f}_${runs}`);
    expect((await gateway("POST", `job/${name}`, `${f1} 1\n${f2} 2\n`)).status).toBe(200);
    expect((await gateway("POST", `job/${name}-other`, `${f3} 3\n`)).status).toBe(200);
    await seriesOfJob(name);
    // The group's first series in f3: acknowledged by the group's ingest object, waiting there for the next fold.
    expect((await gateway("POST", `job/${name}`, `${f3} 4\n`)).status).toBe(200);
    const put = await gateway("PUT", `job/${name}`, `${f1} 5\n`);
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({
      families: [
        { name: f1, status: "applied", series: 1 },
        { name: f2, status: "applied", series: 0 },
        { name: f3, status: "applied", series: 0 },
      ],
    });
    expect(await seriesOfJob(name)).toEqual([`${f1}{} 5`, "push_failure_time_seconds{} 0", "push_time_seconds{} t"]);
    expect(await seriesOfJob(`${name}-other`)).toEqual([
      `${f3}{} 3`,
      "push_failure_time_seconds{} 0",
      "push_time_seconds{} t",
    ]);
    // A new group's first POST, then at once an empty PUT (no family indexed for the group): the group empties.
    const f4 = `grp_wait_d_${runs}`;
    expect((await gateway("POST", `job/${name}-empty`, `${f4} 6\n`)).status).toBe(200);
    expect((await gateway("PUT", `job/${name}-empty`, "")).status).toBe(200);
    expect(await seriesOfJob(`${name}-empty`)).toEqual(["push_failure_time_seconds{} 0", "push_time_seconds{} t"]);
  });

  it("PUT replaces the group in a histogram family it does not name; the Worker's parts count against no limit of the body", async () => {
    const name = job("histogram");
    const histogram =
      '# TYPE grp_hist histogram\ngrp_hist_bucket{le="1"} 1\ngrp_hist_bucket{le="+Inf"} 2\ngrp_hist_sum 3\ngrp_hist_count 2\n';
    expect((await gateway("PUT", `job/${name}`, `${histogram}grp_hist_other 1\n`)).status).toBe(200);
    const put = await gateway("PUT", `job/${name}`, "grp_hist_other 2\n");
    expect(put.status).toBe(200);
    expect(await seriesOfJob(name)).toEqual([
      "grp_hist_other{} 2",
      "push_failure_time_seconds{} 0",
      "push_time_seconds{} t",
    ]);
    // 100 families, the most a push may hold: the group's time gauge comes on top.
    const hundred = Array.from({ length: 100 }, (_, i) => `grp_hundred_${i} ${i}`).join("\n");
    expect((await gateway("POST", `job/${name}-100`, `${hundred}\n`)).status).toBe(200);
  });

  it("PUT replaces the group on every shard of a sharded family, and DELETE deletes it there", async () => {
    const name = job("sharded");
    const family = `grp_sharded_${runs}`;
    // A bound Worker spreads the family over 3 objects; its series of the group live on several of them.
    const definition = { name: family, type: "counter" as const, help: "S.", labelNames: ["instance", "job", "k"] };
    for (let k = 0; k < 3; k++) {
      const series = [{ labels: { instance: "", job: name, k: String(k) }, inc: 1 }];
      const part = { ...definition, shards: 3, series, grouping: { job: name } };
      const outcome = await env.METRICS_FAMILY.getByName(shardObjectName(family, k)).pushChecked(`s-${k}`, part);
      expect(outcome.status).toBe("applied");
    }
    expect((await seriesOfJob(name)).filter((l) => l.startsWith(family))).toHaveLength(3);
    const put = await gateway("PUT", `job/${name}`, `# TYPE ${family} counter\n${family}{k="1"} 9\n`);
    expect(put.status).toBe(200);
    expect((await seriesOfJob(name)).filter((l) => l.startsWith(family))).toEqual([`${family}{k=1} 9`]);
    expect((await gateway("DELETE", `job/${name}`)).status).toBe(202);
    expect(await seriesOfJob(name)).toEqual([]);
  });

  /**
   * A counter family spread over 3 objects by a bound Worker, with series of the group job/<name> on every shard (as
   * after the family was spread over more objects) and one of no group on shard 1.
   */
  async function spreadGroup(base: string) {
    const name = job(base);
    const family = `grp_${base}_${runs}`;
    const stub = (k: number) => env.METRICS_FAMILY.getByName(shardObjectName(family, k));
    const definition = { name: family, type: "counter" as const, help: "F.", labelNames: ["instance", "job", "k"] };
    for (let k = 0; k < 3; k++) {
      const series = [{ labels: { instance: "", job: name, k: String(k) }, inc: 1 }];
      const part = { ...definition, shards: 3, series, grouping: { job: name } };
      expect((await stub(k).pushChecked(`${base}-${k}`, part)).status).toBe("applied");
    }
    const plain = [{ labels: { instance: "", job: name, k: "9" }, inc: 5 }];
    expect((await stub(1).pushChecked(`${base}-plain`, { ...definition, shards: 3, series: plain })).status).toBe(
      "applied",
    );
    const shown = async () =>
      (await seriesOfJob(name))
        .filter((l) => l.startsWith(family))
        .map((l) => l.replace(`${family}{`, "").replace("}", ""));
    // The PUT carries k=1 (held by another shard than the group's, maybe) and k=7 (new).
    const put = () =>
      gateway("PUT", `job/${name}`, `# TYPE ${family} counter\n${family}{k="1"} 10\n${family}{k="7"} 70\n`);
    return { name, family, stub, definition, shown, put };
  }

  it("PUT over a sharded family is all or nothing for every reader: other shards' old parts are fenced, then collected", async () => {
    const { name, stub, definition, shown, put } = await spreadGroup("fenced");
    const firstPage = (k: number) => stub(k).scrapePage({ as: "parts", limit: PAGE_SERIES, maxBytes: PAGE_BYTES });
    const before = await Promise.all([0, 1, 2].map(firstPage));
    expect((await put()).status).toBe(200);
    await drainIngest(env);
    const after = await Promise.all([0, 1, 2].map(firstPage));
    const home = after.findIndex((page) => page.kind === "parts" && (page.fences?.length ?? 0) > 0);
    expect(home).toBeGreaterThanOrEqual(0);
    /** What a reader that read each shard's first page at the moment `pages` says makes of the family. */
    const read = async (pages: FamilyPage[]) => {
      const merged = mergedShards(
        pages,
        (k, after) => stub(k).scrapePage({ as: "parts", after, limit: PAGE_SERIES, maxBytes: PAGE_BYTES }),
        Date.now(),
        () => 0,
      );
      const lines: string[] = [];
      for await (const { series } of merged?.series ?? [])
        if (series) lines.push(`k=${series.labels.k} ${series.value}`);
      return lines.sort();
    };
    const old = ["k=0 1", "k=1 1", "k=2 1", "k=9 5"];
    const replaced = ["k=1 10", "k=7 70", "k=9 5"];
    // Every order of reads around the commit: the group's own shard decides, and the reader sees all or none of it.
    for (let mask = 0; mask < 8; mask++) {
      const pages = [0, 1, 2].map((k) => ((mask >> k) & 1 ? after[k] : before[k]) as FamilyPage);
      expect([mask, await read(pages)]).toEqual([mask, (mask >> home) & 1 ? replaced : old]);
    }
    // The other shards still hold the old parts (nothing was deleted there yet): the fence leaves them out.
    const held = async () =>
      (await Promise.all([0, 1, 2].map(async (k) => (await stub(k).stats()).seriesCount))).reduce((a, b) => a + b);
    const heldAfterPut = await held();
    expect(heldAfterPut).toBeGreaterThan(3);
    // Pushes a stale router sends the group to the other shards after the PUT go on to the group's shard: a new
    // series, and one the PUT replaced (it adds to the new value, not to the old part the fence leaves out).
    for (const [i, k, inc] of [
      [1, "8", 3],
      [2, "1", 2],
    ] as const) {
      const late = { ...definition, shards: 3, series: [{ labels: { instance: "", job: name, k }, inc }] };
      const outcome = await stub((home + i) % 3).pushChecked(`f-late-${k}`, { ...late, grouping: { job: name } });
      expect(outcome.status).toBe("applied");
    }
    expect((await stub(home).stats()).seriesCount).toBe(3);
    expect(await shown()).toEqual(["k=1 12", "k=7 70", "k=8 3", "k=9 5"]);
    // Past the grace, the group's shard has the others delete what the fence left out; the fence stays a little
    // longer than a reader's snapshot lasts (one may still page at a snapshot of a shard taken before), then goes.
    const at = async (ms: number) => {
      await runInDurableObject(stub(home), (instance: FamilyObject) => {
        instance.now = () => Date.now() + ms;
      });
      await runDurableObjectAlarm(stub(home));
      return (await Promise.all([0, 1, 2].map(firstPage))).filter((p) => p.kind === "parts" && p.fences).length;
    };
    expect(await at(FENCE_GRACE_MS + 1_000)).toBe(1);
    // The late pushes' new series came, the group's two old parts on the other shards (k=1, k=2) went.
    expect(await held()).toBe(heldAfterPut + 1 - 2);
    expect(await shown()).toEqual(["k=1 12", "k=7 70", "k=8 3", "k=9 5"]);
    expect(await at(FENCE_GRACE_MS + FENCE_LINGER_MS - 1_000)).toBe(1);
    expect(await at(FENCE_GRACE_MS + FENCE_LINGER_MS + 2_000)).toBe(0);
    expect(await shown()).toEqual(["k=1 12", "k=7 70", "k=8 3", "k=9 5"]);
  });

  it("a reader paging through a sharded family across a PUT sees all of it or none: each shard at its first page", async () => {
    const { name, stub, definition, put } = await spreadGroup("paged");
    // A series of no group on shard 0 too, so that shard 0 has a second page.
    const plain = [{ labels: { instance: "", job: name, k: "5" }, inc: 6 }];
    expect((await stub(0).pushChecked("paged-plain", { ...definition, shards: 3, series: plain })).status).toBe(
      "applied",
    );
    // A page of one series: every shard is read in several pages.
    const page = (k: number, after?: string, snapshot?: string) =>
      stub(k).scrapePage({
        as: "parts",
        ...(after !== undefined ? { after } : {}),
        ...(snapshot !== undefined ? { snapshot } : {}),
        limit: 1,
        maxBytes: PAGE_BYTES,
      });
    const read = async (first: FamilyPage[]) => {
      const lines: string[] = [];
      for await (const { series } of mergedShards(first, page, Date.now(), () => 0)?.series ?? [])
        if (series) lines.push(`k=${series.labels.k} ${series.value}`);
      return lines;
    };
    const before = await Promise.all([0, 1, 2].map((k) => page(k)));
    // Shards 0 and 1 hold two series each: their first page opened a snapshot; shard 2 holds one, read in one page.
    expect(before.map((p) => p.kind === "parts" && p.snapshot !== undefined)).toEqual([true, true, false]);
    expect((await put()).status).toBe(200);
    await drainIngest(env);
    // A Pushgateway push to a family a bound Worker spread goes to shard 0: the group's shard here.
    const after = await Promise.all([0, 1, 2].map((k) => page(k)));
    expect(after[0]?.kind === "parts" && after[0].fences?.length).toBe(1);
    // Read before the PUT: the group as it was on every page (the fence, and k=1 = 10, come with none of them).
    expect(await read(before)).toEqual(["k=0 1", "k=1 1", "k=2 1", "k=5 6", "k=9 5"]);
    // Read after: the group as the PUT left it.
    expect(await read(after)).toEqual(["k=1 10", "k=5 6", "k=7 70", "k=9 5"]);
  });

  it("a PUT whose group's shard never held the family fences it all the same: the empty page carries the fence", async () => {
    const name = job("emptyhome");
    const family = `grp_emptyhome_${runs}`;
    const stub = (k: number) => env.METRICS_FAMILY.getByName(shardObjectName(family, k));
    const definition = { name: family, type: "counter" as const, help: "E.", labelNames: ["instance", "job", "k"] };
    for (const k of [1, 2]) {
      const series = [{ labels: { instance: "", job: name, k: String(k) }, inc: k }];
      const part = { ...definition, shards: 3, series, grouping: { job: name } };
      expect((await stub(k).pushChecked(`e-${k}`, part)).status).toBe("applied");
    }
    expect((await seriesOfJob(name)).filter((l) => l.startsWith(family))).toHaveLength(2);
    // The PUT names another family: the group leaves this one, whose shard 0 holds nothing.
    expect((await gateway("PUT", `job/${name}`, `grp_emptyhome_other_${runs} 1\n`)).status).toBe(200);
    await drainIngest(env);
    const home = await stub(0).scrapePage({ as: "parts", limit: PAGE_SERIES, maxBytes: PAGE_BYTES });
    expect(home.kind).toBe("empty");
    expect(home.kind === "empty" && home.fences?.length).toBe(1);
    expect((await seriesOfJob(name)).filter((l) => l.startsWith(family))).toEqual([]);
    await runInDurableObject(stub(0), (instance: FamilyObject) => {
      instance.now = () => Date.now() + FENCE_GRACE_MS + 1_000;
    });
    await runDurableObjectAlarm(stub(0));
    expect((await stub(1).stats()).seriesCount + (await stub(2).stats()).seriesCount).toBe(0);
    expect((await seriesOfJob(name)).filter((l) => l.startsWith(family))).toEqual([]);
  });

  it("a family narrowed to one object within the grace of a fenced PUT keeps the PUT (nothing replaced comes back)", async () => {
    const { family, shown, put } = await spreadGroup("narrowed");
    expect((await put()).status).toBe(200);
    expect(await shown()).toEqual(["k=1 10", "k=7 70", "k=9 5"]);
    const narrow = await exports.default.fetch(
      new Request(`http://metrics.test/families/${family}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ shards: 1 }),
      }),
    );
    expect(await narrow.json()).toEqual({ family, shards: 1 });
    expect(await shown()).toEqual(["k=1 10", "k=7 70", "k=9 5"]);
  });

  it("push_time_seconds per group, with the group's labels; push_failure_time_seconds 0 until a push is refused", async () => {
    const name = job("times");
    const before = Date.now() / 1000;
    expect((await gateway("POST", `job/${name}/instance/i1`, "grp_times 1\n")).status).toBe(200);
    const after = Date.now() / 1000;
    const [pushed] = await pushTimes(name, "i1");
    expect(pushed).toBeGreaterThanOrEqual(Math.floor(before));
    expect(pushed).toBeLessThanOrEqual(after + 1);
    // Until a push to it fails, a group's failure time is 0, as the Pushgateway shows it.
    const failures = async () => (await failureTimes(name)).map((s) => [s.labels.instance, s.value]);
    expect(await failures()).toEqual([["i1", 0]]);
    // A body that cannot be parsed changes nothing, as the Pushgateway does.
    expect((await gateway("POST", `job/${name}/instance/i1`, "grp_times{ 1\n")).status).toBe(400);
    expect(await failures()).toEqual([["i1", 0]]);
    // A push refused once read (here a type clash with the stored family) sets the failure time, nothing else.
    expect((await gateway("POST", `job/${name}/instance/i1`, "# TYPE grp_times counter\ngrp_times 5\n")).status).toBe(
      409,
    );
    const failed = await failureTimes(name);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.labels).toEqual({ instance: "i1", job: name });
    expect(failed[0]?.value).toBeGreaterThanOrEqual(pushed as number);
    expect(await pushTimes(name, "i1")).toEqual([pushed]);
    // A refused push to a new group makes its push time, at 0, as the Pushgateway shows it.
    expect((await gateway("POST", `job/${name}/instance/i2`, "# TYPE grp_times counter\ngrp_times 5\n")).status).toBe(
      409,
    );
    expect(await pushTimes(name, "i2")).toEqual([0]);
    // A pushed push_time_seconds is the Worker's to keep: left out of a Pushgateway body, refused by /push.
    expect((await gateway("POST", `job/${name}/instance/i1`, "push_time_seconds 5\n")).status).toBe(200);
    expect((await pushTimes(name, "i1"))[0]).toBeGreaterThan(5);
    const json = await pushJson([
      { name: "push_time_seconds", type: "gauge", help: "T.", labelNames: [], series: [{ labels: {}, set: 5 }] },
    ]);
    expect([json.status, ((await json.json()) as { error: string }).error]).toEqual([
      400,
      'families[0].name: "push_time_seconds" is kept by the Worker for each Pushgateway group (the time of its last push)',
    ]);
  });
});

describe("names as the Pushgateway showed them (workerd)", () => {
  it("keeps a counter pushed without _total under its name in text 0.0.4; SCRAPE_FORMAT=text serves 0.0.4 to every scrape", async () => {
    const name = job("names");
    const family = `grp_jobs_processed_${runs}`;
    expect((await gateway("POST", `job/${name}`, `# TYPE ${family} counter\n${family} 4\n`)).status).toBe(200);
    const scrape = async (accept: string, vars: Record<string, string> = {}) => {
      const { createMetricsRouter } = await import("../../../worker/http/router.ts");
      const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
      const res = await createMetricsRouter().fetch(
        new Request("http://metrics.test/metrics", { headers: { accept } }),
        { ...env, ...vars },
        ctx,
      );
      return [
        res.headers.get("content-type"),
        (await res.text()).split("\n").filter((l: string) => l.includes(family) && !l.startsWith("pdc_")),
      ];
    };
    const sample = `${family}{instance="",job="${name}"} 4`;
    expect(await scrape("text/plain; version=0.0.4")).toEqual([
      "text/plain; version=0.0.4; charset=utf-8",
      [`# HELP ${family} Pushed without HELP text.`, `# TYPE ${family} counter`, sample],
    ]);
    const openMetrics = "application/openmetrics-text; version=1.0.0";
    const [type, lines] = await scrape(openMetrics);
    expect(type).toMatch(/^application\/openmetrics-text/);
    expect(lines).toContain(`${family}_total{instance="",job="${name}"} 4`);
    expect(await scrape(openMetrics, { SCRAPE_FORMAT: "text" })).toEqual(await scrape("text/plain; version=0.0.4"));
  });
});

describe("the Pushgateway's read API (workerd)", () => {
  it("GET /api/v1/metrics: each group with its families' series, its push times, whether its last push succeeded", async () => {
    const name = job("api");
    const body = `# TYPE grp_api_total counter\ngrp_api_total{k="a"} 3\n# HELP grp_api_h H.\n# TYPE grp_api_h histogram\ngrp_api_h_bucket{le="1"} 1\ngrp_api_h_bucket{le="+Inf"} 2\ngrp_api_h_sum 3\ngrp_api_h_count 2\n`;
    expect((await gateway("PUT", `job/${name}/instance/x`, body)).status).toBe(200);
    expect((await gateway("POST", `job/${name}`, "# TYPE grp_api_total gauge\ngrp_api_total 1\n")).status).toBe(409);
    const res = await exports.default.fetch(`http://metrics.test/api/v1/metrics`);
    expect(res.status).toBe(200);
    const { status, data } = (await res.json()) as { status: string; data: Record<string, unknown>[] };
    expect(status).toBe("success");
    const mine = data.filter((g) => (g.labels as { job: string }).job === name);
    expect(mine.map((g) => g.labels)).toEqual(expect.arrayContaining([{ job: name }, { instance: "x", job: name }]));
    expect(mine).toHaveLength(2);
    const byInstance = (instance?: string) =>
      mine.find((g) => (g.labels as { instance?: string }).instance === instance) as Record<string, unknown>;
    const [failedGroup, group] = [byInstance(undefined), byInstance("x")];
    expect(failedGroup).toMatchObject({
      last_push_successful: false,
      push_time_seconds: { type: "GAUGE", metrics: [{ labels: { instance: "", job: name }, value: "0" }] },
    });
    expect(Object.keys(failedGroup).sort()).toEqual([
      "labels",
      "last_push_successful",
      "push_failure_time_seconds",
      "push_time_seconds",
    ]);
    expect(group).toMatchObject({
      last_push_successful: true,
      grp_api_total: {
        type: "COUNTER",
        metrics: [{ labels: { instance: "x", job: name, k: "a" }, value: "3" }],
      },
      grp_api_h: {
        type: "HISTOGRAM",
        help: "H.",
        metrics: [{ labels: { instance: "x", job: name }, buckets: { "1": "1", "+Inf": "2" }, count: "2", sum: "3" }],
      },
      push_failure_time_seconds: { metrics: [{ value: "0" }] },
    });
    const pushed = Number((group.push_time_seconds as { metrics: { value: string }[] }).metrics[0]?.value);
    expect(Math.abs(pushed - Date.now() / 1000)).toBeLessThan(60);
    expect(Date.parse((group.grp_api_h as { time_stamp: string }).time_stamp)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("GET /api/v1/status answers; both routes want the scrape credential when scrapes are closed", async () => {
    const res = await exports.default.fetch("http://metrics.test/api/v1/status");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: "success",
      data: { build_information: { program: "prometheus-distributed-client" }, start_time: expect.any(String) },
    });
    const { createMetricsRouter } = await import("../../../worker/http/router.ts");
    const closed = { ...env, ALLOW_ANONYMOUS_SCRAPE: "false", SCRAPE_TOKEN: "scrape-secret" };
    const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    for (const path of ["/api/v1/metrics", "/api/v1/status"]) {
      const anonymous = await createMetricsRouter().fetch(new Request(`http://metrics.test${path}`), closed, ctx);
      expect(anonymous.status).toBe(401);
      const withToken = await createMetricsRouter().fetch(
        new Request(`http://metrics.test${path}`, { headers: { authorization: "Bearer scrape-secret" } }),
        closed,
        ctx,
      );
      expect(withToken.status).toBe(200);
    }
  });
});

async function groupTimes(family: string, name: string) {
  const stored = (await collectFamilies(env)).find((f) => f.name === family);
  return (stored?.series ?? []).filter((s) => s.labels.job === name);
}

async function pushTimes(name: string, instance: string): Promise<number[]> {
  return (await groupTimes("push_time_seconds", name))
    .filter((s) => (s.labels.instance ?? "") === instance)
    .map((s) => s.value as number);
}

async function failureTimes(name: string) {
  return groupTimes("push_failure_time_seconds", name);
}
