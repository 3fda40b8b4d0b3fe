// A group of pushes applied to one family at once (what a busy family object does): each push takes the family as
// the pushes before it really left it, including when one of them was refused.

import { describe, expect, it } from "vitest";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";
import { applyGroup } from "../../../lib/store/family-store.ts";
import { MemoryFamily } from "../../../lib/store/memory-store.ts";

const declared = (series: FamilyPush["series"]): FamilyPush => ({
  name: "jobs",
  type: "counter",
  help: "Jobs.",
  labelNames: ["a"],
  series,
});

describe("applyGroup", () => {
  it("adopts a push against the family as it is after a refused push before it, not as that push would have left it", () => {
    const storage = new MemoryFamily();
    const first = applyGroup(storage, [{ pushId: "p0", part: declared([{ labels: { a: "x" }, inc: 1 }]) }], 1_000, {
      maxSeries: 1,
    });
    storage.commit(first.change);
    // A text push that would add label "b" and a second series (over the cap of 1), then the library's own push.
    const grows: FamilyPush = {
      name: "jobs",
      type: "counter",
      help: "",
      labelNames: ["a", "b"],
      inferred: true,
      series: [{ labels: { a: "y", b: "z" }, inc: 1 }],
    };
    const { outcomes, change } = applyGroup(
      storage,
      [
        { pushId: "p1", part: grows },
        { pushId: "p2", part: declared([{ labels: { a: "x" }, inc: 2 }]) },
      ],
      2_000,
      { maxSeries: 1 },
    );
    expect(outcomes.map((o) => [o.status, o.status === "rejected" ? o.code : 0])).toEqual([
      ["rejected", 413],
      ["applied", 0],
    ]);
    storage.commit(change);
    expect(storage.definition()?.labelNames).toEqual(["a"]);
    expect([...storage.getSeries(['["x"]']).values()].map((s) => s.value)).toEqual([3]);
  });
});
