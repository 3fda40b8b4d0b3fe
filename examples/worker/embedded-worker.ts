// A user's own Worker that embeds the metrics router under /_metrics and re-exports the Durable Object
// classes, so one deployment serves both the app and its metrics.

import type { FamilyNamespace } from "../../lib/index.ts";
import { Counter, DurableObjectTransport, Registry } from "../../lib/index.ts";
import { createMetricsRouter, type Env } from "../../worker/index.ts";

export { CatalogObject, FamilyObject } from "../../worker/index.ts";

const registry = new Registry();
const hits = new Counter({ name: "app_hits_total", help: "App hits.", registers: [registry] });
const metrics = createMetricsRouter({ base: "/_metrics" });

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname.startsWith("/_metrics/")) return metrics.fetch(request, env, ctx);
    hits.inc();
    ctx.waitUntil(registry.flush(new DurableObjectTransport(env.METRICS_FAMILY as unknown as FamilyNamespace)));
    return new Response("hello from the app\n");
  },
};
