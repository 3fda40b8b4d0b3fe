// The catalog's rules: which families exist, and who owns each exposed sample name, so two families can never
// collide in the scrape (a gauge `x_total` next to a counter `x`). The Worker's catalog object keeps this in SQLite,
// the in-memory store in maps; both run these rules.

import { sampleNames } from "../protocol/names.ts";
import type { MetricType } from "../protocol/wire.ts";
import { joinsAcrossUntyped } from "./inferred.ts";

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
  /** How many families are listed. */
  familyCount(): number;
  /** How many listed families have names that start with one of `prefixes`. */
  countWithPrefixes(prefixes: readonly string[]): number;
}

/** A refusal of families by the catalog: a clash (409), or a cap on families passed (413, naming the limit). */
export interface CatalogRefusal {
  status: 409 | 413;
  error: string;
  /** The families refused: the one that clashes, or those a cap leaves no room for. */
  families: string[];
  /** For a cap: which one, the deployment's (MAX_FAMILIES) or a scoped token's. */
  cap?: "deployment" | "token";
  limit?: { name: "maxFamilies"; value: number };
}

/**
 * A family listed (`withoutTotal`: whether the catalog lists the counter kept bare, which every object of the family
 * adopts, whatever its first push said), or why not.
 */
export type Registration = { ok: true; withoutTotal?: boolean } | ({ ok: false } & CatalogRefusal);

/** The caps on families a push is held to: the deployment's, and its scoped token's over the token's prefixes. */
export interface FamilyCaps {
  maxFamilies: number;
  token?: { prefixes: readonly string[]; maxFamilies: number };
}

/** The refusal of a push that would create the families `created` past the deployment's cap, or undefined. */
function deploymentCapRefusal(
  catalog: CatalogStorage,
  created: readonly string[],
  maxFamilies: number,
): CatalogRefusal | undefined {
  const held = catalog.familyCount();
  if (created.length === 0 || held + created.length <= maxFamilies) return undefined;
  return {
    status: 413,
    error: `the deployment holds ${held} families; this push would create ${created.length} more, over the limit of ${maxFamilies} (MAX_FAMILIES)`,
    families: [...created],
    cap: "deployment",
    limit: { name: "maxFamilies", value: maxFamilies },
  };
}

/** A family to list: its name and type, the objects it is spread over, whether a counter keeps its bare name. */
export interface NewFamily {
  name: string;
  type: MetricType;
  shards?: number;
  withoutTotal?: boolean;
}

/**
 * Why a push of `families` cannot be admitted whole, or undefined when it can: a type or sample-name clash of one of
 * them, or the new ones taking the deployment (or the push's scoped token) past its cap on families. Nothing is
 * written: a push refused here is refused whole, before any of it is applied.
 */
export function admissionProblem(
  catalog: CatalogStorage,
  families: readonly NewFamily[],
  caps: FamilyCaps,
): CatalogRefusal | undefined {
  const claimed = new Map<string, string>();
  for (const { name, type, withoutTotal } of families) {
    const problem = registrationProblem(catalog, name, type, withoutTotal);
    if (problem) return { status: 409, error: problem, families: [name] };
    // Two new families of one push must not expose one sample name either.
    for (const sample of catalog.typeOf(name) === undefined ? sampleNames(name, type, withoutTotal) : []) {
      const other = claimed.get(sample);
      if (other !== undefined && other !== name)
        return {
          status: 409,
          error: `the ${type} ${JSON.stringify(name)} would expose ${JSON.stringify(sample)}, which family ${JSON.stringify(other)} of the same push exposes`,
          families: [name],
        };
      claimed.set(sample, name);
    }
  }
  const created = [...new Set(families.map((f) => f.name))].filter((name) => catalog.typeOf(name) === undefined);
  const deployment = deploymentCapRefusal(catalog, created, caps.maxFamilies);
  if (deployment) return deployment;
  const token = caps.token;
  if (!token) return undefined;
  const mine = created.filter((name) => token.prefixes.some((prefix) => name.startsWith(prefix)));
  const held = catalog.countWithPrefixes(token.prefixes);
  if (mine.length === 0 || held + mine.length <= token.maxFamilies) return undefined;
  return {
    status: 413,
    error: `this token's prefixes hold ${held} families; this push would create ${mine.length} more, over the token's limit of ${token.maxFamilies} (its maxFamilies in SCOPED_PUSH_TOKENS)`,
    families: mine,
    cap: "token",
    limit: { name: "maxFamilies", value: token.maxFamilies },
  };
}

/** Why `family` cannot be listed with `type`, or undefined when it can (or already is). */
export function registrationProblem(
  catalog: CatalogStorage,
  family: string,
  type: MetricType,
  withoutTotal = false,
): string | undefined {
  const existing = catalog.typeOf(family);
  if (existing !== undefined) {
    return existing === type || joinsAcrossUntyped(existing, type)
      ? undefined
      : `family ${JSON.stringify(family)} is stored with a different type (${existing} vs ${type})`;
  }
  for (const sample of sampleNames(family, type, withoutTotal)) {
    const owner = catalog.ownerOf(sample);
    if (owner !== undefined) {
      return `the ${type} ${JSON.stringify(family)} would expose ${JSON.stringify(sample)}, which family ${JSON.stringify(owner)} already exposes`;
    }
  }
  return undefined;
}

/**
 * Admits a push of `families` whole, or refuses it (see `admissionProblem`): the new ones are listed (with the
 * objects they are spread over), at once, so pushes admitted one after another can never pass a cap together.
 */
export function admitFamilies(
  catalog: CatalogStorage,
  families: readonly NewFamily[],
  caps: FamilyCaps,
): CatalogRefusal | undefined {
  const refused = admissionProblem(catalog, families, caps);
  if (refused) return refused;
  for (const family of families) registerFamily(catalog, family);
  return undefined;
}

/**
 * Lists `family`, spread over `shards` objects, unless something clashes or the deployment holds `maxFamilies`
 * already; idempotent for the same type. The catalog keeps the most shards a family ever had, so the scrape and
 * deletions reach every object that may hold its data.
 */
export function registerFamily(
  catalog: CatalogStorage,
  { name: family, type, shards = 1, withoutTotal = false }: NewFamily,
  maxFamilies = Number.POSITIVE_INFINITY,
): Registration {
  const problem = registrationProblem(catalog, family, type, withoutTotal);
  if (problem) return { ok: false, status: 409, error: problem, families: [family] };
  if (catalog.typeOf(family) === undefined) {
    const capped = deploymentCapRefusal(catalog, [family], maxFamilies);
    if (capped) return { ok: false, ...capped };
    catalog.add(family, type, sampleNames(family, type, withoutTotal), shards);
  } else if (shards > catalog.shardsOf(family)) catalog.raiseShards(family, shards);
  // A counter listed bare claims its bare name (names.ts `sampleNames`): that is the flag, for every object.
  return type === "counter" && catalog.ownerOf(family) === family ? { ok: true, withoutTotal: true } : { ok: true };
}
