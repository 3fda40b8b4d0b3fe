// The fences of a family spread over shards (lib/store/group-fences.ts): the group's own shard asks the others what
// they hold of a group it is about to replace, keeps the fence with the replacement (one meta row, in the same
// transaction), hands its fences out on its first page, and once their grace is over has the other shards delete
// what they replaced, then drops them (on the object's alarm, retried a minute later when a shard cannot be reached).

import { seriesKey } from "../../../lib/protocol/series-key.ts";
import type { FamilyPush, GroupFence, Labels } from "../../../lib/protocol/wire.ts";
import {
  FENCE_GRACE_MS,
  fenceDue,
  fenceOf,
  type HeldElsewhere,
  replacedBy,
  type StoredFence,
} from "../../../lib/store/group-fences.ts";
import type { Expiry } from "./expiry.ts";
import type { Groupings } from "./groupings.ts";
import type { FamilyState } from "./state.ts";

/** When collecting a fence failed (a shard could not be reached), the next try. */
const RETRY_MS = 60_000;

/** How long a shard sends a group on to the shard that asked about it, at most (the fence's drop ends it sooner). */
const HANDOVER_MS = 24 * 3_600_000;

/**
 * A shard that told a group's own shard what it holds of the group: until that shard's fence is dropped, writes of
 * the group here go there (a stale router's), and no write here is dated before `before` (the fence's time here).
 */
interface Handover {
  grouping: string;
  home: number;
  before: number;
}

export class Fences {
  /** The fences kept here, once read. */
  private kept: StoredFence[] | undefined;
  /** The groups this shard hands over to their own shard, once read. */
  private handed: Handover[] | undefined;

  constructor(
    private readonly state: FamilyState,
    private readonly expiry: Expiry,
    private readonly groupings: Groupings,
  ) {
    state.onForget(() => {
      this.kept = undefined;
      this.handed = undefined;
    });
  }

  /** The fences this shard keeps. */
  list(): StoredFence[] {
    this.kept ??= this.state.storage.metaValue<StoredFence[]>("fences") ?? [];
    return this.kept;
  }

  /**
   * The group's own shard, before it applies the replacement `part` of group `grouping`: asks every other shard what
   * it holds of the group (and of the series `part` carries); the fence to commit with the part, or undefined when
   * they hold none of it.
   */
  async ask(part: FamilyPush, grouping: string, shards: number): Promise<GroupFence | undefined> {
    const { state } = this;
    const labels = part.series.map((s) => s.labels);
    const others = Array.from({ length: shards }, (_, k) => k).filter((k) => k !== state.shard);
    const answers = await Promise.all(others.map((k) => state.shardStub(k).heldOfGroup(grouping, labels, state.shard)));
    return fenceOf(grouping, state.shard, new Map(others.map((k, i) => [k, answers[i] as HeldElsewhere])));
  }

  /**
   * Another shard's question (`ask`), answered from this shard's rows. When it holds some of it, this shard hands the
   * group over (one meta row): until the fence is dropped, a write of the group here goes to `home`, and later writes
   * here are dated after the answer, so the fence never covers them.
   */
  held(grouping: string, labels: readonly Labels[], home: number): HeldElsewhere {
    const { state } = this;
    const { storage } = state;
    // Never earlier than an answer given before (the clock may step back when the object moves).
    const now = Math.max(state.now(), this.floor() - 1);
    const definition = storage.definition();
    if (!definition) return { now, group: 0, keys: [] };
    const inGroup = new Set(storage.keysOfGrouping(grouping));
    const asked = labels.map((l) => seriesKey(definition.labelNames, l)).filter((key) => !inGroup.has(key));
    const keys = Object.keys(storage.latestUpdates(asked));
    if (inGroup.size > 0 || keys.length > 0) {
      const others = this.handovers().filter((h) => h.grouping !== grouping || h.home !== home);
      this.setHandovers([...others, { grouping, home, before: now }]);
    }
    return { now, group: inGroup.size, keys };
  }

  /** The shard this shard hands writes of group `grouping` (a `groupingId`) to, if it hands the group over. */
  handedTo(grouping: string): number | undefined {
    const now = this.state.now();
    return this.handovers().find((h) => h.grouping === grouping && h.before + HANDOVER_MS > now)?.home;
  }

  /** The earliest time a write here may be dated: after every answer this shard gave a replacing shard. */
  floor(): number {
    return Math.max(0, ...this.handovers().map((h) => h.before + 1));
  }

  private handovers(): Handover[] {
    this.handed ??= this.state.storage.metaValue<Handover[]>("handovers") ?? [];
    return this.handed;
  }

  private setHandovers(handovers: Handover[]): void {
    this.state.write(() => this.state.storage.setMetaValue("handovers", handovers.length > 0 ? handovers : undefined));
    this.handed = handovers;
  }

  /** Inside the transaction that applies the replacement: keeps its fence. */
  add(fence: GroupFence, pushId: string | undefined, now: number): void {
    const kept = [...this.list(), { ...fence, at: now, ...(pushId !== undefined ? { pushId } : {}) }];
    this.state.storage.setMetaValue("fences", kept);
    this.kept = kept;
  }

  /** Arms the alarm for the first fence whose grace ends (unless one is pending earlier). */
  async schedule(): Promise<void> {
    const fences = this.list();
    if (fences.length === 0) return;
    const due = Math.min(...fences.map(fenceDue));
    await this.expiry.armBy(Math.max(due, this.state.now() + 1));
  }

  /**
   * The alarm: for each fence past its grace, the other shards delete what it replaced; it goes FENCE_LINGER_MS
   * later (a reader may still page at a snapshot taken before). A fence a shard could not be reached for stays, and
   * is tried again a minute later.
   */
  async collect(): Promise<void> {
    const { state } = this;
    const now = state.now();
    const due = this.list().filter((f) => f.dropped === undefined && fenceDue(f) <= now);
    const over = this.list().filter((f) => f.dropped !== undefined && fenceDue(f) <= now);
    if (due.length === 0 && over.length === 0) return;
    const done = new Set<StoredFence>();
    for (const fence of due) {
      try {
        const shards = Object.keys(fence.before).map(Number);
        await Promise.all(shards.map((k) => state.shardStub(k).dropReplaced(fence)));
        done.add(fence);
      } catch (error) {
        console.error(`prometheus-distributed-client: a group replacement's old parts were not collected: ${error}`);
      }
    }
    // A fence not collected is due again a minute from now (its parts stay left out meanwhile).
    const retry = now + RETRY_MS - FENCE_GRACE_MS;
    const left = this.list()
      .filter((f) => !over.includes(f))
      .map((f) => (done.has(f) ? { ...f, dropped: now } : due.includes(f) ? { ...f, at: retry } : f));
    state.write(() => state.storage.setMetaValue("fences", left.length > 0 ? left : undefined));
    this.kept = left;
  }

  /** Another shard's fence past its grace: deletes the parts it replaced here; returns how many. */
  async drop(fence: GroupFence): Promise<number> {
    const { state } = this;
    const { storage } = state;
    if (!storage.definition()) {
      this.endHandover(fence);
      return 0;
    }
    const keys = new Set(fence.keys);
    const candidates = [...new Set([...storage.keysOfGrouping(fence.grouping), ...fence.keys])];
    const stored = storage.getSeries(candidates);
    const dead = [...stored].filter(([key, s]) => replacedBy(fence, keys, state.shard, { ...s, key })).map(([k]) => k);
    if (dead.length === 0) {
      this.endHandover(fence);
      return 0;
    }
    await state.deleteKeys(dead);
    if (storage.keysOfGrouping(fence.grouping).length === 0) this.groupings.forget([fence.grouping]);
    this.endHandover(fence);
    return dead.length;
  }

  /**
   * The fence of a group's replacement was dropped: this shard stops handing the group over to its shard. (The fence
   * stays on that shard FENCE_LINGER_MS more; a write here is dated after `before` all the same, unless this object's
   * clock steps back by more than the fence's five minutes of grace.)
   */
  private endHandover(fence: GroupFence): void {
    const left = this.handovers().filter((h) => h.grouping !== fence.grouping || h.home !== fence.home);
    if (left.length !== this.handovers().length) this.setHandovers(left);
  }
}
