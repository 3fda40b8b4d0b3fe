// The Durable Object of one metric family: checks a family batch, applies it in one SQLite transaction,
// registers the family in the catalog once, and hands out its snapshot for the scrape. Thin by design.

import { DurableObject } from "cloudflare:workers";
import { applyFamilyBatch, snapshotFamily } from "../lib/family-store.ts";
import { checkPushBatch } from "../lib/wire-check.ts";
import type { FamilyBatch, FamilyOutcome, FamilySnapshot } from "../lib/wire.ts";
import { catalog } from "./catalog-object.ts";
import { batchRetentionMs, pushLimits } from "./config.ts";
import type { Env } from "./env.ts";
import { SqlFamilyStorage } from "./sql-family-storage.ts";

export class FamilyObject extends DurableObject<Env> {
  private readonly storage: SqlFamilyStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.storage = new SqlFamilyStorage(ctx.storage.sql, batchRetentionMs(env));
    void ctx.blockConcurrencyWhile(async () => this.storage.migrate());
  }

  /**
   * Applies one family's part of a push, atomically. A batch id seen before is a no-op ("duplicate").
   * The reply is released only once the writes are durable (output gate).
   */
  async push(batch: string | undefined, family: FamilyBatch): Promise<FamilyOutcome> {
    const checked = checkPushBatch({ ...(batch !== undefined ? { batch } : {}), families: [family] }, pushLimits(this.env));
    if (!checked.ok) return { name: nameOf(family), status: "rejected", code: checked.status, error: checked.error };
    const canonical = checked.value.families[0] as FamilyBatch;
    const own = this.ctx.id.name;
    if (own !== undefined && own !== canonical.name) {
      return { name: canonical.name, status: "rejected", code: 409, error: `family ${JSON.stringify(canonical.name)} was sent to the object of ${JSON.stringify(own)}` };
    }
    let outcome: FamilyOutcome;
    const rowsBefore = this.storage.rowsWritten;
    try {
      outcome = this.ctx.storage.transactionSync(() => applyFamilyBatch(this.storage, batch, canonical, Date.now()));
      if (outcome.status === "applied") outcome.rowsWritten = this.storage.rowsWritten - rowsBefore;
    } catch (error) {
      this.storage.forget();
      throw error;
    }
    if (outcome.status !== "rejected" && !this.storage.isCatalogued()) {
      await catalog(this.env).register(canonical.name);
      this.storage.markCatalogued();
    }
    return outcome;
  }

  /** The family with every series, or null when nothing was ever pushed here. */
  async snapshot(): Promise<FamilySnapshot | null> {
    return snapshotFamily(this.storage) ?? null;
  }
}

function nameOf(family: unknown): string {
  const name = (family as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "";
}
