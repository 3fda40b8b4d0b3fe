// An in-memory store that is also a transport: the Durable Objects' rules (validation, reserved names, catalog
// clashes, replays, conflicts, the cardinality cap, merging, expiry) with no Cloudflare needed. For tests (yours
// and ours) and for single-process use; the same conformance suite runs against it and the real objects.

import { checkPush } from "../protocol/check-push.ts";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.ts";
import { reservedNameProblem } from "../protocol/names.ts";
import { refusalText } from "../protocol/refusal.ts";
import { compareKeys } from "../protocol/series-key.ts";
import {
  allRejected,
  type DeliveryOutcome,
  type FamilyRefusal,
  refusedWhole,
  type Transport,
} from "../protocol/transport.ts";
import type { FamilyDefinition, FamilyOutcome, FamilySnapshot, MetricType, Push } from "../protocol/wire.ts";
import { admissionProblem, type CatalogStorage, registerFamily } from "./catalog.ts";
import {
  applyGroup,
  type FamilyChange,
  type FamilyStorage,
  type StoredSeries,
  snapshotFamily,
  ttlMs,
} from "./family-store.ts";

export class MemoryFamily implements FamilyStorage {
  private def: FamilyDefinition | undefined;
  private readonly pushIds = new Set<string>();
  private readonly series = new Map<string, StoredSeries>();

  definition() {
    return this.def;
  }
  hasPushId(id: string) {
    return this.pushIds.has(id);
  }
  getSeries(keys: readonly string[]) {
    const found = new Map<string, StoredSeries>();
    for (const key of keys) {
      const series = this.series.get(key);
      if (series) found.set(key, series);
    }
    return found;
  }
  seriesCount() {
    return this.series.size;
  }
  keysOfGrouping(grouping: string) {
    return [...this.series].flatMap(([key, s]) => (s.grouping === grouping ? [key] : []));
  }
  commit(change: FamilyChange) {
    if (change.definition) this.def = change.definition;
    if (change.resetAll) this.series.clear();
    for (const key of change.deleted) this.series.delete(key);
    for (const [key, series] of change.written) this.series.set(key, series);
    for (const id of change.pushIds) this.pushIds.add(id);
  }
  deleteSeriesUpdatedBefore(ms: number) {
    let n = 0;
    for (const [key, s] of this.series) if (s.updated < ms && this.series.delete(key)) n++;
    return n;
  }
  oldestUpdate() {
    let oldest: number | undefined;
    for (const s of this.series.values()) oldest = oldest === undefined ? s.updated : Math.min(oldest, s.updated);
    return oldest;
  }
  allSeries() {
    return this.sorted().map(([, s]) => s);
  }
  seriesPage(after: string | undefined, limit: number) {
    const rest = this.sorted().filter(([key]) => after === undefined || compareKeys(key, after) > 0);
    const series = rest.slice(0, limit).map(([key, s]) => ({ ...s, key }));
    const last = series.at(-1);
    return rest.length > limit && last ? { series, next: last.key } : { series };
  }
  private sorted() {
    return [...this.series.entries()].sort(([a], [b]) => compareKeys(a, b));
  }
}

class MemoryCatalog implements CatalogStorage {
  private readonly types = new Map<string, MetricType>();
  private readonly owners = new Map<string, string>();

  typeOf(family: string) {
    return this.types.get(family);
  }
  shardsOf() {
    return 1;
  }
  raiseShards() {
    // The in-memory store keeps a family in one place, however many shards it asks for.
  }
  ownerOf(sample: string) {
    return this.owners.get(sample);
  }
  add(family: string, type: MetricType, samples: readonly string[], _shards: number) {
    this.types.set(family, type);
    for (const sample of samples) this.owners.set(sample, family);
  }
  remove(family: string) {
    this.types.delete(family);
    for (const [sample, owner] of this.owners) if (owner === family) this.owners.delete(sample);
  }
  familyCount() {
    return this.types.size;
  }
  countWithPrefixes(prefixes: readonly string[]) {
    return [...this.types.keys()].filter((name) => prefixes.some((prefix) => name.startsWith(prefix))).length;
  }
}

export interface MemoryStoreOptions {
  /** The clock (milliseconds), injectable for tests. Default Date.now. */
  now?: () => number;
  /** What one push may carry. Default: the server's defaults. */
  limits?: Limits;
  /** Time to live of series whose family declares none (0 = never expire). Default 0. */
  defaultTtlSeconds?: number;
  /** The cardinality cap: series one family may hold. Default 10,000, as the Worker's. */
  maxSeriesPerFamily?: number;
  /** The cap on families the store holds. Default 2,000, as the Worker's. */
  maxFamilies?: number;
}

/**
 * Stores pushes in memory with the Durable Objects' rules.
 * @example
 * const store = new MemoryStore();
 * await registry.flush(store);
 * encodeText(store.snapshot());
 */
export class MemoryStore implements Transport {
  private readonly families = new Map<string, MemoryFamily>();
  private readonly catalog = new MemoryCatalog();
  private readonly now: () => number;
  private readonly limits: Limits;
  private readonly defaultTtlSeconds: number;
  private readonly maxSeriesPerFamily: number;
  private readonly maxFamilies: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.defaultTtlSeconds = options.defaultTtlSeconds ?? 0;
    this.maxSeriesPerFamily = options.maxSeriesPerFamily ?? 10_000;
    this.maxFamilies = options.maxFamilies ?? 2_000;
  }

  /** Applies a push whole, or refuses it whole (nothing applied) when any of its families would be refused. */
  async push(push: Push): Promise<DeliveryOutcome[]> {
    const checked = checkPush(push, this.limits);
    if (!checked.ok) {
      const { status, limit } = checked.refusal;
      return allRejected(push, status, refusalText(checked.refusal), limit);
    }
    const { pushId, families } = checked.value;
    for (const [i, family] of families.entries()) {
      const reserved = reservedNameProblem(family.name);
      const error = `families[${i}].name: ${reserved}`;
      if (reserved) return refusedWhole(checked.value, [{ name: family.name, status: "rejected", code: 400, error }]);
    }
    const refused = admissionProblem(this.catalog, families, { maxFamilies: this.maxFamilies });
    if (refused) {
      const { status: code, error, limit } = refused;
      const refusals = refused.families.map((name) => ({
        name,
        status: "rejected" as const,
        code,
        error,
        ...(limit ? { limit } : {}),
      }));
      return refusedWhole(checked.value, refusals);
    }
    const now = this.now();
    const applied = families.map((family) => {
      const storage = this.families.get(family.name) ?? new MemoryFamily();
      return { family, storage, ...applyGroup(storage, [{ pushId, part: family }], now, this.groupOptions()) };
    });
    const refusals = applied.flatMap((a) => a.outcomes.filter((o): o is FamilyRefusal => o.status === "rejected"));
    if (refusals.length > 0) return refusedWhole(checked.value, refusals);
    return applied.map(({ family, storage, outcomes, change }) => {
      this.families.set(family.name, storage);
      storage.commit(change);
      const outcome = outcomes[0] as FamilyOutcome;
      if (outcome.status === "applied") registerFamily(this.catalog, family);
      return outcome;
    });
  }

  private groupOptions() {
    return {
      maxSeries: this.maxSeriesPerFamily,
      defaultTtlSeconds: this.defaultTtlSeconds,
      maxLabelNames: this.limits.maxLabelNames,
    };
  }

  /** Deletes the series whose time to live has passed (what the Durable Object's alarm does); returns how many. */
  expire(): number {
    let n = 0;
    for (const family of this.families.values()) {
      const ttl = ttlMs(family.definition(), this.defaultTtlSeconds);
      if (ttl > 0) n += family.deleteSeriesUpdatedBefore(this.now() - ttl + 1);
    }
    return n;
  }

  /** Every stored family, sorted by name. */
  snapshot(): FamilySnapshot[] {
    return [...this.families.keys()]
      .sort()
      .map((name) => snapshotFamily(this.families.get(name) as MemoryFamily, this.now(), this.defaultTtlSeconds))
      .filter((f): f is FamilySnapshot => f !== undefined);
  }
}
