// The catalog: one Durable Object that lists every family name, so the scrape finds all families
// without a hard-coded list. A family object registers itself once, on its first applied push.

import { DurableObject } from "cloudflare:workers";
import type { Env } from "./env.ts";

export class CatalogObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS families (name TEXT PRIMARY KEY, added INTEGER NOT NULL) WITHOUT ROWID`);
    });
  }

  /** Adds a family name; idempotent. */
  async register(name: string): Promise<void> {
    this.ctx.storage.sql.exec(`INSERT INTO families (name, added) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, Date.now());
  }

  /** Every family name, sorted. */
  async list(): Promise<string[]> {
    return this.ctx.storage.sql.exec<{ name: string }>(`SELECT name FROM families ORDER BY name`).toArray().map((r) => r.name);
  }
}

/** The one catalog object of this Worker's namespace. */
export function catalog(env: Env) {
  return env.METRICS_CATALOG.getByName("catalog");
}
