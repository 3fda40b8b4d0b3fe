// Group commit and the cheaper push, inside workerd: concurrent pushes to one family object are applied together
// (one write per touched series per group, one row for the group's push ids), each judged on its own; an idle push
// is applied at once; known series are read from memory, not SQLite; writes are a few statements per group.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";
import { SqlFamilyStorage } from "../../../worker/objects/family/sql-family-storage.ts";

const counter = (name: string, keys: string[], inc = 1, over: Partial<FamilyPush> = {}): FamilyPush => ({
  name,
  type: "counter",
  help: "C.",
  labelNames: ["k"],
  series: keys.map((k) => ({ labels: { k }, inc })),
  ...over,
});
const stub = (name: string) => env.METRICS_FAMILY.getByName(name);
const total = async (name: string) => {
  const snapshot = await stub(name).snapshot();
  return (snapshot?.series ?? []).reduce((n, s) => n + (s.value ?? 0), 0);
};

describe("group commit", () => {
  it("applies 50 concurrent pushes in a few groups: rows = touched series + one per group, totals exact", async () => {
    const name = "group_fifty";
    await stub(name).push("warm", counter(name, ["a", "b"]));
    // A window long enough that every push sent below arrives within one, even on a loaded machine.
    await runInDurableObject(stub(name), (instance) => {
      instance.groupWindowMs = 1_000;
    });
    const before = await stub(name).stats();
    const keys = ["a", "b", "c", "d", "e"];
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => stub(name).push(`fifty-${i}`, counter(name, keys, i + 1))),
    );
    expect(outcomes.every((o) => o.status === "applied")).toBe(true);
    const after = await stub(name).stats();
    const groups = after.groups - before.groups;
    expect(after.pushes - before.pushes).toBe(50);
    expect(groups).toBeGreaterThanOrEqual(1);
    expect(groups).toBeLessThanOrEqual(3);
    // Every group writes each of its touched series once, plus one row for its push ids.
    expect(after.rowsWritten - before.rowsWritten).toBeLessThanOrEqual(groups * (keys.length + 1));
    expect(await total(name)).toBe(2 + keys.length * ((50 * 51) / 2));
  });

  it("judges every push of a group on its own: a refused one changes nothing, the others apply", async () => {
    const name = "group_mixed";
    await stub(name).push("mixed-0", counter(name, ["a"]));
    const cap = 1000; // MAX_SERIES_PER_FAMILY in vitest.config.ts
    const pushes: [string, FamilyPush][] = [
      ["mixed-1", counter(name, ["a"], 2)],
      ["mixed-2", { ...counter(name, ["a"]), labelNames: ["j"], series: [{ labels: { j: "x" }, inc: 5 }] }],
      [
        "mixed-3",
        counter(
          name,
          Array.from({ length: cap + 1 }, (_, i) => `many-${i}`),
        ),
      ],
      ["mixed-4", counter(name, ["a"], 1.5e308)],
      ["mixed-5", counter(name, ["a"], 1.5e308)],
      ["mixed-1", counter(name, ["a"], 2)],
      ["mixed-6", counter(name, ["b"], 3)],
    ];
    // All seven in one group, whatever order they arrive in.
    await runInDurableObject(stub(name), (instance) => {
      instance.groupWindowMs = 1_000;
    });
    const outcomes = await Promise.all(pushes.map(([id, part]) => stub(name).push(id, part)));
    const codes = outcomes.map((o) => (o.status === "rejected" ? o.code : o.status));
    expect(codes[1]).toBe(409);
    expect(codes[2]).toBe(413);
    expect(codes[6]).toBe("applied");
    // Which of two pushes of one id, or of two overflowing increments, arrives first is up to the network.
    expect([codes[0], codes[5]].sort()).toEqual(["applied", "duplicate"]);
    expect([codes[3], codes[4]].map(String).sort()).toEqual(["400", "applied"]);
    const series = (await stub(name).snapshot())?.series.map((s) => [s.labels.k, s.value]);
    expect(series).toEqual([
      ["a", 1 + 2 + 1.5e308],
      ["b", 3],
    ]);
  });

  it("applies a push to an idle object at once: sequential pushes are one group each", async () => {
    const name = "group_idle";
    const before = await stub(name).stats();
    for (let i = 0; i < 5; i++) await stub(name).push(`idle-${i}`, counter(name, ["a"]));
    const after = await stub(name).stats();
    expect(after.groups - before.groups).toBe(5);
    expect(await total(name)).toBe(5);
  });

  it("reads known series from memory and writes a group in a few statements", async () => {
    const name = "group_cheap";
    const keys = Array.from({ length: 200 }, (_, i) => `s${i}`);
    await stub(name).push("cheap-1", counter(name, keys));
    const before = await stub(name).stats();
    await stub(name).push("cheap-2", counter(name, keys));
    const after = await stub(name).stats();
    // One upsert for the 200 series and one insert for the push id: no SELECT (the series are known in memory).
    expect(after.statements - before.statements).toBe(2);
    expect(after.rowsWritten - before.rowsWritten).toBe(201);
  });

  it("remembers push ids across a restart of the object (storage is the truth)", async () => {
    const name = "group_restart";
    expect(await stub(name).push("restart-1", counter(name, ["a"], 7))).toMatchObject({ status: "applied" });
    await runInDurableObject(stub(name), (instance) => {
      instance.reload();
    });
    expect(await stub(name).push("restart-1", counter(name, ["a"], 7))).toEqual({ name, status: "duplicate" });
    expect(await stub(name).push("restart-2", counter(name, ["a"], 1))).toMatchObject({ status: "applied" });
    expect(await total(name)).toBe(8);
  });
});

describe("SQLite storage upgrade", () => {
  it("moves schema 2 (state in columns, a row per batch id) to the current tables without losing anything", async () => {
    await runInDurableObject(stub("upgrade_probe"), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE old_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID`);
      // Rebuild this object's tables as schema 2 had them.
      sql.exec(`DROP TABLE IF EXISTS series`);
      sql.exec(`DROP TABLE IF EXISTS push_ids`);
      sql.exec(`DROP TABLE old_meta`);
      sql.exec(
        `CREATE TABLE series (key TEXT PRIMARY KEY, value REAL, sum REAL, count INTEGER, counts TEXT, windows TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID`,
      );
      sql.exec(`CREATE TABLE batches (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID`);
      sql.exec(
        `INSERT INTO meta (key, value) VALUES ('schema_version', '2') ON CONFLICT (key) DO UPDATE SET value = '2'`,
      );
      const definition = { name: "upgrade_probe", type: "histogram", help: "H.", labelNames: ["k"], buckets: [1] };
      sql.exec(
        `INSERT INTO meta (key, value) VALUES ('definition', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        JSON.stringify(definition),
      );
      sql.exec(`INSERT INTO series VALUES ('["a"]', NULL, 0.1, NULL, '[1,2]', NULL, 1000, 2000)`);
      sql.exec(`INSERT INTO batches VALUES ('old-1', 5000), ('old-2', 5000), ('old-3', 6000)`);
      const storage = new SqlFamilyStorage(sql, { pushIdRetentionMs: 1e15, maxPushIds: 100 });
      storage.migrate();
      expect(storage.allSeries()).toEqual([
        { labels: { k: "a" }, sum: 0.1, counts: [1, 2], created: 1000, updated: 2000 },
      ]);
      expect(["old-1", "old-2", "old-3", "new"].map((id) => storage.hasPushId(id))).toEqual([true, true, true, false]);
      expect(sql.exec(`SELECT COUNT(*) AS n FROM push_ids`).one().n).toBe(2);
      expect(sql.exec(`SELECT name FROM sqlite_master WHERE name = 'batches'`).toArray()).toEqual([]);
    });
  });

  it("rewrites schema 3's keys with trailing empty label values in today's form, series and shard_keys alike; adds the group column", async () => {
    const name = "upgrade_keys";
    expect(await stub(name).push("keys-1", counter(name, ["a"], 1))).toMatchObject({ status: "applied" });
    await runInDurableObject(stub(name), (_instance, state) => {
      const sql = state.storage.sql;
      const definition = { name, type: "counter", help: "C.", labelNames: ["k", "j"] };
      sql.exec(`UPDATE meta SET value = ? WHERE key = 'definition'`, JSON.stringify(definition));
      sql.exec(`UPDATE meta SET value = '3' WHERE key = 'schema_version'`);
      // The series table as schema 3 made it: no group column.
      sql.exec(`DROP TABLE series`);
      sql.exec(
        `CREATE TABLE series (key TEXT PRIMARY KEY, state TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID`,
      );
      sql.exec(
        `INSERT INTO series VALUES ('["a",""]', '{"value":5}', 1000, 2000), ('["",""]', '{"value":1}', 1000, 2000)`,
      );
      sql.exec(`INSERT INTO series VALUES ('["b","x"]', '{"value":2}', 1000, 2000)`);
      sql.exec(
        `CREATE TABLE IF NOT EXISTS shard_keys (key TEXT NOT NULL, shard INTEGER NOT NULL, PRIMARY KEY (key, shard)) WITHOUT ROWID`,
      );
      sql.exec(`INSERT INTO shard_keys VALUES ('["a",""]', 0), ('["a",""]', 1), ('["b","x"]', 0)`);
      const storage = new SqlFamilyStorage(sql, { pushIdRetentionMs: 1e15, maxPushIds: 100 });
      storage.migrate();
      const keys = (table: string) =>
        sql
          .exec<{ key: string }>(`SELECT DISTINCT key FROM ${table} ORDER BY key`)
          .toArray()
          .map((r) => r.key);
      expect(keys("series")).toEqual(['["a"]', '["b","x"]', "[]"]);
      expect(keys("shard_keys")).toEqual(['["a"]', '["b","x"]']);
      expect(storage.allSeries().map((s) => [s.labels, s.value])).toEqual([
        [{ k: "a", j: "" }, 5],
        [{ k: "b", j: "x" }, 2],
        [{ k: "", j: "" }, 1],
      ]);
      // Series stored before groups existed belong to none.
      expect(storage.allSeries().map((s) => s.grouping)).toEqual([undefined, undefined, undefined]);
      expect(storage.groupings()).toEqual([]);
      expect(sql.exec(`SELECT value FROM meta WHERE key = 'schema_version'`).one().value).toBe("5");
    });
  });

  it("reads a definition stored by schema 1 with today's defaults: a gauge without merge, a summary without windows", async () => {
    for (const [name, definition, part] of [
      [
        "upgrade_gauge",
        { name: "upgrade_gauge", type: "gauge", help: "G.", labelNames: [] },
        { series: [{ labels: {}, set: 2 }] },
      ],
      [
        "upgrade_summary",
        { name: "upgrade_summary", type: "summary", help: "S.", labelNames: [] },
        { series: [{ labels: {}, count: 1, sum: 2 }] },
      ],
    ] as const) {
      await runInDurableObject(stub(name), (instance, state) => {
        const sql = state.storage.sql;
        sql.exec(`DROP TABLE IF EXISTS series`);
        sql.exec(`DROP TABLE IF EXISTS push_ids`);
        sql.exec(
          `CREATE TABLE series (key TEXT PRIMARY KEY, value REAL, sum REAL, count INTEGER, counts TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID`,
        );
        sql.exec(`CREATE TABLE batches (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID`);
        sql.exec(
          `INSERT INTO meta (key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO UPDATE SET value = '1'`,
        );
        sql.exec(
          `INSERT INTO meta (key, value) VALUES ('definition', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          JSON.stringify(definition),
        );
        sql.exec(`INSERT INTO meta (key, value) VALUES ('catalogued', '1') ON CONFLICT (key) DO NOTHING`);
        instance.reload();
      });
      const full = { ...definition, ...part } as unknown as FamilyPush;
      expect(await stub(name).push(`${name}-1`, full), name).toMatchObject({ status: "applied" });
    }
  });
});
