// How the parts of one series, held by the objects a family is spread over, combine into the series the scrape shows:
// counters, histograms and summary counts, sums and sketches add; `sum` gauges add; `max` and `min` gauges combine;
// a `set` gauge takes its latest write. The series is as old as its oldest part and as fresh as its newest: past its
// time to live it is hidden. One pure function, tested on its own; and the walk over every shard's pages in key order
// that the scrape and the status page both read a sharded family with (the pages come through a reader they pass).

import { laterExemplars } from "../protocol/exemplars.ts";
import { combineGauge, gaugePolicy } from "../protocol/gauge-policy.ts";
import { mergeNative } from "../protocol/native-histogram.ts";
import { compareKeys } from "../protocol/series-key.ts";
import { mergeSketchData, type SketchData } from "../protocol/sketch.ts";
import type { FamilyDefinition, FamilyPage, GroupFence, SeriesPart, SeriesSnapshot } from "../protocol/wire.ts";
import { fencesOf, replacedByAny } from "./group-fences.ts";
import { windowQuantiles } from "./quantile-windows.ts";

/** A stored part as the encoder renders it at `nowMs` (times in seconds, quantiles over the live windows). */
export function partSnapshot(
  definition: FamilyDefinition,
  part: Omit<SeriesPart, "key">,
  nowMs: number,
): SeriesSnapshot {
  const { labels, created, updated, value, counts, native, sum, count, windows, exemplars, grouping } = part;
  return {
    labels,
    created: created / 1000,
    updated: updated / 1000,
    ...(value !== undefined ? { value } : {}),
    ...(counts !== undefined ? { counts } : {}),
    ...(native !== undefined ? { native } : {}),
    ...(sum !== undefined ? { sum } : {}),
    ...(count !== undefined ? { count } : {}),
    ...((definition.percentiles?.length ?? 0) > 0 ? { quantiles: windowQuantiles(windows, definition, nowMs) } : {}),
    ...(exemplars ? { exemplars } : {}),
    ...(grouping !== undefined ? { grouping } : {}),
  };
}

function addWindows(a: Record<string, SketchData> | undefined, b: Record<string, SketchData> | undefined) {
  if (!a) return b;
  if (!b) return a;
  const out = { ...a };
  for (const [w, sketch] of Object.entries(b)) out[w] = mergeSketchData(out[w], sketch);
  return out;
}

/**
 * One part made of two parts of the same series (held by two objects, or moved from one to the other): counters,
 * histograms and summary counts, sums and sketches add; gauges combine by their policy, `b` being the later write
 * when it was updated later; the creation time is the earlier, the update the later.
 * @example combineParts(counterDefinition, { ...a, value: 2 }, { ...b, value: 3 }).value; // 5
 */
export function combineParts(definition: FamilyDefinition, a: SeriesPart, b: SeriesPart): SeriesPart {
  const next: SeriesPart = { ...a, created: Math.min(a.created, b.created), updated: Math.max(a.updated, b.updated) };
  // The series belongs to the group of its later write.
  const grouping = b.updated > a.updated ? (b.grouping ?? a.grouping) : (a.grouping ?? b.grouping);
  if (grouping !== undefined) next.grouping = grouping;
  const exemplars = laterExemplars(a.exemplars, b.exemplars);
  if (exemplars) next.exemplars = exemplars;
  switch (definition.type) {
    case "counter":
      next.value = (a.value ?? 0) + (b.value ?? 0);
      break;
    case "gauge":
    case "untyped": {
      const [earlier, later] = b.updated > a.updated ? [a.value ?? 0, b.value ?? 0] : [b.value ?? 0, a.value ?? 0];
      next.value = combineGauge(gaugePolicy(definition), earlier, later);
      break;
    }
    case "histogram": {
      next.counts = (a.counts ?? []).map((c, k) => c + (b.counts?.[k] ?? 0));
      next.sum = (a.sum ?? 0) + (b.sum ?? 0);
      const native = definition.native && mergeNative(a.native, b.native, definition.native.maxBuckets);
      if (native) next.native = native;
      break;
    }
    case "summary": {
      next.count = (a.count ?? 0) + (b.count ?? 0);
      next.sum = (a.sum ?? 0) + (b.sum ?? 0);
      const windows = addWindows(a.windows, b.windows);
      if (windows) next.windows = windows;
      break;
    }
  }
  return next;
}

/**
 * The series made of `parts` (one per object that holds it, all of the same key), at `nowMs`, or undefined when its
 * newest part is older than `ttlMs` (0 = no expiry).
 * @example mergeParts(counterDefinition, [{ ...a, value: 2 }, { ...b, value: 3 }], Date.now(), 0)?.value; // 5
 */
export function mergeParts(
  definition: FamilyDefinition,
  parts: readonly SeriesPart[],
  nowMs: number,
  ttlMs: number,
): SeriesSnapshot | undefined {
  const first = parts[0];
  if (!first) return undefined;
  let merged: SeriesPart = first;
  for (let i = 1; i < parts.length; i++) merged = combineParts(definition, merged, parts[i] as SeriesPart);
  if (ttlMs > 0 && merged.updated + ttlMs <= nowMs) return undefined;
  return partSnapshot(definition, merged, nowMs);
}

/** The parts a page of raw parts holds and where the next page starts (an empty object's page holds none). */
function partsOf(page: FamilyPage): { parts: SeriesPart[]; next: string | undefined; snapshot: string | undefined } {
  return page.kind === "parts"
    ? { parts: page.parts, next: page.next, snapshot: page.snapshot }
    : { parts: [], next: undefined, snapshot: undefined };
}

/** The shards a page of shard 0 names as taken in. */
function absorbedBy(page: FamilyPage | undefined): number[] {
  return page?.kind === "parts" ? (page.absorbed ?? []) : [];
}

/**
 * The definition of a family spread over shards: the one with the most label names (a family inferred from samples
 * may have grown label names on some shards before others; its series lack the new ones).
 */
export function widest(definitions: (FamilyDefinition | null)[]): FamilyDefinition | undefined {
  let found: FamilyDefinition | undefined;
  for (const d of definitions) if (d && (!found || d.labelNames.length > found.labelNames.length)) found = d;
  return found;
}

/**
 * Reads the page of raw parts after key `after` from shard `shard` of a family, at the snapshot its page before came
 * with (read-snapshots.ts), if any.
 */
export type ShardPageReader = (shard: number, after: string | undefined, snapshot?: string) => Promise<FamilyPage>;

/**
 * Every shard's first page of raw parts, shard 0's read before the others: every raw page of shard 0 names the shards
 * it took in when the family was narrowed, and a shard it took in keeps its old parts long enough for a reader that
 * saw shard 0 before that. So `mergedShards` counts each series once: it skips a shard shard 0's first page names,
 * and, when a later page of shard 0 names one anew, that shard's parts past the key where the page starts.
 */
export async function firstPages(shards: number, read: (shard: number) => Promise<FamilyPage>): Promise<FamilyPage[]> {
  const zero = await read(0);
  const others = await Promise.all(Array.from({ length: shards - 1 }, (_, k) => read(k + 1)));
  return [zero, ...others];
}

/**
 * A family spread over shards, from each shard's first page of raw parts (see `firstPages`): its widest definition, and its series merged
 * key by key in key order (each shard pages in key order; `read` fetches a shard's next page when its parts run out),
 * leaving out the parts a group replacement on another shard replaced (every page of raw parts carries its fences).
 * A key whose merged series is hidden (past its time to live) comes with no series. Undefined when no shard holds
 * the family.
 * @example
 * const merged = mergedShards(firstPages, read, Date.now(), (d) => ttlMs(d, 0));
 * for await (const { key, series } of merged?.series ?? []) …
 */
export function mergedShards(
  first: readonly FamilyPage[],
  read: ShardPageReader,
  nowMs: number,
  ttlOf: (definition: FamilyDefinition) => number,
): { definition: FamilyDefinition; series: AsyncGenerator<{ key: string; series?: SeriesSnapshot }> } | undefined {
  // The shards shard 0 took in when the family was narrowed: their series are in shard 0's parts already.
  const absorbed = new Set(absorbedBy(first[0]));
  const held = first.map((page, shard) => ({ page, shard })).filter(({ shard }) => !absorbed.has(shard));
  const definition = widest(held.map(({ page }) => (page.kind === "empty" ? null : page.definition)));
  if (!definition) return undefined;
  const ttl = ttlOf(definition);
  // A group replaced on one shard: its old parts on the others are left out once the replacement is committed. A
  // fence first seen on a later page applies from there on (the keys before it are out already: a write between two
  // pages shows in the later ones).
  const fences = new Map<string, GroupFence>();
  let replaced = replacedByAny([]);
  const learn = (page: FamilyPage) => {
    const before = fences.size;
    for (const fence of fencesOf(page))
      fences.set(`${fence.home}|${fence.grouping}|${JSON.stringify(fence.before)}`, fence);
    if (fences.size > before) replaced = replacedByAny([...fences.values()]);
  };
  for (const page of first) learn(page);
  /** A shard's parts as read so far; past `skipAfter` (a key) they are shard 0's too and are left out. */
  type Cursor = {
    shard: number;
    parts: SeriesPart[];
    at: number;
    next: string | undefined;
    snapshot: string | undefined;
    skipAfter?: string;
  };
  const cursors: Cursor[] = held.map(({ page, shard }) => ({ shard, ...partsOf(page), at: 0 }));
  const head = (c: Cursor) => c.parts[c.at] as SeriesPart;
  /** Shard 0 took a shard in between two of its pages: from the later page on, that shard's parts are in shard 0's. */
  const takenIn = (page: FamilyPage, after: string) => {
    for (const shard of absorbedBy(page)) {
      const cursor = cursors.find((c) => c.shard === shard);
      if (cursor && cursor.skipAfter === undefined && !absorbed.has(shard)) cursor.skipAfter = after;
    }
  };
  async function* series(): AsyncGenerator<{ key: string; series?: SeriesSnapshot }> {
    for (;;) {
      await Promise.all(
        cursors.map(async (c) => {
          while (c.at >= c.parts.length && c.next !== undefined) {
            const after = c.next;
            const more = await read(c.shard, after, c.snapshot);
            learn(more);
            if (c.shard === 0) takenIn(more, after);
            Object.assign(c, { ...partsOf(more), at: 0 });
          }
        }),
      );
      const live = cursors.filter((c) => c.at < c.parts.length);
      if (live.length === 0) return;
      let key = head(live[0] as Cursor).key;
      for (const c of live) if (compareKeys(head(c).key, key) < 0) key = head(c).key;
      const same = live.filter((c) => head(c).key === key);
      const parts = same
        .filter((c) => (c.skipAfter === undefined || compareKeys(key, c.skipAfter) <= 0) && !replaced(c.shard, head(c)))
        .map((c) => head(c));
      for (const c of same) c.at++;
      const merged = mergeParts(definition as FamilyDefinition, parts, nowMs, ttl);
      yield merged ? { key, series: merged } : { key };
    }
  }
  return { definition, series: series() };
}
