// The catalog's rules: which families exist, and who owns each exposed sample name, so two families can never
// collide in the scrape (a gauge `x_total` next to a counter `x`). The Worker's catalog object keeps this in SQLite,
// the in-memory store in maps; both run these rules.

import { sampleNames } from "../names.ts";
import type { MetricType } from "../wire.ts";
import { joinsAsGauge } from "./inferred.ts";

/** What a catalog must offer. Every call is synchronous. */
export interface CatalogStorage {
  /** The type a listed family was registered with, or undefined. */
  typeOf(family: string): MetricType | undefined;
  /** The most objects a listed family was ever spread over (1 when it never was). */
  shardsOf(family: string): number;
  /** Records that a listed family is spread over `shards` objects, when that is more than it knew. */
  raiseShards(family: string, shards: number): void;
  /** The family that exposes `sample`, or undefined. */
  ownerOf(sample: string): string | undefined;
  /** Lists `family` (spread over `shards` objects) and claims its sample names (atomically). */
  add(family: string, type: MetricType, samples: readonly string[], shards: number): void;
  /** Unlists `family` and releases its sample names (atomically). */
  remove(family: string): void;
}

export type Registration = { ok: true } | { ok: false; error: string };

/** Why `family` cannot be listed with `type`, or undefined when it can (or already is). */
export function registrationProblem(catalog: CatalogStorage, family: string, type: MetricType): string | undefined {
  const existing = catalog.typeOf(family);
  if (existing !== undefined) {
    return existing === type || joinsAsGauge(existing, type)
      ? undefined
      : `family ${JSON.stringify(family)} is stored with a different type (${existing} vs ${type})`;
  }
  for (const sample of sampleNames(family, type)) {
    const owner = catalog.ownerOf(sample);
    if (owner !== undefined) {
      return `the ${type} ${JSON.stringify(family)} would expose ${JSON.stringify(sample)}, which family ${JSON.stringify(owner)} already exposes`;
    }
  }
  return undefined;
}

/**
 * Lists `family`, spread over `shards` objects, unless something clashes; idempotent for the same type. The catalog
 * keeps the most shards a family ever had, so the scrape and deletions reach every object that may hold its data.
 */
export function registerFamily(catalog: CatalogStorage, family: string, type: MetricType, shards = 1): Registration {
  const problem = registrationProblem(catalog, family, type);
  if (problem) return { ok: false, error: problem };
  if (catalog.typeOf(family) === undefined) catalog.add(family, type, sampleNames(family, type), shards);
  else if (shards > catalog.shardsOf(family)) catalog.raiseShards(family, shards);
  return { ok: true };
}
