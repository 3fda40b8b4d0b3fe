// Histogram's `native` option, as a user meets it: client_golang's settings (schema or bucket factor, zero threshold,
// bucket cap), native only or beside classic buckets, what a flush carries into a store (MemoryStore: the same
// merge the family objects run), the cap past which the resolution halves, and the refusals where it is declared.

import { describe, expect, it } from "vitest";
import { InvalidMetricError } from "../../../lib/client/errors.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";

describe("Histogram with native buckets", () => {
  it("takes the defaults with native: true, and is native only without buckets", () => {
    const h = new Histogram({ name: "nh_default", help: "H.", native: true, registers: [] });
    expect(h.definition()).toMatchObject({
      buckets: [],
      native: { schema: 3, zeroThreshold: 2 ** -128, maxBuckets: 160 },
    });
    const both = new Histogram({
      name: "nh_both",
      help: "H.",
      buckets: [1, 2],
      native: { bucketFactor: 1.01 },
      registers: [],
    });
    expect(both.definition()).toMatchObject({ buckets: [1, 2], native: { schema: 7 } });
  });

  it("refuses settings the server would refuse, where the histogram is declared", () => {
    expect(() => new Histogram({ name: "nh_bad", help: "H.", native: { schema: 9 }, registers: [] })).toThrow(
      InvalidMetricError,
    );
    expect(() => new Histogram({ name: "nh_bad", help: "H.", native: { schema: 9 }, registers: [] })).toThrow(
      /native\.schema: must be an integer from -4 to 8, got 9/,
    );
    expect(() => new Histogram({ name: "nh_bad", help: "H.", native: { maxBuckets: 5000 }, registers: [] })).toThrow(
      /native\.maxBuckets: must be a whole number from 1 to 4096/,
    );
    expect(
      () => new Histogram({ name: "nh_bad", help: "H.", native: { schema: 2, bucketFactor: 1.1 }, registers: [] }),
    ).toThrow(/a schema or a bucketFactor, not both/);
  });

  it("flushes its buckets, which the store adds up across flushes and producers", async () => {
    const store = new MemoryStore();
    for (const values of [
      [0.5, 1, 3],
      [3, -0.25, 0],
    ]) {
      const registry = new Registry({ transport: store });
      const h = new Histogram({ name: "nh_flushed", help: "H.", native: { schema: 0 }, registers: [registry] });
      for (const v of values) h.observe(v);
      expect(await registry.flush()).toMatchObject({ delivered: 1, rejected: 0 });
    }
    const [family] = store.snapshot();
    // Schema 0: bucket i holds (2^(i-1), 2^i]; 0.5 → -1, 1 → 0, 3 → 2 (twice), -0.25 → -2 on the negative side.
    expect(family?.series[0]).toMatchObject({
      counts: [6],
      sum: 7.25,
      native: {
        schema: 0,
        zeroCount: 1,
        positive: [
          [-1, 1],
          [0, 1],
          [2, 2],
        ],
        negative: [[-2, 1]],
      },
    });
  });

  it("halves its resolution past maxBuckets, as client_golang does", async () => {
    const store = new MemoryStore();
    const registry = new Registry({ transport: store });
    const h = new Histogram({
      name: "nh_capped",
      help: "H.",
      native: { schema: 8, maxBuckets: 10 },
      registers: [registry],
    });
    for (let i = 0; i < 1000; i++) h.observe(1.001 ** i);
    await registry.flush();
    const native = store.snapshot()[0]?.series[0]?.native;
    expect((native?.positive.length ?? 0) + (native?.negative.length ?? 0)).toBeLessThanOrEqual(10);
    expect(native?.schema).toBeLessThan(8);
    expect(native?.positive.reduce((n, [, c]) => n + (c as number), 0)).toBe(1000);
  });

  it("shows what the text formats show: the +Inf bucket, _sum and _count", async () => {
    const registry = new Registry();
    const h = new Histogram({ name: "nh_shown", help: "H.", native: true, registers: [registry] });
    h.observe(2);
    h.observe(4);
    expect(await registry.metrics()).toContain('nh_shown_bucket{le="+Inf"} 2\nnh_shown_sum 6\nnh_shown_count 2\n');
  });
});
