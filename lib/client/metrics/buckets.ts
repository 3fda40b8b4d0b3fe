// Histogram bucket helpers, with prom-client's defaults and generators.

/** prom-client's default histogram buckets (seconds). */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * `count` buckets starting at `start`, `width` apart.
 * @example linearBuckets(0, 10, 3); // [0, 10, 20]
 */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!(width > 0)) throw new RangeError(`linearBuckets: width must be positive, got ${width}`);
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`linearBuckets: count must be a positive integer, got ${count}`);
  return Array.from({ length: count }, (_, i) => start + i * width);
}

/**
 * `count` buckets starting at `start`, each `factor` times the previous.
 * @example exponentialBuckets(1, 2, 4); // [1, 2, 4, 8]
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0)) throw new RangeError(`exponentialBuckets: start must be positive, got ${start}`);
  if (!(factor > 1)) throw new RangeError(`exponentialBuckets: factor must be greater than 1, got ${factor}`);
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`exponentialBuckets: count must be a positive integer, got ${count}`);
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}
