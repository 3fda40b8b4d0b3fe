// The public entry of prometheus-distributed-client: metrics with prom-client's API, a registry that flushes,
// the transports, the in-memory store, the wire types and the pure encoder. Runtime-agnostic: no "cloudflare:*".
// The default export is an object with the members prom-client users reach for (`import client from …`).

import { exponentialBuckets, linearBuckets } from "./metrics/buckets.ts";
import { Counter } from "./metrics/counter.ts";
import { Gauge } from "./metrics/gauge.ts";
import { Histogram } from "./metrics/histogram.ts";
import { Summary } from "./metrics/summary.ts";
import { Pushgateway } from "./pushgateway/client.ts";
import { openMetricsContentType, prometheusContentType, Registry, register } from "./registry.ts";

export { checkDefinition } from "./definition.ts";
export type { FlushResult } from "./delivery/delivery-pipeline.ts";
export {
  encodeOpenMetrics,
  encodeText,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from "./exposition.ts";
export type { LimitExceeded, Limits } from "./limits.ts";
export { DEFAULT_LIMITS } from "./limits.ts";
export { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from "./metrics/buckets.ts";
export type { CounterChild, CounterConfiguration } from "./metrics/counter.ts";
export { Counter } from "./metrics/counter.ts";
export type { GaugeChild, GaugeConfiguration } from "./metrics/gauge.ts";
export { Gauge } from "./metrics/gauge.ts";
export type { HistogramChild, HistogramConfiguration } from "./metrics/histogram.ts";
export { Histogram } from "./metrics/histogram.ts";
export type {
  Aggregator,
  CollectFunction,
  LabelValues,
  MetricConfiguration,
  MetricObjectWithValues,
  MetricValue,
  MetricValueWithName,
} from "./metrics/metric.ts";
export { Metric } from "./metrics/metric.ts";
export type { SummaryChild, SummaryConfiguration } from "./metrics/summary.ts";
export { DEFAULT_PERCENTILES, Summary } from "./metrics/summary.ts";
export { familyName } from "./names.ts";
export type { PushgatewayOptions, PushgatewayParameters, PushgatewayReply } from "./pushgateway/client.ts";
export { Pushgateway } from "./pushgateway/client.ts";
export type { RegistryContentType, RegistryOptions, RegistryStats } from "./registry.ts";
export { openMetricsContentType, prometheusContentType, Registry, register } from "./registry.ts";
export type { SketchData } from "./sketch.ts";
export { SKETCH_RELATIVE_ACCURACY } from "./sketch.ts";
export type { MemoryStoreOptions } from "./store/memory-store.ts";
export { MemoryStore } from "./store/memory-store.ts";
export type { FamilyNamespace, FamilyObjectStub } from "./transports/durable-object.ts";
export { DurableObjectTransport } from "./transports/durable-object.ts";
export type { HttpTransportOptions } from "./transports/http.ts";
export { HttpTransport } from "./transports/http.ts";
export type { RetryOptions } from "./transports/retry.ts";
export type { MetricsServiceBinding } from "./transports/service.ts";
export { ServiceTransport } from "./transports/service.ts";
export type { DeliveryOutcome, FailedFamily, Transport } from "./transports/transport.ts";
export type {
  CounterDelta,
  FamilyDefinition,
  FamilyOutcome,
  FamilyPush,
  FamilySnapshot,
  GaugeDelta,
  GaugeMerge,
  HistogramDelta,
  Labels,
  MetricType,
  Push,
  SeriesDelta,
  SeriesSnapshot,
  SummaryDelta,
} from "./wire.ts";
export { checkPush } from "./wire-check.ts";

/**
 * The members of prom-client's module that its users reach for, as one object, so that code written as
 * `import client from "prom-client"` ports by changing the import. (`collectDefaultMetrics` is not offered: Node
 * process metrics mean little for short-lived code.)
 * @example
 * import client from "prometheus-distributed-client";
 * const jobs = new client.Counter({ name: "jobs_total", help: "Jobs." });
 */
const client = Object.freeze({
  Counter,
  Pushgateway,
  Gauge,
  Histogram,
  Summary,
  Registry,
  register,
  linearBuckets,
  exponentialBuckets,
  prometheusContentType,
  openMetricsContentType,
});

export default client;
