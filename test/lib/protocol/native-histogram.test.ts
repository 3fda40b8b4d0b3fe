// Native histograms' one module: an observation's bucket (checked against the definition of the buckets, not the
// module's own arithmetic), exact reduction and merging (the same as observing everything at the coarser schema),
// the cap on buckets, the zero bucket, the check of untrusted buckets, and the protobuf span form.

import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../../lib/protocol/limits.ts";
import {
  capBuckets,
  checkNative,
  emptyNative,
  fromSpans,
  mergeNative,
  type NativeBuckets,
  nativeCount,
  nativeData,
  nativeIndex,
  observeNative,
  reduceSchema,
  schemaForFactor,
  toSpans,
  widenZeroBucket,
} from "../../../lib/protocol/native-histogram.ts";
import { Invalid } from "../../../lib/protocol/refusal.ts";
import { bucketByDefinition } from "../../fixtures/native-buckets.ts";

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** `values` observed at `schema` (default settings otherwise, no bucket cap to speak of). */
function observed(values: number[], schema: number, zeroThreshold = 2 ** -128, maxBuckets = 4096): NativeBuckets {
  const acc = emptyNative({ schema, zeroThreshold, maxBuckets });
  for (const v of values) observeNative(acc, v);
  return nativeData(acc);
}

const next = random(7);
/** Values over about twelve decades, both signs, a few zeros and exact powers of two. */
const VALUES = [
  ...Array.from({ length: 400 }, () => (next() < 0.2 ? -1 : 1) * 10 ** (next() * 12 - 6)),
  0,
  0,
  1,
  2,
  0.5,
  1024,
  -4,
  2 ** -20,
];

describe("native histogram buckets", () => {
  it("puts every value in the bucket its definition names, at every schema from -4 to 8", () => {
    const misplaced: string[] = [];
    for (let schema = -4; schema <= 8; schema++) {
      for (const v of VALUES.filter((x) => x !== 0)) {
        const got = nativeIndex(Math.abs(v), schema);
        if (got !== bucketByDefinition(Math.abs(v), schema)) misplaced.push(`${v} @${schema}: ${got}`);
      }
    }
    expect(misplaced).toEqual([]);
  });

  it("places exact powers of two at the top of their bucket, and subnormals and the largest doubles too", () => {
    expect([nativeIndex(1, 0), nativeIndex(2, 0), nativeIndex(1.5, 0), nativeIndex(0.5, 3), nativeIndex(2, 3)]).toEqual(
      [0, 1, 1, -8, 8],
    );
    expect(nativeIndex(5e-324, 0)).toBe(-1074);
    expect(nativeIndex(Number.MAX_VALUE, 0)).toBe(1024);
    expect(nativeIndex(2 ** -1070, 2)).toBe(-4280);
  });

  it("puts a value a hair above an irrational bound in the bucket above, whatever Math.pow rounds to", () => {
    // Math.SQRT2 is the double just above √2 = 2^(4/8), the top of bucket 4 at schema 3: it belongs to bucket 5, as
    // client_golang puts it.
    expect(nativeIndex(Math.SQRT2, 3)).toBe(5);
    expect(nativeIndex(Math.SQRT2, 1)).toBe(2);
    // Every bound at every schema: the largest double at or below 2^(i/n) is in bucket i, the next double above it
    // in bucket i + 1. (Checked exactly: a double m/2^53 in [0.5, 1) is at most 2^(j/n − 1) iff m^n ≤ 2^(j + 52n).)
    const view = new DataView(new ArrayBuffer(8));
    const nextUp = (x: number) => {
      view.setFloat64(0, x);
      view.setBigUint64(0, view.getBigUint64(0) + 1n);
      return view.getFloat64(0);
    };
    for (let schema = 1; schema <= 8; schema++) {
      const n = 2 ** schema;
      for (let j = 1; j < n; j++) {
        let m = Math.floor(2 ** (j / n - 1) * 2 ** 53);
        const within = (k: number) => BigInt(k) ** BigInt(n) <= 1n << BigInt(j + 52 * n);
        while (!within(m)) m--;
        while (within(m + 1)) m++;
        const bound = (m / 2 ** 53) * 2;
        expect(nativeIndex(bound, schema), `schema ${schema}, bound ${j}`).toBe(j);
        expect(nativeIndex(nextUp(bound), schema), `schema ${schema}, above bound ${j}`).toBe(j + 1);
      }
    }
  });

  it("picks the schema of a bucket factor as client_golang does", () => {
    expect([1.1, 2, 1.0001, 100, 65_536, 1e300].map(schemaForFactor)).toEqual([3, 0, 8, -2, -4, -4]);
    expect(() => schemaForFactor(1)).toThrow(/above 1/);
  });

  it("reduces exactly: observing at schema s and reducing to s' is observing at s'", () => {
    for (const [from, to] of [
      [8, 3],
      [3, 0],
      [2, -4],
      [0, -1],
    ] as const)
      expect(reduceSchema(observed(VALUES, from), to)).toEqual(observed(VALUES, to));
  });

  it("merges exactly: two halves merged, at the same or different schemas, equal the whole", () => {
    const [a, b] = [VALUES.slice(0, 200), VALUES.slice(200)];
    expect(mergeNative(observed(a, 3), observed(b, 3), 4096)).toEqual(observed(VALUES, 3));
    expect(mergeNative(observed(a, 5), observed(b, 2), 4096)).toEqual(observed(VALUES, 2));
    expect(mergeNative(undefined, observed(b, 2), 4096)).toEqual(observed(b, 2));
  });

  it("widens the zero bucket over the buckets below a larger threshold, and merges to the wider one", () => {
    const wide = observed(VALUES, 3, 0.001);
    const merged = mergeNative(observed(VALUES.slice(0, 200), 3), observed(VALUES.slice(200), 3, 0.001), 4096);
    expect(nativeCount(merged as NativeBuckets)).toBe(VALUES.length);
    expect(merged?.zeroThreshold).toBeGreaterThanOrEqual(0.001);
    expect(merged?.zeroCount).toBe(VALUES.filter((v) => Math.abs(v) <= (merged?.zeroThreshold as number)).length);
    // No bucket left reaches below the threshold.
    for (const [i] of [...(merged?.positive ?? []), ...(merged?.negative ?? [])])
      expect(2 ** (((i as number) - 1) / 8)).toBeGreaterThanOrEqual(merged?.zeroThreshold as number);
    expect(widenZeroBucket(wide, 0)).toBe(wide);
  });

  it("halves the resolution until a series fits its bucket cap, as observing at the coarser schema would", () => {
    const capped = capBuckets(observed(VALUES, 8), 40);
    expect(capped.positive.length + capped.negative.length).toBeLessThanOrEqual(40);
    expect(capped).toEqual(observed(VALUES, capped.schema));
    expect(observed(VALUES, 3, 2 ** -128, 40)).toEqual(capped);
  });

  it("round-trips buckets through protobuf spans, and refuses spans that disagree with their counts", () => {
    const side = observed(VALUES, 3).positive;
    const { spans, counts } = toSpans(side);
    expect(fromSpans(spans, counts)).toEqual(side);
    expect(
      toSpans([
        [-2, 1],
        [-1, 2],
        [3, 1],
      ]),
    ).toEqual({
      spans: [
        [-2, 2],
        [3, 1],
      ],
      counts: [1, 2, 1],
    });
    expect(() => fromSpans([[0, 3]], [1, 2])).toThrow(/more buckets/);
    expect(() => fromSpans([[0, 1]], [1, 2])).toThrow(/1 buckets, but 2 counts/);
  });
});

describe("checkNative (untrusted buckets)", () => {
  const good = { schema: 3, zeroThreshold: 0.001, zeroCount: 1, positive: [[0, 2]], negative: [[-3, 1]] };
  const refusal = (value: unknown, observations = 4) => {
    try {
      checkNative(value, ["native"], DEFAULT_LIMITS, observations);
    } catch (e) {
      if (e instanceof Invalid) return e.message;
      throw e;
    }
    return "accepted";
  };

  it("accepts canonical buckets", () => expect(refusal(good)).toBe("accepted"));

  it.each([
    ["a schema past 8", { ...good, schema: 9 }, /native\.schema: must be an integer from -4 to 8, got 9/],
    ["a fractional schema", { ...good, schema: 1.5 }, /schema: must be an integer/],
    ["a negative threshold", { ...good, zeroThreshold: -1 }, /zeroThreshold: must be a finite number ≥ 0/],
    ["a NaN threshold", { ...good, zeroThreshold: Number.NaN }, /zeroThreshold/],
    ["a fractional zero count", { ...good, zeroCount: 0.5 }, /zeroCount: must be a whole number/],
    [
      "a zero bucket count",
      { ...good, positive: [[0, 0]], zeroCount: 3 },
      /positive\[0\]\[1\]: must be a whole number from 1/,
    ],
    [
      "indexes out of order",
      {
        ...good,
        positive: [
          [2, 1],
          [1, 1],
        ],
        zeroCount: 0,
      },
      /strictly increasing/,
    ],
    [
      "an index no value reaches",
      { ...good, positive: [[9000, 2]] },
      /positive\[0\]\[0\]: must be a bucket index from -8601 to 8601/,
    ],
    ["a pair of three", { ...good, positive: [[0, 1, 1]] }, /must be an \[index, count\] pair/],
    ["an unknown field", { ...good, extra: 1 }, /unknown field "extra"/],
    ["a count other than the series'", good, /holds 4 observations, but the series counts 5/, 5],
  ] as const)("refuses %s", (_, value, message, observations?: number) => {
    expect(refusal(value, observations ?? 4)).toMatch(message);
  });

  it("takes more buckets than the limit at a coarser schema, every observation kept (client_golang sets no limit)", () => {
    const wide = {
      schema: 3,
      zeroThreshold: 0,
      zeroCount: 0,
      positive: Array.from({ length: 5000 }, (_, i) => [i, 1]),
      negative: [],
    };
    const taken = checkNative(wide, ["native"], DEFAULT_LIMITS, 5000);
    expect(taken.positive.length).toBeLessThanOrEqual(4096);
    expect(taken.schema).toBe(2);
    expect(nativeCount(taken)).toBe(5000);
    expect(taken).toEqual(reduceSchema(wide, 2));
  });
});
