// Applying a checked family push to a family's stored state, behind a small storage interface, so the Durable
// Object (SQLite) and the in-memory store run the same rules: replay detection, definition conflicts, the
// cardinality cap, deletions, merging per type, creation times, expiry and quantiles.

import { definitionDifference } from "../definition.ts";
import { seriesKey } from "../series-key.ts";
import type { FamilyDefinition, FamilyOutcome, FamilyPush, FamilySnapshot, Labels } from "../wire.ts";
import { mergeSeries, type SeriesState } from "./merge.ts";
import { windowQuantiles } from "./quantile-windows.ts";

/** A series as stored: its labels, mutable state, and times in milliseconds since the epoch. */
export interface StoredSeries extends SeriesState {
  labels: Labels;
  created: number;
  updated: number;
}

/** What a family store must offer. Every call is synchronous; the caller makes a push atomic. */
export interface FamilyStorage {
  definition(): FamilyDefinition | undefined;
  setDefinition(definition: FamilyDefinition): void;
  hasPushId(id: string): boolean;
  addPushId(id: string, nowMs: number): void;
  getSeries(key: string): StoredSeries | undefined;
  /** Writes a series; `isNew` when no series had this key before. */
  putSeries(key: string, series: StoredSeries, isNew: boolean): void;
  /** Deletes one series; true when it existed. */
  deleteSeries(key: string): boolean;
  /** Deletes every series last updated before `ms` (all of them for Infinity); returns how many. */
  deleteSeriesUpdatedBefore(ms: number): number;
  /** The oldest `updated` time, or undefined when there is no series. */
  oldestUpdate(): number | undefined;
  /** Every series, ordered by key. */
  allSeries(): StoredSeries[];
  /** How many series are stored. */
  seriesCount(): number;
}

/** A series' time to live in milliseconds under `definition`, falling back to the store's default; 0 = none. */
export function ttlMs(definition: FamilyDefinition | undefined, defaultTtlSeconds: number): number {
  return (definition?.ttlSeconds ?? defaultTtlSeconds) * 1000;
}

/**
 * Applies one family's part of a push. Returns "duplicate" for a push id seen before; "rejected" with 409 when
 * the definition differs from the stored one, or 413 when the new series would pass `maxSeries` (nothing applied
 * either way); otherwise "applied": deletions (`reset`, `remove`) first, then the deltas.
 * The caller runs it inside one transaction.
 */
export function applyFamilyPush(
  storage: FamilyStorage,
  pushId: string | undefined,
  family: FamilyPush,
  nowMs: number,
  maxSeries = Infinity,
  defaultTtlSeconds = 0,
): FamilyOutcome {
  if (pushId !== undefined && storage.hasPushId(pushId)) return { name: family.name, status: "duplicate" };
  const { series, reset, remove, ...definition } = family;
  const stored = storage.definition();
  if (stored) {
    const difference = definitionDifference(stored, definition);
    if (difference)
      return {
        name: family.name,
        status: "rejected",
        code: 409,
        error: `family ${JSON.stringify(family.name)} is stored with a different ${difference}`,
      };
  }
  const removed = new Set((remove ?? []).map((labels) => seriesKey(definition.labelNames, labels)));
  // Expiry of what is stored is judged by the stored definition's TTL, as the scrape and the alarm judged it.
  const ttl = ttlMs(stored ?? definition, defaultTtlSeconds);
  const updates = series.map((delta) => {
    const key = seriesKey(definition.labelNames, delta.labels);
    const stored = reset || removed.has(key) ? undefined : storage.getSeries(key);
    // A series past its time to live counts as gone even before the alarm deletes it: it starts again.
    const before = stored && (ttl <= 0 || stored.updated + ttl > nowMs) ? stored : undefined;
    return { key, delta, before, exists: stored !== undefined, state: mergeSeries(definition, before, delta, nowMs) };
  });
  const overflow = updates.find((u) => !finiteState(u.state));
  if (overflow) {
    return {
      name: family.name,
      status: "rejected",
      code: 400,
      error: `series ${JSON.stringify(overflow.delta.labels)} of family ${JSON.stringify(family.name)} would overflow to a non-finite value`,
    };
  }
  const remaining = reset
    ? 0
    : storage.seriesCount() - [...removed].filter((k) => storage.getSeries(k) !== undefined).length;
  const total = remaining + updates.filter((u) => !u.exists).length;
  if (total > maxSeries) {
    return {
      name: family.name,
      status: "rejected",
      code: 413,
      error: `family ${JSON.stringify(family.name)} would hold ${total} series, over the limit of ${maxSeries} per family`,
    };
  }
  if (!stored || JSON.stringify(stored) !== JSON.stringify(definition)) storage.setDefinition(definition);
  if (reset) storage.deleteSeriesUpdatedBefore(Infinity);
  for (const key of removed) storage.deleteSeries(key);
  for (const { key, delta, before, exists, state } of updates) {
    storage.putSeries(
      key,
      { ...state, labels: delta.labels, created: before?.created ?? nowMs, updated: nowMs },
      !exists,
    );
  }
  if (pushId !== undefined) storage.addPushId(pushId, nowMs);
  return { name: family.name, status: "applied", series: series.length };
}

/** True when every number of a merged state is finite (sums of finite deltas can still overflow). */
function finiteState(state: SeriesState): boolean {
  return [state.value ?? 0, state.sum ?? 0, state.count ?? 0, ...(state.counts ?? [])].every(Number.isFinite);
}

/** Deletes the series whose labels include every pair of `match`; returns how many. */
export function deleteMatching(storage: FamilyStorage, match: Labels): number {
  let deleted = 0;
  const definition = storage.definition();
  if (!definition) return 0;
  for (const series of storage.allSeries()) {
    if (Object.entries(match).every(([name, value]) => series.labels[name] === value)) {
      if (storage.deleteSeries(seriesKey(definition.labelNames, series.labels))) deleted++;
    }
  }
  return deleted;
}

/**
 * The family as the encoder renders it at `nowMs`, or undefined when it has no definition yet. Series past their
 * time to live are left out (even before the expiry alarm deletes them); summaries carry their quantiles.
 */
export function snapshotFamily(
  storage: FamilyStorage,
  nowMs: number,
  defaultTtlSeconds = 0,
): FamilySnapshot | undefined {
  const definition = storage.definition();
  if (!definition) return undefined;
  const ttl = ttlMs(definition, defaultTtlSeconds);
  const series = storage
    .allSeries()
    .filter((s) => ttl <= 0 || s.updated + ttl > nowMs)
    .map(({ labels, created, updated, value, counts, sum, count, windows }) => ({
      labels,
      created: created / 1000,
      updated: updated / 1000,
      ...(value !== undefined ? { value } : {}),
      ...(counts !== undefined ? { counts } : {}),
      ...(sum !== undefined ? { sum } : {}),
      ...(count !== undefined ? { count } : {}),
      ...((definition.percentiles?.length ?? 0) > 0 ? { quantiles: windowQuantiles(windows, definition, nowMs) } : {}),
    }));
  return { ...definition, series };
}
