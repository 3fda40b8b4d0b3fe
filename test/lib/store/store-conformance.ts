// One suite of store behaviour, run against the in-memory store (test/lib) and the real Durable Objects
// (test/worker): merging per type, replays, conflicts, creation times.

import { describe, expect, it } from "vitest";
import { bucketValue } from "../../../lib/protocol/sketch.ts";
import type { Transport } from "../../../lib/protocol/transport.ts";
import type { FamilyPush, FamilySnapshot, Push } from "../../../lib/protocol/wire.ts";

export interface StoreUnderTest {
  transport: Transport;
  /** The cardinality cap the store was built with. */
  maxSeriesPerFamily: number;
  snapshot(): Promise<FamilySnapshot[]>;
  /** Sets the clock (ms) the store uses for `family` from now on. */
  setClock(family: string, nowMs: number): Promise<void>;
  /** Runs the store's expiry for `family` (the Durable Object's alarm). */
  expire(family: string): Promise<void>;
}

let n = 0;
const unique = (base: string) => `${base}_${++n}_${Math.random().toString(36).slice(2, 8)}`;

export function describeStoreConformance(label: string, make: () => StoreUnderTest) {
  describe(`store conformance: ${label}`, () => {
    const family = async (store: StoreUnderTest, name: string) => (await store.snapshot()).find((f) => f.name === name);

    it("adds counter increments across pushes and keeps the creation time", async () => {
      const store = make();
      const name = unique("c");
      const push = (id: string, inc: number) =>
        store.transport.push({
          pushId: id,
          families: [{ name, type: "counter", help: "C.", labelNames: ["k"], series: [{ labels: { k: "a" }, inc }] }],
        });
      expect(await push(unique("b"), 2)).toMatchObject([{ name, status: "applied", series: 1 }]);
      const created = (await family(store, name))?.series[0]?.created;
      expect(created).toBeGreaterThan(1_600_000_000);
      await push(unique("b"), 3.5);
      const f = await family(store, name);
      expect(f?.series).toEqual([{ labels: { k: "a" }, created, updated: expect.any(Number), value: 5.5 }]);
      expect(f?.series[0]?.updated).toBeGreaterThanOrEqual(created as number);
    });

    it("names a counter's family by taking one trailing _total off: x and x_total are one family, x_total_total another", async () => {
      const store = make();
      const base = unique("jobs");
      for (const [name, inc] of [
        [base, 1],
        [`${base}_total`, 2],
        [`${base}_total_total`, 4],
      ] as const) {
        await store.transport.push({
          pushId: unique("b"),
          families: [{ name, type: "counter", help: "J.", labelNames: [], series: [{ labels: {}, inc }] }],
        });
      }
      expect((await family(store, base))?.series[0]?.value).toBe(3);
      expect((await family(store, `${base}_total`))?.series[0]?.value).toBe(4);
    });

    it("gauges: set replaces, inc adds, inc on a new series starts from zero", async () => {
      const store = make();
      const name = unique("g");
      const push = (series: FamilyPush["series"]) =>
        store.transport.push({
          pushId: unique("b"),
          families: [{ name, type: "gauge", help: "G.", labelNames: ["k"], series }],
        });
      await push([
        { labels: { k: "a" }, inc: -4 },
        { labels: { k: "b" }, set: 7 },
      ]);
      await push([
        { labels: { k: "a" }, inc: 1 },
        { labels: { k: "b" }, set: 3 },
      ]);
      const values = (await family(store, name))?.series.map((s) => [s.labels.k, s.value]);
      expect(values).toEqual([
        ["a", -3],
        ["b", 3],
      ]);
    });

    it("histograms add per bucket and sum; summaries add count and sum", async () => {
      const store = make();
      const h = unique("h");
      const s = unique("s");
      const push = () =>
        store.transport.push({
          pushId: unique("b"),
          families: [
            {
              name: h,
              type: "histogram",
              help: "H.",
              labelNames: [],
              buckets: [0.1, 1],
              series: [{ labels: {}, counts: [1, 2, 0], sum: 1.25 }],
            },
            { name: s, type: "summary", help: "S.", labelNames: [], series: [{ labels: {}, count: 3, sum: 9 }] },
          ],
        });
      await push();
      await push();
      expect((await family(store, h))?.series[0]).toMatchObject({ counts: [2, 4, 0], sum: 2.5 });
      expect((await family(store, s))?.series[0]).toMatchObject({ count: 6, sum: 18 });
    });

    it("drops a replayed push id: it never counts twice", async () => {
      const store = make();
      const name = unique("c");
      const push: Push = {
        pushId: unique("b"),
        families: [{ name, type: "counter" as const, help: "C.", labelNames: [], series: [{ labels: {}, inc: 4 }] }],
      };
      expect((await store.transport.push(push))[0]?.status).toBe("applied");
      expect(await store.transport.push(push)).toEqual([{ name, status: "duplicate" }]);
      expect((await family(store, name))?.series[0]?.value).toBe(4);
    });

    it("refuses a changed type, labelNames or buckets with 409 and applies nothing of that family", async () => {
      const store = make();
      const name = unique("h");
      const def = { name, type: "histogram" as const, help: "H.", labelNames: ["k"], buckets: [1, 2] };
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, series: [{ labels: { k: "a" }, counts: [1, 0, 0], sum: 1 }] }],
      });
      const changes: FamilyPush[] = [
        { ...def, buckets: [1, 3], series: [{ labels: { k: "a" }, counts: [1, 0, 0], sum: 1 }] },
        { ...def, labelNames: ["j"], series: [{ labels: { j: "a" }, counts: [1, 0, 0], sum: 1 }] },
        { name, type: "gauge", help: "H.", labelNames: ["k"], series: [{ labels: { k: "a" }, set: 1 }] },
      ];
      for (const change of changes) {
        const outcomes = await store.transport.push({ pushId: unique("b"), families: [change] });
        expect(outcomes[0]).toMatchObject({ name, status: "rejected", code: 409 });
        expect(outcomes[0]?.status === "rejected" && outcomes[0].error).toMatch(/different (buckets|labelNames|type)/);
      }
      expect((await family(store, name))?.series).toMatchObject([{ labels: { k: "a" }, counts: [1, 0, 0], sum: 1 }]);
    });

    it.each([
      ["sum", Array.from({ length: 20 }, (_, i) => ({ inc: i - 5 })), (20 * 19) / 2 - 100],
      ["max", Array.from({ length: 20 }, (_, i) => ({ set: ((i * 7) % 20) - 3 })), 16],
      ["min", Array.from({ length: 20 }, (_, i) => ({ set: ((i * 7) % 20) - 3 })), -3],
    ] as const)("gauges merged by %s combine 20 concurrent writers", async (merge, writes, expected) => {
      const store = make();
      const name = unique(`g_${merge}`);
      const outcomes = await Promise.all(
        writes.map((w) =>
          store.transport.push({
            pushId: unique("b"),
            families: [{ name, type: "gauge", help: "G.", labelNames: [], merge, series: [{ labels: {}, ...w }] }],
          }),
        ),
      );
      expect(outcomes.every((o) => o[0]?.status === "applied")).toBe(true);
      expect((await family(store, name))?.series[0]?.value).toBe(expected);
    });

    it("gauges merged by set: the last write wins and inc adjusts it", async () => {
      const store = make();
      const name = unique("g_set");
      for (const w of [{ set: 5 }, { set: 2 }, { inc: 3 }]) {
        await store.transport.push({
          pushId: unique("b"),
          families: [{ name, type: "gauge", help: "G.", labelNames: [], series: [{ labels: {}, ...w }] }],
        });
      }
      expect((await family(store, name))?.series[0]?.value).toBe(5);
    });

    it("refuses a changed merge policy (409) and a set on a sum gauge (400)", async () => {
      const store = make();
      const name = unique("g_policy");
      await store.transport.push({
        pushId: unique("b"),
        families: [{ name, type: "gauge", help: "G.", labelNames: [], merge: "max", series: [{ labels: {}, set: 1 }] }],
      });
      const changed = await store.transport.push({
        pushId: unique("b"),
        families: [{ name, type: "gauge", help: "G.", labelNames: [], merge: "min", series: [{ labels: {}, set: 1 }] }],
      });
      expect(changed[0]).toMatchObject({
        status: "rejected",
        code: 409,
        error: expect.stringMatching(/merge policy \(max vs min\)/),
      });
      const wrong = await store.transport.push({
        pushId: unique("b"),
        families: [{ name, type: "gauge", help: "G.", labelNames: [], merge: "max", series: [{ labels: {}, inc: 1 }] }],
      });
      expect(wrong[0]).toMatchObject({
        status: "rejected",
        code: 400,
        error: expect.stringMatching(/merged by "max" takes set, not inc/),
      });
    });

    it("applies removals and resets before the deltas of the same push", async () => {
      const store = make();
      const name = unique("c_rm");
      const def = { name, type: "counter" as const, help: "C.", labelNames: ["k"] };
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, series: ["a", "b", "c"].map((k) => ({ labels: { k }, inc: 5 })) }],
      });
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, remove: [{ k: "a" }, { k: "b" }, { k: "zz" }], series: [{ labels: { k: "b" }, inc: 1 }] }],
      });
      expect((await family(store, name))?.series.map((s) => [s.labels.k, s.value])).toEqual([
        ["b", 1],
        ["c", 5],
      ]);
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, reset: true, series: [{ labels: { k: "d" }, inc: 2 }] }],
      });
      expect((await family(store, name))?.series.map((s) => [s.labels.k, s.value])).toEqual([["d", 2]]);
    });

    it("summaries report quantiles of the merged sketches; windows age out", async () => {
      const store = make();
      const name = unique("s_q");
      const def = {
        name,
        type: "summary" as const,
        help: "S.",
        labelNames: [],
        percentiles: [0.5, 0.99],
        maxAgeSeconds: 60,
        ageBuckets: 3,
      };
      const t0 = 1_800_000_000_000;
      await store.setClock(name, t0);
      const sketch = (index: number, count: number) => ({
        zero: 0,
        pos: [[index, count]] as [number, number][],
        neg: [],
      });
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, series: [{ labels: {}, count: 10, sum: 10, sketch: sketch(0, 10) }] }],
      });
      await store.setClock(name, t0 + 25_000);
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, series: [{ labels: {}, count: 10, sum: 1000, sketch: sketch(233, 10) }] }],
      });
      const q = async () => (await family(store, name))?.series[0]?.quantiles;
      expect(await q()).toEqual([
        [0.5, bucketValue(0)],
        [0.99, bucketValue(233)],
      ]);
      await store.setClock(name, t0 + 61_000);
      expect(await q()).toEqual([
        [0.5, bucketValue(233)],
        [0.99, bucketValue(233)],
      ]);
      await store.setClock(name, t0 + 90_000);
      const after = (await family(store, name))?.series[0];
      expect(after?.quantiles?.every(([, v]) => Number.isNaN(v))).toBe(true);
      expect(after).toMatchObject({ count: 20, sum: 1010 });
    });

    it("expires series past their time to live; a counter that comes back starts from zero, newly created", async () => {
      const store = make();
      const name = unique("c_ttl");
      const def = { name, type: "counter" as const, help: "C.", labelNames: ["k"], ttlSeconds: 60 };
      const t0 = 1_800_000_000_000;
      await store.setClock(name, t0);
      await store.transport.push({
        pushId: unique("b"),
        families: [
          {
            ...def,
            series: [
              { labels: { k: "old" }, inc: 4 },
              { labels: { k: "kept" }, inc: 1 },
            ],
          },
        ],
      });
      await store.setClock(name, t0 + 30_000);
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, series: [{ labels: { k: "kept" }, inc: 1 }] }],
      });
      await store.setClock(name, t0 + 60_000);
      expect((await family(store, name))?.series.map((s) => s.labels.k)).toEqual(["kept"]);
      await store.setClock(name, t0 + 61_000);
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...def, series: [{ labels: { k: "old" }, inc: 1 }] }],
      });
      const series = (await family(store, name))?.series;
      expect(series?.map((s) => [s.labels.k, s.value, s.created])).toEqual([
        ["kept", 2, t0 / 1000],
        ["old", 1, (t0 + 61_000) / 1000],
      ]);
      await store.setClock(name, t0 + 200_000);
      await store.expire(name);
      expect((await family(store, name))?.series).toEqual([]);
    });

    it("refuses a push that declares another time to live (409); one that declares none keeps the stored one", async () => {
      const store = make();
      const name = unique("c_ttl2");
      const t0 = 1_800_000_000_000;
      await store.setClock(name, t0);
      const push = (over: Partial<FamilyPush>) =>
        store.transport.push({
          pushId: unique("b"),
          families: [{ name, type: "counter", help: "C.", labelNames: [], series: [{ labels: {}, inc: 1 }], ...over }],
        });
      expect((await push({ ttlSeconds: 10 }))[0]).toMatchObject({ status: "applied" });
      expect((await push({ ttlSeconds: 1 }))[0]).toMatchObject({ status: "rejected", code: 409 });
      expect((await push({}))[0]).toMatchObject({ status: "applied" });
      expect(await family(store, name)).toMatchObject({ ttlSeconds: 10, series: [{ value: 2 }] });
      await store.setClock(name, t0 + 20_000);
      expect(await family(store, name)).toMatchObject({ ttlSeconds: 10, series: [] });
    });

    it("refuses a delta that would overflow a series to a non-finite value, and keeps the stored value", async () => {
      const store = make();
      const name = unique("g_big");
      const push = () =>
        store.transport.push({
          pushId: unique("b"),
          families: [
            { name, type: "gauge", help: "G.", labelNames: [], merge: "sum", series: [{ labels: {}, inc: 1.7e308 }] },
          ],
        });
      expect((await push())[0]?.status).toBe("applied");
      expect((await push())[0]).toMatchObject({
        status: "rejected",
        code: 400,
        error: expect.stringMatching(/would overflow/),
      });
      expect((await family(store, name))?.series[0]?.value).toBe(1.7e308);
    });

    it("refuses a family whose exposed sample names clash with another family's (409)", async () => {
      const store = make();
      const base = unique("clash");
      const counter = {
        name: base,
        type: "counter" as const,
        help: "C.",
        labelNames: [],
        series: [{ labels: {}, inc: 1 }],
      };
      expect((await store.transport.push({ pushId: unique("b"), families: [counter] }))[0]?.status).toBe("applied");
      const gauge = {
        name: `${base}_total`,
        type: "gauge" as const,
        help: "G.",
        labelNames: [],
        series: [{ labels: {}, set: 1 }],
      };
      expect((await store.transport.push({ pushId: unique("b"), families: [gauge] }))[0]).toMatchObject({
        status: "rejected",
        code: 409,
        error: expect.stringContaining(`"${base}_total"`),
      });
      const histogram = { name: `${base}_h`, type: "histogram" as const, help: "H.", labelNames: [], buckets: [1] };
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...histogram, series: [{ labels: {}, counts: [1, 0], sum: 1 }] }],
      });
      const bucketGauge = {
        name: `${base}_h_bucket`,
        type: "gauge" as const,
        help: "G.",
        labelNames: [],
        series: [{ labels: {}, set: 1 }],
      };
      expect((await store.transport.push({ pushId: unique("b"), families: [bucketGauge] }))[0]).toMatchObject({
        status: "rejected",
        code: 409,
      });
      expect((await store.snapshot()).map((f) => f.name)).not.toContain(`${base}_total`);
    });

    it("refuses the reserved prefix pdc_ (400)", async () => {
      const store = make();
      const family = {
        name: unique("pdc_mine"),
        type: "gauge" as const,
        help: "G.",
        labelNames: [],
        series: [{ labels: {}, set: 1 }],
      };
      expect((await store.transport.push({ pushId: unique("b"), families: [family] }))[0]).toMatchObject({
        status: "rejected",
        code: 400,
        error: expect.stringContaining("reserved"),
      });
    });

    it("caps the series of a family: a push past the cap is refused whole (413), the rest stays", async () => {
      const store = make();
      const name = unique("capped");
      const cap = store.maxSeriesPerFamily;
      const push = (from: number, count: number) =>
        store.transport.push({
          pushId: unique("b"),
          families: [
            {
              name,
              type: "counter",
              help: "C.",
              labelNames: ["k"],
              series: Array.from({ length: count }, (_, i) => ({ labels: { k: String(from + i) }, inc: 1 })),
            },
          ],
        });
      expect((await push(0, cap - 1))[0]?.status).toBe("applied");
      expect((await push(cap - 1, 2))[0]).toMatchObject({
        status: "rejected",
        code: 413,
        error: expect.stringContaining(String(cap)),
      });
      expect((await push(cap - 1, 1))[0]?.status).toBe("applied");
      expect((await family(store, name))?.series.length).toBe(cap);
    });

    it("takes the latest help text", async () => {
      const store = make();
      const name = unique("g");
      for (const help of ["Old.", "New."]) {
        await store.transport.push({
          pushId: unique("b"),
          families: [{ name, type: "gauge", help, labelNames: [], series: [{ labels: {}, set: 1 }] }],
        });
      }
      expect((await family(store, name))?.help).toBe("New.");
    });

    it("replace: the carried series take the pushed values (creation time kept), the others are untouched", async () => {
      const store = make();
      const name = unique("c");
      const push = (series: FamilyPush["series"], replace?: boolean) =>
        store.transport.push({
          pushId: unique("b"),
          families: [{ name, type: "counter", help: "C.", labelNames: ["k"], series, ...(replace ? { replace } : {}) }],
        });
      await push([
        { labels: { k: "a" }, inc: 5 },
        { labels: { k: "b" }, inc: 7 },
      ]);
      const created = (await family(store, name))?.series.find((s) => s.labels.k === "a")?.created;
      expect(await push([{ labels: { k: "a" }, inc: 6 }], true)).toMatchObject([{ name, status: "applied" }]);
      expect(await push([{ labels: { k: "a" }, inc: 6 }], true)).toMatchObject([{ name, status: "applied" }]);
      const series = (await family(store, name))?.series ?? [];
      expect(series.map((s) => [s.labels.k, s.value])).toEqual([
        ["a", 6],
        ["b", 7],
      ]);
      expect(series[0]?.created).toBe(created);
      await push([{ labels: { k: "a" }, inc: 1 }]);
      expect((await family(store, name))?.series[0]?.value).toBe(7);
    });

    it("grouping: a series belongs to the group that wrote it last; replace with a group replaces exactly that group", async () => {
      const store = make();
      const name = unique("g");
      const labels = (job: string, k: string) => ({ job, k });
      const push = (series: FamilyPush["series"], grouping?: { job: string }, replace?: boolean) =>
        store.transport.push({
          pushId: unique("b"),
          families: [
            {
              name,
              type: "gauge",
              help: "G.",
              labelNames: ["job", "k"],
              series,
              ...(grouping ? { grouping } : {}),
              ...(replace ? { replace } : {}),
            },
          ],
        });
      // Group a writes a1 and a2; group b writes b1; no group writes a3 (with group a's job label).
      await push(
        [
          { labels: labels("a", "1"), set: 1 },
          { labels: labels("a", "2"), set: 2 },
        ],
        { job: "a" },
      );
      await push([{ labels: labels("b", "1"), set: 3 }], { job: "b" });
      await push([{ labels: labels("a", "3"), set: 4 }]);
      // A push from no group to a group's series adds to it and leaves it in the group.
      await push([{ labels: labels("a", "2"), set: 5 }]);
      // Group a replaced by a2 alone: a1 goes; b1 (another group) and a3 (no group) stay.
      expect(await push([{ labels: labels("a", "2"), set: 6 }], { job: "a" }, true)).toMatchObject([
        { name, status: "applied", series: 1 },
      ]);
      const values = async () =>
        ((await family(store, name))?.series ?? []).map((s) => `${s.labels.job}${s.labels.k}=${s.value}`).sort();
      expect(await values()).toEqual(["a2=6", "a3=4", "b1=3"]);
      // Replaced by nothing: the group is empty here.
      expect(await push([], { job: "a" }, true)).toMatchObject([{ name, status: "applied", series: 0 }]);
      expect(await values()).toEqual(["a3=4", "b1=3"]);
      // A series another group writes moves to it: replacing group a now takes a3 too.
      await push([{ labels: labels("a", "3"), set: 7 }], { job: "a" });
      await push([], { job: "a" }, true);
      expect(await values()).toEqual(["b1=3"]);
      // A group writes only series that carry its labels.
      const outside = await push([{ labels: labels("a", "4"), set: 1 }], { job: "b" });
      expect(outside).toMatchObject([{ name, status: "rejected", code: 400 }]);
      expect(await values()).toEqual(["b1=3"]);
    });

    it("inferred: a definition inferred from samples joins the stored family on its terms", async () => {
      const store = make();
      const gauge = unique("g");
      const declared = {
        name: gauge,
        type: "gauge" as const,
        help: "G.",
        labelNames: ["b", "a"],
        merge: "max" as const,
      };
      await store.transport.push({
        pushId: unique("b"),
        families: [{ ...declared, ttlSeconds: 600, series: [{ labels: { a: "1", b: "2" }, set: 5 }] }],
      });
      // Label names in another order, merge policy and TTL unknown: the stored ones hold, so max still applies.
      const inferred = { name: gauge, type: "gauge" as const, help: "From text.", labelNames: ["a", "b"] };
      const replies = await store.transport.push({
        pushId: unique("b"),
        families: [{ ...inferred, inferred: true, series: [{ labels: { a: "1", b: "2" }, set: 3 }] }],
      });
      expect(replies).toMatchObject([{ name: gauge, status: "applied" }]);
      const stored = await family(store, gauge);
      expect(stored).toMatchObject({ labelNames: ["b", "a"], merge: "max", ttlSeconds: 600, help: "From text." });
      expect(stored?.series.map((s) => s.value)).toEqual([5]);
      // Without the flag the same part is a conflict (label order and merge policy differ).
      const strict = await store.transport.push({
        pushId: unique("b"),
        families: [{ ...inferred, series: [{ labels: { a: "1", b: "2" }, set: 3 }] }],
      });
      expect(strict).toMatchObject([{ name: gauge, status: "rejected", code: 409 }]);
    });

    it("inferred: refused (409) where samples cannot join: other buckets, a sum gauge, a summary with quantiles", async () => {
      const store = make();
      const [other, sum, quantiles] = [unique("h"), unique("s"), unique("q")];
      await store.transport.push({
        pushId: unique("b"),
        families: [
          {
            name: other,
            type: "histogram",
            help: "H.",
            labelNames: [],
            buckets: [1],
            series: [{ labels: {}, counts: [1, 0], sum: 1 }],
          },
          { name: sum, type: "gauge", help: "S.", labelNames: [], merge: "sum", series: [{ labels: {}, inc: 1 }] },
          { name: quantiles, type: "summary", help: "Q.", labelNames: [], percentiles: [0.5], series: [] },
        ],
      });
      const replies = await store.transport.push({
        pushId: unique("b"),
        families: [
          {
            name: other,
            type: "histogram",
            help: "H.",
            labelNames: [],
            buckets: [2],
            inferred: true,
            series: [{ labels: {}, counts: [1, 0], sum: 1 }],
          },
          { name: sum, type: "gauge", help: "S.", labelNames: [], inferred: true, series: [{ labels: {}, set: 9 }] },
          {
            name: quantiles,
            type: "summary",
            help: "Q.",
            labelNames: [],
            inferred: true,
            series: [{ labels: {}, count: 1, sum: 2 }],
          },
        ],
      });
      expect(replies).toEqual([
        { name: other, status: "rejected", code: 409, error: expect.stringContaining("buckets") },
        { name: sum, status: "rejected", code: 409, error: expect.stringContaining('merged by "sum"') },
        { name: quantiles, status: "rejected", code: 409, error: expect.stringContaining("reports quantiles") },
      ]);
      const stored = (await store.snapshot()).filter((f) => [other, sum].includes(f.name));
      expect(stored.map((f) => f.series[0]?.counts ?? f.series[0]?.value)).toEqual([[1, 0], 1]);
    });

    it("inferred: label names the family lacks are added after its own; series lacking a label have it empty", async () => {
      const store = make();
      const name = unique("c");
      const push = (labelNames: string[], labels: Record<string, string>, inc: number, inferred = true) =>
        store.transport.push({
          pushId: unique("b"),
          families: [
            {
              name,
              type: "counter",
              help: "C.",
              labelNames,
              ...(inferred ? { inferred } : {}),
              series: [{ labels, inc }],
            },
          ],
        });
      // The library declares the family with label "job" first; Pushgateway groups then add "instance".
      expect(await push(["job"], { job: "a" }, 1, false)).toMatchObject([{ status: "applied" }]);
      // A group with one more grouping label, then one with fewer: the family grows, and every series keeps counting.
      expect(await push(["instance", "job"], { instance: "i1", job: "a" }, 2)).toMatchObject([{ status: "applied" }]);
      expect(await push([], {}, 4)).toMatchObject([{ status: "applied" }]);
      expect(await push(["job"], { job: "a" }, 8)).toMatchObject([{ status: "applied" }]);
      const family = (await store.snapshot()).find((f) => f.name === name);
      expect(family?.labelNames).toEqual(["job", "instance"]);
      const values = family?.series.map((s) => [s.labels.job ?? "", s.labels.instance ?? "", s.value]);
      expect(values?.sort()).toEqual([
        ["", "", 4],
        ["a", "", 9],
        ["a", "i1", 2],
      ]);
      // The declaring producer's pushes (label "job" only) still join, their series having "instance" empty; any
      // other declared label names are refused, as for a family no inferred push grew.
      expect(await push(["job"], { job: "a" }, 16, false)).toMatchObject([{ status: "applied" }]);
      expect(await push(["instance"], { instance: "i1" }, 1, false)).toMatchObject([{ status: "rejected", code: 409 }]);
      expect(await push(["job", "instance", "x"], { job: "a", instance: "", x: "" }, 1, false)).toMatchObject([
        { status: "rejected", code: 409 },
      ]);
      const after = (await store.snapshot()).find((f) => f.name === name);
      expect(after?.labelNames).toEqual(["job", "instance"]);
      expect(after?.series.find((s) => s.labels.job === "a" && !s.labels.instance)?.value).toBe(25);
    });

    it("inferred: concurrent pushes with different grouping labels all apply, and a push without help keeps it", async () => {
      const store = make();
      const name = unique("g");
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transport.push({
            pushId: unique("b"),
            families: [
              {
                name,
                type: "counter",
                help: i === 0 ? "Runs." : "",
                labelNames: i % 2 ? ["instance", "job"] : ["job"],
                inferred: true,
                series: [{ labels: i % 2 ? { instance: "x", job: "j" } : { job: "j" }, inc: 1 }],
              },
            ],
          }),
        ),
      );
      expect(outcomes.flat().map((o) => o.status)).toEqual(Array(20).fill("applied"));
      const family = (await store.snapshot()).find((f) => f.name === name);
      expect(family?.series.map((s) => s.value)).toEqual([10, 10]);
      expect(family?.help).toBe("Runs.");
    });
  });
}
