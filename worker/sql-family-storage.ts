// FamilyStorage on a Durable Object's SQLite: the definition in `meta`, one WITHOUT ROWID row per series,
// recent batch ids in `batches` (pruned past the retention). Every call is synchronous.

import { labelsOfKey } from "../lib/series-key.ts";
import type { FamilyStorage, StoredSeries } from "../lib/store/family-store.ts";
import type { SketchWindows } from "../lib/store/quantile-windows.ts";
import type { FamilyDefinition } from "../lib/wire.ts";

const SCHEMA_VERSION = "2";
const PRUNE_EVERY_MS = 60_000;

type SeriesRow = {
  key: string;
  value: number | null;
  sum: number | null;
  count: number | null;
  counts: string | null;
  windows: string | null;
  created: number;
  updated: number;
};

export class SqlFamilyStorage implements FamilyStorage {
  private cached: FamilyDefinition | null | undefined;
  private lastPrune = 0;
  private count: number | undefined;
  /** SQLite rows written by this object since it started (billed by Cloudflare). */
  rowsWritten = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly batchRetentionMs: number,
  ) {}

  /** Creates the tables; run once in the object's constructor under blockConcurrencyWhile. */
  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
    const version = this.sql
      .exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`)
      .toArray()[0]?.value;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS series (
      key TEXT PRIMARY KEY, value REAL, sum REAL, count INTEGER, counts TEXT, windows TEXT,
      created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID`);
    if (version === "1") this.sql.exec(`ALTER TABLE series ADD COLUMN windows TEXT`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS batches (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID`);
    this.sql.exec(
      `INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      SCHEMA_VERSION,
    );
  }

  private write(query: string, ...bindings: (string | number | null)[]): void {
    const cursor = this.sql.exec(query, ...bindings);
    cursor.toArray();
    this.rowsWritten += cursor.rowsWritten;
  }

  /** Drops cached state; call after a transaction rolled back. */
  forget(): void {
    this.cached = undefined;
    this.count = undefined;
    this.catalogued = undefined;
  }

  definition(): FamilyDefinition | undefined {
    if (this.cached === undefined) {
      const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'definition'`).toArray()[0];
      this.cached = row ? (JSON.parse(row.value) as FamilyDefinition) : null;
    }
    return this.cached ?? undefined;
  }

  setDefinition(definition: FamilyDefinition): void {
    this.write(
      `INSERT INTO meta (key, value) VALUES ('definition', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      JSON.stringify(definition),
    );
    this.cached = definition;
  }

  hasPushId(id: string): boolean {
    return this.sql.exec(`SELECT 1 FROM batches WHERE id = ?`, id).toArray().length > 0;
  }

  addPushId(id: string, nowMs: number): void {
    this.write(`INSERT INTO batches (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, nowMs);
    if (nowMs - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = nowMs;
      this.write(`DELETE FROM batches WHERE at < ?`, nowMs - this.batchRetentionMs);
    }
  }

  getSeries(key: string): StoredSeries | undefined {
    const row = this.sql.exec<SeriesRow>(`SELECT * FROM series WHERE key = ?`, key).toArray()[0];
    return row ? this.fromRow(row) : undefined;
  }

  seriesCount(): number {
    this.count ??= this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM series`).one().n;
    return this.count;
  }

  putSeries(key: string, s: StoredSeries, isNew: boolean): void {
    if (isNew && this.count !== undefined) this.count++;
    this.write(
      `INSERT INTO series (key, value, sum, count, counts, windows, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, sum = excluded.sum, count = excluded.count,
         counts = excluded.counts, windows = excluded.windows, created = excluded.created, updated = excluded.updated`,
      key,
      s.value ?? null,
      s.sum ?? null,
      s.count ?? null,
      s.counts ? JSON.stringify(s.counts) : null,
      s.windows ? JSON.stringify(s.windows) : null,
      s.created,
      s.updated,
    );
  }

  deleteSeries(key: string): boolean {
    const before = this.rowsWritten;
    this.write(`DELETE FROM series WHERE key = ?`, key);
    const deleted = this.rowsWritten > before;
    if (deleted && this.count !== undefined) this.count--;
    return deleted;
  }

  deleteSeriesUpdatedBefore(ms: number): number {
    const before = this.rowsWritten;
    if (ms === Infinity) this.write(`DELETE FROM series`);
    else this.write(`DELETE FROM series WHERE updated < ?`, ms);
    const deleted = this.rowsWritten - before;
    if (this.count !== undefined) this.count -= deleted;
    return deleted;
  }

  oldestUpdate(): number | undefined {
    return this.sql.exec<{ m: number | null }>(`SELECT MIN(updated) AS m FROM series`).one().m ?? undefined;
  }

  allSeries(): StoredSeries[] {
    return this.sql
      .exec<SeriesRow>(`SELECT * FROM series ORDER BY key`)
      .toArray()
      .map((row) => this.fromRow(row));
  }

  private catalogued: boolean | undefined;

  isCatalogued(): boolean {
    this.catalogued ??= this.sql.exec(`SELECT 1 FROM meta WHERE key = 'catalogued'`).toArray().length > 0;
    return this.catalogued;
  }

  /** Records, once, that the catalog lists this family (inside the push's transaction). */
  markCatalogued(): void {
    if (this.isCatalogued()) return;
    this.write(`INSERT INTO meta (key, value) VALUES ('catalogued', '1') ON CONFLICT (key) DO NOTHING`);
    this.catalogued = true;
  }

  private fromRow(row: SeriesRow): StoredSeries {
    const labels = labelsOfKey(this.definition()?.labelNames ?? [], row.key);
    return {
      labels,
      created: row.created,
      updated: row.updated,
      ...(row.value !== null ? { value: row.value } : {}),
      ...(row.sum !== null ? { sum: row.sum } : {}),
      ...(row.count !== null ? { count: row.count } : {}),
      ...(row.counts !== null ? { counts: JSON.parse(row.counts) as number[] } : {}),
      ...(row.windows !== null ? { windows: JSON.parse(row.windows) as SketchWindows } : {}),
    };
  }
}
