// The catalog: one Durable Object that lists every family, so the scrape finds them without a hard-coded list,
// and that owns every exposed sample name, so two families can never collide in the scrape (a gauge `x_total`
// next to a counter `x`). A family object registers itself before its first push is applied.

import { DurableObject } from "cloudflare:workers";
import { sampleNames } from "../lib/validation.ts";
import type { MetricType } from "../lib/wire.ts";
import type { Env } from "./env.ts";

export type Registration = { ok: true } | { ok: false; error: string };

export class CatalogObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        `CREATE TABLE IF NOT EXISTS families (name TEXT PRIMARY KEY, type TEXT NOT NULL, added INTEGER NOT NULL) WITHOUT ROWID`,
      );
      ctx.storage.sql.exec(
        `CREATE TABLE IF NOT EXISTS samples (sample TEXT PRIMARY KEY, family TEXT NOT NULL) WITHOUT ROWID`,
      );
    });
  }

  /** Adds a family and claims its sample names; idempotent for the same type, refused on any clash. */
  async register(name: string, type: MetricType): Promise<Registration> {
    const sql = this.ctx.storage.sql;
    const existing = sql.exec<{ type: string }>(`SELECT type FROM families WHERE name = ?`, name).toArray()[0];
    if (existing)
      return existing.type === type
        ? { ok: true }
        : {
            ok: false,
            error: `family ${JSON.stringify(name)} is stored with a different type (${existing.type} vs ${type})`,
          };
    const samples = sampleNames(name, type);
    for (const sample of samples) {
      const owner = sql.exec<{ family: string }>(`SELECT family FROM samples WHERE sample = ?`, sample).toArray()[0];
      if (owner)
        return {
          ok: false,
          error: `the ${type} ${JSON.stringify(name)} would expose ${JSON.stringify(sample)}, which family ${JSON.stringify(owner.family)} already exposes`,
        };
    }
    this.ctx.storage.transactionSync(() => {
      sql.exec(`INSERT INTO families (name, type, added) VALUES (?, ?, ?)`, name, type, Date.now());
      for (const sample of samples) sql.exec(`INSERT INTO samples (sample, family) VALUES (?, ?)`, sample, name);
    });
    return { ok: true };
  }

  /** Removes a family and releases its sample names; idempotent. */
  async remove(name: string): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(`DELETE FROM families WHERE name = ?`, name);
      this.ctx.storage.sql.exec(`DELETE FROM samples WHERE family = ?`, name);
    });
  }

  /** Every family name, sorted. */
  async list(): Promise<string[]> {
    return this.ctx.storage.sql
      .exec<{ name: string }>(`SELECT name FROM families ORDER BY name`)
      .toArray()
      .map((r) => r.name);
  }

  /** The type of a listed family, or null. */
  async typeOf(name: string): Promise<string | null> {
    return (
      this.ctx.storage.sql.exec<{ type: string }>(`SELECT type FROM families WHERE name = ?`, name).toArray()[0]
        ?.type ?? null
    );
  }
}

/** The one catalog object of this Worker's namespace. */
export function catalog(env: Env) {
  return env.METRICS_CATALOG.getByName("catalog");
}
