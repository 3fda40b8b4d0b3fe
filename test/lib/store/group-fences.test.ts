// The fence of a group replacement on a family spread over shards, as a pure rule: which parts it replaces (the
// group's, and the keys it took over, on the shards it asked, updated no later than it asked), and when one is needed.

import { describe, expect, it } from "vitest";
import type { GroupFence } from "../../../lib/protocol/wire.ts";
import { fenceOf, replacedByAny } from "../../../lib/store/group-fences.ts";

const fence: GroupFence = { grouping: "job=a", keys: ["k2"], home: 0, before: { "1": 1_000, "2": 2_000 } };
const replaced = replacedByAny([fence]);
const part = (key: string, grouping: string | undefined, updated: number) => ({
  key,
  labels: {},
  created: 0,
  updated,
  ...(grouping !== undefined ? { grouping } : {}),
});

describe("group fences", () => {
  it("replaces the group's parts and the keys it took over, on the shards it asked, updated no later", () => {
    expect(replaced(1, part("k1", "job=a", 1_000))).toBe(true);
    expect(replaced(2, part("k2", undefined, 1_500))).toBe(true);
    expect(replaced(2, part("k2", "job=b", 2_000))).toBe(true);
  });

  it("leaves the home shard's parts, later writes, other groups and shards it did not ask", () => {
    expect(replaced(0, part("k1", "job=a", 1))).toBe(false);
    expect(replaced(1, part("k1", "job=a", 1_001))).toBe(false);
    expect(replaced(1, part("k3", "job=b", 1))).toBe(false);
    expect(replaced(3, part("k1", "job=a", 1))).toBe(false);
    expect(replacedByAny([])(1, part("k1", "job=a", 1))).toBe(false);
  });

  it("is needed only when another shard holds some of what the replacement takes over", () => {
    const none = new Map([
      [1, { now: 5, group: 0, keys: [] }],
      [2, { now: 6, group: 0, keys: [] }],
    ]);
    expect(fenceOf("job=a", 0, none)).toBeUndefined();
    const some = new Map([
      [1, { now: 5, group: 2, keys: [] }],
      [2, { now: 6, group: 0, keys: ["k9", "k2"] }],
      [3, { now: 7, group: 0, keys: [] }],
    ]);
    expect(fenceOf("job=a", 0, some)).toEqual({
      grouping: "job=a",
      keys: ["k2", "k9"],
      home: 0,
      before: { "1": 5, "2": 6 },
    });
  });
});
