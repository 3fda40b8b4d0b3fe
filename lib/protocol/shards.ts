// Which of its objects a family's part of a push goes to. A Pushgateway group's parts go to the shard its group
// picks (it applies the group's replacements there, and clears the group on the other shards first). Any other part
// with deletions (or replacements) goes to shard 0, which applies them everywhere, and so does one with cumulative
// streams' points (shard 0 keeps their marks); any other part goes to a shard picked by hashing its push id, so
// pushes spread evenly and a retry (same push id) always reaches the object that remembers it.

import { groupingId } from "./pushgateway-path.ts";
import type { FamilyPush } from "./wire.ts";

/**
 * True when applying `part` deletes series on every shard of its family: a reset, removals, replaced series (the
 * other shards' parts of a replaced series go), or a replaced group (its series the part does not carry go).
 */
export function deletesElsewhere(
  part: Pick<FamilyPush, "reset" | "remove" | "replace" | "series" | "grouping">,
): boolean {
  const replaced = part.replace === true && (part.series.length > 0 || part.grouping !== undefined);
  return part.reset === true || (part.remove?.length ?? 0) > 0 || replaced;
}

/**
 * True when `part` carries points of cumulative streams: their marks live on shard 0 (lib/store/cumulative.ts), so
 * every point of a stream meets the last one there.
 */
function carriesStreams(part: Pick<FamilyPush, "series">): boolean {
  return part.series.some((s) => "cumulative" in s && s.cumulative !== undefined);
}

/** FNV-1a, 32 bits: a fast, well-spread hash of a string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The shard (0 … shards − 1) that receives `part` of the push with id `pushId`.
 * @example shardFor({ ...part, shards: 8 }, "b-1"); // the same number for every retry of "b-1"
 */
export function shardFor(
  part: Pick<FamilyPush, "name" | "shards" | "reset" | "remove" | "replace" | "series" | "grouping">,
  pushId: string | undefined,
): number {
  const shards = part.shards ?? 1;
  if (shards <= 1) return 0;
  // A Pushgateway group's parts all go to the shard its group picks (its PUTs and POSTs too, in the order they came),
  // so groups spread over the shards and a group's replacement meets its series there.
  // (Removals with a group are only a group's replacement forwarded from that shard to the others.)
  if (part.grouping !== undefined && !part.reset)
    return fnv1a(`${groupingId(part.grouping)}\u0000${part.name}`) % shards;
  if (deletesElsewhere(part) || carriesStreams(part)) return 0;
  // Without a push id a part cannot be retried safely anyway; any shard will do.
  if (pushId === undefined) return Math.floor(Math.random() * shards);
  return fnv1a(`${pushId}\u0000${part.name}`) % shards;
}

/**
 * Which of `shards` objects a push goes to by its id alone (an ingest object): the same one for every retry; any
 * one for a push without an id.
 * @example shardOfId("b-1", 4); // the same number for every retry of "b-1"
 */
export function shardOfId(pushId: string | undefined, shards: number): number {
  if (shards <= 1) return 0;
  if (pushId === undefined) return Math.floor(Math.random() * shards);
  return fnv1a(pushId) % shards;
}
