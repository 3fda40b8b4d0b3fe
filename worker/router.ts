// The HTTP surface (itty-router): GET /metrics, POST /push, GET /healthz; unknown routes 404.
// Every error goes through errorResponse, so no stack trace or internal message reaches a client.

import { Router } from "itty-router";
import { authorizePush, authorizeScrape } from "./auth.ts";
import { readBodyLimited } from "./body.ts";
import { maxBodyBytes } from "./config.ts";
import type { Env } from "./env.ts";
import { errorResponse, HttpError, jsonResponse } from "./http-error.ts";
import { ingest } from "./ingest.ts";
import { scrapeResponse } from "./scrape.ts";

export interface MetricsRouterOptions {
  /** A path prefix when mounted inside another Worker, e.g. "/_metrics". Default: none. */
  base?: string;
}

async function handlePush(request: Request, env: Env): Promise<Response> {
  await authorizePush(request, env);
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") throw new HttpError(415, `content-type must be application/json, got ${JSON.stringify(type ?? "")}`);
  const text = await readBodyLimited(request, maxBodyBytes(env));
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  const reply = await ingest(env, input);
  return jsonResponse(reply.body, reply.status);
}

async function handleScrape(request: Request, env: Env): Promise<Response> {
  await authorizeScrape(request, env);
  return scrapeResponse(request, env);
}

/**
 * The metrics router, to deploy as-is or to mount inside your own Worker.
 * @example
 * const metrics = createMetricsRouter({ base: "/_metrics" });
 * export default { fetch: (req, env, ctx) => metrics.fetch(req, env, ctx) };
 */
export function createMetricsRouter(options: MetricsRouterOptions = {}) {
  const router = Router<Request, [Env, ExecutionContext]>({ base: options.base, catch: errorResponse });
  router
    .get("/metrics", handleScrape)
    .post("/push", handlePush)
    .get("/healthz", () => jsonResponse({ ok: true }))
    .all("*", (request: Request) => jsonResponse({ error: `no route for ${request.method} ${new URL(request.url).pathname}` }, 404));
  return router;
}
