// Size limits on what one push may carry. The server enforces them (configurable); the client stays under them.

export interface PushLimits {
  /** Families in one push. */
  maxFamilies: number;
  /** Series in one push, over all its families. */
  maxSeriesPerPush: number;
  /** Metric, label and family name length. */
  maxNameLength: number;
  /** One label value's length. */
  maxLabelValueLength: number;
  /** HELP text length. */
  maxHelpLength: number;
  /** Label names per family. */
  maxLabelNames: number;
  /** Histogram buckets per family. */
  maxBuckets: number;
  /** Idempotency key length. */
  maxBatchIdLength: number;
}

export const DEFAULT_PUSH_LIMITS: Readonly<PushLimits> = Object.freeze({
  maxFamilies: 100,
  maxSeriesPerPush: 5_000,
  maxNameLength: 200,
  maxLabelValueLength: 1_024,
  maxHelpLength: 1_024,
  maxLabelNames: 32,
  maxBuckets: 64,
  maxBatchIdLength: 128,
});
