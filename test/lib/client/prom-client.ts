// prom-client's own classes, for tests that compare with it. Loaded file by file: its index also loads
// collectDefaultMetrics, which needs node:process (workerd without nodejs_compat has none). The classes themselves
// run here; only the index carries types, so they are typed from it.

import type * as PromClient from "prom-client";
// @ts-expect-error prom-client declares types for its index only
import promCounter from "prom-client/lib/counter.js";
// @ts-expect-error prom-client declares types for its index only
import promGauge from "prom-client/lib/gauge.js";
// @ts-expect-error prom-client declares types for its index only
import promHistogram from "prom-client/lib/histogram.js";
// @ts-expect-error prom-client declares types for its index only
import promRegistry from "prom-client/lib/registry.js";
// @ts-expect-error prom-client declares types for its index only
import promSummary from "prom-client/lib/summary.js";

export type { PromClient };

export const prom = {
  Counter: promCounter as typeof PromClient.Counter,
  Gauge: promGauge as typeof PromClient.Gauge,
  Histogram: promHistogram as typeof PromClient.Histogram,
  Summary: promSummary as typeof PromClient.Summary,
  Registry: promRegistry as typeof PromClient.Registry,
};
