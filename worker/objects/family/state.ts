// What the modules of one family object share: its storage and its caches, which family and shard it holds, its
// clock, its request counts, and the few moves every module makes (a transaction that forgets the caches when it
// fails, the stub of another shard, how many shards the family has).

import { parseShardObjectName, shardObjectName } from "../../../lib/protocol/names.ts";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";
import type { Env } from "../../config/env.ts";
import { pushIdRetentionMs } from "../../config/settings.ts";
import { catalog } from "../catalog-object.ts";
import { ShardKeys } from "./shard-keys.ts";
import { SqlFamilyStorage } from "./sql-family-storage.ts";

/** Push ids one family object remembers at most (the oldest are forgotten first; see README "Limits"). */
export const MAX_REMEMBERED_PUSH_IDS = 100_000;

export class FamilyState {
  readonly storage: SqlFamilyStorage;
  /** Shard 0 of a family spread over several objects: which shards hold which series (for the cap). */
  readonly shardKeys: ShardKeys;
  /** Which family and shard this object holds (from its name). */
  readonly place: { family: string; shard: number } | undefined;
  /** Calls received (pushes, pages, deletions), pushes received, and the groups they were applied in. */
  readonly counters = { requests: 0, pushes: 0, groups: 0 };
  private readonly forgetting: (() => void)[] = [];

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Env,
    /** The clock in milliseconds. */
    readonly now: () => number,
  ) {
    this.storage = new SqlFamilyStorage(ctx.storage.sql, {
      pushIdRetentionMs: pushIdRetentionMs(env),
      maxPushIds: MAX_REMEMBERED_PUSH_IDS,
    });
    this.shardKeys = new ShardKeys(ctx.storage);
    this.place = ctx.id.name === undefined ? undefined : parseShardObjectName(ctx.id.name);
  }

  /** The shard this object holds (0 for a family in one object). */
  get shard(): number {
    return this.place?.shard ?? 0;
  }

  /** The stub of shard `shard` of this object's family. */
  shardStub(shard: number) {
    return this.env.METRICS_FAMILY.getByName(shardObjectName(this.place?.family ?? "", shard));
  }

  /** The most objects the family was ever spread over, as far as this object, `part` and the catalog know. */
  async familyShards(part?: FamilyPush): Promise<number> {
    const name = this.place?.family ?? part?.name;
    const known = Math.max(part?.shards ?? 1, this.storage.knownShards());
    return name === undefined ? known : Math.max(known, await catalog(this.env).shardsOf(name));
  }

  /** Runs `apply` in a transaction; a failure drops every cached value (storage is the truth). */
  write<T>(apply: () => T): T {
    try {
      return this.ctx.storage.transactionSync(apply);
    } catch (error) {
      this.forget();
      throw error;
    }
  }

  /**
   * Deletes the series `keys` (expired, collected or of a deleted group) in one transaction, and has shard 0 stop
   * counting them for this shard against the family's cap.
   */
  async deleteKeys(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const { storage } = this;
    this.write(() => {
      const seriesCount = storage.seriesCount() - keys.length;
      storage.commit({ resetAll: false, deleted: [...keys], written: new Map(), pushIds: [], seriesCount }, this.now());
      if (this.shard === 0) this.shardKeys.release(0, [...keys]);
    });
    if (this.shard !== 0) await this.shardStub(0).releaseSeries(this.shard, [...keys]);
  }

  /** Drops every cached value: the storage's, and those the modules registered with `onForget`. */
  forget(): void {
    this.storage.forget();
    this.shardKeys.forget();
    for (const drop of this.forgetting) drop();
  }

  /** Registers a module's cache to drop whenever the storage's is. */
  onForget(drop: () => void): void {
    this.forgetting.push(drop);
  }

  /** Creates or upgrades the tables; run once in the object's constructor under blockConcurrencyWhile. */
  migrate(): void {
    this.storage.migrate();
    this.shardKeys.migrate();
  }
}
