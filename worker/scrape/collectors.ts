// Scrape-time collectors: families a Worker that embeds the router computes on each scrape from its `env` (a queue's
// depth, a D1 row count), rendered into the same exposition as the stored families. They store nothing. A collector
// that throws, takes longer than its limit, reports what the definition check refuses, or names a family that is
// stored (or would expose one of its sample names) is left out of that scrape and named in
// pdc_scrape_collector_errors; the scrape still succeeds.

import { type CollectorValue, readCollected } from "../../lib/protocol/collected.ts";
import { checkDefinition } from "../../lib/protocol/definition.ts";
import type { Limits } from "../../lib/protocol/limits.ts";
import { declaredFamily, reservedNameProblem, writtenSampleNames } from "../../lib/protocol/names.ts";
import { Invalid, refusalText } from "../../lib/protocol/refusal.ts";
import { errorMessage } from "../../lib/protocol/retry.ts";
import type { FamilySnapshot, MetricType } from "../../lib/protocol/wire.ts";

/**
 * A family computed on each scrape: prom-client's collector shape, its `get` given the Worker's `env`.
 * @example
 * { name: "queue_depth", help: "Jobs waiting.", type: "gauge",
 *   get: async (env) => ({ values: [{ value: await env.DB.prepare("SELECT count(*) AS n FROM jobs").first("n") }] }) }
 */
export interface ScrapeCollector<E = unknown> {
  name: string;
  help: string;
  type: MetricType;
  /** Its label names, if it declares them; else the labels its values carry. */
  labelNames?: readonly string[];
  get(env: E): { values: CollectorValue[] } | Promise<{ values: CollectorValue[] }>;
}

/** Why a collector was left out of a scrape. */
export type CollectorProblem = "error" | "timeout" | "invalid" | "clash";

/** The default limit on one collector's time per scrape. */
export const DEFAULT_COLLECTOR_TIMEOUT_MS = 2_000;

/**
 * Checks the collectors a router is given, when it is created: names and types the definition check takes, no
 * reserved name, no two naming one family or a sample name of another. Throws a TypeError naming the problem.
 */
export function checkScrapeCollectors(collectors: readonly ScrapeCollector<never>[], limits: Limits): void {
  const samples = new Map<string, string>();
  for (const collector of collectors) {
    const named = `scrape collector ${JSON.stringify(collector?.name)}`;
    if (typeof collector?.get !== "function") throw new TypeError(`${named}: get must be a function`);
    try {
      // Name, help and type: its labels and buckets are known once it reports (a stand-in bucket until then).
      const { name, help, type } = collector;
      checkDefinition(
        { name, help, type, labelNames: [], ...(type === "histogram" ? { buckets: [1] } : {}) },
        limits,
        [],
      );
    } catch (error) {
      if (error instanceof Invalid) throw new TypeError(`${named}: ${refusalText(error.refusal)}`);
      throw error;
    }
    const family = declaredFamily(collector.type, collector.name);
    const reserved = reservedNameProblem(family.name);
    if (reserved) throw new TypeError(`${named}: ${reserved}`);
    for (const sample of writtenSampleNames(family.name, family.type, family.withoutTotal)) {
      const other = samples.get(sample);
      if (other !== undefined) throw new TypeError(`${named} would expose "${sample}", as ${other} does`);
      samples.set(sample, named);
    }
  }
}

/** What the collectors gave one scrape: their families, and those left out with why. */
export interface Collected {
  families: FamilySnapshot[];
  problems: { collector: string; problem: CollectorProblem }[];
}

/**
 * Runs every collector in parallel, each within `timeoutMs`, and reads what it reports. `stored` says which sample
 * names the stored families expose (a collector must not expose one: the scrape would repeat a series).
 */
export async function runCollectors<E>(
  collectors: readonly ScrapeCollector<E>[],
  env: E,
  options: { timeoutMs: number; limits: Limits; stored: (sample: string) => boolean },
): Promise<Collected> {
  const collected: Collected = { families: [], problems: [] };
  await Promise.all(
    collectors.map(async (collector) => {
      const leftOut = (problem: CollectorProblem, detail: string) => {
        console.error(`prometheus-distributed-client: scrape collector ${JSON.stringify(collector.name)}: ${detail}`);
        collected.problems.push({ collector: collector.name, problem });
      };
      const { name: family, withoutTotal } = declaredFamily(collector.type, collector.name);
      const clash = writtenSampleNames(family, collector.type, withoutTotal).find(options.stored);
      if (clash) return leftOut("clash", `a stored family already exposes "${clash}"`);
      let reported: Awaited<ReturnType<ScrapeCollector<E>["get"]>>;
      try {
        reported = await withTimeout(
          Promise.resolve().then(() => collector.get(env)),
          options.timeoutMs,
        );
      } catch (error) {
        if (error === TIMED_OUT) return leftOut("timeout", `took longer than ${options.timeoutMs} ms`);
        return leftOut("error", `failed: ${errorMessage(error)}`);
      }
      try {
        const { definition, series } = readCollected(collector, reported?.values, options.limits);
        collected.families.push({ ...definition, series: [...series.values()] });
      } catch (error) {
        leftOut("invalid", errorMessage(error));
      }
    }),
  );
  collected.families.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  collected.problems.sort((a, b) => (a.collector < b.collector ? -1 : 1));
  return collected;
}

const TIMED_OUT = Symbol("timed out");

/** `promise`, or a rejection with TIMED_OUT after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
