// The Worker's own metrics, in the same scrape under the reserved prefix "pdc_": pushes by outcome (recorded
// with this library and flushed to a family object like any client's flush), and gauges derived at scrape time.

import { Counter } from "../../lib/client/metrics/counter.ts";
import { Registry } from "../../lib/client/registry.ts";
import { DurableObjectTransport } from "../../lib/client/transports/durable-object.ts";
import type { FamilySnapshot } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
import { selfMetricsFlushMs } from "../config/settings.ts";

/** The Worker's own families kept in family objects (the rest are computed at scrape time). */
export const SELF_STORED_FAMILIES: readonly string[] = ["pdc_pushes", "pdc_family_cap_refusals"];

/** What can keep a flush alive after a response: an ExecutionContext, or a Durable Object's state. */
export type WaitUntil = { waitUntil(promise: Promise<unknown>): void };

const OUTCOMES: Record<number, string> = {
  200: "accepted",
  400: "invalid",
  401: "unauthorized",
  403: "forbidden",
  409: "conflict",
  413: "too_large",
  415: "unsupported_media_type",
  500: "error",
  503: "unavailable",
};

const registry = new Registry({
  reservedFamilies: SELF_STORED_FAMILIES,
  onError: (m) => console.error(`prometheus-distributed-client self-metrics: ${m}`),
});
const pushes = new Counter({
  name: "pdc_pushes_total",
  help: "Pushes received over HTTP and the MetricsService RPC, by outcome (accepted, invalid, unauthorized, forbidden, conflict, too_large, unsupported_media_type, unavailable, error).",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

const capRefusals = new Counter({
  name: "pdc_family_cap_refusals_total",
  help: "Pushes refused because they would create families past a cap: the deployment's (MAX_FAMILIES) or a scoped token's (maxFamilies).",
  labelNames: ["cap"] as const,
  registers: [registry],
});

/** Flushes the Worker's own counts within SELF_METRICS_FLUSH_MS, in one flush per isolate. */
function flushSoon(env: Env, ctx: WaitUntil | undefined): void {
  // Without an execution context (an embedding that passes none) the count waits for the next flush.
  const transport = new DurableObjectTransport(env.METRICS_FAMILY);
  ctx?.waitUntil(registry.flushSoon(transport, { maxDelayMs: selfMetricsFlushMs(env) }));
}

/** Counts one push refused for a cap on families: the deployment's or a scoped token's. */
export function countFamilyCapRefusal(cap: "deployment" | "token", env: Env, ctx: WaitUntil | undefined): void {
  capRefusals.inc({ cap });
  flushSoon(env, ctx);
}

/**
 * Counts one push by its HTTP status. The counts of all pushes an isolate serves within SELF_METRICS_FLUSH_MS go out
 * in one flush (through waitUntil, after the response): object requests grow with isolates, not with pushes.
 */
export function countPush(status: number, env: Env, ctx: WaitUntil | undefined): void {
  pushes.inc({ outcome: OUTCOMES[status] ?? "other" });
  flushSoon(env, ctx);
}

function gauge(
  name: string,
  help: string,
  labelNames: string[],
  series: { labels: Record<string, string>; value: number }[],
  now: number,
): FamilySnapshot {
  return { name, type: "gauge", help, labelNames, series: series.map((s) => ({ ...s, created: now })) };
}

/** What a scrape learned about one family it streamed. */
export interface FamilySeen {
  name: string;
  /** Series shown. */
  seriesCount: number;
  /** The latest update among them, in seconds since the epoch. */
  lastUpdated?: number;
}

/** What a scrape measured about itself. */
export interface ScrapeSeen {
  families: readonly FamilySeen[];
  /** Seconds from the start of the scrape until its user families were read. */
  collectSeconds: number;
  /** Durable Object requests the scrape made (catalog, family pages). */
  objectRequests: number;
  /** Families the scrape could not read (whole or in part). */
  unreadable: readonly string[];
  /** Scrape-time collectors left out of this scrape, and why. */
  collectorProblems: readonly { collector: string; problem: string }[];
  /** Families the catalog lists (what the cap on families counts). */
  familiesListed: number;
  /** The deployment's cap on families (MAX_FAMILIES). */
  familiesLimit: number;
}

/** Gauges about the stored families and this scrape, from what the scrape saw (no storage of their own). */
export function scrapeGauges(seen: ScrapeSeen, nowSeconds: number): FamilySnapshot[] {
  const perFamily = (value: (f: FamilySeen) => number | undefined) =>
    seen.families.flatMap((f) => {
      const v = value(f);
      return v === undefined ? [] : [{ labels: { family: f.name }, value: v }];
    });
  return [
    gauge("pdc_families", "Metric families stored.", [], [{ labels: {}, value: seen.familiesListed }], nowSeconds),
    gauge(
      "pdc_families_limit",
      "Families the deployment may hold (MAX_FAMILIES): a push that would create one more is refused.",
      [],
      [{ labels: {}, value: seen.familiesLimit }],
      nowSeconds,
    ),
    gauge(
      "pdc_family_series",
      "Series stored per family.",
      ["family"],
      perFamily((f) => f.seriesCount),
      nowSeconds,
    ),
    gauge(
      "pdc_family_last_push_timestamp_seconds",
      "Unix time of the last applied push per family (alert on silent producers).",
      ["family"],
      perFamily((f) => (f.seriesCount === 0 ? undefined : f.lastUpdated)),
      nowSeconds,
    ),
    gauge(
      "pdc_scrape_collect_seconds",
      "Time this scrape spent reading the families from storage.",
      [],
      [{ labels: {}, value: seen.collectSeconds }],
      nowSeconds,
    ),
    gauge(
      "pdc_scrape_object_requests",
      "Durable Object requests this scrape made (the catalog, and every page of every family and shard).",
      [],
      [{ labels: {}, value: seen.objectRequests }],
      nowSeconds,
    ),
    gauge(
      "pdc_scrape_family_errors",
      "1 for each family this scrape could not read, whole or in part (see the Worker's log).",
      ["family"],
      seen.unreadable.map((family) => ({ labels: { family }, value: 1 })),
      nowSeconds,
    ),
    gauge(
      "pdc_scrape_collector_errors",
      "1 for each scrape-time collector left out of this scrape: it threw (error), took too long (timeout), reported what the definition check refuses (invalid) or a stored family's name (clash).",
      ["collector", "problem"],
      seen.collectorProblems.map(({ collector, problem }) => ({ labels: { collector, problem }, value: 1 })),
      nowSeconds,
    ),
  ];
}
