// Native histograms, as Prometheus defines them: exponential buckets whose resolution is a schema s from -4 to 8;
// bucket i of schema s holds the magnitudes in (2^((i-1)·2^-s), 2^(i·2^-s)], one sign per side, and a zero bucket
// holds every |v| ≤ the zero threshold. The one place for what a native histogram is and how two combine: the
// bucket of an observation (as client_golang finds it), the canonical sparse form that travels and is stored,
// exact merging (same schema: add; different schemas: the finer reduced to the coarser; the wider zero bucket
// wins), the cap on buckets (past it the resolution halves, as client_golang does), the check of untrusted ones,
// and the span/delta form of the protobuf format.

import type { Limits } from "./limits.ts";
import { array, at, fail, type Path, record } from "./refusal.ts";
import { describeValue } from "./validation.ts";

export const NATIVE_SCHEMA_MIN = -4;
export const NATIVE_SCHEMA_MAX = 8;

/** A native histogram's settings, as a family definition carries them (canonical: every field present). */
export interface NativeSettings {
  /** Resolution: each bucket is 2^(2^-schema) times as wide as the one before. */
  schema: number;
  /** Observations with |v| ≤ this count in the zero bucket. */
  zeroThreshold: number;
  /** A series holding more buckets than this halves its resolution until it fits. */
  maxBuckets: number;
}

/**
 * The defaults: schema 3 (each bucket 9% wider than the one before: quantiles within 4.4%), client_golang's zero
 * threshold (2^-128), and 160 buckets (1.9 decades at schema 3; wider ranges reduce to schema 2 or below).
 */
export const NATIVE_DEFAULTS: Readonly<NativeSettings> = Object.freeze({
  schema: 3,
  zeroThreshold: 2 ** -128,
  maxBuckets: 160,
});

/**
 * A native histogram's counts, as they travel and are stored: `[bucket index, count]` pairs in strictly increasing
 * index order, counts above zero. (Pairs are arrays: tuples do not survive the RPC types, and the wire is JSON.)
 */
export interface NativeBuckets {
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  positive: number[][];
  negative: number[][];
}

/**
 * The schema whose bucket growth is the largest not above `factor` (client_golang's NativeHistogramBucketFactor),
 * within -4…8.
 * @example schemaForFactor(1.1); // 3
 */
export function schemaForFactor(factor: number): number {
  if (!(factor > 1) || !Number.isFinite(factor))
    throw new RangeError(`a native histogram's bucket factor must be a finite number above 1, got ${factor}`);
  const schema = 0 - Math.floor(Math.log2(Math.log2(factor)));
  return Math.min(NATIVE_SCHEMA_MAX, Math.max(NATIVE_SCHEMA_MIN, schema));
}

/** The relative width of a bucket at `schema` (each bucket's upper bound over its lower), 2^(2^-schema). */
export const bucketGrowth = (schema: number): number => 2 ** (2 ** -schema);

const TWO_53 = 2 ** 53;

/**
 * The largest double not above 2^(j/n − 1) (0 ≤ j < n), found exactly: a double in [0.5, 1) is m/2^53 for a whole m,
 * and m/2^53 ≤ 2^(j/n − 1) exactly when m^n ≤ 2^(j + 52n). So a fraction is at most this bound exactly when its
 * value is at most the true bucket bound: a value a hair above an irrational bound (Math.SQRT2 above √2) goes to
 * the bucket above, as client_golang's table puts it, not by how Math.pow happened to round.
 */
function floorFractionBound(j: number, n: number): number {
  if (j === 0) return 0.5;
  const limit = 1n << BigInt(j + 52 * n);
  const within = (m: number) => BigInt(m) ** BigInt(n) <= limit;
  let m = Math.round(2 ** (j / n - 1) * TWO_53);
  while (!within(m)) m--;
  while (within(m + 1)) m++;
  return m / TWO_53;
}

/** Upper bounds of the fractions (in [0.5, 1)) that end each bucket within an octave, per positive schema, made on first use. */
const FRACTION_BOUNDS: number[][] = [];
function fractionBounds(schema: number): number[] {
  let bounds = FRACTION_BOUNDS[schema];
  if (!bounds) {
    const n = 2 ** schema;
    bounds = Array.from({ length: n }, (_, j) => floorFractionBound(j, n));
    FRACTION_BOUNDS[schema] = bounds;
  }
  return bounds;
}

const frexpView = new DataView(new ArrayBuffer(8));

/** `magnitude` (finite, > 0) as fraction·2^exponent with the fraction in [0.5, 1), as Go's math.Frexp. */
function frexp(magnitude: number): [number, number] {
  frexpView.setFloat64(0, magnitude);
  const high = frexpView.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  if (biased === 0) {
    // Subnormal: scale into the normal range first.
    const [fraction, exponent] = frexp(magnitude * 2 ** 64);
    return [fraction, exponent - 64];
  }
  frexpView.setUint32(0, (high & 0x800fffff) | (1022 << 20));
  return [frexpView.getFloat64(0), biased - 1022];
}

/**
 * The bucket index of a magnitude (finite, > 0) at `schema`, as client_golang computes it: the bucket whose upper
 * bound is the smallest at or above it.
 * @example nativeIndex(1, 0); // 0 — bucket (0.5, 1]
 * nativeIndex(1.5, 0); // 1 — bucket (1, 2]
 */
export function nativeIndex(magnitude: number, schema: number): number {
  const [fraction, exponent] = frexp(magnitude);
  if (schema > 0) {
    const bounds = fractionBounds(schema);
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((bounds[mid] as number) < fraction) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exponent - 1) * bounds.length;
  }
  const key = fraction === 0.5 ? exponent - 1 : exponent;
  const div = 2 ** -schema;
  return Math.floor((key + div - 1) / div);
}

/** The magnitudes bucket `index` of `schema` holds: (lower, upper]. */
export function bucketBounds(index: number, schema: number): [number, number] {
  return [upperBound(index - 1, schema), upperBound(index, schema)];
}

/** Bucket `index`'s upper bound at `schema`: the largest double not above 2^(index·2^-schema). */
function upperBound(index: number, schema: number): number {
  if (schema <= 0) return 2 ** (index * 2 ** -schema);
  const n = 2 ** schema;
  const octave = Math.floor(index / n);
  // 2^(index/n) = 2^(octave + 1) · 2^(r/n − 1), r = index − octave·n; scaling by a power of two is exact.
  return (fractionBounds(schema)[index - octave * n] as number) * 2 ** (octave + 1);
}

/** The largest index a finite magnitude reaches at `schema` (and the smallest is about its negation, subnormals). */
const maxIndex = (schema: number) => Math.ceil(1075 * 2 ** schema) + 1;

/** A native histogram being filled (the client's pending delta): counts by bucket index, per sign. */
export interface NativeAccumulator {
  settings: NativeSettings;
  zeroCount: number;
  positive: Map<number, number>;
  negative: Map<number, number>;
}

export function emptyNative(settings: NativeSettings): NativeAccumulator {
  return { settings, zeroCount: 0, positive: new Map(), negative: new Map() };
}

/** Counts one finite observation. */
export function observeNative(acc: NativeAccumulator, value: number): void {
  const { schema, zeroThreshold } = acc.settings;
  if (Math.abs(value) <= zeroThreshold) {
    acc.zeroCount++;
    return;
  }
  const side = value > 0 ? acc.positive : acc.negative;
  const index = nativeIndex(Math.abs(value), schema);
  side.set(index, (side.get(index) ?? 0) + 1);
}

const byIndex = (a: number[], b: number[]) => (a[0] as number) - (b[0] as number);

/** The canonical form of a side's counts (zero counts dropped, sorted by index). */
function pairs(side: Map<number, number>): number[][] {
  const out: number[][] = [];
  for (const [index, count] of side) if (count > 0) out.push([index, count]);
  return out.sort(byIndex);
}

/** What an accumulator holds, in canonical form, within its settings' bucket cap. */
export function nativeData(acc: NativeAccumulator): NativeBuckets {
  const { schema, zeroThreshold, maxBuckets } = acc.settings;
  const data = {
    schema,
    zeroThreshold,
    zeroCount: acc.zeroCount,
    positive: pairs(acc.positive),
    negative: pairs(acc.negative),
  };
  return capBuckets(data, maxBuckets);
}

/**
 * The settings of a family defined by its series' native buckets (a protobuf or OTLP push, whose producer declares
 * none): the coarsest schema and the widest zero bucket among them, and room for the most buckets one holds (at
 * least the default, within `maxNativeBuckets`).
 */
export function inferredSettings(natives: readonly NativeBuckets[], maxNativeBuckets: number): NativeSettings {
  const buckets = natives.map((n) => n.positive.length + n.negative.length);
  return {
    schema: Math.max(NATIVE_SCHEMA_MIN, Math.min(...natives.map((n) => n.schema))),
    zeroThreshold: Math.max(...natives.map((n) => n.zeroThreshold)),
    maxBuckets: Math.min(maxNativeBuckets, Math.max(NATIVE_DEFAULTS.maxBuckets, ...buckets)),
  };
}

/** How many observations a native histogram holds. */
export function nativeCount(data: NativeBuckets): number {
  let n = data.zeroCount;
  for (const [, c] of data.positive) n += c as number;
  for (const [, c] of data.negative) n += c as number;
  return n;
}

/** A side's pairs re-indexed to a coarser schema (`by` halvings): buckets that now coincide add up. */
function reduceSide(side: number[][], by: number): number[][] {
  if (by === 0) return side;
  const div = 2 ** by;
  const out = new Map<number, number>();
  for (const [index, count] of side) {
    const coarse = Math.ceil((index as number) / div);
    out.set(coarse, (out.get(coarse) ?? 0) + (count as number));
  }
  return pairs(out);
}

/** `data` at a coarser (or equal) schema. Exact: every bucket of a schema lies inside one of the coarser one. */
export function reduceSchema(data: NativeBuckets, schema: number): NativeBuckets {
  const by = data.schema - schema;
  if (by <= 0) return data;
  return { ...data, schema, positive: reduceSide(data.positive, by), negative: reduceSide(data.negative, by) };
}

/**
 * `data` with a zero bucket at least `threshold` wide: buckets that reach below the threshold move into it, and the
 * threshold grows to the upper bound of the last bucket moved (so no bucket straddles it), as Prometheus merges.
 */
export function widenZeroBucket(data: NativeBuckets, threshold: number): NativeBuckets {
  if (threshold <= data.zeroThreshold) return data;
  let zeroThreshold = threshold;
  let zeroCount = data.zeroCount;
  const keep = (side: number[][]) =>
    side.filter(([index, count]) => {
      const [lower, upper] = bucketBounds(index as number, data.schema);
      if (lower >= zeroThreshold) return true;
      zeroCount += count as number;
      zeroThreshold = Math.max(zeroThreshold, upper);
      return false;
    });
  // Sides in increasing index order: a bucket moved can only widen the threshold over the ones after it.
  let positive = keep(data.positive);
  let negative = keep(data.negative);
  while (
    positive.some(([i]) => bucketBounds(i as number, data.schema)[0] < zeroThreshold) ||
    negative.some(([i]) => bucketBounds(i as number, data.schema)[0] < zeroThreshold)
  ) {
    positive = keep(positive);
    negative = keep(negative);
  }
  return { ...data, zeroThreshold, zeroCount, positive, negative };
}

/** `data` with at most `maxBuckets` buckets: its resolution halves until it fits (or reaches the coarsest schema). */
export function capBuckets(data: NativeBuckets, maxBuckets: number): NativeBuckets {
  let out = data;
  while (out.positive.length + out.negative.length > maxBuckets && out.schema > NATIVE_SCHEMA_MIN)
    out = reduceSchema(out, out.schema - 1);
  return out;
}

function addSides(a: number[][], b: number[][]): number[][] {
  const out = new Map<number, number>();
  for (const [index, count] of [...a, ...b])
    out.set(index as number, (out.get(index as number) ?? 0) + (count as number));
  return pairs(out);
}

/**
 * Two native histograms of one series as one, exactly: at the coarser schema, with the wider zero bucket, counts
 * added, then within `maxBuckets`. Either may be absent.
 * @example mergeNative(a, b, 160).zeroCount === a.zeroCount + b.zeroCount; // when their thresholds agree
 */
export function mergeNative(
  a: NativeBuckets | undefined,
  b: NativeBuckets | undefined,
  maxBuckets: number,
): NativeBuckets | undefined {
  if (!a || !b) {
    const one = a ?? b;
    return one && capBuckets(one, maxBuckets);
  }
  const schema = Math.min(a.schema, b.schema);
  const threshold = Math.max(a.zeroThreshold, b.zeroThreshold);
  let x = widenZeroBucket(reduceSchema(a, schema), threshold);
  let y = widenZeroBucket(reduceSchema(b, schema), threshold);
  // Widening one may have grown its threshold past the other's: bring both to the same.
  const zero = Math.max(x.zeroThreshold, y.zeroThreshold);
  x = widenZeroBucket(x, zero);
  y = widenZeroBucket(y, zero);
  return capBuckets(
    {
      schema,
      zeroThreshold: zero,
      zeroCount: x.zeroCount + y.zeroCount,
      positive: addSides(x.positive, y.positive),
      negative: addSides(x.negative, y.negative),
    },
    maxBuckets,
  );
}

function checkSchema(value: unknown, path: Path): number {
  if (!Number.isInteger(value) || (value as number) < NATIVE_SCHEMA_MIN || (value as number) > NATIVE_SCHEMA_MAX)
    fail(path, `must be an integer from ${NATIVE_SCHEMA_MIN} to ${NATIVE_SCHEMA_MAX}, got ${describeValue(value)}`);
  return value as number;
}

function checkThreshold(value: unknown, path: Path): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    fail(path, `must be a finite number ≥ 0, got ${describeValue(value)}`);
  return value;
}

function checkWhole(value: unknown, path: Path, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max)
    fail(path, `must be a whole number from ${min} to ${max}, got ${describeValue(value)}`);
  return value;
}

const SETTINGS = ["schema", "zeroThreshold", "maxBuckets"];

/** Checks a family's native histogram settings (untrusted) and returns them, or refuses naming the field. */
export function checkNativeSettings(
  value: unknown,
  path: Path,
  limits: Pick<Limits, "maxNativeBuckets">,
): NativeSettings {
  const s = record(value, path, SETTINGS, SETTINGS);
  return {
    schema: checkSchema(s.schema, at(path, "schema")),
    zeroThreshold: checkThreshold(s.zeroThreshold, at(path, "zeroThreshold")),
    maxBuckets: checkWhole(s.maxBuckets, at(path, "maxBuckets"), 1, limits.maxNativeBuckets),
  };
}

const BUCKETS = ["schema", "zeroThreshold", "zeroCount", "positive", "negative"];

/**
 * Checks untrusted native buckets (a push's) and returns them in canonical form, or refuses naming the field: a
 * schema within -4…8, a finite threshold ≥ 0, whole counts, indexes a finite value can reach, strictly increasing,
 * and as many observations as the series counts. Past `maxNativeBuckets` buckets, returned at a coarser schema.
 */
export function checkNative(
  value: unknown,
  path: Path,
  limits: Pick<Limits, "maxNativeBuckets">,
  observations: number,
): NativeBuckets {
  const n = record(value, path, BUCKETS, BUCKETS);
  const schema = checkSchema(n.schema, at(path, "schema"));
  const zeroThreshold = checkThreshold(n.zeroThreshold, at(path, "zeroThreshold"));
  const zeroCount = checkWhole(n.zeroCount, at(path, "zeroCount"), 0);
  const limit = maxIndex(schema as number);
  const side = (raw: unknown, where: Path): number[][] => {
    const list = array(raw, where);
    let previous = Number.NEGATIVE_INFINITY;
    return list.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2)
        fail(at(where, i), `must be an [index, count] pair, got ${describeValue(pair)}`);
      const [index, count] = pair as unknown[];
      if (!Number.isInteger(index) || Math.abs(index as number) > limit)
        fail(
          at(where, i, 0),
          `must be a bucket index from -${limit} to ${limit} (schema ${schema}), got ${describeValue(index)}`,
        );
      if ((index as number) <= previous) fail(at(where, i, 0), "bucket indexes must be strictly increasing");
      previous = index as number;
      return [index as number, checkWhole(count, at(where, i, 1), 1)];
    });
  };
  const positive = side(n.positive, at(path, "positive"));
  const negative = side(n.negative, at(path, "negative"));
  const data = { schema, zeroThreshold, zeroCount, positive, negative };
  const held = nativeCount(data);
  if (held !== observations) fail(path, `holds ${held} observations, but the series counts ${observations}`);
  // More buckets than the limit (client_golang's default is no limit) are not refused: the resolution halves until
  // they fit, which loses no observation. (The body's size bounds how many can arrive.)
  return capBuckets(data, limits.maxNativeBuckets);
}

/** A side's pairs as protobuf spans (offset from the previous span's end, length) and per-bucket counts. */
export function toSpans(side: readonly number[][]): { spans: number[][]; counts: number[] } {
  const spans: number[][] = [];
  const counts: number[] = [];
  let next = 0;
  for (const [index, count] of side) {
    const last = spans.at(-1);
    if (last && index === next) (last[1] as number)++;
    else spans.push([(index as number) - next, 1]);
    counts.push(count as number);
    next = (index as number) + 1;
  }
  return { spans, counts };
}

/**
 * Spans and per-bucket counts (protobuf's) as pairs; buckets with a zero count (spans may carry them) are dropped.
 * Throws a RangeError when the spans and the counts disagree in number.
 */
export function fromSpans(spans: readonly number[][], counts: readonly number[]): number[][] {
  const out: number[][] = [];
  let index = 0;
  let k = 0;
  for (const [offset, length] of spans) {
    index += offset as number;
    for (let j = 0; j < (length as number); j++) {
      if (k >= counts.length) throw new RangeError(`the spans cover more buckets than the ${counts.length} counts`);
      const count = counts[k++] as number;
      if (count !== 0) out.push([index, count]);
      index++;
    }
  }
  if (k !== counts.length) throw new RangeError(`the spans cover ${k} buckets, but ${counts.length} counts follow`);
  return out;
}
