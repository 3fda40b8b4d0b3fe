// GroupCommit on its own: an idle submission is applied at once and alone; submissions that arrive while a group
// applies wait and go together as the next group, each getting its own result in order; a group that throws fails
// exactly its own submissions; the object stays busy for its window after each group, and counts that time.

import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../../worker/objects/group-commit.ts";

/** A GroupCommit whose groups are recorded and held open until released. */
function held(windowMs = 0) {
  const groups: number[][] = [];
  const releases: (() => void)[] = [];
  const commit = new GroupCommit<number, string>(
    async (items) => {
      groups.push(items);
      await new Promise<void>((r) => releases.push(r));
      if (items.includes(-1)) throw new Error("bad group");
      return items.map((i) => `done ${i}`);
    },
    () => windowMs,
  );
  const releaseNext = async () => {
    while (releases.length === 0) await new Promise((r) => setTimeout(r, 1));
    (releases.shift() as () => void)();
  };
  return { commit, groups, releaseNext };
}

describe("group commit", () => {
  it("applies an idle submission at once and alone, within the call", () => {
    const { commit, groups } = held();
    void commit.submit(1);
    expect(groups).toEqual([[1]]);
  });

  it("groups what arrives while busy, and answers each in order", async () => {
    const { commit, groups, releaseNext } = held();
    const first = commit.submit(1);
    const waiting = [commit.submit(2), commit.submit(3), commit.submit(4)];
    await releaseNext();
    expect(await first).toBe("done 1");
    await releaseNext();
    expect(await Promise.all(waiting)).toEqual(["done 2", "done 3", "done 4"]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it("fails only the submissions of a group that throws", async () => {
    const { commit, groups, releaseNext } = held();
    const first = commit.submit(1);
    const bad = [commit.submit(-1), commit.submit(2)].map((p) => p.catch((e: Error) => e.message));
    await releaseNext();
    await releaseNext();
    expect(await first).toBe("done 1");
    expect(await Promise.all(bad)).toEqual(["bad group", "bad group"]);
    // The object is usable again afterwards.
    const after = commit.submit(5);
    await releaseNext();
    expect(await after).toBe("done 5");
    expect(groups).toEqual([[1], [-1, 2], [5]]);
  });

  it("stays busy for its window after a group, so later arrivals join the next group", async () => {
    const { commit, groups, releaseNext } = held(30);
    const first = commit.submit(1);
    await releaseNext();
    await first;
    // The group is applied, but the window is open: this one waits for it.
    const late = commit.submit(2);
    expect(groups).toEqual([[1]]);
    await releaseNext();
    expect(await late).toBe("done 2");
    expect(groups).toEqual([[1], [2]]);
    expect(commit.busyMs).toBeGreaterThanOrEqual(25);
  });
});
