// The Durable Object of one metric family: checks a family's part of a push, registers the family in the catalog
// before its first push (the catalog refuses sample-name clashes), applies pushes in groups (group commit: one
// transaction and one write per touched series per group), expires stale series with its one alarm, and hands out
// its snapshot for the scrape. Thin by design: the rules live in lib/store/family-store.ts.

import { DurableObject } from "cloudflare:workers";
import { reservedNameProblem } from "../lib/names.ts";
import { applyGroup, deleteMatching, type PendingPush, snapshotFamily, ttlMs } from "../lib/store/family-store.ts";
import type { FamilyOutcome, FamilyPush, FamilySnapshot, Labels } from "../lib/wire.ts";
import { checkPush } from "../lib/wire-check.ts";
import { catalog } from "./catalog-object.ts";
import { defaultTtlSeconds, groupCommitWindowMs, limits, maxSeriesPerFamily, pushIdRetentionMs } from "./config.ts";
import type { Env } from "./env.ts";
import { GroupCommit } from "./group-commit.ts";
import { SELF_STORED_FAMILIES } from "./self-metrics.ts";
import { SqlFamilyStorage } from "./sql-family-storage.ts";

/** Push ids one family object remembers at most (the oldest are forgotten first; see README "Limits"). */
export const MAX_REMEMBERED_PUSH_IDS = 100_000;

/** What a family object counts for cost accounting (the benchmark reads it). */
export interface FamilyObjectStats {
  /** RPC calls received (pushes, snapshots, deletions), this one excluded. */
  requests: number;
  /** Pushes received, and the groups they were applied in. */
  pushes: number;
  groups: number;
  /** SQLite rows written and read, and statements run. */
  rowsWritten: number;
  rowsRead: number;
  statements: number;
  /** Milliseconds busy: applying a group or holding its window open (a pending timer keeps an object from hibernating). */
  busyMs: number;
  series: number;
}

export class FamilyObject extends DurableObject<Env> {
  private readonly storage: SqlFamilyStorage;
  private readonly groups: GroupCommit<PendingPush, FamilyOutcome>;
  /** The scheduled expiry alarm (ms), null when none: a cache of getAlarm(), so pushes never re-arm needlessly. */
  private alarmAt: number | null = null;
  /** The time to live the pending alarm was armed for; a shorter one re-arms it earlier. */
  private armedTtl = 0;
  /** Bumped by every deletion of the family: a push that awaited the catalog across one registers again. */
  private generation = 0;
  private readonly counters = { requests: 0, pushes: 0, groups: 0 };
  /** The clock in milliseconds; tests replace it to drive expiry and summary windows deterministically. */
  now: () => number = () => Date.now();
  /** The group commit window in ms; tests set it, otherwise GROUP_COMMIT_WINDOW_MS decides. */
  groupWindowMs: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.storage = new SqlFamilyStorage(ctx.storage.sql, {
      pushIdRetentionMs: pushIdRetentionMs(env),
      maxPushIds: MAX_REMEMBERED_PUSH_IDS,
    });
    this.groups = new GroupCommit(
      (pushes) => this.applyPushes(pushes),
      () => this.groupWindowMs ?? groupCommitWindowMs(this.env),
    );
    void ctx.blockConcurrencyWhile(async () => {
      this.storage.migrate();
      this.alarmAt = await ctx.storage.getAlarm();
      // Unknown what TTL a pending alarm was armed for: the next push checks it once.
      this.armedTtl = this.alarmAt === null ? 0 : Number.POSITIVE_INFINITY;
    });
  }

  /**
   * Applies one family's part of a push, after checking it. A push id seen before is a no-op ("duplicate"). Pushes
   * arriving together are applied as one group; the reply is released only once the writes are durable (output gate).
   */
  async push(pushId: string | undefined, family: FamilyPush): Promise<FamilyOutcome> {
    this.counters.requests++;
    const checked = checkPush(
      { ...(pushId !== undefined ? { batch: pushId } : {}), families: [family] },
      limits(this.env),
    );
    if (!checked.ok) {
      const { status, message, limit } = checked.error;
      return { name: nameOf(family), status: "rejected", code: status, error: message, ...(limit ? { limit } : {}) };
    }
    return this.submit(pushId, checked.value.families[0] as FamilyPush);
  }

  /**
   * The router's path: the same as `push` for a part that `checkPush` already accepted, with this Worker's limits,
   * as part of a whole push (so it is not checked twice). Only for code that ran that check.
   * @internal
   */
  async pushChecked(pushId: string | undefined, part: FamilyPush): Promise<FamilyOutcome> {
    this.counters.requests++;
    return this.submit(pushId, part);
  }

  private submit(pushId: string | undefined, part: FamilyPush): Promise<FamilyOutcome> {
    const reject = (code: number, error: string): FamilyOutcome => ({
      name: part.name,
      status: "rejected",
      code,
      error,
    });
    const reserved = reservedNameProblem(part.name, SELF_STORED_FAMILIES);
    if (reserved) return Promise.resolve(reject(400, `families[0].name: ${reserved}`));
    const own = this.ctx.id.name;
    if (own !== undefined && own !== part.name) {
      return Promise.resolve(
        reject(409, `family ${JSON.stringify(part.name)} was sent to the object of ${JSON.stringify(own)}`),
      );
    }
    this.counters.pushes++;
    return this.groups.submit({ pushId, part });
  }

  /** Applies a group of checked pushes in one transaction; registers the family in the catalog first if needed. */
  private async applyPushes(pushes: PendingPush[]): Promise<FamilyOutcome[]> {
    const early = this.storage.isCatalogued() ? new Map<number, FamilyOutcome>() : await this.register(pushes);
    const applicable = pushes.filter((_, i) => !early.has(i));
    const now = this.now();
    let applied: FamilyOutcome[];
    try {
      applied = this.ctx.storage.transactionSync(() => {
        const { outcomes, change } = applyGroup(
          this.storage,
          applicable,
          now,
          maxSeriesPerFamily(this.env),
          defaultTtlSeconds(this.env),
        );
        this.storage.commit(change, now);
        if (outcomes.some((o) => o.status === "applied")) this.storage.markCatalogued();
        return outcomes;
      });
    } catch (error) {
      this.storage.forget();
      throw error;
    }
    this.counters.groups++;
    if (applied.some((o) => o.status === "applied")) this.scheduleExpiry();
    return pushes.map((_, i) => early.get(i) ?? (applied.shift() as FamilyOutcome));
  }

  /**
   * Lists the family in the catalog before its first push is applied; returns the pushes refused on the way (by
   * index): a clash with another family's names (409), a different type than the one registered (409), or a first
   * push over the series cap (413: it must not claim the name).
   */
  private async register(pushes: PendingPush[]): Promise<Map<number, FamilyOutcome>> {
    const refused = new Map<number, FamilyOutcome>();
    const maxSeries = maxSeriesPerFamily(this.env);
    let registered: string | undefined;
    for (const [i, { part }] of pushes.entries()) {
      const reject = (code: number, error: string) =>
        refused.set(i, { name: part.name, status: "rejected", code, error });
      if (registered !== undefined) {
        if (part.type !== registered)
          reject(
            409,
            `family ${JSON.stringify(part.name)} is stored with a different type (${registered} vs ${part.type})`,
          );
        continue;
      }
      if (part.series.length > maxSeries) {
        reject(
          413,
          `family ${JSON.stringify(part.name)} would hold ${part.series.length} series, over the limit of ${maxSeries} per family`,
        );
        continue;
      }
      let registration: Awaited<ReturnType<ReturnType<typeof catalog>["register"]>>;
      let generation: number;
      do {
        generation = this.generation;
        registration = await catalog(this.env).register(part.name, part.type);
      } while (registration.ok && generation !== this.generation);
      if (registration.ok) registered = part.type;
      else reject(409, registration.error);
    }
    return refused;
  }

  /** Deletes the series whose labels include every pair of `match`; returns how many, or names an unknown label. */
  async deleteSeries(match: Labels): Promise<{ series: number } | { error: string }> {
    this.counters.requests++;
    const labelNames = this.storage.definition()?.labelNames ?? [];
    const unknown = Object.keys(match).find((name) => !labelNames.includes(name));
    if (unknown !== undefined) {
      return { error: `the family has no label ${JSON.stringify(unknown)} (labels: ${JSON.stringify(labelNames)})` };
    }
    try {
      return {
        series: this.ctx.storage.transactionSync(() => {
          const { change, deleted } = deleteMatching(this.storage, match);
          this.storage.commit(change, this.now());
          return deleted;
        }),
      };
    } catch (error) {
      this.storage.forget();
      throw error;
    }
  }

  /**
   * The expiry alarm: deletes every series not updated within the time to live, then re-arms for the oldest
   * series left. Idempotent, as alarms are delivered at least once.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const ttl = ttlMs(this.storage.definition(), defaultTtlSeconds(this.env));
    if (ttl <= 0) return;
    try {
      this.ctx.storage.transactionSync(() => this.storage.deleteSeriesUpdatedBefore(this.now() - ttl + 1));
    } catch (error) {
      this.storage.forget();
      throw error;
    }
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
   * Deletes the family: leaves the catalog, then drops every row, push ids included, with no push in between;
   * a push that was waiting on the catalog registers again. Returns how many series were deleted.
   */
  async deleteFamily(name: string): Promise<{ series: number }> {
    this.counters.requests++;
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

  /** Counters for cost accounting since this instance started (not counted as a request). */
  async stats(): Promise<FamilyObjectStats> {
    return {
      ...this.counters,
      busyMs: this.groups.busyMs,
      rowsWritten: this.storage.rowsWritten,
      rowsRead: this.storage.rowsRead,
      statements: this.storage.statements,
      series: this.storage.definition() ? this.storage.seriesCount() : 0,
    };
  }

  /** The family with every series, or null when nothing was ever pushed here. */
  async snapshot(): Promise<FamilySnapshot | null> {
    this.counters.requests++;
    return snapshotFamily(this.storage, this.now(), defaultTtlSeconds(this.env)) ?? null;
  }
}

function nameOf(family: unknown): string {
  const name = (family as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "";
}
