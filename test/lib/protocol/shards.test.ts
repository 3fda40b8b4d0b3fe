// Shard choice: a part goes to the shard its push id hashes to (the same one on every retry), parts spread evenly,
// and a part that deletes on every shard (reset, removals, replaced series) goes to shard 0, which applies it
// everywhere.

import { describe, expect, it } from "vitest";
import { deletesElsewhere, shardFor } from "../../../lib/protocol/shards.ts";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";

const part = (over: Partial<FamilyPush> = {}) => ({
  name: "jobs",
  shards: 8,
  series: [{ labels: {}, inc: 1 }],
  ...over,
});

describe("shard choice", () => {
  it("sends every retry of a push to the same shard", () => {
    for (let i = 0; i < 200; i++) {
      const id = `push-${i}`;
      const first = shardFor(part(), id);
      expect(shardFor(part(), id)).toBe(first);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(8);
    }
  });

  it("spreads pushes evenly over the shards", () => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardFor(part(), crypto.randomUUID())]++;
    // 1,000 expected each; a binomial spread stays well within ±20%.
    for (const c of counts) expect(c).toBeGreaterThan(800);
    for (const c of counts) expect(c).toBeLessThan(1200);
  });

  it("spreads the families of one push independently", () => {
    const shardsOf = (name: string) =>
      Array.from({ length: 64 }, (_, i) => shardFor(part({ name }), `p${i}`)).join(",");
    expect(shardsOf("a")).not.toBe(shardsOf("b"));
  });

  it("sends a Pushgateway group's parts, its replacements too, to the one shard its group picks; groups spread", () => {
    const group = (instance: string) => ({ job: "backup", instance });
    const home = shardFor(part({ grouping: group("db-1") }), "p-1");
    const cases: [Partial<FamilyPush>, string | undefined][] = [
      [{ grouping: group("db-1") }, "p-2"],
      [{ grouping: group("db-1"), replace: true }, undefined],
      [{ grouping: group("db-1"), replace: true, series: [] }, "p-3"],
    ];
    for (const [over, pushId] of cases) expect(shardFor(part(over), pushId)).toBe(home);
    const homes = new Set(Array.from({ length: 200 }, (_, i) => shardFor(part({ grouping: group(`db-${i}`) }), "x")));
    expect(homes.size).toBe(8);
    // A group's reset goes to shard 0 as any other.
    expect(shardFor(part({ grouping: group("db-1"), reset: true }), "p-4")).toBe(0);
  });

  it("sends a part that deletes everywhere to shard 0, and everything to shard 0 of an unsharded family", () => {
    const deleting: Partial<FamilyPush>[] = [
      { reset: true },
      { remove: [{ route: "/" }] },
      { replace: true, series: [{ labels: {}, inc: 1 }] },
    ];
    for (const over of deleting) {
      expect(deletesElsewhere(part(over))).toBe(true);
      for (let i = 0; i < 50; i++) expect(shardFor(part(over), `p${i}`)).toBe(0);
    }
    expect(deletesElsewhere(part({ replace: true, series: [] }))).toBe(false);
    expect(deletesElsewhere(part())).toBe(false);
    for (let i = 0; i < 50; i++) expect(shardFor(part({ shards: 1 }), `p${i}`)).toBe(0);
    for (let i = 0; i < 50; i++) expect(shardFor(part({ shards: undefined }), `p${i}`)).toBe(0);
  });
});
