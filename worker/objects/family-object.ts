// The Durable Object of one metric family — or of one shard of it (object `family#k`, see lib/names.ts): checks a
// family's part of a push, registers the family in the catalog before its first push (the catalog refuses
// sample-name clashes and keeps the most shards a family had), applies pushes in groups (group commit: one
// transaction and one write per touched series per group), expires stale series with its one alarm, and hands out
// its pages for the scrape. The rules live in lib/store/family-store.ts. For a family spread over several objects,
// shard 0 also applies deletions everywhere and keeps the distinct series for the cap (worker/shard-keys.ts), and
// every shard asks the others before it lets a series expire.

import { DurableObject } from "cloudflare:workers";
import { checkPush } from "../../lib/protocol/check-push.ts";
import { labelFragment } from "../../lib/protocol/exposition.ts";
import { DEFAULT_LIMITS, type LimitExceeded } from "../../lib/protocol/limits.ts";
import { parseShardObjectName, reservedNameProblem, shardObjectName } from "../../lib/protocol/names.ts";
import { refusalText } from "../../lib/protocol/refusal.ts";
import { labelsOfKey } from "../../lib/protocol/series-key.ts";
import { deletesElsewhere } from "../../lib/protocol/shards.ts";
import type {
  FamilyDefinition,
  FamilyOutcome,
  FamilyPage,
  FamilyPush,
  FamilySnapshot,
  Labels,
  SeriesPart,
  SeriesSnapshot,
} from "../../lib/protocol/wire.ts";
import type { Registration } from "../../lib/store/catalog.ts";
import {
  applyGroup,
  deleteMatching,
  type FamilyChange,
  familyPage,
  PAGE_BYTES,
  PAGE_SERIES,
  type PageRequest,
  type PendingPush,
  type StoredSeries,
  snapshotFamily,
  type TouchedKeys,
  ttlMs,
} from "../../lib/store/family-store.ts";
import { adoptStored } from "../../lib/store/inferred.ts";
import { combineParts } from "../../lib/store/merge-shards.ts";
import type { Env } from "../config/env.ts";
import {
  defaultTtlSeconds,
  groupCommitWindowMs,
  limits,
  maxFamilies,
  maxSeriesPerFamily,
  pushIdRetentionMs,
} from "../config/settings.ts";
import { countFamilyCapRefusal, SELF_STORED_FAMILIES } from "../self-metrics/self-metrics.ts";
import { catalog } from "./catalog-object.ts";
import { GroupCommit } from "./group-commit.ts";
import { ShardKeys } from "./shard-keys.ts";
import { SqlFamilyStorage } from "./sql-family-storage.ts";

/** Push ids one family object remembers at most (the oldest are forgotten first; see README "Limits"). */
export const MAX_REMEMBERED_PUSH_IDS = 100_000;
/**
 * How long a first push waits for the catalog before its group fails (and its pushes are resent): a hung call must
 * not keep every later push of the family waiting.
 */
const CATALOG_TIMEOUT_MS = 10_000;
/** Rendered label fragments kept per object for the scrape (a family holds at most 10,000 series by default). */
const MAX_CACHED_FRAGMENTS = 20_000;

/** What a family object counts for cost accounting (the benchmark reads it). */
export interface FamilyObjectStats {
  /** RPC calls received (pushes, pages, deletions), this one excluded. */
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
  /** Series held. */
  seriesCount: number;
}

/** What the status page shows of one object of a family (see `FamilyObject.summary`). */
export interface FamilySummary {
  /** The family's definition; null when nothing was pushed to this object. */
  definition: FamilyDefinition | null;
  /** Series held here; on shard 0 of a family spread over several objects, the distinct series of all of them. */
  seriesCount: number;
  /** The latest update of a series held here, in seconds since the epoch; absent when none is held. */
  lastUpdated?: number;
}

export class FamilyObject extends DurableObject<Env> {
  private readonly storage: SqlFamilyStorage;
  private readonly shardKeys: ShardKeys;
  private readonly groups: GroupCommit<PendingPush, FamilyOutcome>;
  /** Which family and shard this object holds (from its name). */
  private readonly place: { family: string; shard: number } | undefined;
  /** The scheduled expiry alarm (ms), null when none: a cache of getAlarm(), so pushes never re-arm needlessly. */
  private alarmAt: number | null = null;
  /** The time to live the pending alarm was armed for; a shorter one re-arms it earlier. */
  private armedTtl = 0;
  /** Bumped by every deletion of the family: a push that awaited the catalog across one registers again. */
  private generation = 0;
  private readonly counters = { requests: 0, pushes: 0, groups: 0 };
  /** Label fragments of rendered series, by key. */
  private readonly fragments = new Map<string, string>();
  /** The label names the fragments were rendered with. */
  private fragmentLabels = "";
  /** The clock in milliseconds; tests replace it to drive expiry and summary windows deterministically. */
  now: () => number = () => Date.now();
  /** The group commit window in ms; tests set it, otherwise GROUP_COMMIT_WINDOW_MS decides. */
  groupWindowMs: number | undefined;
  /** This shard's retirement (a narrowed family: shard 0 took its series in), once read; null when not retired. */
  private retirement: Retirement | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.storage = new SqlFamilyStorage(ctx.storage.sql, {
      pushIdRetentionMs: pushIdRetentionMs(env),
      maxPushIds: MAX_REMEMBERED_PUSH_IDS,
    });
    this.shardKeys = new ShardKeys(ctx.storage);
    this.place = ctx.id.name === undefined ? undefined : parseShardObjectName(ctx.id.name);
    this.groups = new GroupCommit(
      (pushes) => this.applyPushes(pushes),
      () => this.groupWindowMs ?? groupCommitWindowMs(this.env),
    );
    void ctx.blockConcurrencyWhile(async () => {
      this.storage.migrate();
      this.shardKeys.migrate();
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
    const checked = checkPush({ ...(pushId !== undefined ? { pushId } : {}), families: [family] }, limits(this.env));
    if (!checked.ok) {
      const { status, limit } = checked.refusal;
      const error = refusalText(checked.refusal);
      return { name: nameOf(family), status: "rejected", code: status, error, ...(limit ? { limit } : {}) };
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

  /**
   * How this object would answer `part` alone against what it stores now, when that is a refusal (else null); writes
   * nothing. Ingest asks every family of a push of several first, so a part one family refuses (other buckets,
   * a gauge merged by "sum", the series cap…) applies nowhere. Only for a part `checkPush` accepted.
   * @internal
   */
  async wouldRefuse(pushId: string | undefined, part: FamilyPush): Promise<FamilyOutcome | null> {
    this.counters.requests++;
    return this.refusal(pushId, part);
  }

  /** The refusal `part` would meet if applied alone now (its adoption included), or null; nothing is written. */
  private refusal(pushId: string | undefined, part: FamilyPush): FamilyOutcome | null {
    const shards = Math.max(part.shards ?? 1, this.storage.knownShards());
    const pending: PendingPush = { pushId, part };
    const [outcome] = applyGroup(this.storage, [pending], this.now(), this.groupOptions(shards)).outcomes;
    return outcome?.status === "rejected" ? outcome : null;
  }

  private get shard(): number {
    return this.place?.shard ?? 0;
  }

  private async submit(pushId: string | undefined, received: FamilyPush): Promise<FamilyOutcome> {
    const reject = (code: number, error: string): FamilyOutcome => ({
      name: received.name,
      status: "rejected",
      code,
      error,
    });
    // An inferred definition takes this family's terms before anything else reads the part (its keys, its shard).
    const adopted = adoptStored(received, this.storage.definition(), limits(this.env));
    if ("problem" in adopted) return reject(adopted.status, adopted.problem);
    const part = adopted;
    const reserved = reservedNameProblem(part.name, SELF_STORED_FAMILIES);
    if (reserved) return reject(400, `families[0].name: ${reserved}`);
    if (this.place && (this.place.family !== part.name || !(this.place.shard < DEFAULT_LIMITS.maxShards))) {
      return reject(
        409,
        `family ${JSON.stringify(part.name)} was sent to the object of ${JSON.stringify(this.ctx.id.name)}`,
      );
    }
    // A retired shard whose family the catalog spreads over it again starts afresh (shard 0 holds what it had).
    if (this.retired() && !deletionsOnly(part) && this.shard < (await catalog(this.env).shardsOf(part.name)))
      await this.unretire();
    // Shard 0 applies a family's deletions on every shard before it answers, so a retry completes what failed; a part
    // it would refuse here deletes nothing elsewhere.
    if (this.shard === 0 && deletesElsewhere(part)) {
      const shards = await this.familyShards(part);
      if (shards > 1) {
        const refused = this.refusal(pushId, part);
        if (refused) return refused;
        await this.forwardDeletions(pushId, part, shards);
      }
    }
    this.counters.pushes++;
    return this.groups.submit({ pushId, part });
  }

  /** The most objects the family was ever spread over, as far as this object, the part and the catalog know. */
  private async familyShards(part?: FamilyPush): Promise<number> {
    const name = this.place?.family ?? part?.name;
    const known = Math.max(part?.shards ?? 1, this.storage.knownShards());
    return name === undefined ? known : Math.max(known, await catalog(this.env).shardsOf(name));
  }

  private shardStub(shard: number) {
    return this.env.METRICS_FAMILY.getByName(shardObjectName(this.place?.family ?? "", shard));
  }

  /**
   * Sends the deletions of `part` to shards 1 … n−1, with the same push id: its reset and removals, and the series it
   * replaces (their parts elsewhere go; shard 0 then holds the whole series).
   */
  private async forwardDeletions(pushId: string | undefined, part: FamilyPush, shards: number): Promise<void> {
    const { replace: _replace, ...rest } = part;
    const replaced = part.replace ? part.series.map((delta) => delta.labels) : [];
    const remove = [...(part.remove ?? []), ...replaced];
    const deletions: FamilyPush = { ...rest, series: [], ...(remove.length > 0 ? { remove } : {}) };
    const outcomes = await Promise.all(
      Array.from({ length: shards - 1 }, (_, k) => this.shardStub(k + 1).pushChecked(pushId, deletions)),
    );
    const refused = outcomes.find((o) => o.status === "rejected");
    if (refused?.status === "rejected")
      throw new Error(`a shard refused the deletions (${refused.code}): ${refused.error}`);
  }

  /** Applies a group of checked pushes in one transaction; registers the family in the catalog first if needed. */
  private async applyPushes(pushes: PendingPush[]): Promise<FamilyOutcome[]> {
    const wanted = Math.max(...pushes.map((p) => p.part.shards ?? 1));
    const early =
      this.storage.isCatalogued() && wanted <= this.storage.knownShards()
        ? new Map<number, FamilyOutcome>()
        : await this.register(pushes, wanted);
    const shards = Math.max(wanted, this.storage.knownShards());
    if (shards > 1) await this.admitNewSeries(pushes, early, shards);
    // A retired shard's series were taken in by shard 0 (or are being): what it is sent now goes there. Checked with
    // no await before the transaction, so every group applied here was applied before the retirement.
    if (this.retired()) {
      const forwarded = await this.forwardToZero(pushes, early);
      for (const [i, outcome] of forwarded) early.set(i, outcome);
    }
    const applicable = pushes.filter((_, i) => !early.has(i));
    const now = this.now();
    let applied: FamilyOutcome[];
    try {
      applied = this.ctx.storage.transactionSync(() => {
        const { outcomes, change, keys } = applyGroup(this.storage, applicable, now, this.groupOptions(shards));
        this.storage.commit(change, now);
        if (outcomes.some((o) => o.status === "applied")) {
          this.storage.markCatalogued();
          this.storage.raiseKnownShards(shards);
        }
        if (this.shard === 0 && shards > 1) this.applyDeletionsToKeys(applicable, outcomes, keys);
        return outcomes;
      });
    } catch (error) {
      this.forget();
      throw error;
    }
    this.counters.groups++;
    if (applied.some((o) => o.status === "applied")) this.scheduleExpiry();
    return pushes.map((_, i) => early.get(i) ?? (applied.shift() as FamilyOutcome));
  }

  private groupOptions(shards: number) {
    return {
      maxLabelNames: limits(this.env).maxLabelNames,
      maxSeries: maxSeriesPerFamily(this.env),
      defaultTtlSeconds: defaultTtlSeconds(this.env),
      // A shard cannot tell alone whether a series it holds expired everywhere.
      restartExpired: shards <= 1,
    };
  }

  /**
   * Lists the family in the catalog before its first push is applied (and again when it is spread over more
   * shards); returns the pushes refused on the way (by index): a clash with another family's names (409), a different
   * type than the one registered (409), or a first push over the series cap (413: it must not claim the name).
   */
  private async register(pushes: PendingPush[], shards: number): Promise<Map<number, FamilyOutcome>> {
    const refused = new Map<number, FamilyOutcome>();
    const maxSeries = maxSeriesPerFamily(this.env);
    let registered: string | undefined;
    for (const [i, { part }] of pushes.entries()) {
      const reject = (code: number, error: string, limit?: LimitExceeded) =>
        refused.set(i, { name: part.name, status: "rejected", code, error, ...(limit ? { limit } : {}) });
      if (registered !== undefined) {
        if (part.type !== registered) {
          reject(
            409,
            `family ${JSON.stringify(part.name)} is stored with a different type (${registered} vs ${part.type})`,
          );
        }
        continue;
      }
      if (!this.storage.isCatalogued() && part.series.length > maxSeries) {
        const held = `would hold ${part.series.length} series, over the limit of ${maxSeries} per family`;
        reject(413, `family ${JSON.stringify(part.name)} ${held}`);
        continue;
      }
      let registration: Registration;
      let generation: number;
      do {
        generation = this.generation;
        // The Worker's own families are not held to the cap: they count its refusals when the cap is reached.
        const cap = SELF_STORED_FAMILIES.includes(part.name) ? undefined : maxFamilies(this.env);
        const call: Promise<Registration> = catalog(this.env).register(part.name, part.type, shards, cap);
        registration = await withTimeout(call, CATALOG_TIMEOUT_MS);
      } while (registration.ok && generation !== this.generation);
      if (registration.ok) registered = part.type;
      else {
        reject(registration.status, registration.error, registration.limit);
        if (registration.cap) countFamilyCapRefusal(registration.cap, this.env, this.ctx);
      }
    }
    return refused;
  }

  /**
   * For a family spread over several objects: asks shard 0 to admit the series this group would add here, so the cap
   * counts distinct series across shards; a push whose series would pass it is refused (413) before it applies.
   */
  private async admitNewSeries(
    pushes: PendingPush[],
    early: Map<number, FamilyOutcome>,
    shards: number,
  ): Promise<void> {
    const candidates = pushes.map((p, i) => ({ i, p })).filter(({ i }) => !early.has(i));
    const { outcomes, keys: touched } = applyGroup(
      this.storage,
      candidates.map(({ p }) => p),
      this.now(),
      this.groupOptions(shards),
    );
    const requests: { i: number; keys: string[] }[] = [];
    candidates.forEach(({ i }, k) => {
      if (outcomes[k]?.status !== "applied") return;
      // The keys as the group stores them (a part may have been adopted to the family's label names there).
      const keys = touched[k]?.written ?? [];
      const held = this.storage.getSeries(keys);
      const fresh = keys.filter((key) => !held.has(key));
      if (fresh.length > 0) requests.push({ i, keys: fresh });
    });
    if (requests.length === 0) return;
    const cap = maxSeriesPerFamily(this.env);
    const verdicts =
      this.shard === 0
        ? this.ctx.storage.transactionSync(() =>
            this.shardKeys.admit(
              0,
              requests.map((r) => r.keys),
              cap,
            ),
          )
        : await this.shardStub(0).admitSeries(
            this.shard,
            requests.map((r) => r.keys),
            cap,
          );
    requests.forEach(({ i }, k) => {
      if (verdicts[k]) return;
      const name = pushes[i]?.part.name ?? "";
      early.set(i, {
        name,
        status: "rejected",
        code: 413,
        error: `family ${JSON.stringify(name)} would hold more than ${cap} distinct series, the limit per family`,
      });
    });
  }

  /** Shard 0 only: the series a group deleted (reset, remove) no longer count against the cap anywhere. */
  private applyDeletionsToKeys(pushes: PendingPush[], outcomes: FamilyOutcome[], touched: TouchedKeys[]): void {
    pushes.forEach(({ part }, i) => {
      if (outcomes[i]?.status !== "applied") return;
      if (part.reset) this.shardKeys.drop(this.shardKeys.keys());
      if (part.remove) this.shardKeys.drop(touched[i]?.removed ?? []);
    });
  }

  /**
   * Shard 0 of a sharded family: admits `shard` as a holder of the series of each push (in order) unless the distinct
   * series would pass `cap`; returns which pushes were admitted.
   * @internal
   */
  async admitSeries(shard: number, pushes: string[][], cap: number): Promise<boolean[]> {
    this.counters.requests++;
    return this.ctx.storage.transactionSync(() => this.shardKeys.admit(shard, pushes, cap));
  }

  /**
   * Shard 0 of a sharded family: `shard` deleted its parts of these series.
   * @internal
   */
  async releaseSeries(shard: number, keys: string[]): Promise<void> {
    this.counters.requests++;
    this.ctx.storage.transactionSync(() => this.shardKeys.release(shard, keys));
  }

  /**
   * The last update (ms) of each of `keys` this object holds a part of (another shard asks before letting them expire).
   * @internal
   */
  async latestUpdates(keys: string[]): Promise<Record<string, number>> {
    this.counters.requests++;
    return this.storage.latestUpdates(keys);
  }

  /**
   * Deletes the series whose labels include every pair of `match`; returns how many and their keys, or names an
   * unknown label. (The router calls it on every shard.)
   */
  async deleteSeries(match: Labels): Promise<{ seriesCount: number; keys: string[] } | { error: string }> {
    this.counters.requests++;
    const labelNames = this.storage.definition()?.labelNames ?? [];
    const unknown = Object.keys(match).find((name) => !labelNames.includes(name));
    if (unknown !== undefined) {
      return { error: `the family has no label ${JSON.stringify(unknown)} (labels: ${JSON.stringify(labelNames)})` };
    }
    const matches = (key: string) =>
      Object.entries(match).every(([name, value]) => labelsOfKey(labelNames, key)[name] === value);
    return this.write(() => {
      const { change, deleted } = deleteMatching(this.storage, match);
      this.storage.commit(change, this.now());
      this.shardKeys.drop(this.shardKeys.keys().filter(matches));
      return { seriesCount: deleted, keys: change.deleted };
    });
  }

  /**
   * The expiry alarm: deletes every series not updated within the time to live, then re-arms for the oldest series
   * left. A shard of a sharded family first asks the other shards when they last saw its stale series, and keeps a
   * series another shard still updates. Idempotent, as alarms are delivered at least once.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const retirement = this.retired();
    if (retirement) {
      // Its parts are shard 0's now: they go once the grace is over; no expiry of its own.
      if (retirement.dropAt === undefined) return;
      if (retirement.dropAt <= this.now())
        this.write(() => this.storage.deleteSeriesUpdatedBefore(Number.MAX_SAFE_INTEGER));
      else {
        this.alarmAt = retirement.dropAt;
        await this.ctx.storage.setAlarm(retirement.dropAt);
      }
      return;
    }
    const ttl = ttlMs(this.storage.definition(), defaultTtlSeconds(this.env));
    if (ttl <= 0) return;
    const shards = await this.familyShards();
    const now = this.now();
    if (shards <= 1) {
      this.write(() => this.storage.deleteSeriesUpdatedBefore(now - ttl + 1));
      this.scheduleExpiry();
      return;
    }
    const stale = this.storage.seriesUpdatedBefore(now - ttl + 1);
    const latest = new Map(stale.map((s) => [s.key, s.updated]));
    const keys = [...latest.keys()];
    const others = await Promise.all(
      Array.from({ length: shards }, (_, k) => k)
        .filter((k) => k !== this.shard)
        .map((k) => this.shardStub(k).latestUpdates(keys)),
    );
    for (const updates of others)
      for (const [key, updated] of Object.entries(updates)) latest.set(key, Math.max(latest.get(key) ?? 0, updated));
    const dead = keys.filter((key) => (latest.get(key) as number) + ttl <= now);
    if (dead.length > 0) {
      this.write(() => {
        const change: FamilyChange = {
          resetAll: false,
          deleted: dead,
          written: new Map(),
          pushIds: [],
          seriesCount: this.storage.seriesCount() - dead.length,
        };
        this.storage.commit(change, now);
        if (this.shard === 0) this.shardKeys.release(0, dead);
      });
      if (this.shard !== 0) await this.shardStub(0).releaseSeries(this.shard, dead);
    }
    // Series kept because another shard saw them lately are looked at again when that sighting expires.
    const kept = keys.filter((key) => !dead.includes(key)).map((key) => (latest.get(key) as number) + ttl);
    const fresh = this.storage.oldestUpdate(now - ttl + 1);
    const next = Math.min(...kept, fresh === undefined ? Number.POSITIVE_INFINITY : fresh + ttl);
    if (Number.isFinite(next)) {
      this.alarmAt = next;
      this.armedTtl = ttl;
      await this.ctx.storage.setAlarm(next);
    }
  }

  /** Runs `apply` in a transaction; a failure drops every cached value (storage is the truth). */
  private write<T>(apply: () => T): T {
    try {
      return this.ctx.storage.transactionSync(apply);
    } catch (error) {
      this.forget();
      throw error;
    }
  }

  private forget(): void {
    this.storage.forget();
    this.shardKeys.forget();
    this.fragments.clear();
    this.retirement = undefined;
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
   * Deletes this object's part of the family: leaves the catalog, then drops every row, push ids included, with no
   * push in between; a push that was waiting on the catalog registers again. Returns how many series were deleted.
   * (The router calls it on every shard.)
   */
  async deleteFamily(name: string): Promise<{ seriesCount: number }> {
    this.counters.requests++;
    // No push may run between leaving the catalog and wiping the rows (deletion is rare: blocking is fine).
    return this.ctx.blockConcurrencyWhile(async () => {
      // Shard 0 of a sharded family knows how many distinct series the family held.
      const sharded = this.storage.knownShards() > 1 && this.shard === 0;
      const seriesCount = sharded ? this.shardKeys.distinct : this.storage.definition() ? this.storage.seriesCount() : 0;
      this.generation++;
      await catalog(this.env).remove(name);
      await this.ctx.storage.deleteAll();
      await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
      this.forget();
      this.storage.migrate();
      this.shardKeys.migrate();
      return { seriesCount };
    });
  }

  /**
   * Sets the family's time to live on this object (null: none of its own, the Worker's default applies): an
   * operator's change (PATCH /families/<name>), which pushes may not make. Returns false when the object holds no
   * family. (The router calls it on every shard.)
   */
  async setTimeToLive(ttlSeconds: number | null): Promise<boolean> {
    this.counters.requests++;
    const stored = this.storage.definition();
    if (!stored) return false;
    const { ttlSeconds: _previous, ...rest } = stored;
    const definition = ttlSeconds === null ? rest : { ...rest, ttlSeconds };
    const seriesCount = this.storage.seriesCount();
    const change: FamilyChange = {
      definition,
      resetAll: false,
      deleted: [],
      written: new Map(),
      pushIds: [],
      seriesCount,
    };
    this.write(() => this.storage.commit(change, this.now()));
    // A shorter time to live moves the alarm earlier; a longer one lets the pending alarm find nothing yet and re-arm.
    this.scheduleExpiry();
    return true;
  }

  /** The retirement of this shard, read once. */
  private retired(): Retirement | null {
    if (this.retirement === undefined) this.retirement = this.storage.metaValue<Retirement>("retired") ?? null;
    return this.retirement;
  }

  /**
   * A retired shard's pushes, sent on to shard 0 with their push ids (deletions only stay: they keep the retired
   * shard's old parts true while shard 0 takes them in). A push this shard applied before it retired is a replay.
   * Returns the outcomes of those not applied here, by index.
   */
  private async forwardToZero(
    pushes: readonly PendingPush[],
    early: ReadonlyMap<number, FamilyOutcome>,
  ): Promise<Map<number, FamilyOutcome>> {
    const forwarded = new Map<number, FamilyOutcome>();
    await Promise.all(
      pushes.map(async ({ pushId, part }, i) => {
        if (early.has(i) || deletionsOnly(part)) return;
        if (pushId !== undefined && this.storage.hasPushId(pushId))
          forwarded.set(i, { name: part.name, status: "duplicate" });
        else forwarded.set(i, await this.shardStub(0).pushChecked(pushId, part));
      }),
    );
    return forwarded;
  }

  /**
   * Retires this shard of a family being taken back to one object: from now on its pushes go to shard 0, and its
   * series stay as they are for shard 0 to take in. Returns the retirement's token (the same on every call), which
   * shard 0 records with what it took in, so taking in twice counts once, and the push ids this shard remembers, so a
   * replay that reaches shard 0 is known there.
   * @internal
   */
  async retire(): Promise<{ token: string; pushIds: string[] }> {
    this.counters.requests++;
    let retirement = this.retired();
    if (!retirement) {
      const fresh: Retirement = { token: crypto.randomUUID() };
      this.write(() => this.storage.setMetaValue("retired", fresh));
      this.retirement = fresh;
      retirement = fresh;
    }
    return { token: retirement.token, pushIds: this.storage.pushIdList() };
  }

  /**
   * Shard 0 of a family being taken back to one object: takes in the series of shard `shard` (retiring it first) and
   * the push ids it remembers, adding the series to its own as the scrape merges shards. Nothing else runs on shard 0
   * meanwhile, so a deletion meets the series either before they move (on the retired shard, which deletions reach
   * first) or after (here). Idempotent: a shard's series are taken in once per retirement. From then on shard 0's raw
   * pages name `shard` as taken in, so readers skip its parts. Does nothing once the family left the catalog.
   * @internal
   */
  async absorbShard(shard: number): Promise<{ seriesCount: number }> {
    this.counters.requests++;
    return this.ctx.blockConcurrencyWhile(async () => {
      const name = this.place?.family ?? "";
      if ((await catalog(this.env).typeOf(name)) === null) return { seriesCount: 0 };
      const stub = this.shardStub(shard);
      const { token, pushIds } = await stub.retire();
      if (this.absorbedShards()[shard] === token) return { seriesCount: 0 };
      const parts: SeriesPart[] = [];
      let definition: FamilyDefinition | null = null;
      let after: string | undefined;
      do {
        const request: PageRequest = { as: "parts", after, limit: PAGE_SERIES, maxBytes: PAGE_BYTES };
        const page: FamilyPage = await stub.scrapePage(request);
        if (page.kind !== "parts") break;
        definition ??= page.definition;
        parts.push(...page.parts);
        after = page.next;
      } while (after !== undefined);
      const absorbed = { ...this.absorbedShards(), [shard]: token };
      this.write(() => {
        const own = this.storage.definition() ?? definition ?? undefined;
        const keys = parts.map((p) => p.key);
        const stored = this.storage.getSeries(keys);
        const written = new Map<string, StoredSeries>();
        for (const part of parts) {
          const mine = stored.get(part.key);
          const { key, ...combined } = mine && own ? combineParts(own, { ...mine, key: part.key }, part) : part;
          written.set(key, combined);
        }
        const seriesCount = this.storage.seriesCount() + parts.filter((p) => !stored.has(p.key)).length;
        const fresh = pushIds.filter((id) => !this.storage.hasPushId(id));
        const change: FamilyChange = { resetAll: false, deleted: [], written, pushIds: fresh, seriesCount };
        if (own && !this.storage.definition()) change.definition = own;
        this.storage.commit(change, this.now());
        this.shardKeys.release(shard, keys);
        this.shardKeys.admit(0, [keys], Number.POSITIVE_INFINITY);
        this.storage.setMetaValue("absorbed", absorbed);
      });
      this.scheduleExpiry();
      return { seriesCount: parts.length };
    });
  }

  /** The shards shard 0 took in, each with the retirement it took in. */
  private absorbedShards(): Record<number, string> {
    return this.storage.metaValue<Record<number, string>>("absorbed") ?? {};
  }

  /**
   * Shard 0: `shard` holds parts of the family again (it was spread over it anew), so readers read it again.
   * @internal
   */
  async forgetAbsorbed(shard: number): Promise<void> {
    this.counters.requests++;
    const { [shard]: _gone, ...rest } = this.absorbedShards();
    this.write(() => this.storage.setMetaValue("absorbed", Object.keys(rest).length > 0 ? rest : undefined));
  }

  /**
   * Shard 0 of a family taken back to one object: from now on it alone holds the family, so it no longer keeps the
   * distinct series of several objects.
   * @internal
   */
  async narrowToOne(): Promise<void> {
    this.counters.requests++;
    this.write(() => {
      this.storage.setKnownShards(1);
      this.shardKeys.drop(this.shardKeys.keys());
    });
  }

  /**
   * A retired shard drops its old parts after `ms` (its alarm does), once no scrape that read shard 0 before it took
   * them in can still ask for them.
   * @internal
   */
  async dropAfter(ms: number): Promise<void> {
    this.counters.requests++;
    const retirement = this.retired();
    if (!retirement) return;
    const dropAt = this.now() + ms;
    const next: Retirement = { ...retirement, dropAt };
    this.write(() => this.storage.setMetaValue("retired", next));
    this.retirement = next;
    this.alarmAt = dropAt;
    await this.ctx.storage.setAlarm(dropAt);
  }

  /**
   * A retired shard spread over again: everything it held was taken in by shard 0, so it starts empty (its push ids
   * stay: a replay of a push it applied before is still one), and shard 0 stops telling readers to skip it.
   */
  private async unretire(): Promise<void> {
    await this.ctx.blockConcurrencyWhile(async () => {
      if (!this.retired()) return;
      this.write(() => this.storage.clearFamily());
      await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
      this.forget();
      await this.shardStub(0).forgetAbsorbed(this.shard);
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
      seriesCount: this.storage.definition() ? this.storage.seriesCount() : 0,
    };
  }

  /**
   * The family as the status page lists it: its definition, its series count and its latest update. Shard 0 of a
   * family spread over several objects counts the distinct series of every shard (the other shards count their own
   * parts); the latest update is this object's, so a caller takes the newest over every shard.
   * @example
   * const { definition, seriesCount, lastUpdated } = await env.METRICS_FAMILY.getByName("http_requests").summary();
   */
  async summary(): Promise<FamilySummary> {
    this.counters.requests++;
    const definition = this.storage.definition() ?? null;
    const sharded = this.shard === 0 && (this.storage.knownShards() > 1 || this.shardKeys.distinct > 0);
    const seriesCount = sharded ? this.shardKeys.distinct : definition ? this.storage.seriesCount() : 0;
    const newest = this.storage.newestUpdate();
    return { definition, seriesCount, ...(newest !== undefined ? { lastUpdated: newest / 1000 } : {}) };
  }

  /**
   * One page of the family for the scrape: rendered in `request.format` (when this object is the family's only one),
   * or raw parts for the scrape to merge with the other shards'.
   */
  async scrapePage(request: PageRequest): Promise<FamilyPage> {
    this.counters.requests++;
    const definition = this.storage.definition();
    if (this.fragments.size > MAX_CACHED_FRAGMENTS) this.fragments.clear();
    // Label names that grew change every fragment (the new labels, empty, are rendered too).
    const labels = definition?.labelNames.join("\u0000") ?? "";
    if (labels !== this.fragmentLabels) {
      this.fragments.clear();
      this.fragmentLabels = labels;
    }
    const fragment = (key: string, s: SeriesSnapshot) => {
      let cached = this.fragments.get(key);
      if (cached === undefined) {
        cached = labelFragment(definition?.labelNames ?? [], s.labels);
        this.fragments.set(key, cached);
      }
      return cached;
    };
    const page = familyPage(this.storage, request, this.now(), defaultTtlSeconds(this.env), fragment);
    if (page.kind !== "parts" || this.shard !== 0) return page;
    const absorbed = Object.keys(this.absorbedShards()).map(Number);
    return absorbed.length > 0 ? { ...page, absorbed } : page;
  }

  /** The family with every live series, or null when nothing was ever pushed here (tests and embedders). */
  async snapshot(): Promise<FamilySnapshot | null> {
    this.counters.requests++;
    return snapshotFamily(this.storage, this.now(), defaultTtlSeconds(this.env)) ?? null;
  }
}

/** `promise`, or a rejection after `ms`; never leaves a timer behind. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the catalog did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

function nameOf(family: unknown): string {
  const name = (family as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "";
}

/** A retired shard: the token shard 0 records what it took in with, and when its old parts are dropped. */
interface Retirement {
  token: string;
  dropAt?: number;
}

/** True for a part that only deletes (what shard 0 forwards to the other shards). */
function deletionsOnly(part: FamilyPush): boolean {
  return part.series.length === 0;
}
