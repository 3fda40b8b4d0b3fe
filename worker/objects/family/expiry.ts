// Expiry of a family's series with the object's one alarm: armed for the oldest series' time to live (not moved by
// later pushes, moved earlier when the time to live shrinks), deleting what is past it when it runs (a shard of a
// sharded family asks the other shards first), idempotent as alarms are delivered at least once. Also an operator's
// change of the time to live.

import type { FamilyChange } from "../../../lib/store/family-store.ts";
import { ttlMs } from "../../../lib/store/family-store.ts";
import { defaultTtlSeconds } from "../../config/settings.ts";
import type { FamilyState } from "./state.ts";

export class Expiry {
  /** The scheduled alarm (ms), null when none: a cache of getAlarm(), so pushes never re-arm needlessly. */
  private alarmAt: number | null = null;
  /** The time to live the pending alarm was armed for; a shorter one re-arms it earlier. */
  private armedTtl = 0;

  constructor(private readonly state: FamilyState) {}

  /** Reads the pending alarm; run once in the object's constructor under blockConcurrencyWhile. */
  async load(): Promise<void> {
    this.alarmAt = await this.state.ctx.storage.getAlarm();
    // Unknown what TTL a pending alarm was armed for: the next push checks it once.
    this.armedTtl = this.alarmAt === null ? 0 : Number.POSITIVE_INFINITY;
  }

  private ttl(): number {
    return ttlMs(this.state.storage.definition(), defaultTtlSeconds(this.state.env));
  }

  /**
   * Arms the alarm for the oldest series' expiry, unless one is already pending for the same or a shorter time to
   * live (it re-arms itself when it runs).
   */
  schedule(): void {
    const ttl = this.ttl();
    if (ttl <= 0 || (this.alarmAt !== null && ttl >= this.armedTtl)) return;
    const oldest = this.state.storage.oldestUpdate();
    if (oldest === undefined) return;
    this.armedTtl = ttl;
    if (this.alarmAt !== null && this.alarmAt <= oldest + ttl) return;
    this.alarmAt = oldest + ttl;
    void this.state.ctx.storage.setAlarm(this.alarmAt);
  }

  /** Arms the alarm for `ms` (what a retired shard uses to drop its old parts). */
  async armAt(ms: number): Promise<void> {
    this.alarmAt = ms;
    await this.state.ctx.storage.setAlarm(ms);
  }

  /** Arms the alarm for `ms` unless one is pending no later (what a group replacement's fence uses). */
  async armBy(ms: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= ms) return;
    await this.armAt(ms);
    // Not armed for a time to live: the next push checks the oldest series' expiry against it.
    this.armedTtl = Number.POSITIVE_INFINITY;
  }

  /** The alarm fired (no alarm is pending any more). */
  fired(): void {
    this.alarmAt = null;
  }

  /** The alarm was deleted with everything else. */
  async clear(): Promise<void> {
    await this.state.ctx.storage.deleteAlarm();
    this.alarmAt = null;
  }

  /**
   * Deletes every series not updated within the time to live, then re-arms for the oldest series left. A shard of a
   * sharded family first asks the other shards when they last saw its stale series, and keeps a series another shard
   * still updates.
   */
  async run(): Promise<void> {
    const { state } = this;
    const { storage } = state;
    const ttl = this.ttl();
    if (ttl <= 0) return;
    const shards = await state.familyShards();
    const now = state.now();
    if (shards <= 1) {
      state.write(() => storage.deleteSeriesUpdatedBefore(now - ttl + 1));
      this.schedule();
      return;
    }
    const stale = storage.seriesUpdatedBefore(now - ttl + 1);
    const latest = new Map(stale.map((s) => [s.key, s.updated]));
    const keys = [...latest.keys()];
    const others = await Promise.all(
      Array.from({ length: shards }, (_, k) => k)
        .filter((k) => k !== state.shard)
        .map((k) => state.shardStub(k).latestUpdates(keys)),
    );
    for (const updates of others)
      for (const [key, updated] of Object.entries(updates)) latest.set(key, Math.max(latest.get(key) ?? 0, updated));
    const dead = keys.filter((key) => (latest.get(key) as number) + ttl <= now);
    await state.deleteKeys(dead);
    // Series kept because another shard saw them lately are looked at again when that sighting expires.
    const kept = keys.filter((key) => !dead.includes(key)).map((key) => (latest.get(key) as number) + ttl);
    const fresh = storage.oldestUpdate(now - ttl + 1);
    const next = Math.min(...kept, fresh === undefined ? Number.POSITIVE_INFINITY : fresh + ttl);
    if (Number.isFinite(next)) {
      this.armedTtl = ttl;
      await this.armAt(next);
    }
  }

  /**
   * Sets the family's time to live on this object (null: none of its own, the Worker's default applies): an
   * operator's change, which pushes may not make. Returns false when the object holds no family.
   */
  setTimeToLive(ttlSeconds: number | null): boolean {
    const { storage } = this.state;
    const stored = storage.definition();
    if (!stored) return false;
    const { ttlSeconds: _previous, ...rest } = stored;
    const definition = ttlSeconds === null ? rest : { ...rest, ttlSeconds };
    const seriesCount = storage.seriesCount();
    const change: FamilyChange = {
      definition,
      resetAll: false,
      deleted: [],
      written: new Map(),
      pushIds: [],
      seriesCount,
    };
    this.state.write(() => storage.commit(change, this.state.now()));
    // A shorter time to live moves the alarm earlier; a longer one lets the pending alarm find nothing yet and re-arm.
    this.schedule();
    return true;
  }
}
