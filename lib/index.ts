// The client entry of prometheus-distributed-client: metrics with prom-client's API, a registry that flushes,
// the transports, the wire types and the pure encoder (the in-memory store is the ./store entry). No "cloudflare:*".
// The default export is an object with the members prom-client users reach for (`import client from …`).

import { exponentialBuckets, linearBuckets } from "./client/metrics/buckets.ts";
import { Counter } from "./client/metrics/counter.ts";
import { Gauge } from "./client/metrics/gauge.ts";
import { Histogram } from "./client/metrics/histogram.ts";
import { Summary } from "./client/metrics/summary.ts";
import { Pushgateway } from "./client/pushgateway.ts";
import { openMetricsContentType, prometheusContentType, Registry, register } from "./client/registry.ts";

export type { FlushResult } from "./client/delivery/delivery-pipeline.ts";
export { InvalidMetricError } from "./client/errors.ts";
export { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from "./client/metrics/buckets.ts";
export type { CounterChild, CounterConfiguration } from "./client/metrics/counter.ts";
export { Counter } from "./client/metrics/counter.ts";
export type { GaugeChild, GaugeConfiguration } from "./client/metrics/gauge.ts";
export { Gauge } from "./client/metrics/gauge.ts";
export type { HistogramChild, HistogramConfiguration } from "./client/metrics/histogram.ts";
export { Histogram } from "./client/metrics/histogram.ts";
export type {
  Aggregator,
  CollectFunction,
  LabelValues,
  MetricConfiguration,
  MetricObjectWithValues,
  MetricValue,
  MetricValueWithName,
  WithExemplar,
} from "./client/metrics/metric.ts";
export { Metric } from "./client/metrics/metric.ts";
export type { SummaryChild, SummaryConfiguration } from "./client/metrics/summary.ts";
export { DEFAULT_PERCENTILES, Summary } from "./client/metrics/summary.ts";
export type { PushgatewayOptions, PushgatewayParameters, PushgatewayReply } from "./client/pushgateway.ts";
export { Pushgateway } from "./client/pushgateway.ts";
export type { RegistryContentType, RegistryOptions, RegistryStats } from "./client/registry.ts";
export { openMetricsContentType, prometheusContentType, Registry, register } from "./client/registry.ts";
export type { FamilyNamespace, FamilyObjectStub } from "./client/transports/durable-object.ts";
export { DurableObjectTransport } from "./client/transports/durable-object.ts";
export type { HttpTransportOptions } from "./client/transports/http.ts";
export { HttpTransport } from "./client/transports/http.ts";
export type { MetricsServiceBinding } from "./client/transports/service.ts";
export { ServiceTransport } from "./client/transports/service.ts";
export { checkPush } from "./protocol/check-push.ts";
export { checkDefinition } from "./protocol/definition.ts";
export {
  encodeOpenMetrics,
  encodeText,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from "./protocol/exposition.ts";
export type { LimitExceeded, Limits } from "./protocol/limits.ts";
export { DEFAULT_LIMITS } from "./protocol/limits.ts";
export { familyName } from "./protocol/names.ts";
export type { Path, Refusal, RefusalStatus } from "./protocol/refusal.ts";
export type { RetryOptions } from "./protocol/retry.ts";
export type { SketchData } from "./protocol/sketch.ts";
export { SKETCH_RELATIVE_ACCURACY } from "./protocol/sketch.ts";
export type { DeliveryOutcome, FailedFamily, Transport } from "./protocol/transport.ts";
export type {
  CounterDelta,
  Exemplar,
  Exemplars,
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
} from "./protocol/wire.ts";

/**
 * The members of prom-client's module that its users reach for, as one object, so that code written as
 * `import client from "prom-client"` ports by changing the import. (`collectDefaultMetrics` is not offered: Node
 * process metrics mean little for short-lived code.)
 * @example
 * import client from "prometheus-distributed-client";
 * const jobs = new client.Counter({ name: "jobs_total", help: "Jobs." });
 */
const client = /* @__PURE__ */ Object.freeze({
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
