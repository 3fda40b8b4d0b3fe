// Read snapshots as a pure rule: a reader paging at a snapshot reads the family exactly as it was when the snapshot
// opened, whatever changes (writes, deletions, new keys, a reset) land between its pages; keys compare as storage
// orders them (UTF-8 bytes); a snapshot ends with its last page, its wait, or its size.

import { describe, expect, it } from "vitest";
import { compareKeys } from "../../../lib/protocol/series-key.ts";
import type { SeriesPart } from "../../../lib/protocol/wire.ts";
import {
  FINISHED_TTL_MS,
  MAX_KEPT_BYTES,
  MAX_OPEN_SNAPSHOTS,
  ReadSnapshots,
  SNAPSHOT_TTL_MS,
} from "../../../lib/store/read-snapshots.ts";
import { seeded } from "../../fixtures/random.ts";

const part = (key: string, value: number): SeriesPart => ({ key, labels: {}, created: 0, updated: value, value });

/** A family's storage as the SQL one behaves: rows by key in byte order, every change kept for snapshots first. */
class Family {
  readonly rows = new Map<string, SeriesPart>();
  /** Every kept series counted as 1 KB. */
  readonly snapshots = new ReadSnapshots<string>(() => 1024);

  set(key: string, value: number) {
    this.snapshots.keep([key], (keys) => this.current(keys));
    this.rows.set(key, part(key, value));
  }
  delete(key: string) {
    this.snapshots.keep([key], (keys) => this.current(keys));
    this.rows.delete(key);
  }
  reset() {
    this.snapshots.keepAll(() => [...this.rows.values()]);
    this.rows.clear();
  }
  private current(keys: string[]) {
    return new Map(keys.filter((k) => this.rows.has(k)).map((k) => [k, this.rows.get(k) as SeriesPart]));
  }
  /** A page as storage hands it out now: at most `limit` rows after `after`, and where to go on. */
  page(after: string | undefined, limit: number) {
    const sorted = [...this.rows.values()].sort((a, b) => compareKeys(a.key, b.key));
    const rest = sorted.filter((s) => after === undefined || compareKeys(s.key, after) > 0);
    const series = rest.slice(0, limit);
    return rest.length > limit ? { series, next: (series.at(-1) as SeriesPart).key } : { series };
  }
  /** Pages through at `token`, running `between` after each page; what the reader saw. */
  readAll(token: string, limit: number, between: (page: number) => void): string[] {
    const seen: string[] = [];
    let after: string | undefined;
    for (let n = 0; ; n++) {
      const page = this.snapshots.page(token, after, this.page(after, limit), limit);
      expect(page.series.length).toBeLessThanOrEqual(limit);
      for (const s of page.series) seen.push(`${s.key}=${s.value}`);
      if (page.next === undefined) return seen;
      after = page.next;
      between(n);
    }
  }
  state(): string[] {
    return [...this.rows.values()].sort((a, b) => compareKeys(a.key, b.key)).map((s) => `${s.key}=${s.value}`);
  }
}

describe("read snapshots", () => {
  it("a reader sees exactly the family of its first page, whatever lands between its pages", () => {
    // Keys past U+FFFF and in U+E000–U+FFFF too: storage's byte order is not JavaScript's `<`.
    const keys = ["a", "b", "c", "d", "e", "f", "g", "h", "\uFF01", "\u{1F600}", "\uE000x", "\u{10000}"];
    for (let seed = 1; seed <= 200; seed++) {
      const next = seeded(seed);
      const family = new Family();
      for (const key of keys) if (next() < 0.6) family.set(key, Math.floor(next() * 100));
      const before = family.state();
      const token = family.snapshots.begin(0, "fences then") as string;
      const limit = 1 + Math.floor(next() * 4);
      const seen = family.readAll(token, limit, () => {
        for (let i = Math.floor(next() * 4); i > 0; i--) {
          const key = keys[Math.floor(next() * keys.length)] as string;
          const roll = next();
          if (roll < 0.05) family.reset();
          else if (roll < 0.4) family.delete(key);
          else family.set(key, 100 + Math.floor(next() * 100));
        }
      });
      expect(seen, `seed ${seed}`).toEqual(before);
      // A reader that starts now reads the family as it is now.
      const later = family.snapshots.begin(0, "") as string;
      expect(
        family.readAll(later, limit, () => {}),
        `seed ${seed}`,
      ).toEqual(family.state());
    }
  });

  it("keeps nothing while no reader pages, and only what a change replaces once per snapshot", () => {
    const family = new Family();
    family.set("a", 1);
    let reads = 0;
    const counted = (keys: string[]) => {
      reads++;
      return new Map(keys.map((k) => [k, part(k, 0)]));
    };
    family.snapshots.keep(["a"], counted);
    expect(reads).toBe(0);
    expect(family.snapshots.active).toBe(false);
    const token = family.snapshots.begin(0, "") as string;
    family.snapshots.keep(["a"], counted);
    family.snapshots.keep(["a"], counted);
    expect(reads).toBe(1);
    family.snapshots.finish(token, 0);
    // A retry of the last page still reads at it, a few seconds long; then it ends.
    expect(family.snapshots.at(token, FINISHED_TTL_MS - 1)).toBeDefined();
    expect(family.snapshots.at(token, FINISHED_TTL_MS)).toBeUndefined();
    expect(family.snapshots.active).toBe(false);
  });

  it("hands the caller's value back as of the start, and says when a snapshot is gone (its wait, or never held)", () => {
    const snapshots = new ReadSnapshots<string[]>(() => 1);
    const token = snapshots.begin(1_000, ["fence a"]) as string;
    expect(snapshots.at(token, 1_000 + SNAPSHOT_TTL_MS - 1)?.meta).toEqual(["fence a"]);
    // Each page renews the wait.
    expect(snapshots.at(token, 1_000 + 2 * SNAPSHOT_TTL_MS - 2)?.meta).toEqual(["fence a"]);
    expect(snapshots.at(token, 1_000 + 3 * SNAPSHOT_TTL_MS)).toBeUndefined();
    expect(snapshots.at("a token of an earlier instance", 0)).toBeUndefined();
    expect(snapshots.lost).toBe(2);
  });

  it("opens at most MAX_OPEN_SNAPSHOTS, and ends the largest once they would keep more than MAX_KEPT_BYTES", () => {
    const family = new Family();
    const tokens = Array.from({ length: MAX_OPEN_SNAPSHOTS }, () => family.snapshots.begin(0, ""));
    expect(tokens.every((t) => typeof t === "string")).toBe(true);
    expect(new Set(tokens).size).toBe(MAX_OPEN_SNAPSHOTS);
    expect(family.snapshots.begin(0, "")).toBeUndefined();
    for (const t of tokens) family.snapshots.finish(t as string, -FINISHED_TTL_MS);
    const keys = (from: number, count: number) => Array.from({ length: count }, (_, i) => `k${from + i}`);
    const all = (ks: string[]) => new Map(ks.map((k) => [k, part(k, 1)]));
    const older = family.snapshots.begin(0, "") as string;
    family.snapshots.keep(keys(0, 10), all);
    const newer = family.snapshots.begin(0, "") as string;
    // Each series is 1 KB: the older snapshot now keeps 10 more than the newer, which passes the cap with them.
    family.snapshots.keep(keys(10, MAX_KEPT_BYTES / 1024 / 2), all);
    expect(family.snapshots.at(older, 0)).toBeUndefined();
    expect(family.snapshots.at(newer, 0)).toBeDefined();
  });
});

describe("compareKeys", () => {
  it("orders keys as SQLite does (UTF-8 bytes, that is code points), not as JavaScript's < does", () => {
    const keys = ['["\u{1F600}"]', '["\uFF01"]', '["a"]', '["\uE000"]', '["\u{10000}"]', '["a","b"]', '["\uD7FF"]'];
    const bytes = (k: string) => [...new TextEncoder().encode(k)];
    const byBytes = [...keys].sort((a, b) => {
      const [x, y] = [bytes(a), bytes(b)];
      for (let i = 0; i < Math.min(x.length, y.length); i++)
        if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
      return x.length - y.length;
    });
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
    expect(byBytes).not.toEqual([...keys].sort());
  });
});
