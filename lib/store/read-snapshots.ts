// A reader that pages through a family (a scrape of more than one page of series) sees it as it was at its first
// page, so no change lands in the middle of what it reads: not half of a Pushgateway PUT, not half of one push. While a
// snapshot is open, a change first keeps what it replaces of each key it touches (once per snapshot: the state at the
// snapshot, or "absent"), and the pages read at the snapshot show the kept state in place of today's. Nothing is kept
// while no reader pages. A snapshot ends a few seconds after its last page (a retried last page still finds it), after
// SNAPSHOT_TTL_MS without a page (a reader that went away), or when the snapshots together would keep more than
// MAX_KEPT_BYTES (the largest ends); a page asked at a snapshot that is gone is read as the family is now, and counted.
// The snapshot also keeps a value of the caller's as of its start (the definition, the shard's fences…).

import { compareKeys } from "../protocol/series-key.ts";
import type { SeriesPart } from "../protocol/wire.ts";

/** How long a snapshot waits for its reader's next page. A scrape reads a page in milliseconds. */
export const SNAPSHOT_TTL_MS = 60_000;
/** About the memory every open snapshot's kept series may take together; past it, the largest snapshot ends. */
export const MAX_KEPT_BYTES = 8 * 1024 * 1024;
/** How long a snapshot stays after its last page was served: a retry of that page still reads at it. */
export const FINISHED_TTL_MS = 5_000;
/** Snapshots open at once at most (each scrape in flight and each status page); past it, pages are read as they are. */
export const MAX_OPEN_SNAPSHOTS = 8;

interface Snapshot<M> {
  expires: number;
  /** About the memory its kept series take. */
  bytes: number;
  /** Its last page was served: it ends soon, whatever is read at it. */
  finished?: boolean;
  /** The state at the snapshot of each key changed since, or null when the key did not exist then. */
  kept: Map<string, SeriesPart | null>;
  meta: M;
}

/** A page of series in key order, and the key to continue after when more remain (as storage hands it out). */
export interface SeriesPage {
  series: SeriesPart[];
  next?: string;
}

/** The open snapshots of one family's storage (one object), kept in memory. */
export class ReadSnapshots<M> {
  readonly #open = new Map<string, Snapshot<M>>();
  /** Pages asked at a snapshot that had ended (read as they are now), since this instance started. */
  lost = 0;

  /** `size`: about the memory a series takes (the storage's own estimate). */
  constructor(private readonly size: (series: SeriesPart) => number) {}

  /** True while a reader pages at a snapshot: a change must `keep` first. */
  get active(): boolean {
    return this.#open.size > 0;
  }

  /** Opens a snapshot of the family as it is now, with `meta`; its token, or undefined when too many are open. */
  begin(nowMs: number, meta: M): string | undefined {
    this.expire(nowMs);
    if (this.#open.size >= MAX_OPEN_SNAPSHOTS) return undefined;
    const token = crypto.randomUUID();
    this.#open.set(token, { expires: nowMs + SNAPSHOT_TTL_MS, bytes: 0, kept: new Map(), meta });
    return token;
  }

  /**
   * The snapshot `token` names, its wait renewed; undefined (and counted as lost) when it ended. Its `meta` is the
   * caller's value as of its start.
   */
  at(token: string, nowMs: number): { meta: M } | undefined {
    this.expire(nowMs);
    const snapshot = this.#open.get(token);
    if (!snapshot) {
      this.lost++;
      return undefined;
    }
    if (!snapshot.finished) snapshot.expires = nowMs + SNAPSHOT_TTL_MS;
    return snapshot;
  }

  /** Its reader read the last page of snapshot `token`: it ends FINISHED_TTL_MS from `nowMs`. */
  finish(token: string, nowMs: number): void {
    const snapshot = this.#open.get(token);
    if (!snapshot) return;
    snapshot.finished = true;
    snapshot.expires = Math.min(snapshot.expires, nowMs + FINISHED_TTL_MS);
  }

  /**
   * Before a change of `keys`: keeps their state now (`current` reads it; a key it leaves out did not exist) for every
   * open snapshot that has not kept it yet.
   */
  keep(keys: Iterable<string>, current: (keys: string[]) => Map<string, SeriesPart>): void {
    if (this.#open.size === 0) return;
    const missing = new Set<string>();
    for (const key of keys) for (const snapshot of this.#open.values()) if (!snapshot.kept.has(key)) missing.add(key);
    if (missing.size === 0) return;
    const now = current([...missing]);
    let total = 0;
    for (const snapshot of this.#open.values()) {
      for (const key of missing) {
        if (snapshot.kept.has(key)) continue;
        const then = now.get(key) ?? null;
        snapshot.kept.set(key, then);
        snapshot.bytes += then ? this.size(then) : 64;
      }
      total += snapshot.bytes;
    }
    while (total > MAX_KEPT_BYTES) {
      const [token, largest] = [...this.#open].reduce((a, b) => (b[1].bytes > a[1].bytes ? b : a));
      this.#open.delete(token);
      total -= largest.bytes;
    }
  }

  /** Before a change of every key (the family reset or cleared): keeps every series now, as `keep` does. */
  keepAll(all: () => SeriesPart[]): void {
    if (this.#open.size === 0) return;
    const series = all();
    this.keep(
      series.map((s) => s.key),
      () => new Map(series.map((s) => [s.key, s])),
    );
  }

  /**
   * The page after `after` as it was at snapshot `token`, from the page storage hands out now (`page`, read after
   * `after`, at most `limit` series): a key changed since shows its kept state (a key created since is left out), and
   * a key deleted since, up to where the page ends, is put back. At most `limit` series; `next` where to go on.
   */
  page(token: string, after: string | undefined, page: SeriesPage, limit: number): SeriesPage {
    const kept = this.#open.get(token)?.kept;
    if (!kept || kept.size === 0) return page;
    const series: SeriesPart[] = [];
    for (const s of page.series) {
      const then = kept.has(s.key) ? kept.get(s.key) : s;
      if (then) series.push(then);
    }
    // Keys gone since the snapshot, between `after` and the page's end (its last key, or the end of the family).
    const inPage = new Set(page.series.map((s) => s.key));
    for (const [key, then] of kept) {
      if (!then || inPage.has(key)) continue;
      if (after !== undefined && compareKeys(key, after) <= 0) continue;
      if (page.next !== undefined && compareKeys(key, page.next) > 0) continue;
      series.push(then);
    }
    series.sort((a, b) => compareKeys(a.key, b.key));
    if (series.length <= limit) return page.next !== undefined ? { series, next: page.next } : { series };
    const cut = series.slice(0, limit);
    return { series: cut, next: (cut.at(-1) as SeriesPart).key };
  }

  private expire(nowMs: number): void {
    for (const [token, snapshot] of this.#open) if (snapshot.expires <= nowMs) this.#open.delete(token);
  }
}
