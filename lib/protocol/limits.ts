// Every limit on what a client may define and push, with its default, in one place. The server enforces them
// (some are configurable through Worker vars); the client checks definitions against them and splits its pushes
// by them, so it never builds what the server would refuse.

export interface Limits {
  /** Bytes of one push's JSON body. */
  maxBodyBytes: number;
  /** Families in one push. */
  maxFamiliesPerPush: number;
  /** Series in one push, over all its families (removals count as series). */
  maxSeriesPerPush: number;
  /** Metric, family and label name length. */
  maxNameLength: number;
  /** One label value's length. */
  maxLabelValueLength: number;
  /**
   * A series' label names and values together, in characters: bounds what one series renders in the scrape (every
   * bucket of a histogram repeats them).
   */
  maxSeriesLabelsLength: number;
  /** HELP text length. */
  maxHelpLength: number;
  /** Label names per family. */
  maxLabelNames: number;
  /** Histogram buckets per family. */
  maxBuckets: number;
  /** Quantiles a summary reports. */
  maxPercentiles: number;
  /** Rotating windows of a summary (`ageBuckets`). */
  maxAgeBuckets: number;
  /** A summary's `maxAgeSeconds`. */
  maxAgeSeconds: number;
  /** A family's `ttlSeconds`. */
  maxTtlSeconds: number;
  /** A push id's (`batch`) length. */
  maxPushIdLength: number;
  /** Objects one family may be spread over (`shards`). */
  maxShards: number;
  /** Buckets of one native histogram series, both signs together (on the wire and as a family's `maxBuckets`). */
  maxNativeBuckets: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBodyBytes: 1_048_576,
  maxFamiliesPerPush: 100,
  maxSeriesPerPush: 5_000,
  maxNameLength: 200,
  maxLabelValueLength: 1_024,
  maxSeriesLabelsLength: 8_192,
  maxHelpLength: 1_024,
  maxLabelNames: 32,
  maxBuckets: 64,
  maxPercentiles: 20,
  // With the sketch's bucket cap, 10 windows keep a summary series well under SQLite's 2 MB row limit.
  maxAgeBuckets: 10,
  maxAgeSeconds: 31_536_000,
  maxTtlSeconds: 315_360_000,
  maxPushIdLength: 128,
  maxShards: 32,
  maxNativeBuckets: 4_096,
});

/** The limits a push is split by; a server's 413 names one of them and its value. */
export type SplitLimitName = "maxBodyBytes" | "maxFamiliesPerPush" | "maxSeriesPerPush";
export const SPLIT_LIMIT_NAMES: readonly SplitLimitName[] = ["maxBodyBytes", "maxFamiliesPerPush", "maxSeriesPerPush"];

/**
 * A limit a push went over, as a 413 reports it: a size limit it can be split by, or a cap on what the deployment
 * holds (`maxFamilies`: the deployment's, or a scoped token's), which no split helps.
 */
export interface LimitExceeded {
  name: SplitLimitName | "maxFamilies";
  value: number;
}
