// Applying a checked family batch to a family's stored state, behind a small storage interface,
// so the Durable Object (SQLite) and the in-memory store run the same rules: replay detection,
// definition conflicts, merge per type, creation times.

import { mergeSeries, type SeriesState } from "./merge.ts";
import { definitionDifference } from "./validation.ts";
import { labelKey } from "./wire-check.ts";
import type { FamilyBatch, FamilyDefinition, FamilyOutcome, FamilySnapshot, Labels } from "./wire.ts";

/** A series as stored: its labels, mutable state, and times in milliseconds since the epoch. */
export interface StoredSeries extends SeriesState {
  labels: Labels;
  created: number;
  updated: number;
}

/** What a family store must offer. Every call is synchronous; the caller makes a batch atomic. */
export interface FamilyStorage {
  definition(): FamilyDefinition | undefined;
  setDefinition(definition: FamilyDefinition): void;
  hasBatch(id: string): boolean;
  addBatch(id: string, nowMs: number): void;
  getSeries(key: string): StoredSeries | undefined;
  /** Writes a series; `isNew` when no series had this key before. */
  putSeries(key: string, series: StoredSeries, isNew: boolean): void;
  /** Every series, ordered by key. */
  allSeries(): StoredSeries[];
  /** How many series are stored. */
  seriesCount(): number;
}

/**
 * Applies one family's part of a push. Returns "duplicate" for a batch id seen before; "rejected" with 409 when
 * the definition differs from the stored one, or 413 when the new series would pass `maxSeries` (nothing applied
 * either way); otherwise "applied". The caller runs it inside one transaction.
 */
export function applyFamilyBatch(storage: FamilyStorage, batchId: string | undefined, family: FamilyBatch, nowMs: number, maxSeries = Infinity): FamilyOutcome {
  if (batchId !== undefined && storage.hasBatch(batchId)) return { name: family.name, status: "duplicate" };
  const { series, ...definition } = family;
  const stored = storage.definition();
  if (stored) {
    const difference = stored.name !== definition.name ? `name (${stored.name} vs ${definition.name})` : definitionDifference(stored, definition);
    if (difference) return { name: family.name, status: "rejected", code: 409, error: `family ${JSON.stringify(family.name)} is stored with a different ${difference}` };
  }
  const updates = series.map((delta) => {
    const key = labelKey(definition.labelNames, delta.labels);
    return { key, delta, before: storage.getSeries(key) };
  });
  const total = storage.seriesCount() + updates.filter((u) => u.before === undefined).length;
  if (total > maxSeries) {
    return { name: family.name, status: "rejected", code: 413, error: `family ${JSON.stringify(family.name)} would hold ${total} series, over the limit of ${maxSeries} per family` };
  }
  if (!stored || stored.help !== definition.help) storage.setDefinition(definition);
  for (const { key, delta, before } of updates) {
    const state = mergeSeries(definition.type, before, delta);
    storage.putSeries(key, { ...state, labels: delta.labels, created: before?.created ?? nowMs, updated: nowMs }, before === undefined);
  }
  if (batchId !== undefined) storage.addBatch(batchId, nowMs);
  return { name: family.name, status: "applied", series: series.length };
}

/** The family as the encoder renders it, or undefined when it has no definition yet. */
export function snapshotFamily(storage: FamilyStorage): FamilySnapshot | undefined {
  const definition = storage.definition();
  if (!definition) return undefined;
  const series = storage.allSeries().map(({ labels, created, updated, value, counts, sum, count }) => ({
    labels,
    created: created / 1000,
    updated: updated / 1000,
    ...(value !== undefined ? { value } : {}),
    ...(counts !== undefined ? { counts } : {}),
    ...(sum !== undefined ? { sum } : {}),
    ...(count !== undefined ? { count } : {}),
  }));
  return { ...definition, series };
}
