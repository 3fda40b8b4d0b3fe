// A mergeable quantile sketch with a relative-error guarantee (the DDSketch idea): values fall into logarithmic
// buckets γ^(i-1) < |x| ≤ γ^i with γ = (1+α)/(1-α), so any reported quantile is within α = 1% of the exact value
// of the same rank. Sketches from many invocations merge by adding bucket counts — exactly, in any order.
// A small sketch also keeps its observations themselves (up to SKETCH_EXACT_MAX, merged sketches together): its
// quantiles are then exact, computed as prom-client computes them; past that, only the buckets speak.

/** The relative accuracy of every quantile a sketch reports. */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
/** Values closer to zero than this count as zero. */
export const SKETCH_MIN_VALUE = 1e-9;
/** At most this many buckets per sign travel or are stored; past it the buckets nearest zero are folded together. */
export const SKETCH_MAX_BUCKETS = 4096;
/** Bucket indexes stay within ±this: magnitudes from 1e-9 up to about 6e27 (larger ones share the top bucket). */
export const SKETCH_MAX_INDEX = 3200;
/**
 * A sketch keeps its observations exactly while it holds at most this many (per series and window, merged sketches
 * together). Up to about this many prom-client's t-digest keeps every observation apart too, so both agree.
 */
export const SKETCH_EXACT_MAX = 100;

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);

/**
 * The plain-data form of a sketch (wire and storage): [bucket index, count] pairs sorted by index. (Pairs are typed
 * as arrays: tuples do not survive the RPC types, and the wire is JSON arrays anyway.)
 */
export interface SketchData {
  zero: number;
  pos: number[][];
  neg: number[][];
  /** Every observation, in increasing order, while there are at most SKETCH_EXACT_MAX. */
  exact?: number[];
}

/** A sketch being filled: counts by bucket index, per sign, and the observations while they are few. */
export interface Sketch {
  zero: number;
  pos: Map<number, number>;
  neg: Map<number, number>;
  exact?: number[];
}

export function emptySketch(): Sketch {
  return { zero: 0, pos: new Map(), neg: new Map(), exact: [] };
}

/** The bucket index of a positive magnitude. */
export function bucketIndex(magnitude: number): number {
  return Math.min(SKETCH_MAX_INDEX, Math.ceil(Math.log(magnitude) / LN_GAMMA));
}

/** The value a bucket reports: within the relative accuracy of everything in it. */
export function bucketValue(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}

/** Adds one observation. */
export function addToSketch(sketch: Sketch, value: number): void {
  if (sketch.exact) {
    if (sketch.exact.length < SKETCH_EXACT_MAX) sketch.exact.push(value);
    else delete sketch.exact;
  }
  const magnitude = Math.abs(value);
  if (magnitude < SKETCH_MIN_VALUE) {
    sketch.zero++;
    return;
  }
  const buckets = value > 0 ? sketch.pos : sketch.neg;
  const i = bucketIndex(magnitude);
  buckets.set(i, (buckets.get(i) ?? 0) + 1);
}

function pairs(buckets: Map<number, number>): number[][] {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  if (sorted.length <= SKETCH_MAX_BUCKETS) return sorted;
  const excess = sorted.length - SKETCH_MAX_BUCKETS + 1;
  const folded = sorted.slice(0, excess).reduce((n, [, c]) => n + c, 0);
  return [[sorted[excess - 1]?.[0] as number, folded], ...sorted.slice(excess)];
}

/** The plain-data form, folding the buckets nearest zero if there are too many. */
export function sketchData(sketch: Sketch): SketchData {
  const data: SketchData = { zero: sketch.zero, pos: pairs(sketch.pos), neg: pairs(sketch.neg) };
  if (sketch.exact) data.exact = [...sketch.exact].sort((a, b) => a - b);
  return data;
}

/** The sketch of `data`, ready to take more observations or merges. */
export function fromSketchData(data: SketchData | undefined): Sketch {
  const buckets = (pairs: number[][] | undefined) => new Map((pairs ?? []).map(([i = 0, c = 0]) => [i, c]));
  const sketch: Sketch = { zero: data?.zero ?? 0, pos: buckets(data?.pos), neg: buckets(data?.neg) };
  // No data is the empty sketch, which is exact; data without its observations stays without.
  if (!data || data.exact) sketch.exact = [...(data?.exact ?? [])];
  return sketch;
}

/**
 * Adds `b` into `a` (both plain data) and returns the merged plain data. Merging is exact and order-free.
 * @example mergeSketchData(a, b).zero === a.zero + b.zero
 */
export function mergeSketchData(a: SketchData | undefined, b: SketchData): SketchData {
  const merged = fromSketchData(a);
  merged.zero += b.zero;
  for (const [i = 0, c = 0] of b.pos) merged.pos.set(i, (merged.pos.get(i) ?? 0) + c);
  for (const [i = 0, c = 0] of b.neg) merged.neg.set(i, (merged.neg.get(i) ?? 0) + c);
  const exact = merged.exact && b.exact ? [...merged.exact, ...b.exact] : undefined;
  if (exact && exact.length <= SKETCH_EXACT_MAX) merged.exact = exact;
  else delete merged.exact;
  return sketchData(merged);
}

/** How many observations a sketch holds. */
export function sketchCount(data: SketchData): number {
  return data.zero + data.pos.reduce((n, [, c = 0]) => n + c, 0) + data.neg.reduce((n, [, c = 0]) => n + c, 0);
}

/**
 * The q-quantile (0 ≤ q ≤ 1). From the observations when the sketch still holds them (exactQuantile); otherwise the
 * estimate of the observation of rank ⌊q·(n−1)⌋ in sorted order, within the relative accuracy. NaN when empty.
 */
export function sketchQuantile(data: SketchData, q: number): number {
  const n = sketchCount(data);
  if (n === 0) return Number.NaN;
  if (data.exact?.length === n) return exactQuantile(data.exact, q);
  const rank = Math.floor(q * (n - 1));
  let seen = 0;
  for (let k = data.neg.length - 1; k >= 0; k--) {
    const [i = 0, c = 0] = data.neg[k] ?? [];
    seen += c;
    if (seen > rank) return -bucketValue(i);
  }
  seen += data.zero;
  if (seen > rank) return 0;
  for (const [i = 0, c = 0] of data.pos) {
    seen += c;
    if (seen > rank) return bucketValue(i);
  }
  return bucketValue(data.pos.at(-1)?.[0] ?? 0);
}

/**
 * The q-quantile of `sorted` (increasing), as prom-client's t-digest reports it while it keeps every observation
 * apart: each distinct value stands at the middle of its run of ranks, and the quantile at rank n·q is interpolated
 * linearly between the two values around it (the lowest below the first, the highest past the last).
 * @example exactQuantile([1, 2, 3, 4], 0.5); // 2.5
 */
export function exactQuantile(sorted: readonly number[], q: number): number {
  const h = sorted.length * q;
  let below = Number.NaN;
  let belowMid = Number.NaN;
  let start = 0;
  while (start < sorted.length) {
    const value = sorted[start] as number;
    let end = start;
    while (end < sorted.length && sorted[end] === value) end++;
    const mid = (start + end) / 2;
    if (mid > h) return Number.isNaN(below) ? value : below + ((h - belowMid) * (value - below)) / (mid - belowMid);
    if (mid === h) return value;
    below = value;
    belowMid = mid;
    start = end;
  }
  return below;
}
