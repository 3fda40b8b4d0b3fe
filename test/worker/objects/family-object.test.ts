// The real Durable Objects (inside workerd) pass the store conformance suite, and keep their promises:
// one SQLite row per series, registration in the catalog, validation at the RPC boundary.

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DurableObjectTransport, type FamilyNamespace } from "../../../lib/client/transports/durable-object.ts";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";
import { catalog } from "../../../worker/objects/catalog-object.ts";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";
import { describeStoreConformance } from "../../lib/store/store-conformance.ts";

const namespace = env.METRICS_FAMILY as unknown as FamilyNamespace;

describeStoreConformance("FamilyObject (workerd, SQLite)", () => ({
  transport: new DurableObjectTransport(namespace),
  maxSeriesPerFamily: 1000,
  snapshot: () => collectFamilies(env),
  setClock: async (family, ms) => {
    await runInDurableObject(env.METRICS_FAMILY.getByName(family), (instance) => {
      instance.now = () => ms;
    });
  },
  expire: async (family) => {
    await runDurableObjectAlarm(env.METRICS_FAMILY.getByName(family));
  },
}));

describe("FamilyObject", () => {
  it("registers its family in the catalog on the first applied push", async () => {
    const family: FamilyPush = {
      name: "catalogued_gauge",
      type: "gauge",
      help: "G.",
      labelNames: [],
      series: [{ labels: {}, set: 1 }],
    };
    expect((await catalog(env).list()).map((e) => e.name)).not.toContain("catalogued_gauge");
    await env.METRICS_FAMILY.getByName(family.name).push("b-1", family);
    expect((await catalog(env).list()).map((e) => e.name)).toContain("catalogued_gauge");
  });

  it("stores one row per series and writes only the series a push touches", async () => {
    const stub = env.METRICS_FAMILY.getByName("rows_counter");
    const push = (id: string, keys: string[]) =>
      stub.push(id, {
        name: "rows_counter",
        type: "counter",
        help: "C.",
        labelNames: ["k"],
        series: keys.map((k) => ({ labels: { k }, inc: 1 })),
      });
    await push("r-1", ["a", "b", "c"]);
    const before = await runInDurableObject(stub, (_, state) =>
      state.storage.sql
        .exec<{ key: string; updated: number }>("SELECT key, updated FROM series ORDER BY key")
        .toArray(),
    );
    expect(before.map((r) => r.key)).toEqual(['["a"]', '["b"]', '["c"]']);
    await new Promise((r) => setTimeout(r, 5));
    await push("r-2", ["b"]);
    const after = await runInDurableObject(stub, (_, state) =>
      state.storage.sql
        .exec<{ key: string; updated: number }>("SELECT key, updated FROM series ORDER BY key")
        .toArray(),
    );
    expect(after[0]?.updated).toBe(before[0]?.updated);
    expect(after[2]?.updated).toBe(before[2]?.updated);
    expect(after[1]?.updated).toBeGreaterThan(before[1]?.updated as number);
  });

  it("writes one row per touched series plus one for the push ids (plus definition and catalog marker on a family's first push)", async () => {
    const stub = env.METRICS_FAMILY.getByName("cost_histogram");
    const family = (keys: string[]): FamilyPush => ({
      name: "cost_histogram",
      type: "histogram",
      help: "H.",
      labelNames: ["k"],
      buckets: [1],
      series: keys.map((k) => ({ labels: { k }, counts: [1, 0], sum: 0.5 })),
    });
    const rows = async (id: string, keys: string[]) => {
      const before = (await stub.stats()).rowsWritten;
      expect(await stub.push(id, family(keys))).toMatchObject({ status: "applied" });
      return (await stub.stats()).rowsWritten - before;
    };
    expect(await rows("cost-1", ["a"])).toBe(4);
    expect(await rows("cost-2", ["a", "b", "c"])).toBe(4);
    expect(await rows("cost-3", ["b"])).toBe(2);
    expect(await stub.push("cost-3", family(["b"]))).toEqual({ name: "cost_histogram", status: "duplicate" });
  });

  it("refuses an invalid family at the RPC boundary and stores nothing", async () => {
    const stub = env.METRICS_FAMILY.getByName("rpc_invalid");
    const bad = {
      name: "rpc_invalid",
      type: "counter",
      help: "C.",
      labelNames: [],
      series: [{ labels: {}, inc: -1 }],
    } as FamilyPush;
    expect(await stub.push("x-1", bad)).toMatchObject({
      status: "rejected",
      code: 400,
      error: expect.stringMatching(/inc: a counter cannot decrease/),
    });
    expect(await stub.snapshot()).toBeNull();
  });

  it("refuses a family sent to another family's object", async () => {
    const stub = env.METRICS_FAMILY.getByName("home_gauge");
    await stub.push("h-1", {
      name: "home_gauge",
      type: "gauge",
      help: "G.",
      labelNames: [],
      series: [{ labels: {}, set: 1 }],
    });
    const outcome = await stub.push("h-2", {
      name: "stray_gauge",
      type: "gauge",
      help: "G.",
      labelNames: [],
      series: [{ labels: {}, set: 2 }],
    });
    expect(outcome).toMatchObject({ status: "rejected", code: 409 });
  });
});
