// Summary quantiles that merge: 100,000 observations from several distributions, spread over 100 simulated
// invocations (each a fresh registry and one flush), give p50/p90/p99 within 1% of the exact quantiles.

import { describe, expect, it } from "vitest";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { Registry } from "../../../lib/client/registry.ts";
import {
  addToSketch,
  emptySketch,
  mergeSketchData,
  SKETCH_RELATIVE_ACCURACY,
  sketchData,
  sketchQuantile,
} from "../../../lib/protocol/sketch.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";

/** A seeded generator (mulberry32), so every run sees the same observations. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
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
    const r = random(42);
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
    const r = random(7);
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
