// A family object's read snapshots inside workerd: a reader that pages through the family reads it as it was at its
// first page, whatever a push, a series deletion or the family's deletion changes between two pages; a reader whose
// snapshot is gone reads as the family is now (counted), and one that asks for none opens none.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FamilyPage, FamilyPush } from "../../../lib/protocol/wire.ts";
import { PAGE_BYTES } from "../../../lib/store/family-store.ts";

let runs = 0;
const stub = (family: string) => env.METRICS_FAMILY.getByName(family);
const counter = (name: string, values: Record<string, number>): FamilyPush => ({
  name,
  type: "counter",
  help: "C.",
  labelNames: ["k"],
  series: Object.entries(values).map(([k, inc]) => ({ labels: { k }, inc })),
});

/** Reads page after page (two series a page), at the snapshot each page names, running `between` after the first. */
async function readAll(name: string, between: () => Promise<void> = async () => {}, first?: string) {
  const seen: string[] = [];
  let after: string | undefined;
  let snapshot = first;
  for (let n = 0; ; n++) {
    const page: FamilyPage = await stub(name).scrapePage({
      as: "snapshots",
      ...(after !== undefined ? { after } : {}),
      ...(snapshot !== undefined ? { snapshot } : {}),
      limit: 2,
      maxBytes: PAGE_BYTES,
    });
    if (page.kind !== "snapshots") return { seen, snapshot };
    for (const s of page.snapshots) seen.push(`${s.labels.k}=${s.value}`);
    if (page.next === undefined) return { seen, snapshot };
    after = page.next;
    snapshot = page.snapshot;
    if (n === 0) await between();
  }
}

describe("read snapshots (workerd)", () => {
  it("a push, a deleted series and a new one between two pages show in none of them", async () => {
    const name = `snap_push_${++runs}`;
    const values = { a: 1, b: 2, c: 3, d: 4, e: 5 };
    expect(await stub(name).push("p1", counter(name, values))).toMatchObject({ status: "applied" });
    const { seen } = await readAll(name, async () => {
      expect(await stub(name).push("p2", counter(name, { a: 10, d: 10, f: 10 }))).toMatchObject({ status: "applied" });
      expect(await stub(name).deleteSeries({ k: "e" })).toMatchObject({ seriesCount: 1 });
    });
    expect(seen).toEqual(["a=1", "b=2", "c=3", "d=4", "e=5"]);
    // The next reader starts after them: all of them.
    expect((await readAll(name)).seen).toEqual(["a=11", "b=2", "c=3", "d=14", "f=10"]);
  });

  it("the family deleted between two pages: the reader reads the rest of it as it was", async () => {
    const name = `snap_deleted_${++runs}`;
    expect(await stub(name).push("p1", counter(name, { a: 1, b: 2, c: 3 }))).toMatchObject({ status: "applied" });
    const { seen } = await readAll(name, async () => {
      expect(await stub(name).deleteFamily(name)).toEqual({ seriesCount: 3 });
    });
    expect(seen).toEqual(["a=1", "b=2", "c=3"]);
    expect((await readAll(name)).seen).toEqual([]);
  });

  it("a snapshot the object no longer holds: the pages are read as they are now, counted, and none opens midway", async () => {
    const name = `snap_lost_${++runs}`;
    expect(await stub(name).push("p1", counter(name, { a: 1, b: 2, c: 3, d: 4, e: 5 }))).toMatchObject({
      status: "applied",
    });
    const lostBefore = (await stub(name).stats()).snapshotsLost;
    const { seen, snapshot } = await readAll(name, async () => {}, "a token this instance never gave");
    expect(seen).toEqual(["a=1", "b=2", "c=3", "d=4", "e=5"]);
    expect(snapshot).toBe("a token this instance never gave");
    expect((await stub(name).stats()).snapshotsLost - lostBefore).toBe(3);
  });

  it("a reader that asks for none (the status page) opens none", async () => {
    const name = `snap_none_${++runs}`;
    expect(await stub(name).push("p1", counter(name, { a: 1, b: 2, c: 3 }))).toMatchObject({ status: "applied" });
    const page = await stub(name).scrapePage({ as: "snapshots", limit: 2, maxBytes: PAGE_BYTES, snapshot: false });
    expect(page.kind === "snapshots" && page.next !== undefined && page.snapshot).toBe(undefined);
    const opened = await stub(name).scrapePage({ as: "snapshots", limit: 2, maxBytes: PAGE_BYTES });
    expect(opened.kind === "snapshots" && typeof opened.snapshot).toBe("string");
  });
});
