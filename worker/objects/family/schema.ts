// The tables of a family object, created or upgraded in place when the object starts:
// - series: one WITHOUT ROWID row per series (key, state as JSON, created, updated, and the Pushgateway group that
//   wrote it last, if any);
// - push_ids: the push ids of each group in one row;
// - meta: the definition, the schema version, whether the catalog lists the family, and the narrowing's records.
// Schema 1-2 kept series state in columns and one row per batch id; schema 1-3 kept trailing empty label values in
// series keys; schema 1-4 kept no group. (Shard 0's shard_keys table is shard-keys.ts's.)

import { canonicalKey } from "../../../lib/protocol/series-key.ts";
import type { SeriesState } from "../../../lib/store/merge.ts";

const SCHEMA_VERSION = "5";

/** Creates the tables of a family object, or upgrades them from an earlier schema. */
export function migrateFamilyTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
  const version = sql
    .exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`)
    .toArray()[0]?.value;
  if (version === "1" || version === "2") upgradeFromColumns(sql, version);
  if (version !== undefined && version !== SCHEMA_VERSION) canonicalizeKeys(sql);
  sql.exec(
    `CREATE TABLE IF NOT EXISTS series (key TEXT PRIMARY KEY, state TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, grouping TEXT) WITHOUT ROWID`,
  );
  // Series stored before schema 5 have no group (NULL): the Pushgateway API's DELETE and PUT leave them alone.
  if (!sql.exec(`SELECT * FROM series LIMIT 0`).columnNames.includes("grouping"))
    sql.exec(`ALTER TABLE series ADD COLUMN grouping TEXT`);
  sql.exec(`CREATE TABLE IF NOT EXISTS push_ids (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, ids TEXT NOT NULL)`);
  sql.exec(
    `INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    SCHEMA_VERSION,
  );
}

/**
 * Schema 1–3 kept trailing empty label values in series keys; today's keys leave them out (series-key.ts). Rewrites
 * the keys that had them, in the series and, on shard 0 of a sharded family, the shard_keys tables.
 */
function canonicalizeKeys(sql: SqlStorage): void {
  const tables = ["series", "shard_keys"].filter(
    (table) => sql.exec(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, table).toArray().length,
  );
  for (const table of tables) {
    const keys = sql.exec<{ key: string }>(`SELECT DISTINCT key FROM ${table} WHERE key LIKE '%""]'`).toArray();
    for (const { key } of keys) sql.exec(`UPDATE ${table} SET key = ? WHERE key = ?`, canonicalKey(key), key);
  }
}

/** Schema 1–2 kept series state in columns and one row per batch id: move both to the current tables. */
function upgradeFromColumns(sql: SqlStorage, version: string): void {
  type OldRow = {
    key: string;
    value: number | null;
    sum: number | null;
    count: number | null;
    counts: string | null;
    windows?: string | null;
    created: number;
    updated: number;
  };
  const rows = sql.exec<OldRow>(`SELECT * FROM series`).toArray();
  const batches = sql.exec<{ id: string; at: number }>(`SELECT id, at FROM batches`).toArray();
  sql.exec(`DROP TABLE series`);
  sql.exec(`DROP TABLE batches`);
  sql.exec(
    `CREATE TABLE series (key TEXT PRIMARY KEY, state TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID`,
  );
  sql.exec(`CREATE TABLE push_ids (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, ids TEXT NOT NULL)`);
  for (const row of rows) {
    const state: SeriesState = {
      ...(row.value !== null ? { value: row.value } : {}),
      ...(row.sum !== null ? { sum: row.sum } : {}),
      ...(row.count !== null ? { count: row.count } : {}),
      ...(row.counts !== null ? { counts: JSON.parse(row.counts) } : {}),
      ...(version === "2" && row.windows ? { windows: JSON.parse(row.windows) } : {}),
    };
    sql.exec(
      `INSERT INTO series (key, state, created, updated) VALUES (?, ?, ?, ?)`,
      row.key,
      JSON.stringify(state),
      row.created,
      row.updated,
    );
  }
  const byTime = new Map<number, string[]>();
  for (const { id, at } of batches) byTime.set(at, [...(byTime.get(at) ?? []), id]);
  for (const [at, ids] of [...byTime].sort(([a], [b]) => a - b)) {
    sql.exec(`INSERT INTO push_ids (at, ids) VALUES (?, ?)`, at, JSON.stringify(ids));
  }
}
