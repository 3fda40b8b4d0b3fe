// The public entry of prometheus-distributed-client: metrics with prom-client's API, a registry that flushes,
// the transports, the wire types and the pure encoder. Runtime-agnostic: no import of "cloudflare:*".

export { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from "./buckets.ts";
export type { CounterChild, CounterConfiguration } from "./counter.ts";
export { Counter } from "./counter.ts";
export {
  encodeOpenMetrics,
  encodeText,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from "./exposition.ts";
export type { GaugeChild, GaugeConfiguration } from "./gauge.ts";
export { Gauge } from "./gauge.ts";
export type { HistogramChild, HistogramConfiguration } from "./histogram.ts";
export { Histogram } from "./histogram.ts";
export type { PushLimits } from "./limits.ts";
export { DEFAULT_PUSH_LIMITS } from "./limits.ts";
export type { LabelValues, MetricConfiguration } from "./metric.ts";
export { Metric } from "./metric.ts";
export type { FlushResult, RegistryOptions, RegistryStats } from "./registry.ts";
export { Registry, register } from "./registry.ts";
export type { SketchData } from "./sketch.ts";
export { SKETCH_RELATIVE_ACCURACY } from "./sketch.ts";
export type { SummaryChild, SummaryConfiguration } from "./summary.ts";
export { DEFAULT_PERCENTILES, Summary } from "./summary.ts";
export type { FamilyNamespace, FamilyObjectStub } from "./transports/durable-object.ts";
export { DurableObjectTransport } from "./transports/durable-object.ts";
export type { HttpTransportOptions } from "./transports/http.ts";
export { HttpTransport } from "./transports/http.ts";
export { MemoryStore } from "./transports/memory.ts";
export type { RetryOptions } from "./transports/retry.ts";
export type { MetricsServiceBinding } from "./transports/service.ts";
export { ServiceTransport } from "./transports/service.ts";
export type { DeliveryOutcome, FailedFamily, Transport } from "./transports/transport.ts";
export type {
  CounterDelta,
  FamilyBatch,
  FamilyDefinition,
  FamilyOutcome,
  FamilySnapshot,
  GaugeDelta,
  GaugeMerge,
  HistogramDelta,
  Labels,
  MetricType,
  PushBatch,
  SeriesDelta,
  SeriesSnapshot,
  SummaryDelta,
} from "./wire.ts";
export { checkPushBatch } from "./wire-check.ts";
