// A user's own Worker that embeds the metrics router under /_metrics and re-exports the Durable Object classes, so
// one deployment serves both the app and its metrics. `Env` comes from `wrangler types` (worker-configuration.d.ts).

import { Counter, DurableObjectTransport, Registry } from "prometheus-distributed-client";
import { createMetricsRouter } from "prometheus-distributed-client/worker";

export { CatalogObject, FamilyObject } from "prometheus-distributed-client/worker";

const registry = new Registry();
const hits = new Counter({ name: "app_hits_total", help: "App hits.", registers: [registry] });
const metrics = createMetricsRouter({ base: "/_metrics" });

export default {
  async fetch(request, env, ctx): Promise<Response> {
    if (new URL(request.url).pathname.startsWith("/_metrics/")) return metrics.fetch(request, env, ctx);
    hits.inc();
    ctx.waitUntil(registry.flushSoon(new DurableObjectTransport(env.METRICS_FAMILY)));
    return new Response("hello from the app\n");
  },
} satisfies ExportedHandler<Env>;
