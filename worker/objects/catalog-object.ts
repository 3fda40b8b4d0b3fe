// The catalog: one Durable Object that lists every family (and the most objects it was ever spread over), so the
// scrape finds them without a hard-coded list, and that owns every exposed sample name (the rules in
// lib/store/catalog.ts), so two families can never collide in the scrape. A family object registers itself before
// its first push is applied, and again when its family is spread over more shards.

import { DurableObject } from "cloudflare:workers";
import type { MetricType } from "../../lib/protocol/wire.ts";
import {
  admitFamilies,
  type CatalogRefusal,
  type CatalogStorage,
  type FamilyCaps,
  type NewFamily,
  type Registration,
  registerFamily,
} from "../../lib/store/catalog.ts";
import type { Env } from "../config/env.ts";

/** A listed family: its name and the most objects it was ever spread over. */
export interface CatalogEntry {
  name: string;
  shards: number;
  type: MetricType;
}

/** The catalog's tables: families and the sample names they own. */
class SqlCatalog implements CatalogStorage {
  /** The number of listed families, once counted (kept up to date by add and remove). */
  private count: number | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  migrate(): void {
    const sql = this.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS families (name TEXT PRIMARY KEY, type TEXT NOT NULL, added INTEGER NOT NULL, shards INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID`,
    );
    // Catalogs made before shards existed lack the column.
    if (!sql.exec(`SELECT * FROM families LIMIT 0`).columnNames.includes("shards")) {
      sql.exec(`ALTER TABLE families ADD COLUMN shards INTEGER NOT NULL DEFAULT 1`);
    }
    sql.exec(`CREATE TABLE IF NOT EXISTS samples (sample TEXT PRIMARY KEY, family TEXT NOT NULL) WITHOUT ROWID`);
    sql.exec(
      `CREATE TABLE IF NOT EXISTS groupings (grouping TEXT NOT NULL, family TEXT NOT NULL, PRIMARY KEY (grouping, family)) WITHOUT ROWID`,
    );
  }

  /** Records that `family` holds series of these groups (`groupingId`s). */
  addGroupings(family: string, groupings: readonly string[]): void {
    const query = `INSERT INTO groupings (grouping, family) SELECT value, ? FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`;
    this.storage.sql.exec(query, family, JSON.stringify(groupings));
  }

  /** Records that `family` holds no series of these groups any more. */
  removeGroupings(family: string, groupings: readonly string[]): void {
    const query = `DELETE FROM groupings WHERE family = ? AND grouping IN (SELECT value FROM json_each(?))`;
    this.storage.sql.exec(query, family, JSON.stringify(groupings));
  }

  /** The families that may hold series of `grouping`, with their types. */
  familiesOf(grouping: string): CatalogEntry[] {
    return this.storage.sql
      .exec<{ name: string; shards: number; type: MetricType }>(
        `SELECT f.name AS name, f.shards AS shards, f.type AS type FROM groupings g JOIN families f ON f.name = g.family WHERE g.grouping = ? ORDER BY f.name`,
        grouping,
      )
      .toArray();
  }

  /** Every group with the families that may hold its series. */
  groupings(): { grouping: string; family: string }[] {
    return this.storage.sql
      .exec<{ grouping: string; family: string }>(`SELECT grouping, family FROM groupings ORDER BY grouping, family`)
      .toArray();
  }

  typeOf(family: string): MetricType | undefined {
    return this.storage.sql.exec<{ type: MetricType }>(`SELECT type FROM families WHERE name = ?`, family).toArray()[0]
      ?.type;
  }

  shardsOf(family: string): number {
    return (
      this.storage.sql.exec<{ shards: number }>(`SELECT shards FROM families WHERE name = ?`, family).toArray()[0]
        ?.shards ?? 1
    );
  }

  setShards(family: string, shards: number): void {
    this.storage.sql.exec(`UPDATE families SET shards = ? WHERE name = ?`, shards, family);
  }

  raiseShards(family: string, shards: number): void {
    this.storage.sql.exec(`UPDATE families SET shards = MAX(shards, ?) WHERE name = ?`, shards, family);
  }

  ownerOf(sample: string): string | undefined {
    return this.storage.sql.exec<{ family: string }>(`SELECT family FROM samples WHERE sample = ?`, sample).toArray()[0]
      ?.family;
  }

  add(family: string, type: MetricType, samples: readonly string[], shards: number): void {
    this.storage.transactionSync(() => {
      this.storage.sql.exec(
        `INSERT INTO families (name, type, added, shards) VALUES (?, ?, ?, ?)`,
        family,
        type,
        Date.now(),
        shards,
      );
      for (const sample of samples)
        this.storage.sql.exec(`INSERT INTO samples (sample, family) VALUES (?, ?)`, sample, family);
    });
    if (this.count !== undefined) this.count++;
  }

  remove(family: string): void {
    this.storage.transactionSync(() => {
      this.storage.sql.exec(`DELETE FROM families WHERE name = ?`, family);
      this.storage.sql.exec(`DELETE FROM samples WHERE family = ?`, family);
      this.storage.sql.exec(`DELETE FROM groupings WHERE family = ?`, family);
    });
    this.count = undefined;
  }

  familyCount(): number {
    this.count ??= (
      this.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM families`).one() as { n: number }
    ).n;
    return this.count;
  }

  countWithPrefixes(prefixes: readonly string[]): number {
    if (prefixes.length === 0) return 0;
    const where = prefixes.map(() => "substr(name, 1, length(?)) = ?").join(" OR ");
    const bindings = prefixes.flatMap((prefix) => [prefix, prefix]);
    return (
      this.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM families WHERE ${where}`, ...bindings).one() as {
        n: number;
      }
    ).n;
  }

  list(): CatalogEntry[] {
    return this.storage.sql
      .exec<{ name: string; shards: number; type: MetricType }>(`SELECT name, shards, type FROM families ORDER BY name`)
      .toArray();
  }
}

export class CatalogObject extends DurableObject<Env> {
  private readonly catalog: SqlCatalog;
  /** Requests served since the object started (for the tests and the benchmark; `stats` itself is not counted). */
  private requests = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.catalog = new SqlCatalog(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => this.catalog.migrate());
  }

  /**
   * Adds a family and claims its sample names; idempotent for the same type, refused on any clash. Records the most
   * objects the family was spread over.
   */
  async register(family: NewFamily, maxFamilies?: number): Promise<Registration> {
    this.requests++;
    return registerFamily(this.catalog, family, maxFamilies);
  }

  /** Removes a family and releases its sample names; idempotent. */
  async remove(name: string): Promise<void> {
    this.requests++;
    this.catalog.remove(name);
  }

  /** Every family, sorted by name, with the most objects it was spread over. */
  async list(): Promise<CatalogEntry[]> {
    this.requests++;
    return this.catalog.list();
  }

  /** The type of a listed family, or null. */
  async typeOf(name: string): Promise<MetricType | null> {
    this.requests++;
    return this.catalog.typeOf(name) ?? null;
  }

  /**
   * Admits a push of `families` whole: lists the new ones, or says why not (a type or sample-name clash, or a cap on
   * families it would pass) and lists none, so a push is refused whole before any of it is applied. One object
   * admits every push, one at a time: caps hold exactly however many pushes arrive at once.
   */
  async admit(families: NewFamily[], caps: FamilyCaps): Promise<CatalogRefusal | null> {
    this.requests++;
    return this.ctx.storage.transactionSync(() => admitFamilies(this.catalog, families, caps) ?? null);
  }

  /** How many families are listed (the status page and the scrape show it against the cap). */
  async familyCount(): Promise<number> {
    this.requests++;
    return this.catalog.familyCount();
  }

  /** How many requests this object served since it started (not counting this one). */
  async stats(): Promise<{ requests: number }> {
    return { requests: this.requests };
  }

  /**
   * Records that a family narrowed by an operator is spread over `shards` objects from now on (after its shard 0 took
   * in the others' series).
   */
  async lowerShards(name: string, shards: number): Promise<void> {
    this.requests++;
    this.catalog.setShards(name, shards);
  }

  /**
   * The Pushgateway groups' index: `family` holds series of the groups `added` (a family object says so before it
   * writes a group's first series there) and none of `removed` any more. It may list a family that holds none of a
   * group (a group replaced elsewhere, series expired), never miss one that holds some.
   * @internal
   */
  async indexGroupings(family: string, added: string[], removed: string[]): Promise<void> {
    this.requests++;
    this.ctx.storage.transactionSync(() => {
      if (removed.length > 0) this.catalog.removeGroupings(family, removed);
      if (added.length > 0) this.catalog.addGroupings(family, added);
    });
  }

  /** The listed families that may hold series of the group `grouping` (a `groupingId`), sorted by name. */
  async familiesOfGrouping(grouping: string): Promise<CatalogEntry[]> {
    this.requests++;
    return this.catalog.familiesOf(grouping);
  }

  /** Every group of the index, with the families that may hold its series. */
  async groupings(): Promise<{ grouping: string; family: string }[]> {
    this.requests++;
    return this.catalog.groupings();
  }

  /** The most objects a listed family was spread over (1 for an unknown family). */
  async shardsOf(name: string): Promise<number> {
    this.requests++;
    return this.catalog.shardsOf(name);
  }
}

/** The one catalog object of this Worker's namespace. */
export function catalog(env: Env) {
  return env.METRICS_CATALOG.getByName("catalog");
}
