// What a family object hands out: its pages for the scrape (rendered label fragments cached by series key; every page
// of raw parts carries the shard's fences; a reader's later pages are read at the read snapshot its first page
// opened), the status page's summary, a whole snapshot, and its counters for the benchmark. Nothing here writes.

import { labelFragment } from "../../../lib/protocol/exposition.ts";
import type { FamilyDefinition, FamilyPage, FamilySnapshot, SeriesSnapshot } from "../../../lib/protocol/wire.ts";
import { familyPage, type PageRequest, snapshotFamily } from "../../../lib/store/family-store.ts";
import { defaultTtlSeconds } from "../../config/settings.ts";
import { familyMessage } from "../../protobuf/families.ts";
import { DelimitedWriter } from "../../protobuf/messages.ts";
import type { Fences } from "./fences.ts";
import type { Narrowing } from "./narrowing.ts";
import type { FamilyState } from "./state.ts";

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
  /** Pages asked at a read snapshot that had ended (read as they were then), since this instance started. */
  snapshotsLost: number;
}

/** What the status page shows of one object of a family. */
export interface FamilySummary {
  /** The family's definition; null when nothing was pushed to this object. */
  definition: FamilyDefinition | null;
  /** Series held here; on shard 0 of a family spread over several objects, the distinct series of all of them. */
  seriesCount: number;
  /** The latest update of a series held here, in seconds since the epoch; absent when none is held. */
  lastUpdated?: number;
}

/** What the scrape asks of a family object: a page as the store hands it out, or rendered as a protobuf message. */
export type ScrapePageRequest = PageRequest | (Omit<PageRequest, "as" | "format"> & { as: "protobuf" });

export class Reads {
  /** Label fragments of rendered series, by key. */
  private readonly fragments = new Map<string, string>();
  /** The label names the fragments were rendered with. */
  private fragmentLabels = "";

  constructor(
    private readonly state: FamilyState,
    private readonly narrowing: Narrowing,
    private readonly fences: Fences,
  ) {
    state.onForget(() => this.fragments.clear());
  }

  /**
   * One page of the family: rendered (when this object is the family's only one), snapshots, or raw parts for the
   * scrape to merge with the other shards' (shard 0's parts name the shards it took in).
   */
  page(request: ScrapePageRequest): FamilyPage {
    if (request.as === "protobuf") {
      // The page's live series as one MetricFamily message: bytes travel back, not the series as objects.
      const page = this.page({ ...request, as: "snapshots" });
      if (page.kind !== "snapshots") return page;
      const writer = new DelimitedWriter();
      writer.family(familyMessage(page.definition, page.snapshots));
      const { snapshots: _snapshots, ...of } = page;
      return { ...of, kind: "protobuf", bytes: writer.finish() };
    }
    const { state } = this;
    // A reader that goes on past its first page reads at the snapshot that page opened: the family (its definition,
    // its series), its fences and the shards it took in, as they were then (read-snapshots.ts). One whose snapshot
    // ended reads them as they are now, and keeps naming it (no snapshot opens in the middle of a read).
    const { snapshots } = state.storage;
    const now = state.now();
    const { snapshot: token, ...current } = request;
    const held = typeof token === "string" ? snapshots.at(token, now)?.meta : undefined;
    const definition = held ? held.definition : state.storage.definition();
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
    const ttl = defaultTtlSeconds(state.env);
    const read = familyPage(state.storage, held ? request : current, now, ttl, fragment, held?.definition);
    const absorbedNow = () => (state.shard === 0 ? Object.keys(this.narrowing.absorbedShards()).map(Number) : []);
    let snapshot: string | undefined;
    if (read.kind !== "empty" && read.next !== undefined) {
      snapshot =
        typeof token === "string"
          ? token
          : token === undefined
            ? snapshots.begin(now, { definition: read.definition, fences: this.fences.list(), absorbed: absorbedNow() })
            : undefined;
    } else if (typeof token === "string") snapshots.finish(token, now);
    const page = snapshot !== undefined ? { ...read, snapshot } : read;
    if (request.as !== "parts" || (page.kind !== "parts" && page.kind !== "empty")) return page;
    // Every page of raw parts carries this shard's fences (an empty one too: a group may be replaced here in a
    // family this shard never held): a reader leaves out what they replaced on the other shards.
    const fences = held ? held.fences : this.fences.list();
    const fenced =
      fences.length > 0
        ? { ...page, fences: fences.map(({ grouping, keys, home, before }) => ({ grouping, keys, home, before })) }
        : page;
    if (fenced.kind !== "parts" || state.shard !== 0) return fenced;
    const absorbed = held ? held.absorbed : absorbedNow();
    return absorbed.length > 0 ? { ...fenced, absorbed } : fenced;
  }

  /** The family as the status page lists it (shard 0 of a sharded family counts the distinct series of all shards). */
  summary(): FamilySummary {
    const { storage, shardKeys, shard } = this.state;
    const definition = storage.definition() ?? null;
    const sharded = shard === 0 && (storage.knownShards() > 1 || shardKeys.distinct > 0);
    const seriesCount = sharded ? shardKeys.distinct : definition ? storage.seriesCount() : 0;
    const newest = storage.newestUpdate();
    return { definition, seriesCount, ...(newest !== undefined ? { lastUpdated: newest / 1000 } : {}) };
  }

  /** The family with every live series, or null when nothing was ever pushed here. */
  snapshot(): FamilySnapshot | null {
    const { state } = this;
    return snapshotFamily(state.storage, state.now(), defaultTtlSeconds(state.env)) ?? null;
  }

  /** Counters for cost accounting since this instance started. */
  stats(busyMs: number): FamilyObjectStats {
    const { storage, counters } = this.state;
    return {
      ...counters,
      busyMs,
      rowsWritten: storage.rowsWritten,
      rowsRead: storage.rowsRead,
      statements: storage.statements,
      seriesCount: storage.definition() ? storage.seriesCount() : 0,
      snapshotsLost: storage.snapshots.lost,
    };
  }
}
