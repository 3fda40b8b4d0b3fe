// The HTTP surface (itty-router): GET /metrics, POST /push, the Pushgateway's PUT|POST|DELETE /metrics/job/… and its
// read API (GET /api/v1/metrics, /api/v1/status),
// DELETE /families/:name[/series], GET /healthz, and the status page (GET /, GET /families/:name); unknown routes 404.
// Every error goes through errorResponse, so no stack trace or internal message reaches a client.

import { Router } from "itty-router";
import { DEFAULT_LIMITS } from "../../lib/protocol/limits.ts";
import { familyName } from "../../lib/protocol/names.ts";
import { wholeNumberProblem } from "../../lib/protocol/validation.ts";
import type { Env } from "../config/env.ts";
import { configuredShards, limits } from "../config/settings.ts";
import { ingest, jsonOf } from "../ingest/ingest.ts";
import { catalog } from "../objects/catalog-object.ts";
import { deleteOnEveryShard, drainIngest, everyShard, familyStub } from "../objects/stubs.ts";
import { otlpMetrics } from "../otlp/routes.ts";
import { pushgatewayMetrics, pushgatewayStatus } from "../pushgateway/api.ts";
import { pushgatewayDelete, pushgatewayPush } from "../pushgateway/routes.ts";
import { checkScrapeCollectors, DEFAULT_COLLECTOR_TIMEOUT_MS, type ScrapeCollector } from "../scrape/collectors.ts";
import { type ScrapeOptions, scrapeResponse } from "../scrape/scrape.ts";
import { countPush } from "../self-metrics/self-metrics.ts";
import { handleFamilyStatus, handleStatus } from "../status/status.ts";
import { authorizeAdmin, authorizePush, authorizeScrape, scopeProblem } from "./auth.ts";
import { readBodyLimited } from "./body.ts";
import { errorResponse, HttpError, jsonResponse } from "./errors.ts";
import { contentTypeOf, scrapeFormat } from "./negotiate.ts";

export interface MetricsRouterOptions<E = Env> {
  /** A path prefix when mounted inside another Worker, e.g. "/_metrics". Default: none. */
  base?: string;
  /**
   * Families computed on each scrape from the Worker's `env` (prom-client's collector shape, `get(env)`), rendered
   * after the stored ones; see the README's "Scrape-time collectors". Checked when the router is created.
   */
  collectors?: readonly ScrapeCollector<E>[];
  /** How long one collector may take per scrape before it is left out of it. Default 2,000 ms. */
  collectorTimeoutMs?: number;
}

/** A push handler counted by outcome in pdc_pushes_total, whatever happens. */
function counted(handle: (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>) {
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    let status = 500;
    try {
      const response = await handle(request, env, ctx);
      status = response.status;
      return response;
    } catch (error) {
      if (error instanceof HttpError) status = error.status;
      throw error;
    } finally {
      countPush(status, env, ctx);
    }
  };
}

async function push(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const scope = await authorizePush(request, env);
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json")
    throw new HttpError(415, `content-type must be application/json, got ${JSON.stringify(type ?? "")}`);
  const text = await readBodyLimited(request, limits(env).maxBodyBytes);
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
  const reply = await ingest(env, ctx, input, { scope, bound: false });
  return jsonResponse(jsonOf(reply), reply.status);
}

/** DELETE /families/:name — the whole family, its series and its batch ids. */
/** POST /remote-write: an export now, with the admin credential; the exporter's counts after it. */
async function handleRemoteWrite(request: Request, env: Env): Promise<Response> {
  await authorizeAdmin(request, env);
  if (!env.REMOTE_WRITE_URL || !env.METRICS_EXPORT)
    throw new HttpError(409, "remote-write is not configured (set REMOTE_WRITE_URL; METRICS_EXPORT must be bound)");
  const exporter = env.METRICS_EXPORT.getByName("remote-write");
  await exporter.ensureScheduled();
  return jsonResponse(await exporter.exportNow());
}

async function handleDeleteFamily(request: Request & { params: Record<string, string> }, env: Env): Promise<Response> {
  const name = await deletable(request, env);
  await drainIngest(env, [name]);
  // Every object the family was ever spread over; shard 0 knows the distinct series.
  const shards = await everyShard(env, name);
  const replies = await Promise.all(shards.map((stub) => stub.deleteFamily(name)));
  return jsonResponse({ deleted: name, series: replies[0]?.seriesCount ?? 0 });
}

/** DELETE /families/:name/series?label=value… — the series whose labels include every given pair. */
async function handleDeleteSeries(request: Request & { params: Record<string, string> }, env: Env): Promise<Response> {
  const name = await deletable(request, env);
  const match = Object.fromEntries(new URL(request.url).searchParams);
  if (Object.keys(match).length === 0)
    throw new HttpError(
      400,
      "name at least one label to match, e.g. ?route=/ (DELETE /families/<name> deletes every series)",
    );
  await drainIngest(env, [name]);
  const replies = await deleteOnEveryShard(await everyShard(env, name), (stub) =>
    Promise.resolve(stub.deleteSeries(match)),
  );
  const refused = replies.find((reply) => "error" in reply);
  if (refused && "error" in refused) throw new HttpError(400, refused.error);
  const deleted = new Set(replies.flatMap((reply) => ("keys" in reply ? reply.keys : [])));
  return jsonResponse({ family: name, deleted: deleted.size });
}

/**
 * The family a DELETE names, once the credential may delete it: 401, or 403 for a name outside a scoped token's
 * prefixes, before any lookup (so a scoped token learns nothing of other families), 404 when unknown.
 */
async function deletable(request: Request & { params: Record<string, string> }, env: Env): Promise<string> {
  const scope = await authorizeAdmin(request, env);
  const requested = familySegment(request.params.name ?? "");
  const outside = scopeProblem(scope, requested);
  if (outside && scopeProblem(scope, familyName("counter", requested))) throw new HttpError(403, outside);
  const name = await storedFamilyName(env, requested);
  const stillOutside = scopeProblem(scope, name);
  if (stillOutside) throw new HttpError(403, stillOutside);
  return name;
}

/** The family name a path segment carries, percent-decoded. */
function familySegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "the family name in the path is not valid percent-encoding");
  }
}

/** The stored family a requested name names (a counter may be named with its `_total`), or 404. */
async function storedFamilyName(env: Env, requested: string): Promise<string> {
  const directory = catalog(env);
  if ((await directory.typeOf(requested)) !== null) return requested;
  const counter = familyName("counter", requested);
  if (counter !== requested && (await directory.typeOf(counter)) === "counter") return counter;
  throw new HttpError(404, `no family named ${JSON.stringify(requested)}`);
}

/** How long a shard that a narrowing took in keeps serving its old parts: longer than any scrape that read before. */
const NARROWED_SHARD_GRACE_MS = 5 * 60_000;

/**
 * PATCH /families/:name — an operator changes what pushes may not: `{"ttlSeconds": n}` (null: the Worker's default)
 * and `{"shards": 1}` (back to one object: shard 0 takes in the series of the others, which take no more pushes).
 * Needs an unscoped admin credential.
 */
async function handleChangeFamily(request: Request & { params: Record<string, string> }, env: Env): Promise<Response> {
  const scope = await authorizeAdmin(request, env);
  if (!("all" in scope)) throw new HttpError(403, "changing a family's settings needs the ADMIN_TOKEN (or PUSH_TOKEN)");
  const name = await storedFamilyName(env, familySegment(request.params.name ?? ""));
  let body: unknown;
  try {
    body = JSON.parse(await readBodyLimited(request, limits(env).maxBodyBytes));
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, "body is not valid JSON");
  }
  const usage =
    'the body must be {"ttlSeconds": <seconds, or null for the Worker\'s default>} and/or {"shards": <1-32>}';
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, usage);
  const fields = Object.keys(body);
  if (fields.length === 0 || fields.some((f) => f !== "ttlSeconds" && f !== "shards")) throw new HttpError(400, usage);
  const change = body as { ttlSeconds?: unknown; shards?: unknown };
  if ("ttlSeconds" in change && change.ttlSeconds !== null) {
    const problem = wholeNumberProblem(change.ttlSeconds, 0, limits(env).maxTtlSeconds);
    if (problem) throw new HttpError(400, `ttlSeconds ${problem}`);
  }
  if ("shards" in change) {
    const problem = wholeNumberProblem(change.shards, 1, limits(env).maxShards);
    if (problem) throw new HttpError(400, `shards ${problem}`);
  }
  const reply: Record<string, unknown> = { family: name };
  await drainIngest(env, [name]);
  if ("shards" in change) reply.shards = await narrow(env, name, change.shards as number);
  if ("ttlSeconds" in change) {
    const ttl = change.ttlSeconds as number | null;
    await Promise.all((await everyShard(env, name)).map((stub) => stub.setTimeToLive(ttl)));
    reply.ttlSeconds = ttl;
  }
  return jsonResponse(reply);
}

/**
 * Takes a family back to one object: shard 0 takes in the series (and push ids) of every other shard, each retired
 * first so that what it is sent next goes to shard 0; then the catalog lists one object and the retired shards drop
 * their old parts after a grace. Returns the shards the family is spread over now. Spreading is FAMILY_SHARDS's or a
 * bound Worker's; an operator narrows, to one object (a push resent across a change of the count could otherwise
 * reach a shard that never saw its first attempt).
 */
async function narrow(env: Env, name: string, shards: number): Promise<number> {
  const directory = catalog(env);
  const current = await directory.shardsOf(name);
  if (shards >= current) return current;
  if (shards !== 1)
    throw new HttpError(
      400,
      'shards: a family is narrowed back to one object ({"shards": 1}); spread it with FAMILY_SHARDS',
    );
  const type = await directory.typeOf(name);
  const configured = type === null ? undefined : configuredShards(env, name, type);
  if (configured !== undefined && configured > shards)
    throw new HttpError(
      409,
      `FAMILY_SHARDS spreads ${JSON.stringify(name)} over ${configured} objects: lower it first`,
    );
  const zero = familyStub(env, name, 0);
  for (let k = current - 1; k >= 1; k--) await zero.absorbShard(k);
  await zero.narrowToOne();
  await directory.lowerShards(name, 1);
  await Promise.all(
    Array.from({ length: current - 1 }, (_, k) => familyStub(env, name, k + 1).dropAfter(NARROWED_SHARD_GRACE_MS)),
  );
  return 1;
}

/**
 * HEAD /metrics: what a GET would answer, without the body or the collection (uptime checkers and load balancers
 * probe with HEAD): the scrape credential is checked, the format negotiated, no object is asked.
 */
async function handleScrapeHead(request: Request, env: Env): Promise<Response> {
  await authorizeScrape(request, env);
  const contentType = contentTypeOf(scrapeFormat(request, env));
  return new Response(null, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}

/** GET /metrics, with the router's scrape-time collectors. */
function scrapeHandler(options: ScrapeOptions) {
  return async (request: Request, env: Env, ctx: ExecutionContext): Promise<Response> => {
    await authorizeScrape(request, env);
    return scrapeResponse(request, env, ctx, options);
  };
}

/**
 * The metrics router, to deploy as-is or to mount inside your own Worker.
 * @example
 * const metrics = createMetricsRouter({ base: "/_metrics" });
 * export default { fetch: (req, env, ctx) => metrics.fetch(req, env, ctx) };
 */
export function createMetricsRouter<E = Env>(options: MetricsRouterOptions<E> = {}) {
  const collectors = (options.collectors ?? []) as readonly ScrapeCollector<never>[];
  checkScrapeCollectors(collectors, DEFAULT_LIMITS);
  const timeout = options.collectorTimeoutMs ?? DEFAULT_COLLECTOR_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new TypeError(`collectorTimeoutMs must be a positive number of milliseconds, got ${String(timeout)}`);
  const handleScrape = scrapeHandler({ collectors, collectorTimeoutMs: timeout, flights: new Map() });
  const router = Router<Request, [Env, ExecutionContext]>({ base: options.base, catch: errorResponse });
  const base = options.base ?? "";
  const gatewayPush = counted((request, env, ctx) => pushgatewayPush(request, env, ctx, base));
  router
    .get("/metrics", handleScrape)
    .post("/push", counted(push))
    .post("/v1/metrics", counted(otlpMetrics))
    .post("/remote-write", handleRemoteWrite)
    .put("/metrics/*", gatewayPush)
    .post("/metrics/*", gatewayPush)
    .delete("/metrics/*", (request: Request, env: Env) => pushgatewayDelete(request, env, base))
    .get("/api/v1/metrics", pushgatewayMetrics)
    .get("/api/v1/status", pushgatewayStatus)
    .delete("/families/:name", handleDeleteFamily)
    .delete("/families/:name/series", handleDeleteSeries)
    .patch("/families/:name", handleChangeFamily)
    .get("/healthz", () => jsonResponse({ ok: true }))
    .head("/healthz", () => new Response(null, { headers: { "cache-control": "no-store" } }))
    .head("/metrics", handleScrapeHead)
    .get("/", handleStatus)
    .get("/families/:name", handleFamilyStatus)
    .all("*", (request: Request) =>
      jsonResponse({ error: `no route for ${request.method} ${new URL(request.url).pathname}` }, 404),
    );
  return router;
}
