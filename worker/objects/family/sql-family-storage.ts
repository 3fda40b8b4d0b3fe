// FamilyStorage on a Durable Object's SQLite. Storage is the truth; memory holds a cache of it:
// - `series`: one WITHOUT ROWID row per series (key, state as JSON, created, updated). A group's writes go out as one
//   upsert and one delete over json_each (no statement per series); series state is cached in memory, so a push
//   reads nothing once its series are known.
// - `push_ids`: the push ids of each group in one row, remembered in memory to drop replays, pruned past the
//   retention (or past a count cap) in one statement.
// - `meta`: the definition, the schema version, and whether the catalog lists the family.
// Every call is synchronous; the Durable Object wraps each commit in a transaction and calls `forget()` if it fails.

import { withDefaults } from "../../../lib/protocol/definition.ts";
import { labelsOfKey } from "../../../lib/protocol/series-key.ts";
import {
  type FamilyDefinition,
  type Labels,
  numberOfJson,
  type SeriesPart,
  toJson,
} from "../../../lib/protocol/wire.ts";
import {
  type FamilyChange,
  type FamilyStorage,
  type StoredSeries,
  seriesBytes,
} from "../../../lib/store/family-store.ts";
import type { StoredFence } from "../../../lib/store/group-fences.ts";
import type { SeriesState } from "../../../lib/store/merge.ts";
import { ReadSnapshots } from "../../../lib/store/read-snapshots.ts";

/** What a read snapshot keeps beside the series, as of its first page: the family's definition, fences and shards taken in. */
export interface SnapshotMeta {
  definition: FamilyDefinition;
  fences: StoredFence[];
  absorbed: number[];
}

import { migrateFamilyTables } from "./schema.ts";

/** How often (at most) expired push ids are pruned. */
const PRUNE_EVERY_MS = 60_000;
/** Bytes of JSON bound to one statement (SQLite values are limited to 2 MB). */
const MAX_BOUND_BYTES = 512 * 1024;
/** Past this many parsed label sets, that cache is dropped. */
const MAX_CACHED_LABELS = 20_000;
/** Past this many bytes of cached series state, the cache is dropped (storage stays the truth). */
const MAX_CACHE_BYTES = 16 * 1024 * 1024;

type SeriesRow = { key: string; state: string; created: number; updated: number; grouping: string | null };
/** The columns of a series row, in SeriesRow's order. */
const SERIES_COLUMNS = "key, state, created, updated, grouping";
type GroupRow = { seq: number; at: number; ids: string };

/** Splits `items` into JSON arrays of at most MAX_BOUND_BYTES each, for `json_each(?)`. */
function jsonChunks(items: readonly unknown[]): string[] {
  const chunks: string[] = [];
  let parts: string[] = [];
  let bytes = 2;
  for (const item of items) {
    // A gauge's NaN or ±Inf as text: JSON has no number for them (read back in fromRow).
    const text = toJson(item);
    if (parts.length > 0 && bytes + text.length + 1 > MAX_BOUND_BYTES) {
      chunks.push(`[${parts.join(",")}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(text);
    bytes += text.length + 1;
  }
  if (parts.length > 0) chunks.push(`[${parts.join(",")}]`);
  return chunks;
}

export interface SqlFamilyStorageOptions {
  /** How long push ids are remembered. */
  pushIdRetentionMs: number;
  /** At most this many push ids are remembered (the oldest are forgotten first). */
  maxPushIds: number;
}

export class SqlFamilyStorage implements FamilyStorage {
  private cachedDefinition: FamilyDefinition | null | undefined;
  private count: number | undefined;
  private catalogued: boolean | undefined;
  private shards: number | undefined;
  /** Parsed labels by key (labels never change for a key while the definition lives). */
  private readonly labels = new Map<string, Labels>();
  /** Cached series by key, with the bytes of their stored state; and those bytes in all. */
  private readonly cache = new Map<string, { series: SeriesPart; bytes: number }>();
  private cacheBytes = 0;
  /** Remembered push ids → the row (seq) that holds them; groups oldest first. Undefined until loaded. */
  private pushIds: Map<string, number> | undefined;
  private groups: { seq: number; at: number; ids: string[] }[] = [];
  private lastPrune = 0;
  /** The highest push_ids row number in use; undefined until read. */
  private maxSeq: number | undefined;
  /** SQLite rows written and read, and statements run, since this object started (rows are billed). */
  rowsWritten = 0;
  rowsRead = 0;
  statements = 0;
  /** The read snapshots open here, with what the object hands out beside the series as of each (kept in memory). */
  readonly snapshots = new ReadSnapshots<SnapshotMeta>((s) => seriesBytes(s.key, s));

  constructor(
    private readonly sql: SqlStorage,
    private readonly options: SqlFamilyStorageOptions,
  ) {}

  /** Creates or upgrades the tables (schema.ts); run once in the object's constructor under blockConcurrencyWhile. */
  migrate(): void {
    migrateFamilyTables(this.sql);
  }

  /** Runs a statement and counts what it cost. */
  private exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: (string | number | null)[]): T[] {
    const cursor = this.sql.exec<T>(query, ...bindings);
    const rows = cursor.toArray();
    this.statements++;
    this.rowsWritten += cursor.rowsWritten;
    this.rowsRead += cursor.rowsRead;
    return rows;
  }

  private write(query: string, ...bindings: (string | number | null)[]): number {
    const before = this.rowsWritten;
    this.exec(query, ...bindings);
    return this.rowsWritten - before;
  }

  /** Drops every cached value; call after a transaction rolled back or the storage was wiped. */
  forget(): void {
    this.cachedDefinition = undefined;
    this.count = undefined;
    this.catalogued = undefined;
    this.shards = undefined;
    this.cache.clear();
    this.cacheBytes = 0;
    this.labels.clear();
    this.pushIds = undefined;
    this.groups = [];
    this.maxSeq = undefined;
  }

  definition(): FamilyDefinition | undefined {
    if (this.cachedDefinition === undefined) {
      const row = this.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'definition'`)[0];
      // Definitions stored by older versions may lack defaults they have today.
      this.cachedDefinition = row ? withDefaults(JSON.parse(row.value) as FamilyDefinition) : null;
    }
    return this.cachedDefinition ?? undefined;
  }

  hasPushId(id: string): boolean {
    return this.rememberedPushIds().has(id);
  }

  private lastSeq(): number {
    this.maxSeq ??= this.exec<{ m: number | null }>(`SELECT MAX(seq) AS m FROM push_ids`)[0]?.m ?? 0;
    return this.maxSeq;
  }

  private rememberedPushIds(): Map<string, number> {
    if (this.pushIds === undefined) {
      this.pushIds = new Map();
      this.groups = this.exec<GroupRow>(`SELECT seq, at, ids FROM push_ids ORDER BY seq`).map((row) => ({
        seq: row.seq,
        at: row.at,
        ids: JSON.parse(row.ids) as string[],
      }));
      for (const group of this.groups) for (const id of group.ids) this.pushIds.set(id, group.seq);
    }
    return this.pushIds;
  }

  seriesCount(): number {
    this.count ??= (this.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM series`)[0] as { n: number }).n;
    return this.count;
  }

  getSeries(keys: readonly string[]): Map<string, StoredSeries> {
    const found = new Map<string, StoredSeries>();
    const missing: string[] = [];
    for (const key of keys) {
      const cached = this.cache.get(key);
      if (cached) found.set(key, cached.series);
      else missing.push(key);
    }
    // When the cache holds every stored series, a key it lacks is not stored: nothing to read.
    if (missing.length === 0 || this.cache.size === this.seriesCount()) return found;
    for (const chunk of jsonChunks(missing)) {
      const query = `SELECT ${SERIES_COLUMNS} FROM series WHERE key IN (SELECT value FROM json_each(?))`;
      const rows = this.exec<SeriesRow>(query, chunk);
      for (const row of rows) {
        const series = this.fromRow(row);
        found.set(row.key, series);
        this.remember(row.key, series);
      }
    }
    return found;
  }

  commit(change: FamilyChange, nowMs: number): void {
    if (this.snapshots.active) {
      // A reader pages at a snapshot: what this change replaces is kept for it first.
      if (change.resetAll) this.snapshots.keepAll(() => this.allParts());
      this.snapshots.keep([...change.deleted, ...change.written.keys()], (keys) => this.parts(keys));
    }
    if (change.definition) {
      // Label names that grew give every key more labels (the new ones empty): parse them again.
      if (this.definition()?.labelNames.join() !== change.definition.labelNames.join()) {
        this.labels.clear();
        this.cache.clear();
        this.cacheBytes = 0;
      }
      this.write(
        `INSERT INTO meta (key, value) VALUES ('definition', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        JSON.stringify(change.definition),
      );
    }
    if (change.resetAll) this.write(`DELETE FROM series`);
    for (const chunk of jsonChunks(change.deleted)) {
      this.write(`DELETE FROM series WHERE key IN (SELECT value FROM json_each(?))`, chunk);
    }
    // Each row travels as [key, state, created, updated, grouping?] (no group: `value ->> 4` is NULL, and the row's
    // JSON holds no null, so toJson's fast path takes it); `value -> 1` stores the state's JSON text exactly as written
    // (SQLite keeps JSON number literals as text, so no float is parsed again).
    const rows: ([string, SeriesState, number, number] | [string, SeriesState, number, number, string])[] = [];
    for (const [key, { labels: _labels, created, updated, grouping, ...state }] of change.written)
      rows.push(grouping === undefined ? [key, state, created, updated] : [key, state, created, updated, grouping]);
    for (const chunk of jsonChunks(rows)) {
      this.write(
        `INSERT INTO series (${SERIES_COLUMNS}) SELECT value ->> 0, value -> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?) WHERE true
         ON CONFLICT (key) DO UPDATE SET state = excluded.state, created = excluded.created, updated = excluded.updated, grouping = excluded.grouping`,
        chunk,
      );
    }
    let group: { seq: number; at: number; ids: string[] } | undefined;
    if (change.pushIds.length > 0) {
      const seq = this.lastSeq() + 1;
      this.write(`INSERT INTO push_ids (seq, at, ids) VALUES (?, ?, ?)`, seq, nowMs, JSON.stringify(change.pushIds));
      group = { seq, at: nowMs, ids: change.pushIds };
    }
    const pruned = this.prunePushIds(nowMs, change.pushIds.length);

    // Every statement went through: bring the caches up to date (a failed transaction calls forget()).
    if (change.definition) this.cachedDefinition = change.definition;
    if (change.resetAll) {
      this.cache.clear();
      this.cacheBytes = 0;
    }
    for (const key of change.deleted) this.drop(key);
    this.count = change.seriesCount;
    for (const [key, series] of change.written) this.remember(key, series);
    if (group) {
      this.maxSeq = group.seq;
      const ids = this.rememberedPushIds();
      this.groups.push(group);
      for (const id of group.ids) ids.set(id, group.seq);
    }
    if (pruned) this.forgetGroupsUpTo(pruned);
  }

  /**
   * Deletes the push-id rows past the retention, and the oldest ones past the count cap (counting `adding` more);
   * returns the last seq deleted, or 0.
   */
  private prunePushIds(nowMs: number, adding: number): number {
    const ids = this.rememberedPushIds();
    const overCap = ids.size + adding > this.options.maxPushIds;
    if (!overCap && nowMs - this.lastPrune < PRUNE_EVERY_MS) return 0;
    this.lastPrune = nowMs;
    let remaining = ids.size + adding;
    let last = 0;
    for (const group of this.groups) {
      if (group.at >= nowMs - this.options.pushIdRetentionMs && remaining <= this.options.maxPushIds) break;
      remaining -= group.ids.length;
      last = group.seq;
    }
    if (last > 0) this.write(`DELETE FROM push_ids WHERE seq <= ?`, last);
    return last;
  }

  private forgetGroupsUpTo(seq: number): void {
    const ids = this.rememberedPushIds();
    while (this.groups.length > 0 && (this.groups[0] as { seq: number }).seq <= seq) {
      for (const id of (this.groups.shift() as { ids: string[] }).ids) ids.delete(id);
    }
  }

  keysOfGrouping(grouping: string): string[] {
    return this.exec<{ key: string }>(`SELECT key FROM series WHERE grouping = ?`, grouping).map((row) => row.key);
  }

  /** The groups (`groupingId`s) that wrote the series stored here. */
  groupings(): string[] {
    return this.exec<{ grouping: string }>(`SELECT DISTINCT grouping FROM series WHERE grouping IS NOT NULL`).map(
      (row) => row.grouping,
    );
  }

  deleteSeriesUpdatedBefore(ms: number): number {
    if (this.snapshots.active)
      this.snapshots.keep(
        this.seriesUpdatedBefore(ms).map((row) => row.key),
        (keys) => this.parts(keys),
      );
    const deleted = this.write(`DELETE FROM series WHERE updated < ?`, ms);
    for (const [key, cached] of this.cache) if (cached.series.updated < ms) this.drop(key);
    if (this.count !== undefined) this.count -= deleted;
    return deleted;
  }

  /** The oldest `updated` time (at or after `from`, when given), or undefined when there is no such series. */
  oldestUpdate(from = 0): number | undefined {
    return (
      this.exec<{ m: number | null }>(`SELECT MIN(updated) AS m FROM series WHERE updated >= ?`, from)[0]?.m ??
      undefined
    );
  }

  /** The newest `updated` time, or undefined when there is no series (reads every row: for the status page only). */
  newestUpdate(): number | undefined {
    return this.exec<{ m: number | null }>(`SELECT MAX(updated) AS m FROM series`)[0]?.m ?? undefined;
  }

  allSeries(): StoredSeries[] {
    return this.allParts().map(({ key: _key, ...series }) => series);
  }

  private allParts(): SeriesPart[] {
    return this.exec<SeriesRow>(`SELECT ${SERIES_COLUMNS} FROM series ORDER BY key`).map((row) => ({
      ...this.fromRow(row),
      key: row.key,
    }));
  }

  /** Before every row goes (the family cleared or deleted): the open read snapshots keep them all. */
  beforeWipe(): void {
    this.snapshots.keepAll(() => this.allParts());
  }

  /** The stored series among `keys`, each with its key. */
  private parts(keys: readonly string[]): Map<string, SeriesPart> {
    return new Map([...this.getSeries(keys)].map(([key, s]) => [key, { ...s, key }]));
  }

  seriesPage(
    after: string | undefined,
    limit: number,
    maxBytes: number,
    snapshot?: string,
  ): { series: SeriesPart[]; next?: string } {
    const page = this.currentPage(after, limit, maxBytes);
    return snapshot === undefined ? page : this.snapshots.page(snapshot, after, page, limit);
  }

  private currentPage(
    after: string | undefined,
    limit: number,
    maxBytes: number,
  ): { series: SeriesPart[]; next?: string } {
    const query =
      after === undefined
        ? `SELECT ${SERIES_COLUMNS} FROM series ORDER BY key LIMIT ?`
        : `SELECT ${SERIES_COLUMNS} FROM series WHERE key > ? ORDER BY key LIMIT ?`;
    const cursor = after === undefined ? this.sql.exec(query, limit + 1) : this.sql.exec(query, after, limit + 1);
    const series: SeriesPart[] = [];
    let bytes = 0;
    let more = false;
    // Rows as arrays: about twice as fast to read as objects, and a scrape reads every row.
    type Raw = [string, string, number, number, string | null];
    for (const [key, state, created, updated, grouping] of cursor.raw() as IterableIterator<Raw>) {
      if (series.length === limit || (series.length > 0 && bytes >= maxBytes)) {
        more = true;
        break;
      }
      bytes += key.length + state.length;
      // The cache holds exactly what storage holds for a key: reuse it rather than parse the row again.
      series.push(this.cache.get(key)?.series ?? { ...this.fromRow({ key, state, created, updated, grouping }), key });
    }
    this.statements++;
    this.rowsRead += cursor.rowsRead;
    const last = series.at(-1);
    return more && last ? { series, next: last.key } : { series };
  }

  /** Every push id remembered, oldest first. */
  pushIdList(): string[] {
    return [...this.rememberedPushIds().keys()];
  }

  /**
   * Deletes the family's series and what `meta` says of it (its definition, shards, catalog record, retirement),
   * keeping the push ids (inside a transaction; `forget()` after).
   */
  clearFamily(): void {
    this.beforeWipe();
    this.write(`DELETE FROM series`);
    this.write(`DELETE FROM meta WHERE key <> 'schema_version'`);
  }

  /** A JSON value kept in `meta` under `key`, or undefined. */
  metaValue<T>(key: string): T | undefined {
    const row = this.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key)[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Keeps `value` as JSON in `meta` under `key`; undefined deletes it. Run inside a transaction. */
  setMetaValue(key: string, value: unknown): void {
    if (value === undefined) this.write(`DELETE FROM meta WHERE key = ?`, key);
    else
      this.write(
        `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        key,
        JSON.stringify(value),
      );
  }

  /** Records that the family is spread over `shards` objects from now on (a family narrowed by an operator). */
  setKnownShards(shards: number): void {
    this.write(
      `INSERT INTO meta (key, value) VALUES ('shards', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      String(shards),
    );
    this.shards = shards;
  }

  /** The most objects this object knows its family to be spread over (1 until told otherwise). */
  knownShards(): number {
    this.shards ??= Number(this.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'shards'`)[0]?.value ?? 1);
    return this.shards;
  }

  /** Records that the family is spread over `shards` objects, when that is more than known (inside a transaction). */
  raiseKnownShards(shards: number): void {
    if (shards <= this.knownShards()) return;
    this.write(
      `INSERT INTO meta (key, value) VALUES ('shards', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      String(shards),
    );
    this.shards = shards;
  }

  /** The last update (ms) of each of `keys` stored here. */
  latestUpdates(keys: readonly string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const chunk of jsonChunks(keys)) {
      const rows = this.exec<{ key: string; updated: number }>(
        `SELECT key, updated FROM series WHERE key IN (SELECT value FROM json_each(?))`,
        chunk,
      );
      for (const row of rows) out[row.key] = row.updated;
    }
    return out;
  }

  /** The keys and last updates (ms) of the series last updated before `ms`. */
  seriesUpdatedBefore(ms: number): { key: string; updated: number }[] {
    return this.exec<{ key: string; updated: number }>(`SELECT key, updated FROM series WHERE updated < ?`, ms);
  }

  isCatalogued(): boolean {
    this.catalogued ??= this.exec(`SELECT 1 FROM meta WHERE key = 'catalogued'`).length > 0;
    return this.catalogued;
  }

  /** Records, once, that the catalog lists this family (inside the push's transaction). */
  markCatalogued(): void {
    if (this.isCatalogued()) return;
    this.write(`INSERT INTO meta (key, value) VALUES ('catalogued', '1') ON CONFLICT (key) DO NOTHING`);
    this.catalogued = true;
  }

  private remember(key: string, series: StoredSeries): void {
    this.drop(key);
    const bytes = seriesBytes(key, series);
    this.cache.set(key, { series: { ...series, key }, bytes });
    this.cacheBytes += bytes;
    if (this.cacheBytes > MAX_CACHE_BYTES) {
      this.cache.clear();
      this.cacheBytes = 0;
    }
  }

  private drop(key: string): void {
    const cached = this.cache.get(key);
    if (!cached) return;
    this.cache.delete(key);
    this.cacheBytes -= cached.bytes;
  }

  private fromRow(row: SeriesRow): StoredSeries {
    const state = JSON.parse(row.state) as SeriesState;
    if (typeof state.value === "string") state.value = numberOfJson(state.value);
    const series = { ...state, labels: this.labelsOf(row.key), created: row.created, updated: row.updated };
    return row.grouping === null ? series : { ...series, grouping: row.grouping };
  }

  /** A key's labels, parsed once per key (the scrape reads every series again and again). */
  private labelsOf(key: string): Labels {
    let labels = this.labels.get(key);
    if (!labels) {
      if (this.labels.size >= MAX_CACHED_LABELS) this.labels.clear();
      labels = labelsOfKey(this.definition()?.labelNames ?? [], key);
      this.labels.set(key, labels);
    }
    return labels;
  }
}
