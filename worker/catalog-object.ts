// The catalog: one Durable Object that lists every family, so the scrape finds them without a hard-coded list, and
// that owns every exposed sample name (the rules in lib/store/catalog.ts), so two families can never collide in the
// scrape. A family object registers itself before its first push is applied.

import { DurableObject } from "cloudflare:workers";
import { type CatalogStorage, type Registration, registerFamily } from "../lib/store/catalog.ts";
import type { MetricType } from "../lib/wire.ts";
import type { Env } from "./env.ts";

/** The catalog's tables: families and the sample names they own. */
class SqlCatalog implements CatalogStorage {
  constructor(private readonly storage: DurableObjectStorage) {}

  migrate(): void {
    const sql = this.storage.sql;
    sql.exec(
      `CREATE TABLE IF NOT EXISTS families (name TEXT PRIMARY KEY, type TEXT NOT NULL, added INTEGER NOT NULL) WITHOUT ROWID`,
    );
    sql.exec(`CREATE TABLE IF NOT EXISTS samples (sample TEXT PRIMARY KEY, family TEXT NOT NULL) WITHOUT ROWID`);
  }

  typeOf(family: string): MetricType | undefined {
    return this.storage.sql.exec<{ type: MetricType }>(`SELECT type FROM families WHERE name = ?`, family).toArray()[0]
      ?.type;
  }

  ownerOf(sample: string): string | undefined {
    return this.storage.sql.exec<{ family: string }>(`SELECT family FROM samples WHERE sample = ?`, sample).toArray()[0]
      ?.family;
  }

  add(family: string, type: MetricType, samples: readonly string[]): void {
    this.storage.transactionSync(() => {
      this.storage.sql.exec(`INSERT INTO families (name, type, added) VALUES (?, ?, ?)`, family, type, Date.now());
      for (const sample of samples)
        this.storage.sql.exec(`INSERT INTO samples (sample, family) VALUES (?, ?)`, sample, family);
    });
  }

  remove(family: string): void {
    this.storage.transactionSync(() => {
      this.storage.sql.exec(`DELETE FROM families WHERE name = ?`, family);
      this.storage.sql.exec(`DELETE FROM samples WHERE family = ?`, family);
    });
  }

  list(): string[] {
    return this.storage.sql
      .exec<{ name: string }>(`SELECT name FROM families ORDER BY name`)
      .toArray()
      .map((r) => r.name);
  }
}

export class CatalogObject extends DurableObject<Env> {
  private readonly catalog: SqlCatalog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.catalog = new SqlCatalog(ctx.storage);
    void ctx.blockConcurrencyWhile(async () => this.catalog.migrate());
  }

  /** Adds a family and claims its sample names; idempotent for the same type, refused on any clash. */
  async register(name: string, type: MetricType): Promise<Registration> {
    return registerFamily(this.catalog, name, type);
  }

  /** Removes a family and releases its sample names; idempotent. */
  async remove(name: string): Promise<void> {
    this.catalog.remove(name);
  }

  /** Every family name, sorted. */
  async list(): Promise<string[]> {
    return this.catalog.list();
  }

  /** The type of a listed family, or null. */
  async typeOf(name: string): Promise<MetricType | null> {
    return this.catalog.typeOf(name) ?? null;
  }
}

/** The one catalog object of this Worker's namespace. */
export function catalog(env: Env) {
  return env.METRICS_CATALOG.getByName("catalog");
}
