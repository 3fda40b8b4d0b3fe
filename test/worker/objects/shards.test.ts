// A family spread over shards, inside workerd: pushes spread evenly and land exactly; the scrape merges the parts
// per type (one HELP/TYPE, earliest creation time); deletions, expiry and the cap work across shards; K may change.

import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { DurableObjectTransport } from "../../../lib/client/transports/durable-object.ts";
import { shardObjectName } from "../../../lib/protocol/names.ts";
import type { FamilyPage, FamilyPush } from "../../../lib/protocol/wire.ts";
import { firstPages, mergedShards } from "../../../lib/store/merge-shards.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import { catalog } from "../../../worker/objects/catalog-object.ts";
import { deleteOnEveryShard } from "../../../worker/objects/stubs.ts";
import { decodeDelimited, PROTOBUF_CONTENT_TYPE } from "../../../worker/protobuf/messages.ts";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";

const shard = (family: string, k: number) => env.METRICS_FAMILY.getByName(shardObjectName(family, k));
const scrape = async (accept?: string) =>
  (
    await exports.default.fetch(new Request("http://metrics.test/metrics", accept ? { headers: { accept } } : {}))
  ).text();
const family = async (name: string) => (await collectFamilies(env)).find((f) => f.name === name);
const lines = (text: string, prefix: string) => text.split("\n").filter((l) => l.startsWith(prefix));
let ids = 0;
const id = () => `shard-push-${++ids}`;

describe("hot-family shards", () => {
  it("spreads 400 pushes over 4 shards within 1.5× of even, and adds them up exactly", async () => {
    const registry = new Registry({ transport: new DurableObjectTransport(env.METRICS_FAMILY) });
    const hits = new Counter({
      name: "spread_hits_total",
      help: "Hits.",
      labelNames: ["k"] as const,
      shards: 4,
      registers: [registry],
    });
    await Promise.all(
      Array.from({ length: 400 }, async (_, i) => {
        hits.inc({ k: String(i % 3) });
        await registry.flush();
      }),
    );
    const pushes = await Promise.all([0, 1, 2, 3].map(async (k) => (await shard("spread_hits", k).stats()).pushes));
    const total = pushes.reduce((a, b) => a + b, 0);
    for (const p of pushes) expect(p).toBeLessThanOrEqual(1.5 * (total / 4));
    expect(pushes.every((p) => p > 0)).toBe(true);
    const text = await scrape();
    expect(lines(text, "# TYPE spread_hits_total")).toHaveLength(1);
    const sum = [0, 1, 2].reduce((n, k) => n + Number(lines(text, `spread_hits_total{k="${k}"}`)[0]?.split(" ")[1]), 0);
    expect(sum).toBe(400);
    expect((await catalog(env).list()).find((e) => e.name === "spread_hits")?.shards).toBe(4);
  });

  it("merges parts per type: counters, histograms and summaries add; gauges follow their policy", async () => {
    const def = (name: string, over: Partial<FamilyPush>): Omit<FamilyPush, "series"> =>
      ({ name, help: "M.", labelNames: [], shards: 3, ...over }) as Omit<FamilyPush, "series">;
    const at = async (name: string, k: number, ms: number, part: FamilyPush) => {
      await runInDurableObject(shard(name, k), (instance) => {
        instance.now = () => ms;
      });
      expect(await shard(name, k).push(id(), part)).toMatchObject({ status: "applied" });
    };
    const t0 = 1_900_000_000_000;
    const counter = def("merge_counter", { type: "counter" });
    await at("merge_counter", 0, t0 + 5000, { ...counter, series: [{ labels: {}, inc: 2 }] });
    await at("merge_counter", 2, t0, { ...counter, series: [{ labels: {}, inc: 3 }] });
    const histogram = def("merge_histogram", { type: "histogram", buckets: [1] });
    await at("merge_histogram", 1, t0, { ...histogram, series: [{ labels: {}, counts: [1, 2], sum: 5 }] });
    await at("merge_histogram", 2, t0, { ...histogram, series: [{ labels: {}, counts: [3, 0], sum: 1 }] });
    const summary = def("merge_summary", { type: "summary", percentiles: [0.5] });
    await at("merge_summary", 0, t0, {
      ...summary,
      series: [{ labels: {}, count: 2, sum: 2, sketch: { zero: 0, pos: [[0, 2]], neg: [] } }],
    });
    await at("merge_summary", 1, t0, {
      ...summary,
      series: [{ labels: {}, count: 1, sum: 9, sketch: { zero: 0, pos: [[100, 1]], neg: [] } }],
    });
    for (const [merge, values, expected] of [
      ["set", [5, 7, 1], 1],
      ["sum", [5, 7, 1], 13],
      ["max", [5, 7, 1], 7],
      ["min", [5, 7, 1], 1],
    ] as const) {
      const gauge = def(`merge_gauge_${merge}`, { type: "gauge", merge });
      for (const [k, v] of values.entries()) {
        const series = [merge === "sum" ? { labels: {}, inc: v } : { labels: {}, set: v }];
        await at(`merge_gauge_${merge}`, k, t0 + k * 1000, { ...gauge, series });
      }
      expect((await family(`merge_gauge_${merge}`))?.series[0]?.value, merge).toBe(expected);
    }
    expect((await family("merge_counter"))?.series[0]).toMatchObject({
      value: 5,
      created: t0 / 1000,
      updated: (t0 + 5000) / 1000,
    });
    expect((await family("merge_histogram"))?.series[0]).toMatchObject({ counts: [4, 2], sum: 6 });
    const merged = (await family("merge_summary"))?.series[0];
    expect(merged).toMatchObject({ count: 3, sum: 11 });
    expect(merged?.quantiles?.[0]?.[1]).toBeCloseTo(1, 1);
    const om = await scrape("application/openmetrics-text; version=1.0.0");
    expect(lines(om, "# TYPE merge_counter ")).toEqual(["# TYPE merge_counter counter"]);
    expect(om.endsWith("# EOF\n")).toBe(true);
    // The earliest creation time of the parts, in the protobuf scrape.
    const res = await exports.default.fetch(
      new Request("http://metrics.test/metrics", { headers: { accept: PROTOBUF_CONTENT_TYPE } }),
    );
    const proto = decodeDelimited(new Uint8Array(await res.arrayBuffer()));
    expect(proto.find((f) => f.name === "merge_counter_total")?.metrics[0]?.counter?.created).toBe(t0 / 1000);
  });

  it("applies a reset and removals on every shard, and DELETE reaches every shard", async () => {
    const name = "shard_deletions";
    const def = { name, type: "counter" as const, help: "D.", labelNames: ["k"], shards: 3 };
    for (const k of [0, 1, 2]) {
      await shard(name, k).push(id(), { ...def, series: ["a", "b", "c"].map((v) => ({ labels: { k: v }, inc: 1 })) });
    }
    expect((await family(name))?.series.map((s) => [s.labels.k, s.value])).toEqual([
      ["a", 3],
      ["b", 3],
      ["c", 3],
    ]);
    const registry = new Registry({ transport: new DurableObjectTransport(env.METRICS_FAMILY) });
    const c = new Counter({ name, help: "D.", labelNames: ["k"] as const, shards: 3, registers: [registry] });
    c.remove({ k: "a" });
    await registry.flush();
    expect((await family(name))?.series.map((s) => s.labels.k)).toEqual(["b", "c"]);
    const admin = (path: string) =>
      exports.default.fetch(
        new Request(`http://metrics.test${path}`, {
          method: "DELETE",
          headers: { authorization: "Bearer test-push-token" },
        }),
      );
    expect(await (await admin(`/families/${name}/series?k=b`)).json()).toEqual({ family: name, deleted: 1 });
    expect((await family(name))?.series.map((s) => s.labels.k)).toEqual(["c"]);
    c.reset();
    c.inc({ k: "z" });
    await registry.flush();
    expect((await family(name))?.series.map((s) => [s.labels.k, s.value])).toEqual([["z", 1]]);
    const deleted = await admin(`/families/${name}`);
    expect(deleted.status).toBe(200);
    expect(await family(name)).toBeUndefined();
    for (const k of [0, 1, 2]) expect(await shard(name, k).snapshot()).toBeNull();
  });

  it("replaces a series held by several shards: shard 0 holds the pushed value, the other parts go", async () => {
    const name = "shard_replace";
    const def = { name, type: "counter" as const, help: "R.", labelNames: ["k"], shards: 3 };
    for (const k of [0, 1, 2]) {
      await shard(name, k).push(id(), { ...def, series: ["a", "b"].map((v) => ({ labels: { k: v }, inc: 10 })) });
    }
    // Shard 0 takes a replacement (the router sends it there) and clears the other shards' parts first.
    const replace: FamilyPush = { ...def, replace: true, series: [{ labels: { k: "a" }, inc: 4 }] };
    expect(await shard(name, 0).push(id(), replace)).toMatchObject({ status: "applied" });
    expect((await family(name))?.series.map((s) => [s.labels.k, s.value])).toEqual([
      ["a", 4],
      ["b", 30],
    ]);
    for (const k of [1, 2]) {
      const parts = (await shard(name, k).snapshot())?.series.map((s) => s.labels.k);
      expect(parts).toEqual(["b"]);
    }
    // A replacement shard 0 refuses (here: over the cap of 1,000 series) deletes nothing on the other shards.
    const many = Array.from({ length: 1_000 }, (_, i) => ({ labels: { k: `new-${i}` }, inc: 1 }));
    const refused: FamilyPush = { ...def, replace: true, series: [{ labels: { k: "b" }, inc: 1 }, ...many] };
    expect(await shard(name, 0).push(id(), refused)).toMatchObject({ status: "rejected", code: 413 });
    for (const k of [1, 2]) {
      const parts = (await shard(name, k).snapshot())?.series.map((s) => s.labels.k);
      expect(parts, `shard ${k} after the refused replacement`).toEqual(["b"]);
    }
    expect((await family(name))?.series.find((s) => s.labels.k === "b")?.value).toBe(30);
  });

  it("takes the declaring producer's deletions after a text push added a label on shard 0 only", async () => {
    const name = "shard_grown";
    const def = { name, type: "counter" as const, help: "G.", labelNames: ["k"], shards: 3 };
    for (const k of [0, 1, 2]) {
      await shard(name, k).push(id(), { ...def, series: [{ labels: { k: "a" }, inc: 1 }] });
    }
    // Text pushes carry no shard count: they land on shard 0, which adds "job" to the family there.
    const text: FamilyPush = { ...def, labelNames: ["job", "k"], inferred: true, series: [] };
    const grown = { ...text, series: [{ labels: { job: "j", k: "b" }, inc: 5 }] };
    expect(await shard(name, 0).push(id(), grown)).toMatchObject({ status: "applied" });
    // The library's removal goes to shard 0, which forwards it to the shards that never saw "job".
    const removal: FamilyPush = { ...def, remove: [{ k: "a" }], series: [] };
    expect(await shard(name, 0).push(id(), removal)).toMatchObject({ status: "applied" });
    expect((await family(name))?.series.map((s) => [s.labels.k, s.labels.job, s.value])).toEqual([["b", "j", 5]]);
    // And its increments keep landing on every shard.
    for (const k of [1, 2]) {
      expect(await shard(name, k).push(id(), { ...def, series: [{ labels: { k: "c" }, inc: 1 }] })).toMatchObject({
        status: "applied",
      });
    }
    expect((await family(name))?.series.find((s) => s.labels.k === "c")?.value).toBe(2);
  });

  it("counts distinct series across shards against the cap (1,000 in this pool)", async () => {
    const name = "shard_cap";
    const def = { name, type: "counter" as const, help: "C.", labelNames: ["k"], shards: 2 };
    const series = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ labels: { k: String(from + i) }, inc: 1 }));
    expect(await shard(name, 0).push(id(), { ...def, series: series(0, 600) })).toMatchObject({ status: "applied" });
    // The same 600 series in the other shard are no new series.
    expect(await shard(name, 1).push(id(), { ...def, series: series(0, 600) })).toMatchObject({ status: "applied" });
    expect(await shard(name, 1).push(id(), { ...def, series: series(600, 401) })).toMatchObject({
      status: "rejected",
      code: 413,
    });
    expect(await shard(name, 1).push(id(), { ...def, series: series(600, 400) })).toMatchObject({ status: "applied" });
    expect((await family(name))?.series).toHaveLength(1000);
  });

  it("lets K change without losing or doubling anything: the scrape reads every shard the family ever had", async () => {
    const name = "shard_resized";
    const registry = new Registry({ transport: new DurableObjectTransport(env.METRICS_FAMILY) });
    let total = 0;
    for (const shards of [2, 5, 1]) {
      registry.clear();
      const c = new Counter({ name, help: "R.", shards, registers: [registry] });
      for (let i = 0; i < 30; i++) {
        c.inc(i);
        total += i;
        await registry.flush();
      }
    }
    expect((await catalog(env).list()).find((e) => e.name === name)?.shards).toBe(5);
    expect((await family(name))?.series[0]?.value).toBe(total);
  });

  it("expires a series only when no shard saw it within its TTL", async () => {
    const name = "shard_ttl";
    const def = { name, type: "counter" as const, help: "T.", labelNames: ["k"], shards: 2, ttlSeconds: 60 };
    const t0 = 1_900_000_000_000;
    const setClock = async (ms: number) => {
      for (const k of [0, 1]) {
        await runInDurableObject(shard(name, k), (instance) => {
          instance.now = () => ms;
        });
      }
    };
    await setClock(t0);
    await shard(name, 0).push(id(), {
      ...def,
      series: [
        { labels: { k: "live" }, inc: 1 },
        { labels: { k: "gone" }, inc: 1 },
      ],
    });
    await setClock(t0 + 50_000);
    await shard(name, 1).push(id(), { ...def, series: [{ labels: { k: "live" }, inc: 1 }] });
    await setClock(t0 + 70_000);
    // Shard 0's parts are both stale; "live" was seen by shard 1 20 s ago.
    await runDurableObjectAlarm(shard(name, 0));
    const kept = await shard(name, 0).latestUpdates(['["live"]', '["gone"]']);
    expect(Object.keys(kept)).toEqual(['["live"]']);
    await setClock(t0 + 200_000);
    await runDurableObjectAlarm(shard(name, 0));
    await runDurableObjectAlarm(shard(name, 1));
    expect(await shard(name, 0).latestUpdates(['["live"]'])).toEqual({});
    expect(await shard(name, 1).latestUpdates(['["live"]'])).toEqual({});
  });
});

describe("sharding is an operator's decision, and a family can be narrowed again", () => {
  const admin = (path: string, body: unknown) =>
    exports.default.fetch(
      new Request(`http://metrics.test${path}`, {
        method: "PATCH",
        headers: { authorization: "Bearer test-push-token", "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  const objectRequests = async (name: string, shards: number) =>
    (await Promise.all(Array.from({ length: shards }, (_, k) => shard(name, k).stats()))).reduce(
      (n, s) => n + s.requests,
      0,
    );

  it("takes no shards from an HTTP push: the family stays in one object whatever the push declares", async () => {
    const push = {
      families: [{ name: "http_sharded", type: "counter", help: "H.", shards: 32, series: [{ labels: {}, inc: 1 }] }],
    };
    const response = await exports.default.fetch(
      new Request("http://metrics.test/push", {
        method: "POST",
        headers: { authorization: "Bearer test-push-token", "content-type": "application/json" },
        body: JSON.stringify(push),
      }),
    );
    expect(response.status).toBe(200);
    expect((await catalog(env).list()).find((e) => e.name === "http_sharded")?.shards).toBe(1);
  });

  it("narrows a family: shard 0 takes in the others' series, every scrape meanwhile counts each once, and the scrape reads one object", async () => {
    const name = "narrowed_hits";
    const registry = new Registry({ transport: new DurableObjectTransport(env.METRICS_FAMILY) });
    const hits = new Counter({ name, help: "Hits.", labelNames: ["k"] as const, shards: 4, registers: [registry] });
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        hits.inc({ k: String(i % 5) });
        await registry.flush();
      }),
    );
    // Declared without _total: text 0.0.4 shows it so.
    const total = (text: string) => lines(text, `${name}{`).reduce((n, l) => n + Number(l.split(" ")[1]), 0);
    expect(total(await scrape())).toBe(200);
    const holders = await Promise.all([1, 2, 3].map(async (k) => (await shard(name, k).stats()).seriesCount));
    expect(holders.some((n) => n > 0)).toBe(true);
    // Shard 0 has taken shard 3 in while the catalog still lists 4 objects: a scrape counts shard 3's series once.
    expect((await shard(name, 0).absorbShard(3)).seriesCount).toBeGreaterThan(0);
    expect(total(await scrape())).toBe(200);
    // Scrapes run while shard 0 takes the others in: each sees every increment exactly once.
    const narrowing = admin(`/families/${name}`, { shards: 1 });
    const during = await Promise.all(Array.from({ length: 6 }, () => scrape()));
    expect(await (await narrowing).json()).toEqual({ family: name, shards: 1 });
    for (const text of during) expect(total(text)).toBe(200);
    expect((await catalog(env).list()).find((e) => e.name === name)?.shards).toBe(1);
    const before = await objectRequests(name, 4);
    expect(total(await scrape())).toBe(200);
    expect((await objectRequests(name, 4)) - before).toBe(1);
    // A push that still reaches a retired shard goes on to shard 0, once.
    const part: FamilyPush = {
      name,
      type: "counter",
      help: "Hits.",
      labelNames: ["k"],
      series: [{ labels: { k: "0" }, inc: 5 }],
    };
    expect(await shard(name, 3).push("late-to-retired", part)).toMatchObject({ status: "applied" });
    expect(await shard(name, 3).push("late-to-retired", part)).toMatchObject({ status: "duplicate" });
    expect(total(await scrape())).toBe(205);
    // Narrowing again changes nothing; the retired shards drop their old parts after the grace.
    expect(await (await admin(`/families/${name}`, { shards: 1 })).json()).toEqual({ family: name, shards: 1 });
    for (const k of [1, 2, 3]) {
      await runInDurableObject(shard(name, k), (instance) => {
        instance.now = () => Date.now() + 10 * 60_000;
      });
      await runDurableObjectAlarm(shard(name, k));
      expect((await shard(name, k).stats()).seriesCount).toBe(0);
    }
    expect(total(await scrape())).toBe(205);
  });

  /** A counter family `name` spread over `shards` objects by a bound Worker, `pushes` increments of 1 over 5 series. */
  async function spread(name: string, shards: number, pushes: number, labels = 5) {
    const registry = new Registry({ transport: new DurableObjectTransport(env.METRICS_FAMILY) });
    const c = new Counter({ name, help: "S.", labelNames: ["k"] as const, shards, registers: [registry] });
    await Promise.all(
      Array.from({ length: pushes }, async (_, i) => {
        c.inc({ k: String(i % labels) });
        await registry.flush();
      }),
    );
  }
  // Text 0.0.4 shows a counter `spread` declares (without _total) bare, one pushed raw with _total.
  const totalOf = (text: string, name: string) =>
    [...lines(text, `${name}{`), ...lines(text, `${name}_total{`)].reduce((n, l) => n + Number(l.split(" ")[1]), 0);

  it("takes a shard in once however many narrowings run at once", async () => {
    const name = "narrow_twice";
    await spread(name, 2, 40);
    const [a, b] = await Promise.all([shard(name, 0).absorbShard(1), shard(name, 0).absorbShard(1)]);
    expect(a.seriesCount + b.seriesCount).toBeGreaterThan(0);
    expect(Math.min(a.seriesCount, b.seriesCount)).toBe(0);
    expect(totalOf(await scrape(), name)).toBe(40);
  });

  it("never brings back a series deleted while shard 0 takes its shard in", async () => {
    for (let run = 0; run < 8; run++) {
      const name = `narrow_delete_${run}`;
      await spread(name, 2, 30, 3);
      const match = { k: "1" };
      await Promise.all([
        shard(name, 0).absorbShard(1),
        deleteOnEveryShard([shard(name, 0), shard(name, 1)], (stub) => Promise.resolve(stub.deleteSeries(match))),
      ]);
      const text = await scrape();
      expect(lines(text, `${name}{k="1"}`)).toEqual([]);
      expect(totalOf(text, name)).toBe(20);
    }
  });

  it("counts once a replay that reaches a retired shard, and reads a shard spread over again", async () => {
    const name = "narrow_respread";
    const part: FamilyPush = {
      name,
      type: "counter",
      help: "S.",
      labelNames: ["k"],
      shards: 2,
      series: [{ labels: { k: "0" }, inc: 7 }],
    };
    expect(await shard(name, 1).push("before-retiring", part)).toMatchObject({ status: "applied" });
    expect(await shard(name, 0).push("on-zero", { ...part, series: [{ labels: { k: "0" }, inc: 1 }] })).toMatchObject({
      status: "applied",
    });
    expect(await (await admin(`/families/${name}`, { shards: 1 })).json()).toEqual({ family: name, shards: 1 });
    const { shards: _two, ...unsharded } = part;
    // The client resends a push the retired shard applied before it retired: a replay, not applied on shard 0.
    expect(await shard(name, 1).push("before-retiring", unsharded)).toMatchObject({ status: "duplicate" });
    // The same push id reaching shard 0 (another shard count hashes it there) is a replay too.
    expect(await shard(name, 0).push("before-retiring", unsharded)).toMatchObject({ status: "duplicate" });
    expect(totalOf(await scrape(), name)).toBe(8);
    // A bound Worker that still spreads the family over 2 objects spreads it again: shard 1 is read again.
    expect(
      await shard(name, 0).push("spread-again", { ...part, series: [{ labels: { k: "0" }, inc: 100 }] }),
    ).toMatchObject({ status: "applied" });
    expect(
      await shard(name, 1).push("lands-on-1", { ...part, series: [{ labels: { k: "1" }, inc: 1000 }] }),
    ).toMatchObject({ status: "applied" });
    expect(totalOf(await scrape(), name)).toBe(1108);
  });

  it("counts each series once when shard 0 takes a shard in between two pages of a scrape", async () => {
    const name = "narrow_paged";
    const big = (inc: number) =>
      Array.from({ length: 900 }, (_, i) => ({
        labels: { k: `${String(i).padStart(4, "0")}-${"x".repeat(600)}` },
        inc,
      }));
    const def = { name, type: "counter" as const, help: "P.", labelNames: ["k"], shards: 2 };
    expect(await shard(name, 0).push("paged-0", { ...def, series: big(1) })).toMatchObject({ status: "applied" });
    expect(await shard(name, 1).push("paged-1", { ...def, series: big(1) })).toMatchObject({ status: "applied" });
    const request = (after: string | undefined) => ({
      as: "parts" as const,
      limit: 1000,
      maxBytes: 512 * 1024,
      ...(after ? { after } : {}),
    });
    let absorbed = false;
    const read = async (k: number, after: string | undefined) => {
      // Shard 0 takes shard 1 in right before a reader asks for shard 0's second page.
      if (k === 0 && after !== undefined && !absorbed) {
        absorbed = true;
        await shard(name, 0).absorbShard(1);
      }
      return (await shard(name, k).scrapePage(request(after))) as FamilyPage;
    };
    const merged = mergedShards(await firstPages(2, (k) => read(k, undefined)), read, Date.now(), () => 0);
    let total = 0;
    for await (const { series } of merged?.series ?? []) total += series?.value ?? 0;
    expect(absorbed).toBe(true);
    expect(total).toBe(1800);
  });

  it("refuses to narrow below what FAMILY_SHARDS gives the family, and a scoped token's change", async () => {
    const name = "configured_wide";
    await shard(name, 0).push("cw-1", {
      name,
      type: "gauge",
      help: "C.",
      labelNames: [],
      shards: 2,
      series: [{ labels: {}, set: 1 }],
    });
    const router = createMetricsRouter();
    const narrowed = await router.fetch(
      new Request(`http://metrics.test/families/${name}`, {
        method: "PATCH",
        headers: { authorization: "Bearer test-push-token", "content-type": "application/json" },
        body: JSON.stringify({ shards: 1 }),
      }),
      { ...env, FAMILY_SHARDS: JSON.stringify({ [name]: 2 }) },
      createExecutionContext(),
    );
    expect(narrowed.status).toBe(409);
    expect(await narrowed.json()).toEqual({ error: `FAMILY_SHARDS spreads "${name}" over 2 objects: lower it first` });
    expect((await catalog(env).list()).find((e) => e.name === name)?.shards).toBe(2);
  });
});
