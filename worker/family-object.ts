// The Durable Object of one metric family: checks a family's part of a push, registers the family in the catalog
// before its first push (the catalog refuses sample-name clashes), applies each push in one SQLite transaction,
// expires stale series with its one alarm, and hands out its snapshot for the scrape. Thin by design.

import { DurableObject } from "cloudflare:workers";
import { reservedNameProblem } from "../lib/names.ts";
import { applyFamilyPush, deleteMatching, snapshotFamily, ttlMs } from "../lib/store/family-store.ts";
import type { FamilyOutcome, FamilyPush, FamilySnapshot, Labels } from "../lib/wire.ts";
import { checkPush } from "../lib/wire-check.ts";
import { catalog } from "./catalog-object.ts";
import { batchRetentionMs, defaultTtlSeconds, limits, maxSeriesPerFamily } from "./config.ts";
import type { Env } from "./env.ts";
import { SELF_STORED_FAMILIES } from "./self-metrics.ts";
import { SqlFamilyStorage } from "./sql-family-storage.ts";

export class FamilyObject extends DurableObject<Env> {
  private readonly storage: SqlFamilyStorage;
  /** The scheduled expiry alarm (ms), null when none: a cache of getAlarm(), so pushes never re-arm needlessly. */
  private alarmAt: number | null = null;
  /** The time to live the pending alarm was armed for; a shorter one re-arms it earlier. */
  private armedTtl = 0;
  /** Bumped by every deletion of the family: a push that awaited the catalog across one registers again. */
  private generation = 0;
  /** The clock in milliseconds; tests replace it to drive expiry and summary windows deterministically. */
  now: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.storage = new SqlFamilyStorage(ctx.storage.sql, batchRetentionMs(env));
    void ctx.blockConcurrencyWhile(async () => {
      this.storage.migrate();
      this.alarmAt = await ctx.storage.getAlarm();
      // Unknown what TTL a pending alarm was armed for: the next push checks it once.
      this.armedTtl = this.alarmAt === null ? 0 : Infinity;
    });
  }

  /**
   * Applies one family's part of a push, atomically. A push id seen before is a no-op ("duplicate").
   * The reply is released only once the writes are durable (output gate).
   */
  async push(pushId: string | undefined, family: FamilyPush): Promise<FamilyOutcome> {
    const checked = checkPush(
      { ...(pushId !== undefined ? { batch: pushId } : {}), families: [family] },
      limits(this.env),
    );
    if (!checked.ok) {
      const { status, message, limit } = checked.error;
      return { name: nameOf(family), status: "rejected", code: status, error: message, ...(limit ? { limit } : {}) };
    }
    const part = checked.value.families[0] as FamilyPush;
    const reject = (code: number, error: string): FamilyOutcome => ({
      name: part.name,
      status: "rejected",
      code,
      error,
    });
    const reserved = reservedNameProblem(part.name, SELF_STORED_FAMILIES);
    if (reserved) return reject(400, `families[0].name: ${reserved}`);
    const own = this.ctx.id.name;
    if (own !== undefined && own !== part.name) {
      return reject(409, `family ${JSON.stringify(part.name)} was sent to the object of ${JSON.stringify(own)}`);
    }
    // A first push that will be refused for the series cap must not claim the name in the catalog.
    const maxSeries = maxSeriesPerFamily(this.env);
    if (!this.storage.isCatalogued() && part.series.length > maxSeries) {
      const held = `would hold ${part.series.length} series, over the limit of ${maxSeries} per family`;
      return reject(413, `family ${JSON.stringify(part.name)} ${held}`);
    }
    while (!this.storage.isCatalogued()) {
      const generation = this.generation;
      const registration = await catalog(this.env).register(part.name, part.type);
      if (!registration.ok) return reject(409, registration.error);
      if (generation === this.generation) break;
    }
    let outcome: FamilyOutcome;
    const rowsBefore = this.storage.rowsWritten;
    try {
      outcome = this.ctx.storage.transactionSync(() => {
        const ttl = defaultTtlSeconds(this.env);
        const applied = applyFamilyPush(this.storage, pushId, part, this.now(), maxSeries, ttl);
        if (applied.status === "applied") this.storage.markCatalogued();
        return applied;
      });
      if (outcome.status === "applied") {
        this.scheduleExpiry();
        outcome.rowsWritten = this.storage.rowsWritten - rowsBefore;
      }
    } catch (error) {
      this.storage.forget();
      throw error;
    }
    return outcome;
  }

  /** Deletes the series whose labels include every pair of `match`; returns how many, or names an unknown label. */
  async deleteSeries(match: Labels): Promise<{ series: number } | { error: string }> {
    const labelNames = this.storage.definition()?.labelNames ?? [];
    const unknown = Object.keys(match).find((name) => !labelNames.includes(name));
    if (unknown !== undefined)
      return { error: `the family has no label ${JSON.stringify(unknown)} (labels: ${JSON.stringify(labelNames)})` };
    return { series: this.ctx.storage.transactionSync(() => deleteMatching(this.storage, match)) };
  }

  /**
   * The expiry alarm: deletes every series not updated within the time to live, then re-arms for the oldest
   * series left. Idempotent, as alarms are delivered at least once.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const ttl = ttlMs(this.storage.definition(), defaultTtlSeconds(this.env));
    if (ttl <= 0) return;
    this.ctx.storage.transactionSync(() => this.storage.deleteSeriesUpdatedBefore(this.now() - ttl + 1));
    this.scheduleExpiry();
  }

  /**
   * Arms the alarm for the oldest series' expiry, unless one is already pending for the same or a shorter time to
   * live (it re-arms itself when it runs).
   */
  private scheduleExpiry(): void {
    const ttl = ttlMs(this.storage.definition(), defaultTtlSeconds(this.env));
    if (ttl <= 0 || (this.alarmAt !== null && ttl >= this.armedTtl)) return;
    const oldest = this.storage.oldestUpdate();
    if (oldest === undefined) return;
    this.armedTtl = ttl;
    if (this.alarmAt !== null && this.alarmAt <= oldest + ttl) return;
    this.alarmAt = oldest + ttl;
    void this.ctx.storage.setAlarm(this.alarmAt);
  }

  /**
   * Deletes the family: leaves the catalog, then drops every row, batch ids included, with no push in between;
   * a push that was waiting on the catalog registers again. Returns how many series were deleted.
   */
  async deleteFamily(name: string): Promise<{ series: number }> {
    // No push may run between leaving the catalog and wiping the rows (deletion is rare: blocking is fine).
    return this.ctx.blockConcurrencyWhile(async () => {
      const series = this.storage.definition() ? this.storage.seriesCount() : 0;
      this.generation++;
      await catalog(this.env).remove(name);
      await this.ctx.storage.deleteAll();
      await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
      this.storage.forget();
      this.storage.migrate();
      return { series };
    });
  }

  /** Counters for cost accounting (the benchmark reads them): SQLite rows written since this instance started. */
  async stats(): Promise<{ rowsWritten: number; series: number }> {
    return {
      rowsWritten: this.storage.rowsWritten,
      series: this.storage.definition() ? this.storage.seriesCount() : 0,
    };
  }

  /** The family with every series, or null when nothing was ever pushed here. */
  async snapshot(): Promise<FamilySnapshot | null> {
    return snapshotFamily(this.storage, this.now(), defaultTtlSeconds(this.env)) ?? null;
  }
}

function nameOf(family: unknown): string {
  const name = (family as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "";
}
