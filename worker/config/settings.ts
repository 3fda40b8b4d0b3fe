// Reads the configurable limits and settings from the Worker's vars, falling back to the documented defaults
// (an unset, empty or invalid value means the default).

import { DEFAULT_LIMITS, type Limits } from "../../lib/protocol/limits.ts";
import { exposedName } from "../../lib/protocol/names.ts";
import { wholeNumberProblem } from "../../lib/protocol/validation.ts";
import type { MetricType } from "../../lib/protocol/wire.ts";
import type { Env } from "./env.ts";

export const DEFAULT_PUSH_ID_RETENTION_SECONDS = 3_600;
export const DEFAULT_MAX_SERIES_PER_FAMILY = 10_000;
/**
 * Families a deployment holds at most: every scrape makes one object request per family (and shard), and one
 * invocation may make a bounded number of subrequests; 2,000 keeps a scrape well inside that and inside Prometheus'
 * default 10 s timeout.
 */
export const DEFAULT_MAX_FAMILIES = 2_000;

function positiveInt(value: string | undefined, fallback: number): number {
  const n = nonNegativeInt(value, fallback);
  return n > 0 ? n : fallback;
}

function nonNegativeInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : fallback;
}

/** The limits this Worker enforces: the defaults, with the ones an operator may change read from vars. */
export function limits(env: Env): Limits {
  return {
    ...DEFAULT_LIMITS,
    maxBodyBytes: positiveInt(env.MAX_BODY_BYTES, DEFAULT_LIMITS.maxBodyBytes),
    maxFamiliesPerPush: positiveInt(env.MAX_FAMILIES_PER_PUSH, DEFAULT_LIMITS.maxFamiliesPerPush),
    maxSeriesPerPush: positiveInt(env.MAX_SERIES_PER_PUSH, DEFAULT_LIMITS.maxSeriesPerPush),
    maxNameLength: positiveInt(env.MAX_NAME_LENGTH, DEFAULT_LIMITS.maxNameLength),
    maxLabelValueLength: positiveInt(env.MAX_LABEL_VALUE_LENGTH, DEFAULT_LIMITS.maxLabelValueLength),
  };
}

/** How long a family object remembers push ids, to drop replays. */
export function pushIdRetentionMs(env: Env): number {
  return positiveInt(env.PUSH_ID_RETENTION_SECONDS, DEFAULT_PUSH_ID_RETENTION_SECONDS) * 1000;
}

/** How long a family object stays busy after a group (pushes arriving meanwhile join the next group); 0 = one turn. */
export function groupCommitWindowMs(env: Env): number {
  return Math.min(nonNegativeInt(env.GROUP_COMMIT_WINDOW_MS, 0), 10_000);
}

/** The deployment's cap on families (MAX_FAMILIES). */
export function maxFamilies(env: Env): number {
  return positiveInt(env.MAX_FAMILIES, DEFAULT_MAX_FAMILIES);
}

export function maxSeriesPerFamily(env: Env): number {
  return positiveInt(env.MAX_SERIES_PER_FAMILY, DEFAULT_MAX_SERIES_PER_FAMILY);
}

/** Time to live of series whose family declares none; 0 (the default) = series never expire. */
export function defaultTtlSeconds(env: Env): number {
  return positiveInt(env.DEFAULT_TTL_SECONDS, 0);
}

/** How long a router isolate gathers its own push counts before flushing them (default 10 s). */
export function selfMetricsFlushMs(env: Env): number {
  return Math.min(nonNegativeInt(env.SELF_METRICS_FLUSH_MS, 10_000), 25_000);
}

/** How often the families are sent out with remote-write (REMOTE_WRITE_INTERVAL_SECONDS, 5–3,600 s, default 30). */
export function remoteWriteIntervalMs(env: Env): number {
  return Math.min(Math.max(nonNegativeInt(env.REMOTE_WRITE_INTERVAL_SECONDS, 30), 5), 3600) * 1000;
}

/** The resource attributes an OTLP push keeps as labels (OTLP_RESOURCE_LABELS, comma-separated). */
export function otlpResourceLabels(env: Env): string[] {
  return (env.OTLP_RESOURCE_LABELS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** How long a Pushgateway group may go without a push before the status page flags it (GROUP_SILENCE_SECONDS, 1 d). */
export function groupSilenceSeconds(env: Env): number {
  return positiveInt(env.GROUP_SILENCE_SECONDS, 86_400);
}

/** How long a finished scrape serves repeat scrapes in the same isolate (SCRAPE_CACHE_SECONDS, at most 60 s); 0 = never. */
export function scrapeCacheMs(env: Env): number {
  return Math.min(nonNegativeInt(env.SCRAPE_CACHE_SECONDS, 0), 60) * 1000;
}

/**
 * A JSON setting as `parse` reads it, parsed once per isolate and value (settings are read on every push); a few
 * values at most are kept.
 */
export function parsedOnce<T>(cache: Map<string, T>, setting: string, parse: (setting: string) => T): T {
  let parsed = cache.get(setting);
  if (parsed === undefined) {
    parsed = parse(setting);
    if (cache.size >= 16) cache.clear();
    cache.set(setting, parsed);
  }
  return parsed;
}

/** FAMILY_SHARDS as parsed, by setting. */
const parsedShards = new Map<string, Map<string, number>>();

/**
 * The objects an operator spreads a family's HTTP pushes over (FAMILY_SHARDS: a JSON object of family name → 1–32,
 * a counter named with or without `_total`), or undefined. Only an operator shards a family: what an HTTP push
 * declares is not used. A setting that is not such an object shards nothing (and is reported once in the log).
 */
export function configuredShards(env: Env, family: string, type: MetricType): number | undefined {
  const shards = parsedOnce(parsedShards, env.FAMILY_SHARDS ?? "", parseShards);
  return shards.get(family) ?? shards.get(exposedName(family, type));
}

let reportedBadShards = false;

function parseShards(setting: string): Map<string, number> {
  const shards = new Map<string, number>();
  if (setting === "") return shards;
  let parsed: unknown;
  try {
    parsed = JSON.parse(setting);
  } catch {
    parsed = undefined;
  }
  const entries = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? Object.entries(parsed) : [];
  const valid =
    entries.length > 0 && entries.every(([, n]) => wholeNumberProblem(n, 1, DEFAULT_LIMITS.maxShards) === undefined);
  if (!valid) {
    if (!reportedBadShards)
      console.error(
        'prometheus-distributed-client: FAMILY_SHARDS must be a JSON object of family name → 1-32, e.g. {"edge_requests": 8}; no family is sharded until it is',
      );
    reportedBadShards = true;
    return shards;
  }
  for (const [name, n] of entries) shards.set(name, n as number);
  return shards;
}

/**
 * The ingest objects HTTP, RPC and Pushgateway pushes are acknowledged by (INGEST_SHARDS, 1–32, default 1): one push
 * is one request to one of them, chosen by its push id. More than one spreads a very high push rate; see the README
 * for what it changes (the order of two pushes of one producer to a `set` gauge within a fold).
 */
export function ingestShards(env: Env): number {
  return Math.min(positiveInt(env.INGEST_SHARDS, 1), 32);
}

/**
 * How often an ingest object folds what it acknowledged into the family objects (INGEST_FOLD_MS, default 30 s, at
 * most 60 s; it folds sooner once FOLD_PARTS parts wait, and whenever a scrape reads).
 */
export function ingestFoldMs(env: Env): number {
  return Math.max(Math.min(positiveInt(env.INGEST_FOLD_MS, 30_000), 60_000), 50);
}

/**
 * DURABILITY_WINDOW_MS (default 0 = off): when set, an ingest object acknowledges a push from memory and writes what it
 * acknowledged once per window (straight into the family objects); a crash loses at most that window. At most 10 s.
 */
export function durabilityWindowMs(env: Env): number {
  return Math.min(nonNegativeInt(env.DURABILITY_WINDOW_MS, 0), 10_000);
}
