// Registry.flush: sends pending deltas once, keeps undeliverable ones with their batch id, bounds the
// retry buffer, counts refusals, and never throws for delivery problems.

import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { DEFAULT_LIMITS } from "../../../lib/protocol/limits.ts";
import { allFailed, allRejected, type DeliveryOutcome, type Transport } from "../../../lib/protocol/transport.ts";
import type { Push } from "../../../lib/protocol/wire.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";

/** A transport in front of a MemoryStore that can be told to fail (as a network would) or to throw. */
class FlakyTransport implements Transport {
  readonly seen: Push[] = [];
  failures = 0;
  constructor(readonly store = new MemoryStore()) {}
  async push(batch: Push): Promise<DeliveryOutcome[]> {
    this.seen.push(structuredClone(batch));
    if (this.failures > 0) {
      this.failures--;
      return allFailed(batch, "network down");
    }
    return this.store.push(batch);
  }
}

const value = (store: MemoryStore, name: string) => store.snapshot().find((f) => f.name === name)?.series[0]?.value;

describe("Registry.flush", () => {
  it("does nothing at all when nothing is pending", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    new Counter({ name: "c", help: "C.", registers: [r] });
    expect(await r.flush()).toEqual({ delivered: 0, rejected: 0, retained: 0, dropped: 0 });
    expect(t.seen).toEqual([]);
  });

  it("gives every flush a unique batch id and clears what it sent", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    c.inc();
    await r.flush();
    c.inc(2);
    await r.flush();
    await r.flush();
    expect(t.seen).toHaveLength(2);
    expect(t.seen[0]?.pushId).not.toBe(t.seen[1]?.pushId);
    expect(value(t.store, "c")).toBe(3);
  });

  it("sends again at once, under the same push id, the families a push was refused whole for (424)", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t, onError: () => {} });
    const ok = new Counter({ name: "whole_ok", help: "O.", registers: [r] });
    // The store holds whole_h as a gauge, so a push of a counter whole_h with whole_ok is refused whole.
    await t.store.push({
      families: [{ name: "whole_h", type: "gauge", help: "H.", labelNames: [], series: [{ labels: {}, set: 1 }] }],
    });
    const clash = new Counter({ name: "whole_h", help: "H.", registers: [r] });
    ok.inc(2);
    clash.inc(1);
    expect(await r.flush()).toMatchObject({ delivered: 1, rejected: 1, retained: 0 });
    expect(t.seen.map((p) => p.families.map((f) => f.name))).toEqual([
      ["whole_ok_total", "whole_h_total"],
      ["whole_ok_total"],
    ]);
    expect(t.seen[1]?.pushId).toBe(t.seen[0]?.pushId);
    expect(value(t.store, "whole_ok")).toBe(2);
    expect(r.stats.rejectedSeries).toBe(1);
  });

  it("keeps a failed delivery with its batch id and delivers it on the next flush, exactly once", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    c.inc(5);
    t.failures = 1;
    expect(await r.flush()).toMatchObject({ retained: 1, delivered: 0 });
    expect(r.stats.retainedSeries).toBe(1);
    c.inc(1);
    expect(await r.flush()).toMatchObject({ delivered: 2, retained: 0 });
    expect(t.seen[1]?.pushId).toBe(t.seen[0]?.pushId);
    expect(value(t.store, "c")).toBe(6);
  });

  it("never double-counts when a delivery was applied but reported failed, then retried", async () => {
    const store = new MemoryStore();
    let lie = true;
    const t: Transport = {
      async push(batch) {
        const outcomes = await store.push(batch);
        if (lie) {
          lie = false;
          return allFailed(batch, "reply lost");
        }
        return outcomes;
      },
    };
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    c.inc(7);
    await r.flush();
    expect(await r.flush()).toMatchObject({ delivered: 1 });
    expect(value(store, "c")).toBe(7);
  });

  it("sends retained pushes first, and holds a failing family's newer deltas behind its older ones", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const g = new Gauge({ name: "g", help: "G.", registers: [r] });
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    g.set(1);
    t.failures = 1;
    await r.flush();
    g.set(2);
    c.inc();
    t.failures = 1;
    const seenBefore = t.seen.length;
    expect(await r.flush()).toMatchObject({ retained: 2, delivered: 1 });
    expect(t.seen.slice(seenBefore).map((b) => b.families.map((f) => f.name))).toEqual([["g"], ["c_total"]]);
    expect(await r.flush()).toMatchObject({ delivered: 2, retained: 0 });
    expect(value(t.store, "g")).toBe(2);
    expect(value(t.store, "c")).toBe(1);
  });

  it("bounds the retry buffer: drops the oldest pushes and counts the dropped series", async () => {
    const t = new FlakyTransport();
    const errors: string[] = [];
    const r = new Registry({ transport: t, maxRetainedSeries: 3, onError: (m) => errors.push(m) });
    const g = new Gauge({ name: "g", help: "G.", labelNames: ["k"], registers: [r] });
    t.failures = 100;
    for (const round of [1, 2, 3]) {
      g.set({ k: "a" }, round);
      g.set({ k: "b" }, round);
      await r.flush();
    }
    expect(r.stats).toMatchObject({ retainedSeries: 2, droppedSeries: 4 });
    expect(errors.join("\n")).toMatch(/dropped 2 undelivered series/);
  });

  it("counts refused families and does not retry them", async () => {
    const t = new FlakyTransport();
    const errors: string[] = [];
    const r = new Registry({ transport: t, onError: (m) => errors.push(m) });
    new Gauge({ name: "x", help: "X.", registers: [r] }).set(1);
    await r.flush();
    const clash = new Registry({ transport: t, onError: (m) => errors.push(m) });
    new Counter({ name: "x", help: "X.", registers: [clash] }).inc();
    expect(await clash.flush()).toMatchObject({ rejected: 1, retained: 0 });
    expect(clash.stats.rejectedSeries).toBe(1);
    expect(errors[0]).toMatch(/refused \(409\)/);
    expect(await clash.flush()).toMatchObject({ rejected: 0, delivered: 0 });
  });

  it("keeps every increment made while a flush is in flight", async () => {
    const store = new MemoryStore();
    const r = new Registry({ transport: store });
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    let total = 0;
    const flushes: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      c.inc(i);
      total += i;
      flushes.push(r.flush());
    }
    await Promise.all(flushes);
    await r.flush();
    expect(value(store, "c")).toBe(total);
  });

  it("runs overlapping flushes one after another, so a retried reset never lands after a newer increment", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    c.inc(5);
    await r.flush();
    c.reset();
    t.failures = 1;
    const a = r.flush();
    c.inc(2);
    const b = r.flush();
    await Promise.all([a, b]);
    await r.flush();
    expect(value(t.store, "c")).toBe(2);
  });

  it("delivers a counter named x_total_total once and exposes it under that name", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "x_total_total", help: "X.", registers: [r] });
    for (let i = 0; i < 3; i++) {
      c.inc();
      expect(await r.flush()).toMatchObject({ delivered: 1, retained: 0 });
    }
    expect(t.store.snapshot()[0]).toMatchObject({ name: "x_total", series: [{ value: 3 }] });
  });

  it("keeps pushes under the body limit and sends a family's removals before its deltas", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", labelNames: ["i"], registers: [r] });
    for (let i = 0; i < 6000; i++) c.inc({ i });
    await r.flush();
    for (let i = 0; i < 6000; i++) c.remove({ i });
    c.inc({ i: "0" }, 7);
    const wide = new Summary({ name: "wide", help: "W.", labelNames: ["k"], percentiles: [0.5], registers: [r] });
    for (let k = 0; k < 300; k++) for (let v = 0; v < 400; v++) wide.observe({ k }, 1.03 ** v);
    const before = t.seen.length;
    expect(await r.flush()).toMatchObject({ rejected: 0, retained: 0 });
    const pushes = t.seen.slice(before);
    expect(Math.max(...pushes.map((b) => JSON.stringify(b).length))).toBeLessThan(1_000_000);
    expect(t.store.snapshot().find((f) => f.name === "c")?.series).toMatchObject([{ labels: { i: "0" }, value: 7 }]);
    expect(t.store.snapshot().find((f) => f.name === "wide")?.series).toHaveLength(300);
  });

  it("never drops queued batches that were not yet tried; only undelivered ones count against the bound", async () => {
    const store = new MemoryStore();
    const slow: Transport = {
      push: async (batch) => {
        await new Promise((r) => setTimeout(r, 20));
        return store.push(batch);
      },
    };
    const r = new Registry({ transport: slow, maxRetainedSeries: 10 });
    const c = new Counter({ name: "c", help: "C.", labelNames: ["i"], registers: [r] });
    const flushes: Promise<{ dropped: number }>[] = [];
    for (let f = 0; f < 20; f++) {
      for (let i = 0; i < 5; i++) c.inc({ i: `${f}-${i}` });
      flushes.push(r.flush());
    }
    const results = await Promise.all(flushes);
    expect(results.reduce((n, x) => n + x.dropped, 0)).toBe(0);
    expect(r.stats.droppedSeries).toBe(0);
    expect(store.snapshot()[0]?.series).toHaveLength(100);
  });

  it("reports each flush's own deliveries, even when flushes overlap", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    const g = new Gauge({ name: "g", help: "G.", registers: [r] });
    c.inc();
    const a = r.flush();
    g.set(1);
    const b = r.flush();
    expect(await a).toMatchObject({ delivered: 1 });
    expect(await b).toMatchObject({ delivered: 1 });
  });

  it("keeps a batch whose transport throws, and delivers it next time", async () => {
    const store = new MemoryStore();
    let throwNext = true;
    const t: Transport = {
      async push(batch) {
        if (throwNext) {
          throwNext = false;
          throw new Error("transport bug");
        }
        return store.push(batch);
      },
    };
    const r = new Registry({ transport: t });
    new Counter({ name: "c", help: "C.", registers: [r] }).inc(6);
    expect(await r.flush()).toMatchObject({ retained: 1 });
    expect(await r.flush()).toMatchObject({ delivered: 1 });
    expect(value(store, "c")).toBe(6);
  });

  it("measures push size in UTF-8 bytes", async () => {
    const t = new FlakyTransport();
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", labelNames: ["v"], registers: [r] });
    for (let i = 0; i < 3000; i++) c.inc({ v: `${i}${"漢".repeat(1000)}` });
    await r.flush();
    const sizes = t.seen.map((b) => new TextEncoder().encode(JSON.stringify(b)).length);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxBodyBytes);
    expect(Math.max(...sizes)).toBeGreaterThan(DEFAULT_LIMITS.maxBodyBytes * 0.9);
    expect(t.store.snapshot()[0]?.series).toHaveLength(3000);
  });

  it("splits a large flush into pushes within the default limits", async () => {
    const t = new FlakyTransport(new MemoryStore({ maxSeriesPerFamily: 20_000 }));
    const r = new Registry({ transport: t });
    const c = new Counter({ name: "c", help: "C.", labelNames: ["i"], registers: [r] });
    for (let i = 0; i < 12_000; i++) c.inc({ i });
    expect(await r.flush()).toMatchObject({ delivered: 3 });
    expect(t.seen.map((b) => b.families[0]?.series.length)).toEqual([5000, 5000, 2000]);
    expect(t.store.snapshot()[0]?.series).toHaveLength(12_000);
  });

  it("rejects flush without any transport (a programmer error) and keeps the deltas", async () => {
    const r = new Registry();
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    c.inc();
    await expect(r.flush()).rejects.toThrow(/no transport/);
    const store = new MemoryStore();
    await r.flush(store);
    expect(value(store, "c")).toBe(1);
  });
});

describe("Registry.flush against a store with lower limits", () => {
  it("splits and resends on a 413 that names the limit: nothing dropped, nothing doubled, limit remembered", async () => {
    const store = new MemoryStore({ limits: { ...DEFAULT_LIMITS, maxSeriesPerPush: 10, maxFamiliesPerPush: 2 } });
    const errors: string[] = [];
    const r = new Registry({ transport: store, onError: (m) => errors.push(m) });
    for (const name of ["a", "b", "c"]) {
      const c = new Counter({ name, help: "C.", labelNames: ["k"], registers: [r] });
      for (let k = 0; k < 25; k++) c.inc({ k }, k + 1);
    }
    const result = await r.flush();
    expect(result).toMatchObject({ rejected: 0, retained: 0, dropped: 0 });
    expect(errors).toEqual([]);
    for (const name of ["a", "b", "c"]) {
      const series = store.snapshot().find((f) => f.name === name)?.series ?? [];
      expect(series.reduce((n, s) => n + (s.value ?? 0), 0)).toBe((25 * 26) / 2);
    }
    expect(r.limits).toMatchObject({ maxSeriesPerPush: 10, maxFamiliesPerPush: 2 });
  });

  it("splits first, then refuses (and counts) a part that cannot be split any further", async () => {
    // A server that refuses everything as too large, whatever its size.
    const sizes: number[] = [];
    const refusing: Transport = {
      push: async (push) => {
        sizes.push(push.families.reduce((n, f) => n + f.series.length, 0));
        return allRejected(push, 413, "too large", { name: "maxSeriesPerPush", value: 1 });
      },
    };
    const errors: string[] = [];
    const r = new Registry({ transport: refusing, onError: (m) => errors.push(m) });
    const c = new Counter({ name: "one", help: "C.", labelNames: ["k"], registers: [r] });
    for (const k of ["a", "b", "c"]) c.inc({ k });
    expect(await r.flush()).toMatchObject({ rejected: 3, delivered: 0, retained: 0 });
    expect(sizes).toEqual([3, 1, 1, 1]);
    expect(r.stats.rejectedSeries).toBe(3);
    expect(errors).toHaveLength(3);
  });
});

describe("Registry.flush: what review found", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("drops an undelivered push once it is older than maxRetainedAgeMs (the server forgets push ids)", async () => {
    const t = new FlakyTransport();
    const errors: string[] = [];
    const r = new Registry({ transport: t, maxRetainedAgeMs: 20, onError: (m) => errors.push(m) });
    const c = new Counter({ name: "aged", help: "A.", registers: [r] });
    c.inc();
    t.failures = 1;
    expect(await r.flush()).toMatchObject({ retained: 1 });
    await sleep(40);
    t.failures = 1;
    c.inc(2);
    expect(await r.flush()).toMatchObject({ retained: 1, dropped: 1 });
    expect(errors.join("\n")).toMatch(/undelivered for over 20 ms/);
    expect(r.stats).toMatchObject({ droppedSeries: 1, retainedSeries: 1 });
  });

  it("never splits a push that was sent before without an answer (it may have been applied under its id)", async () => {
    const calls: Push[] = [];
    let answer: "fail" | "too large" = "fail";
    const t: Transport = {
      push: async (push) => {
        calls.push(push);
        return answer === "fail"
          ? allFailed(push, "timeout")
          : allRejected(push, 413, "too large", { name: "maxSeriesPerPush", value: 1 });
      },
    };
    const r = new Registry({ transport: t, onError: () => {} });
    const c = new Counter({ name: "resent", help: "R.", labelNames: ["k"], registers: [r] });
    c.inc({ k: "a" });
    c.inc({ k: "b" });
    expect(await r.flush()).toMatchObject({ retained: 1 });
    answer = "too large";
    expect(await r.flush()).toMatchObject({ rejected: 1, retained: 0 });
    expect(calls.map((p) => p.pushId)).toEqual([calls[0]?.pushId, calls[0]?.pushId]);
    expect(r.stats.rejectedSeries).toBe(2);
  });

  it("keeps a part the server answered with a 5xx code (nothing says it was applied)", async () => {
    const store = new MemoryStore();
    let broken = true;
    const t: Transport = {
      push: async (push) => (broken ? allRejected(push, 500, "internal error") : store.push(push)),
    };
    const r = new Registry({ transport: t, onError: () => {} });
    new Counter({ name: "five_hundred", help: "F.", registers: [r] }).inc(3);
    expect(await r.flush()).toMatchObject({ retained: 1, rejected: 0 });
    broken = false;
    expect(await r.flush()).toMatchObject({ delivered: 1 });
    expect(value(store, "five_hundred")).toBe(3);
  });

  it("settles a flush with nothing to send only after the send in progress, which may carry its deltas", async () => {
    const store = new MemoryStore();
    const slow: Transport = {
      push: async (push) => {
        await sleep(50);
        return store.push(push);
      },
    };
    const r = new Registry({ transport: slow });
    const c = new Counter({ name: "in_flight", help: "I.", registers: [r] });
    c.inc(4);
    const soon = r.flushSoon(undefined, { maxDelayMs: 5 });
    const direct = r.flush();
    await soon;
    expect(value(store, "in_flight")).toBe(4);
    await direct;
  });
});
