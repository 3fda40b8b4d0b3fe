// Summary quantiles that merge: 100,000 observations from several distributions, spread over 100 simulated
// invocations (each a fresh registry and one flush), give p50/p90/p99 within 1% of the exact quantiles; up to 100
// observations the quantiles are exact, as prom-client reports them.

import { describe, expect, it } from "vitest";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { Registry } from "../../../lib/client/registry.ts";
import {
  addToSketch,
  emptySketch,
  exactQuantile,
  mergeSketchData,
  SKETCH_EXACT_MAX,
  SKETCH_RELATIVE_ACCURACY,
  sketchData,
  sketchQuantile,
} from "../../../lib/protocol/sketch.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";
import { seeded } from "../../fixtures/random.ts";
import { prom } from "../client/prom-client.ts";

const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

const DISTRIBUTIONS: [string, (r: () => number) => number][] = [
  ["uniform 0..1000", (r) => r() * 1000],
  ["exponential (mean 0.2 s)", (r) => -Math.log(1 - r()) * 0.2],
  ["log-normal latency", (r) => Math.exp(normal(r) * 1.2 - 3)],
  ["normal around 0 (negatives)", (r) => normal(r) * 50],
  ["pareto heavy tail", (r) => 1 / (1 - r()) ** (1 / 1.5)],
  ["bimodal cache hit/miss", (r) => (r() < 0.8 ? 0.002 + r() * 0.001 : 0.2 + r() * 0.05)],
];

/** The exact q-quantile by the sketch's rank convention: the observation of rank ⌊q·(n−1)⌋. */
const exact = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;

describe("mergeable summary quantiles", () => {
  it.each(DISTRIBUTIONS)("%s: 100,000 observations over 100 invocations, p50/p90/p99 within 1%%", async (_, draw) => {
    const r = seeded(42);
    const store = new MemoryStore();
    const all: number[] = [];
    for (let invocation = 0; invocation < 100; invocation++) {
      const registry = new Registry({ transport: store });
      const summary = new Summary({
        name: "work_seconds",
        help: "Work.",
        percentiles: [0.5, 0.9, 0.99],
        registers: [registry],
      });
      for (let i = 0; i < 1000; i++) {
        const v = draw(r);
        all.push(v);
        summary.observe(v);
      }
      expect(await registry.flush()).toMatchObject({ delivered: 1 });
    }
    all.sort((a, b) => a - b);
    const series = store.snapshot()[0]?.series[0];
    expect(series?.count).toBe(100_000);
    for (const [q = Number.NaN, estimate = Number.NaN] of series?.quantiles ?? []) {
      const truth = exact(all, q);
      expect(Math.abs(estimate - truth), `q=${q} estimate ${estimate} exact ${truth}`).toBeLessThanOrEqual(
        SKETCH_RELATIVE_ACCURACY * Math.abs(truth) + 1e-9,
      );
    }
    expect(series?.quantiles?.map(([q]) => q)).toEqual([0.5, 0.9, 0.99]);
  });

  it("merges exactly and in any order", () => {
    const r = seeded(7);
    const parts = Array.from({ length: 5 }, () => {
      const s = emptySketch();
      for (let i = 0; i < 500; i++) addToSketch(s, normal(r) * 10);
      return sketchData(s);
    });
    const forward = parts.reduce((acc, p) => mergeSketchData(acc, p), undefined as never);
    const backward = [...parts].reverse().reduce((acc, p) => mergeSketchData(acc, p), undefined as never);
    expect(backward).toEqual(forward);
    expect(sketchQuantile(forward, 0.5)).toBe(sketchQuantile(backward, 0.5));
  });

  it("reports NaN for an empty sketch, 0 for zeros, and the extremes at q = 0 and 1", () => {
    expect(sketchQuantile(sketchData(emptySketch()), 0.5)).toBeNaN();
    const s = emptySketch();
    for (const v of [0, 0, 0, -5, 1e6]) addToSketch(s, v);
    const d = sketchData(s);
    expect(sketchQuantile(d, 0.5)).toBe(0);
    expect(Math.abs(sketchQuantile(d, 0) + 5)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(sketchQuantile(d, 1) - 1e6) / 1e6).toBeLessThanOrEqual(0.01);
  });
});

describe("exact small summaries", () => {
  it("report prom-client's quantiles for up to 100 observations, flushed in pieces and merged by the store", async () => {
    const r = seeded(11);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + Math.floor(r() * SKETCH_EXACT_MAX);
      // Integers from a small range, so that repeated values are common; negatives and zero too.
      const values = Array.from({ length: n }, () => Math.round(normal(r) * 5));
      const store = new MemoryStore();
      const registry = new Registry({ transport: store });
      const ours = new Summary({ name: "s", help: "S.", registers: [registry] });
      const theirs = new prom.Summary({ name: "s", help: "S.", registers: [] });
      for (const [i, v] of values.entries()) {
        ours.observe(v);
        theirs.observe(v);
        if (i % 7 === 0) await registry.flush();
      }
      await registry.flush();
      const expected = (await theirs.get()).values.filter((v) => v.labels.quantile !== undefined);
      const local = (await ours.get()).values.filter((v) => v.labels.quantile !== undefined);
      const stored = store.snapshot()[0]?.series[0]?.quantiles ?? [];
      // prom-client reports 0 where its quantile is 0 or undefined; so do we for a set that holds a 0 quantile.
      const want = expected.map((v) => expect.closeTo(v.value, 9));
      expect(
        local.map((v) => v.value),
        `observations ${values.join(",")}`,
      ).toEqual(want);
      expect(
        stored.map(([, v]) => v),
        `observations ${values.join(",")}`,
      ).toEqual(want);
    }
  });

  it("keep the observations while merged sketches hold at most 100, then only the buckets", () => {
    const fill = (values: number[]) => {
      const s = emptySketch();
      for (const v of values) addToSketch(s, v);
      return sketchData(s);
    };
    const sixty = fill(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(sixty.exact).toHaveLength(60);
    const forty = mergeSketchData(undefined, fill(Array.from({ length: 40 }, (_, i) => 100 - i)));
    const hundred = mergeSketchData(sixty, forty);
    expect(hundred.exact).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(sketchQuantile(hundred, 0.5)).toBe(50.5);
    const more = mergeSketchData(hundred, fill([7]));
    expect(more.exact).toBeUndefined();
    // The observation of rank ⌊0.5 · 100⌋ in 1..100 and one more 7 is 50.
    expect(Math.abs(sketchQuantile(more, 0.5) - 50) / 50).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
    expect(fill(Array.from({ length: 101 }, (_, i) => i)).exact).toBeUndefined();
    // A sketch that lost its observations never gets them back.
    expect(mergeSketchData(more, fill([1])).exact).toBeUndefined();
  });

  it("interpolate as prom-client's t-digest does", () => {
    expect(exactQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(exactQuantile([1, 2, 3, 4, 5, 10], 0.9)).toBeCloseTo(9.5, 12);
    expect(exactQuantile([3, 3, 3, 9], 0.5)).toBe(4.5); // 3 stands at rank 1.5, 9 at 3.5
    expect(exactQuantile([5], 0.99)).toBe(5);
    expect(exactQuantile([1, 2], 0.01)).toBe(1);
    expect(exactQuantile([1, 2], 0.999)).toBe(2);
  });
});
