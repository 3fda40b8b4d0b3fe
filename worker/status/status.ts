// The status page's routes and data: GET / lists the Pushgateway groups (the catalog's index of groups and the
// groups' time gauges, read whole) and every family with its objects' summaries (one request per object of each
// family, a few families at a time); GET /families/:name shows one family's series, 100 a page, merged over
// its shards as the scrape merges them. Both need the scrape credential. The HTML is worker/status-page.ts.

import { GROUP_TIME_FAMILIES, PUSH_TIME } from "../../lib/protocol/names.ts";
import { groupingOfId } from "../../lib/protocol/pushgateway-path.ts";
import { isRetryableObjectError, withRetries } from "../../lib/protocol/retry.ts";
import type { FamilyDefinition, FamilyPage, SeriesSnapshot } from "../../lib/protocol/wire.ts";
import type { PageRequest } from "../../lib/store/family-store.ts";
import { PAGE_BYTES, ttlMs } from "../../lib/store/family-store.ts";
import { firstPages, mergedShards, widest } from "../../lib/store/merge-shards.ts";
import type { Env } from "../config/env.ts";
import { defaultTtlSeconds, groupSilenceSeconds } from "../config/settings.ts";
import { authorizeScrape } from "../http/auth.ts";
import { HttpError } from "../http/errors.ts";
import { type CatalogEntry, catalog } from "../objects/catalog-object.ts";
import { drainIngest, familyStub } from "../objects/stubs.ts";
import { collectFamilies } from "../scrape/scrape.ts";
import {
  type FamilyRow,
  type FamilyStatus,
  type GroupRow,
  type PageContext,
  renderFamilyPage,
  renderStatusPage,
  type SeriesPageData,
} from "./status-page.ts";

/** Series on one page of the family view. */
export const STATUS_PAGE_SERIES = 100;
/** Families whose objects are asked at the same time for the list. */
const CONCURRENCY = 8;

const HTML_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const htmlResponse = (body: string, status = 200) => new Response(body, { status, headers: HTML_HEADERS });

const retried = <T>(call: () => Promise<T>) => withRetries(call, isRetryableObjectError);

function reportFailure(family: string, error: unknown): void {
  console.error(
    `prometheus-distributed-client: could not read family ${JSON.stringify(family)} for the status page`,
    error,
  );
}

function context(env: Env, root: string): PageContext {
  // `root` comes from the request path: never let it start like a protocol-relative URL.
  return {
    now: Date.now() / 1000,
    defaultTtlSeconds: defaultTtlSeconds(env),
    root: root.replace(/^\/+/, "/"),
    silenceSeconds: groupSilenceSeconds(env),
  };
}

/** A family's status over every object it was spread over: shard 0 counts the distinct series; the newest update. */
async function familyStatus(env: Env, entry: CatalogEntry): Promise<FamilyStatus> {
  const replies = await Promise.all(
    Array.from({ length: entry.shards }, (_, k) => retried(() => familyStub(env, entry.name, k).summary())),
  );
  const definition = widest(replies.map((r) => r.definition)) ?? null;
  const updates = replies.flatMap((r) => (r.lastUpdated === undefined ? [] : [r.lastUpdated]));
  return {
    definition: definition as FamilyDefinition | null,
    seriesCount: replies[0]?.seriesCount ?? 0,
    ...(updates.length > 0 ? { lastUpdated: Math.max(...updates) } : {}),
  };
}

/** The row of `entry`, without a status when it could not be read (the error goes to the log only). */
async function familyRow(env: Env, entry: CatalogEntry): Promise<FamilyRow> {
  try {
    return { ...entry, status: await familyStatus(env, entry) };
  } catch (error) {
    reportFailure(entry.name, error);
    return { ...entry };
  }
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The Pushgateway groups: the catalog's index (a group's families, the time gauges aside) and each group's last push
 * and failure from its time gauges. A group whose gauges cannot be read is shown without its times.
 */
async function groupRows(env: Env): Promise<GroupRow[]> {
  const index = await retried(() => catalog(env).groupings());
  if (index.length === 0) return [];
  const groups = new Map<string, GroupRow>();
  const group = (id: string) => {
    const row = groups.get(id) ?? { labels: groupingOfId(id), families: [] };
    groups.set(id, row);
    return row;
  };
  for (const { grouping, family } of index)
    if (!GROUP_TIME_FAMILIES.includes(family)) group(grouping).families.push(family);
  const times = await collectFamilies(env, reportFailure, new Set(GROUP_TIME_FAMILIES));
  for (const family of times)
    for (const s of family.series) {
      if (s.grouping === undefined) continue;
      group(s.grouping)[family.name === PUSH_TIME ? "pushed" : "failed"] = s.value;
    }
  return [...groups.values()].filter((row) => row.families.length > 0 || row.pushed !== undefined);
}

/** GET /: the Pushgateway groups, and every family, sorted by name, with its type, series, last push, TTL, merge policy and shards. */
export async function handleStatus(request: Request, env: Env): Promise<Response> {
  await authorizeScrape(request, env);
  const path = new URL(request.url).pathname;
  await drainIngest(env).catch((error) => console.error(`prometheus-distributed-client: ${String(error)}`));
  const entries = await retried(() => catalog(env).list());
  const [rows, groups] = await Promise.all([
    mapLimited(entries, CONCURRENCY, (entry) => familyRow(env, entry)),
    groupRows(env).catch((error: unknown) => {
      reportFailure("(Pushgateway groups)", error);
      return [];
    }),
  ]);
  return htmlResponse(renderStatusPage(rows, context(env, path.endsWith("/") ? path : `${path}/`), groups));
}

function pageRequest(after: string | undefined, raw: boolean): PageRequest {
  const as = raw ? ("parts" as const) : ("snapshots" as const);
  // A page or two, read as they are: no snapshot kept for it (read-snapshots.ts).
  const request = { as, limit: STATUS_PAGE_SERIES, maxBytes: PAGE_BYTES, snapshot: false as const };
  return after !== undefined ? { ...request, after } : request;
}

/** One family's page from `shard`; raw parts or live snapshots. */
function readPage(env: Env, family: string, shard: number, after: string | undefined, raw: boolean) {
  return retried<FamilyPage>(() => familyStub(env, family, shard).scrapePage(pageRequest(after, raw)));
}

/**
 * Up to STATUS_PAGE_SERIES series of a family spread over `shards` objects, keys after `after`: every shard's parts,
 * merged by key (each shard pages in key order), as the scrape merges them.
 */
async function mergedPage(env: Env, family: string, shards: number, after: string | undefined) {
  const pages = await firstPages(shards, (shard) => readPage(env, family, shard, after, true));
  const read = (shard: number, next: string | undefined) => readPage(env, family, shard, next, true);
  const merged = mergedShards(pages, read, Date.now(), (d) => ttlMs(d, defaultTtlSeconds(env)));
  const series: SeriesSnapshot[] = [];
  let last: string | undefined;
  for await (const { key, series: one } of merged?.series ?? []) {
    if (series.length === STATUS_PAGE_SERIES) return { series, next: last };
    if (one) series.push(one);
    last = key;
  }
  return { series };
}

/** A page of the family's series: its object's own page, or its shards' pages merged. */
async function seriesPage(env: Env, entry: CatalogEntry, after: string | undefined): Promise<SeriesPageData> {
  const at = after !== undefined ? { after } : {};
  if (entry.shards > 1) return { ...(await mergedPage(env, entry.name, entry.shards, after)), ...at };
  const page = await readPage(env, entry.name, 0, after, false);
  if (page.kind !== "snapshots") return { series: [], ...at };
  return { series: page.snapshots, ...(page.next !== undefined ? { next: page.next } : {}), ...at };
}

/** GET /families/:name[?after=<key>]: the family's definition and a page of its series. */
export async function handleFamilyStatus(
  request: Request & { params: Record<string, string> },
  env: Env,
): Promise<Response> {
  await authorizeScrape(request, env);
  let name: string;
  try {
    name = decodeURIComponent(request.params.name ?? "");
  } catch {
    throw new HttpError(400, "the family name in the path is not valid percent-encoding");
  }
  // Only listed families: an unknown name must not create an object.
  await drainIngest(env).catch((error) => console.error(`prometheus-distributed-client: ${String(error)}`));
  const directory = catalog(env);
  const [type, shards] = await Promise.all([
    retried(() => directory.typeOf(name)),
    retried(() => directory.shardsOf(name)),
  ]);
  if (type === null) throw new HttpError(404, `no family named ${JSON.stringify(name)}`);
  const entry = { name, shards, type };
  const url = new URL(request.url);
  const after = url.searchParams.get("after") ?? undefined;
  const root = url.pathname.slice(0, url.pathname.lastIndexOf("/families/") + 1);
  let page: SeriesPageData | undefined;
  let row: FamilyRow = entry;
  try {
    const [status, read] = await Promise.all([familyStatus(env, entry), seriesPage(env, entry, after)]);
    row = { ...entry, status };
    page = read;
  } catch (error) {
    reportFailure(name, error);
  }
  return htmlResponse(renderFamilyPage(row, page, context(env, root)), page ? 200 : 503);
}
