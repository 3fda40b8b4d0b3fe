// Shard merging, on its own: the parts of one series held by several objects combine by type (counters, histograms,
// summaries add; gauges by their policy), the oldest creation and the newest update win, a series past its time to
// live is hidden; and the walk over every shard's pages yields each key once, in key order, merged.

import { describe, expect, it } from "vitest";
import { addToSketch, emptySketch, sketchData } from "../../../lib/protocol/sketch.ts";
import type { FamilyDefinition, FamilyPage, SeriesPart } from "../../../lib/protocol/wire.ts";
import { combineParts, mergedShards, mergeParts, widest } from "../../../lib/store/merge-shards.ts";

const def = (over: Partial<FamilyDefinition>): FamilyDefinition => ({
  name: "f",
  type: "counter",
  help: "F.",
  labelNames: [],
  ...over,
});
const part = (over: Partial<SeriesPart>): SeriesPart => ({
  key: "[]",
  labels: {},
  created: 1000,
  updated: 2000,
  ...over,
});

describe("combining the parts of a series", () => {
  it("adds counters and keeps the oldest creation and the newest update", () => {
    const merged = combineParts(def({}), part({ value: 2, created: 5000, updated: 6000 }), part({ value: 3 }));
    expect(merged).toMatchObject({ value: 5, created: 1000, updated: 6000 });
  });

  it("combines gauges by their merge policy, the later update being the later write", () => {
    const earlier = part({ value: 7, updated: 1000 });
    const later = part({ value: 4, updated: 2000 });
    const table: [FamilyDefinition["merge"], number][] = [
      ["set", 4],
      ["sum", 11],
      ["max", 7],
      ["min", 4],
    ];
    for (const [merge, expected] of table) {
      expect(combineParts(def({ type: "gauge", merge }), earlier, later).value, merge).toBe(expected);
      expect(combineParts(def({ type: "gauge", merge }), later, earlier).value, merge).toBe(expected);
    }
  });

  it("adds histogram buckets and sums, and summary counts, sums and sketches", () => {
    const h = combineParts(
      def({ type: "histogram", buckets: [1] }),
      part({ counts: [1, 2], sum: 1.5 }),
      part({ counts: [3, 4], sum: 2 }),
    );
    expect(h).toMatchObject({ counts: [4, 6], sum: 3.5 });

    const sketch = (values: number[]) => {
      const s = emptySketch();
      for (const v of values) addToSketch(s, v);
      return sketchData(s);
    };
    const summary = def({ type: "summary", percentiles: [0.5], maxAgeSeconds: 0, ageBuckets: 1 });
    const s = combineParts(
      summary,
      part({ count: 2, sum: 3, windows: { "0": sketch([1, 2]) } }),
      part({ count: 1, sum: 100, windows: { "0": sketch([100]) } }),
    );
    expect(s).toMatchObject({ count: 3, sum: 103 });
    const snapshot = mergeParts(summary, [s], 3000, 0);
    expect(snapshot?.quantiles?.[0]?.[1]).toBeCloseTo(2, 1);
  });

  it("hides a series whose newest part is past its time to live", () => {
    const parts = [part({ value: 1, updated: 1000 }), part({ value: 1, updated: 5000 })];
    expect(mergeParts(def({}), parts, 10_000, 6_000)?.value).toBe(2);
    expect(mergeParts(def({}), parts, 11_000, 6_000)).toBeUndefined();
    expect(mergeParts(def({}), parts, 1e12, 0)?.value).toBe(2);
  });

  it("takes the definition with the most label names", () => {
    const narrow = def({ labelNames: ["a"] });
    const wide = def({ labelNames: ["a", "b"] });
    expect(widest([null, narrow, wide, narrow])).toBe(wide);
    expect(widest([null, null])).toBeUndefined();
  });
});

describe("walking a sharded family", () => {
  const definition = def({ labelNames: ["k"] });
  const p = (k: string, value: number): SeriesPart => part({ key: JSON.stringify([k]), labels: { k }, value });
  /** A shard's parts in pages of two. */
  const shard =
    (parts: SeriesPart[]) =>
    (after: string | undefined): FamilyPage => {
      const start = after === undefined ? 0 : parts.findIndex((x) => x.key > after);
      const page = start < 0 ? [] : parts.slice(start, start + 2);
      const next = start >= 0 && start + 2 < parts.length ? page[page.length - 1]?.key : undefined;
      return { kind: "parts", definition, seriesCount: page.length, parts: page, ...(next ? { next } : {}) };
    };

  it("yields each key once, in key order, merged over the shards that hold it, across pages", async () => {
    const shards = [
      shard([p("a", 1), p("c", 1), p("d", 1), p("f", 1)]),
      shard([p("b", 10), p("c", 10), p("e", 10)]),
      shard([p("c", 100), p("f", 100)]),
    ];
    const first = shards.map((read) => read(undefined));
    const merged = mergedShards(
      first,
      async (k, after) => (shards[k] as (a?: string) => FamilyPage)(after),
      3000,
      () => 0,
    );
    const seen: [string, number | undefined][] = [];
    for await (const { key, series } of merged?.series ?? []) seen.push([key, series?.value]);
    expect(seen).toEqual([
      ['["a"]', 1],
      ['["b"]', 10],
      ['["c"]', 111],
      ['["d"]', 1],
      ['["e"]', 10],
      ['["f"]', 101],
    ]);
  });

  it("skips a shard that shard 0 took in when the family was narrowed", async () => {
    const zero: FamilyPage = { ...shard([p("a", 5)])(undefined), absorbed: [1] } as FamilyPage;
    const one = shard([p("a", 5)])(undefined);
    const merged = mergedShards(
      [zero, one],
      async () => ({ kind: "empty" }),
      3000,
      () => 0,
    );
    const seen: (number | undefined)[] = [];
    for await (const { series } of merged?.series ?? []) seen.push(series?.value);
    expect(seen).toEqual([5]);
  });

  it("is undefined when no shard holds the family", () => {
    expect(
      mergedShards(
        [{ kind: "empty" }, { kind: "empty" }],
        async () => ({ kind: "empty" }),
        0,
        () => 0,
      ),
    ).toBeUndefined();
  });
});
