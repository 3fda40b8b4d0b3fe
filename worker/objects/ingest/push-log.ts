// An ingest object's log on SQLite: each group of acknowledged pushes is one row, written before the group is
// acknowledged, in a ring of slots (a slot is written again, never deleted: an update is one row written, and a
// delete would be one more). Every row also carries how far the log was folded when it was written, so marking a
// fold done costs nothing while pushes keep coming; an idle object saves that mark on its own now and then.

import { type FamilyPush, numberOfJson } from "../../../lib/protocol/wire.ts";

/** A push as the log keeps it: its id (one is given to a push that came without) and its families. */
export interface LoggedPush {
  pushId: string;
  families: FamilyPush[];
}

/** Slots in the ring: at most this many groups may wait for a fold. */
export const RING_SLOTS = 1024;
/** A row holds at most about this many bytes of pushes (SQLite values may be 2 MB); a larger group takes more rows. */
export const ROW_BYTES = 1_000_000;

export class PushLog {
  /** Rows written since this object started, as the SQL cursors report them. */
  rowsWritten = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(
      "CREATE TABLE IF NOT EXISTS ingest_log (slot INTEGER PRIMARY KEY, seq INTEGER NOT NULL, folded INTEGER NOT NULL, body TEXT NOT NULL)",
    );
    sql.exec("CREATE TABLE IF NOT EXISTS ingest_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID");
  }

  /** Where the log stands: the highest group number written, how far it was folded, and the groups after that. */
  load(): { last: number; folded: number; groups: { seq: number; pushes: LoggedPush[] }[] } {
    const rows = this.sql.exec<{ seq: number; folded: number; body: string }>(
      "SELECT seq, folded, body FROM ingest_log ORDER BY seq",
    );
    const all = [...rows];
    const meta = this.sql.exec<{ value: number }>("SELECT value FROM ingest_meta WHERE key = 'folded'").toArray();
    const folded = Math.max(meta[0]?.value ?? 0, ...all.map((r) => r.folded));
    const last = Math.max(0, ...all.map((r) => r.seq));
    const groups = all.filter((r) => r.seq > folded).map((r) => ({ seq: r.seq, pushes: loggedPushes(r.body) }));
    return { last, folded, groups };
  }

  /** Writes group `seq` (its pushes as JSON) into its slot, with the fold mark. One row written. */
  write(seq: number, body: string, folded: number): void {
    const cursor = this.sql.exec(
      "INSERT INTO ingest_log (slot, seq, folded, body) VALUES (?, ?, ?, ?) ON CONFLICT (slot) DO UPDATE SET seq = excluded.seq, folded = excluded.folded, body = excluded.body",
      seq % RING_SLOTS,
      seq,
      folded,
      body,
    );
    this.rowsWritten += cursor.rowsWritten;
  }

  /** Saves the fold mark on its own (for an object that folded and then received no push). One row written. */
  saveFolded(folded: number): void {
    const cursor = this.sql.exec(
      "INSERT INTO ingest_meta (key, value) VALUES ('folded', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      folded,
    );
    this.rowsWritten += cursor.rowsWritten;
  }
}

/** The pushes of a log row: a gauge's value written as text (NaN, ±Inf: `toJson`) read back as the number. */
function loggedPushes(body: string): LoggedPush[] {
  const pushes = JSON.parse(body) as LoggedPush[];
  for (const push of pushes)
    for (const family of push.families)
      for (const delta of family.series as { set?: unknown }[])
        if (typeof delta.set === "string") delta.set = numberOfJson(delta.set);
  return pushes;
}
