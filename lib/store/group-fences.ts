// A Pushgateway group's PUT on a family spread over shards, all or nothing for every reader. The group's own shard
// applies the body in one transaction, but other shards may still hold series of the group (written before the
// family's shard count changed) or series the body takes over. Deleting those first would let a reader see the group
// half gone; deleting them after, half doubled. So the group's shard first asks each other shard for its clock (and
// whether it holds any), then commits the body with a fence: "on shard k, the group's parts (and these keys') updated
// no later than before[k] are replaced". A reader that saw the fence (on that shard's first page) leaves them out; a
// reader that read that shard before the commit sees them, and the group as it was (each shard's pages are read at the
// snapshot of its first page, fences included: read-snapshots.ts). After a grace longer than any scrape, the other
// shards delete what the fence leaves out, and the fence stays a little longer than a snapshot lasts, then goes:
// nothing any reader relies on changes.

import type { FamilyPage, GroupFence, SeriesPart } from "../protocol/wire.ts";
import { SNAPSHOT_TTL_MS } from "./read-snapshots.ts";

/** How long a fence stays before the other shards delete what it replaced: longer than any scrape takes. */
export const FENCE_GRACE_MS = 5 * 60_000;

/**
 * How long a fence stays once the other shards deleted what it replaced: longer than a reader pages at a snapshot
 * (read-snapshots.ts), so one that still sees those parts at its snapshot of another shard sees the fence too.
 */
export const FENCE_LINGER_MS = 2 * SNAPSHOT_TTL_MS;

/**
 * A fence as its shard keeps it: when it was committed, for the push that replaced the group, and when the other
 * shards deleted what it replaced (it goes FENCE_LINGER_MS later).
 */
export interface StoredFence extends GroupFence {
  at: number;
  pushId?: string;
  dropped?: number;
}

/** When the alarm has work for `fence`: its grace ends, or its lingering once collected. */
export function fenceDue(fence: StoredFence): number {
  return fence.dropped !== undefined ? fence.dropped + FENCE_LINGER_MS : fence.at + FENCE_GRACE_MS;
}

/** What a shard answers when a replacing shard asks what it holds of a group. */
export interface HeldElsewhere {
  /** Its clock (ms): everything it holds of the group now was updated no later. */
  now: number;
  /** How many of the group's series it holds. */
  group: number;
  /** The keys among those asked for that it holds outside the group. */
  keys: string[];
}

/**
 * The fence for a replacement of `grouping` on shard `home`, from what the other shards answered (by shard), or
 * undefined when none of them holds anything the replacement takes over (no fence needed: the commit is the PUT).
 */
export function fenceOf(
  grouping: string,
  home: number,
  answers: ReadonlyMap<number, HeldElsewhere>,
): GroupFence | undefined {
  const held = [...answers].filter(([, a]) => a.group > 0 || a.keys.length > 0);
  if (held.length === 0) return undefined;
  const keys = [...new Set(held.flatMap(([, a]) => a.keys))].sort();
  return { grouping, keys, home, before: Object.fromEntries(held.map(([shard, a]) => [String(shard), a.now])) };
}

/** True when `fence` replaced `part`, held by shard `shard`: a reader leaves it out, its shard deletes it in time. */
export function replacedBy(
  fence: GroupFence,
  keys: ReadonlySet<string>,
  shard: number,
  part: Pick<SeriesPart, "key" | "grouping" | "updated">,
): boolean {
  const before = fence.before[String(shard)];
  if (shard === fence.home || before === undefined || part.updated > before) return false;
  return part.grouping === fence.grouping || keys.has(part.key);
}

/** Whether any of `fences` replaced a part held by a shard: what a reader of every shard leaves out. */
export function replacedByAny(fences: readonly GroupFence[]): (shard: number, part: SeriesPart) => boolean {
  if (fences.length === 0) return () => false;
  const withKeys = fences.map((fence) => ({ fence, keys: new Set(fence.keys) }));
  return (shard, part) => withKeys.some(({ fence, keys }) => replacedBy(fence, keys, shard, part));
}

/** The fences a page of raw parts (or an empty one) carries. */
export function fencesOf(page: FamilyPage): GroupFence[] {
  return page.kind === "parts" || page.kind === "empty" ? (page.fences ?? []) : [];
}
