// The metrics Worker: the router as the default export, plus the Durable Object classes and the RPC
// entrypoint that wrangler.toml binds. Import from here to embed the router in your own Worker.

import type { Env } from "./config/env.ts";
import { createMetricsRouter } from "./http/router.ts";

export type { Env } from "./config/env.ts";
export { ExportObject } from "./export/export-object.ts";
export type { MetricsRouterOptions } from "./http/router.ts";
export { createMetricsRouter } from "./http/router.ts";
export { MetricsService } from "./ingest/metrics-service.ts";
export { CatalogObject } from "./objects/catalog-object.ts";
export { FamilyObject } from "./objects/family-object.ts";
export { IngestObject } from "./objects/ingest-object.ts";
export type { ScrapeCollector } from "./scrape/collectors.ts";
export { collectFamilies } from "./scrape/scrape.ts";

const router = createMetricsRouter();

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
  // The cron trigger: keeps the remote-write exporter's alarm set, when remote-write is configured.
  scheduled: (_controller, env, ctx) => {
    if (env.REMOTE_WRITE_URL && env.METRICS_EXPORT)
      ctx.waitUntil(env.METRICS_EXPORT.getByName("remote-write").ensureScheduled());
  },
} satisfies ExportedHandler<Env>;
