// Registry.flushSoon: requests served by one isolate within a window share one flush; each caller's promise settles
// once a flush carrying its deltas has delivered (or retained) them; no calls, nothing sent.

import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { allFailed, type DeliveryOutcome, type Transport } from "../../../lib/protocol/transport.ts";
import type { Push } from "../../../lib/protocol/wire.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";

class CountingTransport implements Transport {
  readonly pushes: Push[] = [];
  fail = false;
  constructor(readonly store = new MemoryStore()) {}
  async push(push: Push): Promise<DeliveryOutcome[]> {
    this.pushes.push(push);
    return this.fail ? allFailed(push, "down") : this.store.push(push);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stored = (t: CountingTransport, k: string) =>
  t.store.snapshot()[0]?.series.find((s) => s.labels.k === k)?.value ?? 0;

describe("Registry.flushSoon", () => {
  it("gives the requests of one window one flush, and settles each only once its deltas are stored", async () => {
    const t = new CountingTransport();
    const r = new Registry({ transport: t });
    const hits = new Counter({ name: "soon_hits", help: "H.", labelNames: ["k"], registers: [r] });
    const settled: [string, number][] = [];
    const request = (k: string) => {
      hits.inc({ k });
      return r.flushSoon(undefined, { maxDelayMs: 30 }).then((result) => {
        settled.push([k, stored(t, k)]);
        return result;
      });
    };
    const results = await Promise.all([request("a"), request("b"), request("c")]);
    expect(t.pushes).toHaveLength(1);
    expect(results).toEqual([results[0], results[0], results[0]]);
    expect(results[0]).toMatchObject({ delivered: 1, retained: 0 });
    expect(settled).toEqual([
      ["a", 1],
      ["b", 1],
      ["c", 1],
    ]);
  });

  it("sends nothing without calls, and opens a new window for calls after a flush", async () => {
    const t = new CountingTransport();
    const r = new Registry({ transport: t });
    const hits = new Counter({ name: "soon_windows", help: "H.", labelNames: ["k"], registers: [r] });
    await sleep(50);
    expect(t.pushes).toHaveLength(0);
    hits.inc({ k: "a" });
    const first = r.flushSoon(undefined, { maxDelayMs: 10 });
    await first;
    hits.inc({ k: "a" });
    const second = r.flushSoon(undefined, { maxDelayMs: 10 });
    expect(second).not.toBe(first);
    await second;
    expect(t.pushes).toHaveLength(2);
    expect(stored(t, "a")).toBe(2);
  });

  it("uses one window whatever transport object each request passes", async () => {
    const store = new MemoryStore();
    const pushes: Push[] = [];
    const fresh = (): Transport => ({
      push: (push) => {
        pushes.push(push);
        return store.push(push);
      },
    });
    const r = new Registry();
    const hits = new Counter({ name: "soon_fresh", help: "H.", registers: [r] });
    await Promise.all(
      Array.from({ length: 10 }, () => {
        hits.inc();
        return r.flushSoon(fresh(), { maxDelayMs: 20 });
      }),
    );
    expect(pushes).toHaveLength(1);
    expect(store.snapshot()[0]?.series[0]?.value).toBe(10);
  });

  it("settles with what was retained when delivery fails, and the next window delivers it with the same push id", async () => {
    const t = new CountingTransport();
    const r = new Registry({ transport: t, onError: () => {} });
    const hits = new Counter({ name: "soon_retry", help: "H.", labelNames: ["k"], registers: [r] });
    t.fail = true;
    hits.inc({ k: "a" }, 3);
    expect(await r.flushSoon(undefined, { maxDelayMs: 5 })).toMatchObject({ retained: 1, delivered: 0 });
    t.fail = false;
    hits.inc({ k: "a" }, 4);
    expect(await r.flushSoon(undefined, { maxDelayMs: 5 })).toMatchObject({ delivered: 2, retained: 0 });
    expect(t.pushes[1]?.pushId).toBe(t.pushes[0]?.pushId);
    expect(stored(t, "a")).toBe(7);
  });

  it("rejects only for a programmer error: no transport at all", async () => {
    await expect(new Registry().flushSoon()).rejects.toThrow(/no transport/);
  });
});
