// The catalog's rules: which families exist, and who owns each exposed sample name, so two families can never
// collide in the scrape (a gauge `x_total` next to a counter `x`). The Worker's catalog object keeps this in SQLite,
// the in-memory store in maps; both run these rules.

import { sampleNames } from "../names.ts";
import type { MetricType } from "../wire.ts";

/** What a catalog must offer. Every call is synchronous. */
export interface CatalogStorage {
  /** The type a listed family was registered with, or undefined. */
  typeOf(family: string): MetricType | undefined;
  /** The family that exposes `sample`, or undefined. */
  ownerOf(sample: string): string | undefined;
  /** Lists `family` and claims its sample names (atomically). */
  add(family: string, type: MetricType, samples: readonly string[]): void;
  /** Unlists `family` and releases its sample names (atomically). */
  remove(family: string): void;
}

export type Registration = { ok: true } | { ok: false; error: string };

/** Why `family` cannot be listed with `type`, or undefined when it can (or already is). */
export function registrationProblem(catalog: CatalogStorage, family: string, type: MetricType): string | undefined {
  const existing = catalog.typeOf(family);
  if (existing !== undefined) {
    return existing === type
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

/** Lists `family` unless something clashes; idempotent for the same type. */
export function registerFamily(catalog: CatalogStorage, family: string, type: MetricType): Registration {
  const problem = registrationProblem(catalog, family, type);
  if (problem) return { ok: false, error: problem };
  if (catalog.typeOf(family) === undefined) catalog.add(family, type, sampleNames(family, type));
  return { ok: true };
}
