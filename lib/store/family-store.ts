// The store rules for one family, behind a small storage interface, so the Durable Object (SQLite) and the in-memory
// store run the same rules: replay detection, definition conflicts, the cardinality cap, deletions, merging per type,
// creation times, expiry and quantiles. Pushes are applied in groups: every push is judged on its own (a refused one
// changes nothing), and the group's changes are written once, one write per touched series.

import { definitionDifference } from "../protocol/definition.ts";
import { type ExpositionFormat, seriesLines } from "../protocol/exposition.ts";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.ts";
import { groupingId } from "../protocol/pushgateway-path.ts";
import { seriesKey } from "../protocol/series-key.ts";
import type {
  FamilyDefinition,
  FamilyOutcome,
  FamilyPage,
  FamilyPush,
  FamilySnapshot,
  GaugeDelta,
  Labels,
  PageOf,
  SeriesDelta,
  SeriesPart,
  SeriesSnapshot,
} from "../protocol/wire.ts";
import { type AdoptionProblem, adoptStored, labelsMayGrow } from "./inferred.ts";
import { mergeSeries, type SeriesState } from "./merge.ts";
import { partSnapshot } from "./merge-shards.ts";

/** A series as stored: its labels, mutable state, and times in milliseconds since the epoch. */
export type StoredSeries = Omit<SeriesPart, "key">;

/** What a group of pushes changes, to be written at once (inside one transaction). */
export interface FamilyChange {
  /** The definition to store, when it is new or its help or TTL changed. */
  definition?: FamilyDefinition;
  /** Every stored series is deleted first. */
  resetAll: boolean;
  /** Keys of stored series to delete (after the reset). */
  deleted: string[];
  /** Series to write, by key, in their final state. */
  written: Map<string, StoredSeries>;
  /** The push ids applied, remembered to drop replays. */
  pushIds: string[];
  /** How many series the family holds once the change is written. */
  seriesCount: number;
}

/** What a family store must offer. Every call is synchronous; the caller makes a commit atomic. */
export interface FamilyStorage {
  definition(): FamilyDefinition | undefined;
  /** True when a push with this id was applied (within the store's retention). */
  hasPushId(id: string): boolean;
  /** The stored series among `keys` (absent keys are left out), read in as few statements as the store can. */
  getSeries(keys: readonly string[]): Map<string, StoredSeries>;
  /** How many series are stored. */
  seriesCount(): number;
  /** The keys of the series whose group is `grouping` (a `groupingId`). */
  keysOfGrouping(grouping: string): string[];
  /** Writes a group's change. */
  commit(change: FamilyChange, nowMs: number): void;
  /** Deletes every series last updated before `ms`; returns how many. */
  deleteSeriesUpdatedBefore(ms: number): number;
  /** The oldest `updated` time, or undefined when there is no series. */
  oldestUpdate(): number | undefined;
  /** Every series, ordered by key. */
  allSeries(): StoredSeries[];
  /**
   * Up to `limit` series with keys after `after` (from the start when undefined), in key order, stopping early once
   * they hold about `maxBytes` of state; and the key to continue after, when more remain. At `snapshot` (a store that
   * keeps read snapshots, see read-snapshots.ts), as the family was when it was opened.
   */
  seriesPage(
    after: string | undefined,
    limit: number,
    maxBytes: number,
    snapshot?: string,
  ): { series: SeriesPart[]; next?: string };
}

/** One push waiting to be applied: its id (optional) and its checked family part. */
export interface PendingPush {
  pushId: string | undefined;
  part: FamilyPush;
}

/**
 * About the memory a stored series takes: its key (map and labels), its numbers, its summary windows, its cumulative
 * streams' marks (about a histogram's worth each) and its native buckets.
 */
export function seriesBytes(key: string, series: StoredSeries): number {
  let windows = 0;
  for (const sketch of Object.values(series.windows ?? {}))
    windows += 64 + 48 * (sketch.pos.length + sketch.neg.length) + 24 * (sketch.exact?.length ?? 0);
  const marks = Object.keys((series as { streams?: object }).streams ?? {}).length;
  const native = 24 * ((series.native?.positive.length ?? 0) + (series.native?.negative.length ?? 0));
  return 64 + 2 * key.length + 16 * ((series.counts?.length ?? 0) + 4) + windows + native + 160 * marks;
}

/** A series' time to live in milliseconds under `definition`, falling back to the store's default; 0 = none. */
export function ttlMs(definition: FamilyDefinition | undefined, defaultTtlSeconds: number): number {
  return (definition?.ttlSeconds ?? defaultTtlSeconds) * 1000;
}

/**
 * True unless merging overflowed (sums of finite deltas can leave the finite numbers): a gauge's or untyped value may
 * be NaN or ±Inf when it was set so, or was so before (the text format allows them); totals, sums and counts may not.
 */
function finiteState(
  state: SeriesState,
  type: FamilyDefinition["type"],
  before: number | undefined,
  delta: SeriesDelta,
) {
  const set = (delta as GaugeDelta).set;
  const keptNonFinite =
    (type === "gauge" || type === "untyped") &&
    ((set !== undefined && !Number.isFinite(set)) || !Number.isFinite(before ?? 0));
  const numbers = [keptNonFinite ? 0 : (state.value ?? 0), state.sum ?? 0, state.count ?? 0, ...(state.counts ?? [])];
  return numbers.every(Number.isFinite);
}

/** The series keys a push touches: its removals', then its series' (in its order). */
export interface TouchedKeys {
  removed: string[];
  written: string[];
}

/** The keys a push touches: its removals', then its series'. */
function keysOf(part: FamilyPush): TouchedKeys {
  return {
    removed: (part.remove ?? []).map((labels) => seriesKey(part.labelNames, labels)),
    written: part.series.map((delta) => seriesKey(part.labelNames, delta.labels)),
  };
}

/** The family as a group sees it while applying: storage underneath, the group's accepted changes on top. */
class GroupView {
  definition: FamilyDefinition | undefined;
  resetAll = false;
  /** Accepted changes by key: the new state, or null for a deletion. */
  readonly changes = new Map<string, StoredSeries | null>();
  count: number;
  readonly pushIds = new Set<string>();

  constructor(
    private readonly storage: FamilyStorage,
    private readonly stored: Map<string, StoredSeries>,
    definition: FamilyDefinition | undefined,
  ) {
    this.definition = definition;
    this.count = storage.seriesCount();
  }

  get(key: string): StoredSeries | undefined {
    if (this.changes.has(key)) return this.changes.get(key) ?? undefined;
    return this.resetAll ? undefined : this.stored.get(key);
  }

  /** Reads the stored state of `keys` the group has not read yet (a push adopted again needs other keys). */
  read(keys: readonly string[]): void {
    const missing = keys.filter((key) => !this.stored.has(key));
    if (missing.length === 0) return;
    for (const [key, series] of this.storage.getSeries(missing)) this.stored.set(key, series);
  }

  /** The keys of the series of group `grouping`, the group's changes so far included. */
  keysOfGrouping(grouping: string): string[] {
    const keys = new Set(this.resetAll ? [] : this.storage.keysOfGrouping(grouping));
    for (const [key, value] of this.changes) {
      if (value?.grouping === grouping) keys.add(key);
      else keys.delete(key);
    }
    const found = [...keys];
    this.read(found);
    return found.filter((key) => this.get(key)?.grouping === grouping);
  }

  seen(pushId: string): boolean {
    return this.pushIds.has(pushId) || this.storage.hasPushId(pushId);
  }
}

/**
 * Judges one push against the view and, when it is applied, adds its changes to the view. Returns "duplicate" for a
 * push id seen before; "rejected" with 409 when the definition differs from the stored one, 400 when a series would
 * overflow, or 413 when the new series would pass `maxSeries` (nothing of that push applied); otherwise "applied":
 * deletions (`reset`, `remove`) first, then the deltas.
 */
/** True when `part` only clears its Pushgateway group from the family (a PUT's group in a family it did not name). */
export function clearsGroupOnly(part: FamilyPush): boolean {
  return (
    part.replace === true && part.grouping !== undefined && part.series.length === 0 && !part.remove && !part.reset
  );
}

/** How a group is applied, beyond the pushes. */
export interface GroupOptions extends Partial<Pick<Limits, "maxLabelNames">> {
  /** The cardinality cap (series the family may hold). Default: none. */
  maxSeries?: number;
  /** Time to live of series whose family declares none. Default 0: none. */
  defaultTtlSeconds?: number;
  /**
   * A series past its time to live starts again from zero when pushed (default). An object that holds one of several
   * shards of a family cannot tell alone whether the series lives on elsewhere, so it keeps adding instead.
   */
  restartExpired?: boolean;
}

/** The family definition a part carries (what it says of the family, not of its series). */
function definitionOf(part: FamilyPush): FamilyDefinition {
  const {
    series: _series,
    reset: _reset,
    remove: _remove,
    replace: _replace,
    grouping: _grouping,
    inferred: _inferred,
    ...definition
  } = part;
  return definition;
}

/**
 * `definition` with the stored time to live when it declares none (it keeps the family's), and the stored way of
 * naming a counter's samples (the first push decides it).
 */
function withStoredTtl(definition: FamilyDefinition, stored: FamilyDefinition | undefined): FamilyDefinition {
  const { withoutTotal: _pushed, ...rest } = definition;
  const named = stored ? (stored.withoutTotal ? { ...rest, withoutTotal: true } : rest) : definition;
  return named.ttlSeconds === undefined && stored?.ttlSeconds !== undefined
    ? { ...named, ttlSeconds: stored.ttlSeconds }
    : named;
}

function applyOne(
  view: GroupView,
  { pushId, part }: PendingPush,
  definition: FamilyDefinition,
  keys: TouchedKeys,
  nowMs: number,
  { maxSeries = Number.POSITIVE_INFINITY, defaultTtlSeconds = 0, restartExpired = true }: GroupOptions,
): FamilyOutcome {
  const name = part.name;
  if (pushId !== undefined && view.seen(pushId)) return { name, status: "duplicate" };
  // A group cleared from a family this store does not hold: nothing to clear, and no family to make of it.
  if (!view.definition && clearsGroupOnly(part)) return { name, status: "applied", series: 0 };
  const { series, reset } = part;
  const stored = view.definition;
  if (stored) {
    const difference = definitionDifference(stored, definition, labelsMayGrow(part));
    if (difference)
      return {
        name,
        status: "rejected",
        code: 409,
        error: `family ${JSON.stringify(name)} is stored with a different ${difference}`,
      };
  }
  // Expiry of what is stored is judged by the stored definition's TTL, as the scrape and the alarm judged it.
  const ttl = ttlMs(stored ?? definition, defaultTtlSeconds);
  const replace = part.replace === true;
  const grouping = part.grouping ? groupingId(part.grouping) : undefined;
  const own = new Map<string, StoredSeries | null>();
  const lookup = (key: string) => (own.has(key) ? (own.get(key) ?? undefined) : reset ? undefined : view.get(key));
  let count = reset ? 0 : view.count;
  // A group replaced: its series the part does not carry go (the Pushgateway's PUT).
  const dropped = replace && grouping !== undefined ? view.keysOfGrouping(grouping) : [];
  const carried = new Set(keys.written);
  for (const key of [...keys.removed, ...dropped.filter((k) => !carried.has(k))]) {
    if (lookup(key) !== undefined) count--;
    own.set(key, null);
  }
  for (const [i, delta] of series.entries()) {
    const key = keys.written[i] as string;
    const before = lookup(key);
    if (before === undefined) count++;
    // A series past its time to live counts as gone even before the alarm deletes it: it starts again.
    const live = before && (!restartExpired || ttl <= 0 || before.updated + ttl > nowMs) ? before : undefined;
    // A replaced series starts from the delta, but it is the same series: it keeps its creation time.
    const state = mergeSeries(definition, replace ? undefined : live, delta, nowMs);
    if (!finiteState(state, definition.type, replace ? undefined : live?.value, delta)) {
      const error = `series ${JSON.stringify(delta.labels)} of family ${JSON.stringify(name)} would overflow to a non-finite value`;
      return { name, status: "rejected", code: 400, error };
    }
    // A series belongs to the group that wrote it last; a push from no group leaves its group as it was.
    const group = grouping ?? before?.grouping;
    const written = { ...state, labels: delta.labels, created: live?.created ?? nowMs, updated: nowMs };
    own.set(key, group === undefined ? written : { ...written, grouping: group });
  }
  if (count > maxSeries) {
    const error = `family ${JSON.stringify(name)} would hold ${count} series, over the limit of ${maxSeries} per family`;
    return { name, status: "rejected", code: 413, error };
  }
  if (reset) {
    view.resetAll = true;
    view.changes.clear();
  }
  for (const [key, value] of own) view.changes.set(key, value);
  view.count = count;
  view.definition = definition;
  if (pushId !== undefined) view.pushIds.add(pushId);
  return { name, status: "applied", series: series.length };
}

/**
 * Applies a group of pushes to one family, in order, each judged on its own, and returns every push's outcome and
 * the group's change (to be committed at once; nothing is written here). The series the group touches are read in
 * one call to the storage.
 * @example
 * const { outcomes, change } = applyGroup(storage, [{ pushId: "b-1", part }], Date.now());
 * storage.commit(change, Date.now());
 */
export function applyGroup(
  storage: FamilyStorage,
  received: readonly PendingPush[],
  nowMs: number,
  options: GroupOptions = {},
): { outcomes: FamilyOutcome[]; change: FamilyChange; keys: TouchedKeys[] } {
  // A part takes the family's terms first (its label order decides the keys): the terms as the pushes before it in
  // the group leave them if they apply. Their series are read at once for all of them.
  const before = storage.definition();
  const labelLimit = { maxLabelNames: options.maxLabelNames ?? DEFAULT_LIMITS.maxLabelNames };
  let running = before;
  /** The definition each push was adopted against: the one the pushes before it leave if they all apply. */
  const against: (FamilyDefinition | undefined)[] = [];
  const adopted = received.map((p) => {
    against.push(running);
    const part = adoptStored(p.part, running, labelLimit);
    if ("problem" in part) return part;
    const definition = withStoredTtl(definitionOf(part), running);
    if (!(running && definitionDifference(running, definition, labelsMayGrow(part)))) running = definition;
    return { part, definition };
  });
  const keys = adopted.map((a) => ("problem" in a ? { removed: [], written: [] } : keysOf(a.part)));
  const stored = storage.getSeries([...new Set(keys.flatMap((k) => [...k.removed, ...k.written]))]);
  const view = new GroupView(storage, stored, before);
  const outcomes = received.map((push, i): FamilyOutcome => {
    let taken = adopted[i] as { part: FamilyPush; definition: FamilyDefinition } | AdoptionProblem;
    if (view.definition !== against[i]) {
      // A push before it was refused after all (a cap, a duplicate): it takes the family as it really is now.
      const part = adoptStored(push.part, view.definition, labelLimit);
      taken = "problem" in part ? part : { part, definition: withStoredTtl(definitionOf(part), view.definition) };
      if ("part" in taken) {
        keys[i] = keysOf(taken.part);
        view.read([...keys[i].removed, ...keys[i].written]);
      }
    }
    if ("problem" in taken)
      return { name: push.part.name, status: "rejected", code: taken.status, error: taken.problem };
    return applyOne(view, { ...push, part: taken.part }, taken.definition, keys[i] as TouchedKeys, nowMs, options);
  });
  const change: FamilyChange = {
    resetAll: view.resetAll,
    deleted: [],
    written: new Map(),
    pushIds: [...view.pushIds],
    seriesCount: view.count,
  };
  if (view.definition && (!before || JSON.stringify(before) !== JSON.stringify(view.definition))) {
    change.definition = view.definition;
  }
  for (const [key, value] of view.changes) {
    if (value) change.written.set(key, value);
    else if (!view.resetAll && stored.has(key)) change.deleted.push(key);
  }
  return { outcomes, change, keys };
}

/** The change that deletes the series whose labels include every pair of `match`, and how many those are. */
export function deleteMatching(storage: FamilyStorage, match: Labels): { change: FamilyChange; deleted: number } {
  const definition = storage.definition();
  const deleted = (definition ? storage.allSeries() : [])
    .filter((series) => Object.entries(match).every(([name, value]) => series.labels[name] === value))
    .map((series) => seriesKey((definition as FamilyDefinition).labelNames, series.labels));
  const seriesCount = storage.seriesCount() - deleted.length;
  return {
    change: { resetAll: false, deleted, written: new Map(), pushIds: [], seriesCount },
    deleted: deleted.length,
  };
}

/** True when a series updated at `updated` is still live at `nowMs` under a time to live of `ttl` ms (0 = none). */
const live = (updated: number, ttl: number, nowMs: number) => ttl <= 0 || updated + ttl > nowMs;

/**
 * The family as the encoder renders it at `nowMs`, or undefined when it has no definition yet. Series past their
 * time to live are left out (even before the expiry alarm deletes them); summaries carry their quantiles.
 */
export function snapshotFamily(
  storage: FamilyStorage,
  nowMs: number,
  defaultTtlSeconds = 0,
): FamilySnapshot | undefined {
  const definition = storage.definition();
  if (!definition) return undefined;
  const ttl = ttlMs(definition, defaultTtlSeconds);
  const series = storage
    .allSeries()
    .filter((s) => live(s.updated, ttl, nowMs))
    .map((s) => partSnapshot(definition, s, nowMs));
  return { ...definition, series };
}

/** Series per page a scrape asks for, and about how many bytes of state (and of rendered text) a page holds. */
export const PAGE_SERIES = 1_000;
export const PAGE_BYTES = 512 * 1024;

/** What a scrape asks a family object for: a page after a key, rendered in a format, as snapshots, or raw parts. */
export type PageRequest = {
  after?: string;
  /**
   * The snapshot the reader's earlier pages of this object were read at (the `snapshot` they came with); false from a
   * reader that needs none (it reads a page or two, as the status page does).
   */
  snapshot?: string | false;
  /** At most this many series, and about this many bytes of state (and of rendered text). */
  limit: number;
  maxBytes: number;
} & ({ as: "text"; format: ExpositionFormat } | { as: "snapshots" } | { as: "parts" });

/**
 * One page of the family at `nowMs`. Rendered, or as snapshots, it holds only live series (this object is the family's
 * only one, so its time to live decides); as parts, it holds every stored part, for the reader to merge with the
 * other shards'. `fragment` may supply cached label fragments to the renderer.
 */
export function familyPage(
  storage: FamilyStorage,
  request: PageRequest,
  nowMs: number,
  defaultTtlSeconds = 0,
  fragment?: (key: string, s: SeriesSnapshot) => string,
  /** The definition to read with: a read snapshot's (the family as it was), else the stored one. */
  at?: FamilyDefinition,
): FamilyPage {
  const definition = at ?? storage.definition();
  if (!definition) return { kind: "empty" };
  const snapshot = typeof request.snapshot === "string" ? request.snapshot : undefined;
  const { series, next } = storage.seriesPage(request.after, request.limit, request.maxBytes, snapshot);
  const ttl = ttlMs(definition, defaultTtlSeconds);
  const shown = request.as === "parts" ? series : series.filter((s) => live(s.updated, ttl, nowMs));
  const of = (count: number, after?: string): PageOf => {
    const newest = shown.slice(0, count).reduce((max, s) => Math.max(max, s.updated), 0);
    return {
      definition,
      seriesCount: count,
      ...(count > 0 ? { lastUpdated: newest / 1000 } : {}),
      ...(after !== undefined ? { next: after } : {}),
    };
  };
  if (request.as === "parts") return { kind: "parts", parts: shown, ...of(shown.length, next) };
  const snapshots = shown.map((s) => partSnapshot(definition, s, nowMs));
  if (request.as === "snapshots") return { kind: "snapshots", snapshots, ...of(shown.length, next) };
  // Rendered text can be far larger than the state it comes from (every bucket repeats a series' labels): the page
  // ends once its text holds about `maxBytes`, whatever the series count, so no page outgrows what one reply carries.
  const render = fragment
    ? (i: number) => (snap: SeriesSnapshot) => fragment((shown[i] as SeriesPart).key, snap)
    : () => undefined;
  let text = "";
  let rendered = 0;
  for (const [i, snap] of snapshots.entries()) {
    if (rendered > 0 && text.length >= request.maxBytes) break;
    text += seriesLines(definition, [snap], request.format, render(i));
    rendered++;
  }
  const cut = rendered < snapshots.length ? (shown[rendered - 1] as SeriesPart).key : next;
  return { kind: "text", text, ...of(rendered, cut) };
}
