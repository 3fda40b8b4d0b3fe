// Cumulative points in the store (lib/store/cumulative.ts through mergeSeries): each point adds what its stream's
// totals grew since the stream's last point; a point no later than that adds nothing; a new start or lower totals
// count anew; native buckets grow across the resolution a producer reduced to; marks expire and are bounded.

import { describe, expect, it } from "vitest";
import { emptyNative, nativeData, observeNative } from "../../../lib/protocol/native-histogram.ts";
import type { FamilyDefinition } from "../../../lib/protocol/wire.ts";
import { increment, MAX_STREAM_MARKS, STREAM_MARK_TTL_MS } from "../../../lib/store/cumulative.ts";
import { mergeSeries, type SeriesState } from "../../../lib/store/merge.ts";

const counter: FamilyDefinition = { name: "c", type: "counter", help: "C.", labelNames: [] };
const native: FamilyDefinition = {
  name: "h",
  type: "histogram",
  help: "H.",
  labelNames: [],
  buckets: [],
  native: { schema: 3, zeroThreshold: 0, maxBuckets: 160 },
};
const point = (stream: string, start: string, time: string, total: number) => ({ stream, start, time, total });
const apply = (state: SeriesState | undefined, ...points: ReturnType<typeof point>[]) =>
  mergeSeries(counter, state, { labels: {}, inc: 0, cumulative: points }, 1_000);

describe("cumulative streams", () => {
  it("adds each stream's growth, nothing for a point no later than its last, its whole total on a new start or a lower one", () => {
    let s = apply(undefined, point("a", "1", "10", 5), point("b", "1", "10", 3));
    expect(s.value).toBe(8);
    s = apply(s, point("a", "1", "20", 9));
    expect(s.value).toBe(12);
    s = apply(s, point("a", "1", "20", 9), point("a", "1", "15", 7));
    expect(s.value).toBe(12);
    s = apply(s, point("a", "2", "30", 4));
    expect(s.value).toBe(16);
    s = apply(s, point("b", "1", "40", 1));
    expect(s.value).toBe(17);
    // Plain deltas still add beside the marks, and keep them.
    s = mergeSeries(counter, s, { labels: {}, inc: 2 }, 1_000);
    expect(s.value).toBe(19);
    expect(Object.keys(s.streams ?? {}).sort()).toEqual(["a", "b"]);
  });

  it("adds a native histogram's growth across a resolution its producer reduced to", () => {
    const values = [1.1, 2.5, 7, 30];
    const at = (schema: number, vs: number[]) => {
      const acc = emptyNative({ schema, zeroThreshold: 0, maxBuckets: 4096 });
      for (const v of vs) observeNative(acc, v);
      return nativeData(acc);
    };
    const total = (schema: number, vs: number[]) => ({
      stream: "s",
      start: "1",
      counts: [vs.length],
      sum: vs.reduce((a, b) => a + b, 0),
      native: at(schema, vs),
    });
    const none = { ...at(3, []) };
    const delta = (time: string, t: ReturnType<typeof total>) => ({
      labels: {},
      counts: [0],
      sum: 0,
      native: none,
      cumulative: [{ ...t, time }],
    });
    let s = mergeSeries(native, undefined, delta("10", total(3, values.slice(0, 2))), 0);
    // The producer reduced its resolution to schema 1 before its next export.
    s = mergeSeries(native, s, delta("20", total(1, values)), 0);
    expect(s.counts).toEqual([4]);
    expect(s.native).toEqual(at(1, values));
  });

  it("drops marks past their time to live, and keeps at most MAX_STREAM_MARKS, the least recently seen going first", () => {
    const first = increment(undefined, { stream: "old", start: "1", time: "1" }, { value: 1 }, 0).marks;
    const later = increment(first, { stream: "new", start: "1", time: "1" }, { value: 1 }, STREAM_MARK_TTL_MS + 1);
    expect(Object.keys(later.marks)).toEqual(["new"]);
    let marks = {};
    for (let i = 0; i <= MAX_STREAM_MARKS; i++)
      marks = increment(marks, { stream: `s${i}`, start: "1", time: "1" }, { value: 1 }, i).marks;
    expect(Object.keys(marks)).toHaveLength(MAX_STREAM_MARKS);
    expect(marks).not.toHaveProperty("s0");
  });
});
