// Cumulative points: a producer that reports totals since its stream started (an OpenTelemetry exporter with
// cumulative temporality) instead of deltas. The series keeps each stream's last totals (a mark) beside its state,
// and a point adds what it grew since: the same transaction that adds it moves the mark, so nothing is counted twice.
// - A point no later than the mark (an exporter's retry, or an older export arriving late) adds nothing.
// - A new stream, a new start time, or totals lower than the mark (the process restarted) count from zero: the
//   point's totals are added whole.
// - Marks not seen for STREAM_MARK_TTL_MS are dropped, and a series keeps at most MAX_STREAM_MARKS (the least
//   recently seen go first): a stream silent longer than that which comes back is counted from zero again.

import { type NativeBuckets, reduceSchema, widenZeroBucket } from "../protocol/native-histogram.ts";
import type { CumulativePoint } from "../protocol/wire.ts";

/** How long a stream's mark is kept after its last point. */
export const STREAM_MARK_TTL_MS = 24 * 3600 * 1000;
/** Marks kept per series. */
export const MAX_STREAM_MARKS = 200;

/** A stream's last totals: a counter's value, or a histogram's counts, sum and native buckets. */
export interface StreamMark {
  start: string;
  time: string;
  /** When the mark was last moved, in ms. */
  seen: number;
  value?: number;
  counts?: number[];
  sum?: number;
  native?: NativeBuckets;
}

export type StreamMarks = Record<string, StreamMark>;

/** Totals a point carries. */
export type Totals = Pick<StreamMark, "value" | "counts" | "sum" | "native">;

const later = (a: string, b: string) => BigInt(a) > BigInt(b);

/** `total` − `mark` bucket by bucket, or undefined when a bucket went down or the layout cannot be compared. */
function nativeGrowth(total: NativeBuckets, mark: NativeBuckets): NativeBuckets | undefined {
  // A producer reduces its resolution as its range grows (never the reverse) and may widen its zero bucket.
  if (mark.schema < total.schema || mark.zeroThreshold > total.zeroThreshold) return undefined;
  const before = widenZeroBucket(reduceSchema(mark, total.schema), total.zeroThreshold);
  if (before.zeroThreshold !== total.zeroThreshold) return undefined;
  const side = (now: number[][], then: number[][]): number[][] | undefined => {
    const earlier = new Map(then.map(([i, c]) => [i as number, c as number]));
    const out: number[][] = [];
    for (const [i, c] of now) {
      const grown = (c as number) - (earlier.get(i as number) ?? 0);
      earlier.delete(i as number);
      if (grown < 0) return undefined;
      if (grown > 0) out.push([i as number, grown]);
    }
    return earlier.size > 0 ? undefined : out;
  };
  const positive = side(total.positive, before.positive);
  const negative = side(total.negative, before.negative);
  const zeroCount = total.zeroCount - before.zeroCount;
  if (!positive || !negative || zeroCount < 0) return undefined;
  return { ...total, zeroCount, positive, negative };
}

/** What `totals` grew since `mark`, or undefined when they did not only grow (a reset). */
function growth(totals: Totals, mark: StreamMark): Totals | undefined {
  if (totals.value !== undefined) {
    const value = totals.value - (mark.value ?? 0);
    return value >= 0 ? { value } : undefined;
  }
  const counts = (totals.counts ?? []).map((c, i) => c - (mark.counts?.[i] ?? 0));
  if (counts.some((c) => c < 0) || (mark.counts?.length ?? 0) !== counts.length) return undefined;
  const out: Totals = { counts, sum: (totals.sum ?? 0) - (mark.sum ?? 0) };
  if (totals.native) {
    const native = mark.native ? nativeGrowth(totals.native, mark.native) : undefined;
    if (!native) return undefined;
    out.native = native;
  }
  return out;
}

/**
 * What a cumulative point adds to its series, and the marks after it: nothing for a point no later than its stream's
 * mark; its totals' growth since the mark; its totals whole for a new stream, a new start or a reset.
 * @example increment(undefined, { stream: "s", start: "1", time: "2" }, { value: 5 }, now).add; // { value: 5 }
 */
export function increment(
  marks: StreamMarks | undefined,
  point: CumulativePoint,
  totals: Totals,
  nowMs: number,
): { add: Totals | undefined; marks: StreamMarks } {
  const mark = marks?.[point.stream];
  if (mark && mark.start === point.start && !later(point.time, mark.time))
    return { add: undefined, marks: marks ?? {} };
  const grown = mark && mark.start === point.start ? growth(totals, mark) : undefined;
  const add = grown ?? totals;
  const kept: StreamMarks = {};
  const live = Object.entries(marks ?? {})
    .filter(([id, m]) => id !== point.stream && nowMs - m.seen <= STREAM_MARK_TTL_MS)
    .sort(([, a], [, b]) => b.seen - a.seen)
    .slice(0, MAX_STREAM_MARKS - 1);
  for (const [id, m] of live) kept[id] = m;
  kept[point.stream] = { start: point.start, time: point.time, seen: nowMs, ...totals };
  return { add, marks: kept };
}
