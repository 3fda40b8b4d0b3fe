// An in-memory store that is also a transport: the same rules as the Durable Objects, no Cloudflare needed.
// For tests (yours and ours) and for single-process use.

import { applyFamilyBatch, type FamilyStorage, type StoredSeries, snapshotFamily, ttlMs } from "../family-store.ts";
import { DEFAULT_PUSH_LIMITS, type PushLimits } from "../limits.ts";
import type { FamilyDefinition, FamilySnapshot, PushBatch } from "../wire.ts";
import { checkPushBatch } from "../wire-check.ts";
import { allRejected, type DeliveryOutcome, type Transport } from "./transport.ts";

class MemoryFamily implements FamilyStorage {
  private def: FamilyDefinition | undefined;
  private readonly batches = new Map<string, number>();
  private readonly series = new Map<string, StoredSeries>();

  definition() {
    return this.def;
  }
  setDefinition(definition: FamilyDefinition) {
    this.def = definition;
  }
  hasBatch(id: string) {
    return this.batches.has(id);
  }
  addBatch(id: string, nowMs: number) {
    this.batches.set(id, nowMs);
  }
  getSeries(key: string) {
    return this.series.get(key);
  }
  putSeries(key: string, series: StoredSeries, _isNew: boolean) {
    this.series.set(key, series);
  }
  deleteSeries(key: string) {
    return this.series.delete(key);
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
  seriesCount() {
    return this.series.size;
  }
  allSeries() {
    return [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  }
}

/**
 * Stores pushes in memory with the Durable Objects' rules (validation, replay detection, conflicts, merging).
 * @example
 * const store = new MemoryStore();
 * await registry.flush(store);
 * encodeText(store.snapshot());
 */
export class MemoryStore implements Transport {
  private readonly families = new Map<string, MemoryFamily>();

  /**
   * @param now the clock (milliseconds), injectable for tests
   * @param limits what one push may carry
   * @param defaultTtlSeconds time to live of series whose family declares none (0 = never expire)
   */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits: PushLimits = DEFAULT_PUSH_LIMITS,
    private readonly defaultTtlSeconds = 0,
  ) {}

  async push(batch: PushBatch): Promise<DeliveryOutcome[]> {
    const checked = checkPushBatch(batch, this.limits);
    if (!checked.ok) return allRejected(batch, checked.status, checked.error);
    return checked.value.families.map((family) => {
      let storage = this.families.get(family.name);
      if (!storage) {
        storage = new MemoryFamily();
        this.families.set(family.name, storage);
      }
      return applyFamilyBatch(storage, checked.value.batch, family, this.now(), Infinity, this.defaultTtlSeconds);
    });
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
