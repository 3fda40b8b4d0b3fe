// The metrics Worker: the router as the default export, plus the Durable Object classes and the RPC
// entrypoint that wrangler.toml binds. Import from here to embed the router in your own Worker.

import type { Env } from "./env.ts";
import { createMetricsRouter } from "./router.ts";

export { CatalogObject } from "./catalog-object.ts";
export type { Env } from "./env.ts";
export { FamilyObject } from "./family-object.ts";
export type { MetricsRouterOptions } from "./router.ts";
export { createMetricsRouter } from "./router.ts";
export { collectFamilies } from "./scrape.ts";
export { MetricsService } from "./service.ts";

const router = createMetricsRouter();

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
