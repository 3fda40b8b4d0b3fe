// A batch job (or Lambda handler) in Node 20+: record with prom-client's API, then push once over HTTP to the
// metrics Worker. In this repo, with `npm start` running: `npm run example:batch-job` (it bundles this file with
// esbuild and runs it; METRICS_PUSH_URL and PUSH_TOKEN default to the local Worker's).

import { Counter, Gauge, Histogram, HttpTransport, Registry } from "prometheus-distributed-client";

const registry = new Registry({
  transport: new HttpTransport({
    url: process.env.METRICS_PUSH_URL ?? "http://127.0.0.1:8787/push",
    token: process.env.PUSH_TOKEN ?? "local-dev-token",
  }),
});
const processed = new Counter({
  name: "batch_items_total",
  help: "Items processed by the batch job.",
  labelNames: ["outcome"] as const,
  registers: [registry],
});
const itemSeconds = new Histogram({
  name: "batch_item_seconds",
  help: "Time per item.",
  buckets: [0.001, 0.01, 0.1],
  registers: [registry],
});
const lastRun = new Gauge({
  name: "batch_last_run_seconds",
  help: "When the batch job last finished.",
  registers: [registry],
});

const items = Number(process.env.ITEMS ?? "25");
for (let i = 0; i < items; i++) {
  const end = itemSeconds.startTimer();
  processed.inc({ outcome: i % 5 === 0 ? "skipped" : "done" });
  end();
}
lastRun.setToCurrentTime();

// In a Lambda handler: `await registry.flush()` before returning.
const result = await registry.flush();
console.log(JSON.stringify(result));
process.exitCode = result.delivered > 0 && result.rejected === 0 && result.retained === 0 ? 0 : 1;
