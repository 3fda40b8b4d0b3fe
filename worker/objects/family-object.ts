// The Durable Object of one metric family, or of one shard of it (object `family#k`, see lib/protocol/names.ts): a
// façade of RPC methods over the modules in family/, each with one job — the write path (check, register, group
// commit), expiry, narrowing a sharded family back to one object, deletions, and reads (pages, summary, stats) —
// over the state they share (SQLite storage, shard keys, caches). The rules of a family's data live in lib/store.

import { DurableObject } from "cloudflare:workers";
import type {
  FamilyOutcome,
  FamilyPage,
  FamilyPush,
  FamilySnapshot,
  GroupFence,
  Labels,
} from "../../lib/protocol/wire.ts";
import type { HeldElsewhere } from "../../lib/store/group-fences.ts";
import type { Env } from "../config/env.ts";
import { Deletions } from "./family/deletions.ts";
import { Expiry } from "./family/expiry.ts";
import { Fences } from "./family/fences.ts";
import { Groupings } from "./family/groupings.ts";
import { Narrowing } from "./family/narrowing.ts";
import { type FamilyObjectStats, type FamilySummary, Reads, type ScrapePageRequest } from "./family/reads.ts";
import { FamilyState } from "./family/state.ts";
import { WritePath } from "./family/write-path.ts";

export class FamilyObject extends DurableObject<Env> {
  private readonly state: FamilyState;
  private readonly expiry: Expiry;
  private readonly narrowing: Narrowing;
  private readonly writePath: WritePath;
  private readonly deletions: Deletions;
  private readonly reads: Reads;
  private readonly fences: Fences;
  /** The clock in milliseconds; tests replace it to drive expiry and summary windows deterministically. */
  now: () => number = () => Date.now();
  /** The group commit window in ms; tests set it, otherwise GROUP_COMMIT_WINDOW_MS decides. */
  groupWindowMs: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.state = new FamilyState(ctx, env, () => this.now());
    this.expiry = new Expiry(this.state);
    const groupings = new Groupings(this.state);
    this.fences = new Fences(this.state, this.expiry, groupings);
    this.narrowing = new Narrowing(this.state, this.expiry, this.fences);
    this.writePath = new WritePath(
      this.state,
      this.expiry,
      this.narrowing,
      groupings,
      this.fences,
      () => this.groupWindowMs,
    );
    this.deletions = new Deletions(this.state, this.expiry, this.writePath, groupings);
    this.reads = new Reads(this.state, this.narrowing, this.fences);
    void ctx.blockConcurrencyWhile(async () => {
      this.state.migrate();
      await this.expiry.load();
    });
  }

  /** Counts one RPC call for cost accounting. */
  private called(): void {
    this.state.counters.requests++;
  }

  /**
   * Applies one family's part of a push, after checking it. A push id seen before is a no-op ("duplicate"). Pushes
   * arriving together are applied as one group; the reply is released only once the writes are durable (output gate).
   */
  async push(pushId: string | undefined, family: FamilyPush): Promise<FamilyOutcome> {
    this.called();
    return this.writePath.push(pushId, family);
  }

  /**
   * The ingest's path: the same as `push` for a part that `checkPush` already accepted, with this Worker's limits,
   * as part of a whole push (so it is not checked twice). Only for code that ran that check.
   * @internal
   */
  async pushChecked(pushId: string | undefined, part: FamilyPush): Promise<FamilyOutcome> {
    this.called();
    return this.writePath.submit(pushId, part);
  }

  /**
   * A part another shard of this family received and sends on: its deletions (a reset, removals, a replacement), or a
   * write of a group it handed over here (family/fences.ts). Applied here only, never forwarded again.
   * @internal
   */
  async pushForwarded(pushId: string | undefined, part: FamilyPush): Promise<FamilyOutcome> {
    this.called();
    return this.writePath.submit(pushId, part, true);
  }

  /**
   * Parts of several pushes that `checkPush` accepted and an ingest object acknowledged, in the order acknowledged,
   * applied as one group: a fold. A push id this object has seen is a duplicate, so a fold sent again (after a crash
   * of the ingest object, or a lost reply) applies nothing twice.
   * @internal
   */
  async pushFolded(items: { pushId: string | undefined; part: FamilyPush }[]): Promise<FamilyOutcome[]> {
    this.called();
    return this.writePath.submitAll(items);
  }

  /**
   * How this object would answer `part` alone against what it stores now, when that is a refusal (else null); writes
   * nothing. Ingest asks every family of a push of several first, so a part one family refuses (other buckets,
   * a gauge merged by "sum", the series cap…) applies nowhere. Only for a part `checkPush` accepted.
   * @internal
   */
  async wouldRefuse(pushId: string | undefined, part: FamilyPush): Promise<FamilyOutcome | null> {
    this.called();
    return this.writePath.wouldRefuse(pushId, part);
  }

  /**
   * Shard 0 of a sharded family: admits `shard` as a holder of the series of each push (in order) unless the distinct
   * series would pass `cap`; returns which pushes were admitted.
   * @internal
   */
  async admitSeries(shard: number, pushes: string[][], cap: number): Promise<boolean[]> {
    this.called();
    return this.state.write(() => this.state.shardKeys.admit(shard, pushes, cap));
  }

  /**
   * Shard 0 of a sharded family: `shard` deleted its parts of these series.
   * @internal
   */
  async releaseSeries(shard: number, keys: string[]): Promise<void> {
    this.called();
    this.state.write(() => this.state.shardKeys.release(shard, keys));
  }

  /**
   * The last update (ms) of each of `keys` this object holds a part of (another shard asks before letting them expire).
   * @internal
   */
  async latestUpdates(keys: string[]): Promise<Record<string, number>> {
    this.called();
    return this.state.storage.latestUpdates(keys);
  }

  /**
   * What this shard holds of the Pushgateway group `grouping` (a `groupingId`) and of the series with `labels`, with
   * its clock: asked by the group's own shard `home` before it replaces the group (family/fences.ts). When it holds
   * some, it hands the group over to `home` until the fence is dropped.
   * @internal
   */
  async heldOfGroup(grouping: string, labels: Labels[], home: number): Promise<HeldElsewhere> {
    this.called();
    return this.fences.held(grouping, labels, home);
  }

  /**
   * Deletes the parts another shard's group replacement replaced here, once its grace is over; returns how many.
   * @internal
   */
  async dropReplaced(fence: GroupFence): Promise<number> {
    this.called();
    return this.fences.drop(fence);
  }

  /**
   * Deletes the series whose labels include every pair of `match`; returns how many and their keys, or names an
   * unknown label. (The router calls it on every shard.)
   */
  async deleteSeries(match: Labels): Promise<{ seriesCount: number; keys: string[] } | { error: string }> {
    this.called();
    return this.deletions.series(match);
  }

  /**
   * Deletes the series of the Pushgateway group `grouping` (a `groupingId`), and no other; returns how many and their
   * keys. (The router calls it on every shard of every family the catalog's index lists for the group.)
   */
  async deleteGrouping(grouping: string): Promise<{ seriesCount: number; keys: string[] }> {
    this.called();
    return this.deletions.grouping(grouping);
  }

  /**
   * Deletes this object's part of the family: leaves the catalog, then drops every row, push ids included, with no
   * push in between; a push that was waiting on the catalog registers again. Returns how many series were deleted.
   * (The router calls it on every shard.)
   */
  async deleteFamily(name: string): Promise<{ seriesCount: number }> {
    this.called();
    return this.deletions.family(name);
  }

  /**
   * Sets the family's time to live on this object (null: none of its own, the Worker's default applies): an
   * operator's change (PATCH /families/<name>), which pushes may not make. Returns false when the object holds no
   * family. (The router calls it on every shard.)
   */
  async setTimeToLive(ttlSeconds: number | null): Promise<boolean> {
    this.called();
    return this.expiry.setTimeToLive(ttlSeconds);
  }

  /**
   * The one alarm: the collection of group replacements' old parts on the other shards (past their grace), then a
   * retired shard's drop of its old parts, or else the expiry of stale series; armed again for the next fence.
   * Idempotent, as alarms are delivered at least once.
   */
  override async alarm(): Promise<void> {
    this.expiry.fired();
    await this.fences.collect();
    if (!(await this.narrowing.alarm())) await this.expiry.run();
    await this.fences.schedule();
  }

  /**
   * Retires this shard of a family being taken back to one object (see Narrowing.retire).
   * @internal
   */
  async retire(): Promise<{ token: string; pushIds: string[] }> {
    this.called();
    return this.narrowing.retire();
  }

  /**
   * Shard 0 of a family being taken back to one object: takes in the series of shard `shard` (see
   * Narrowing.absorbShard). From then on shard 0's raw pages name `shard` as taken in, so readers skip its parts.
   * @internal
   */
  async absorbShard(shard: number): Promise<{ seriesCount: number }> {
    this.called();
    return this.narrowing.absorbShard(shard);
  }

  /**
   * Shard 0: `shard` holds parts of the family again (it was spread over it anew), so readers read it again.
   * @internal
   */
  async forgetAbsorbed(shard: number): Promise<void> {
    this.called();
    this.narrowing.forgetAbsorbed(shard);
  }

  /**
   * Shard 0 of a family taken back to one object: from now on it alone holds the family.
   * @internal
   */
  async narrowToOne(): Promise<void> {
    this.called();
    this.narrowing.narrowToOne();
  }

  /**
   * A retired shard drops its old parts after `ms`, once no scrape that read shard 0 before it took them in can
   * still ask for them.
   * @internal
   */
  async dropAfter(ms: number): Promise<void> {
    this.called();
    await this.narrowing.dropAfter(ms);
  }

  /**
   * One page of the family for the scrape: rendered in a text format or as a protobuf message (when this object is the
   * family's only one), snapshots, or raw parts for the scrape to merge with the other shards'.
   */
  async scrapePage(request: ScrapePageRequest): Promise<FamilyPage> {
    this.called();
    return this.reads.page(request);
  }

  /**
   * The family as the status page lists it: its definition, its series count and its latest update. Shard 0 of a
   * family spread over several objects counts the distinct series of every shard (the other shards count their own
   * parts); the latest update is this object's, so a caller takes the newest over every shard.
   * @example
   * const { definition, seriesCount, lastUpdated } = await env.METRICS_FAMILY.getByName("http_requests").summary();
   */
  async summary(): Promise<FamilySummary> {
    this.called();
    return this.reads.summary();
  }

  /** The family with every live series, or null when nothing was ever pushed here (tests and embedders). */
  async snapshot(): Promise<FamilySnapshot | null> {
    this.called();
    return this.reads.snapshot();
  }

  /** Counters for cost accounting since this instance started (not counted as a request). */
  async stats(): Promise<FamilyObjectStats> {
    return this.reads.stats(this.writePath.busyMs);
  }

  /**
   * Drops every cached value and reads storage again, upgrading tables an earlier release left: what the object does
   * after a failed transaction and on a restart (tests call it to show that storage is the truth).
   */
  reload(): void {
    this.state.forget();
    this.state.migrate();
  }
}
