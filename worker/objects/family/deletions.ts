// An operator's deletions on one object of a family (the router calls each on every shard): the series matching some
// labels, or the whole family, which leaves the catalog and then drops every row with no push in between.

import { labelsOfKey } from "../../../lib/protocol/series-key.ts";
import type { Labels } from "../../../lib/protocol/wire.ts";
import { deleteMatching } from "../../../lib/store/family-store.ts";
import { catalog } from "../catalog-object.ts";
import type { Expiry } from "./expiry.ts";
import type { FamilyState } from "./state.ts";
import type { WritePath } from "./write-path.ts";

export class Deletions {
  constructor(
    private readonly state: FamilyState,
    private readonly expiry: Expiry,
    private readonly writePath: WritePath,
  ) {}

  /**
   * Deletes the series whose labels include every pair of `match`; returns how many and their keys, or names an
   * unknown label.
   */
  series(match: Labels): { seriesCount: number; keys: string[] } | { error: string } {
    const { storage, shardKeys } = this.state;
    const labelNames = storage.definition()?.labelNames ?? [];
    const unknown = Object.keys(match).find((name) => !labelNames.includes(name));
    if (unknown !== undefined) {
      return { error: `the family has no label ${JSON.stringify(unknown)} (labels: ${JSON.stringify(labelNames)})` };
    }
    const matches = (key: string) =>
      Object.entries(match).every(([name, value]) => labelsOfKey(labelNames, key)[name] === value);
    return this.state.write(() => {
      const { change, deleted } = deleteMatching(storage, match);
      storage.commit(change, this.state.now());
      shardKeys.drop(shardKeys.keys().filter(matches));
      return { seriesCount: deleted, keys: change.deleted };
    });
  }

  /**
   * Deletes this object's part of the family: leaves the catalog, then drops every row, push ids included, with no
   * push in between; a push that was waiting on the catalog registers again. Returns how many series were deleted.
   */
  family(name: string): Promise<{ seriesCount: number }> {
    const { state } = this;
    const { storage, shardKeys, ctx } = state;
    // No push may run between leaving the catalog and wiping the rows (deletion is rare: blocking is fine).
    return ctx.blockConcurrencyWhile(async () => {
      // Shard 0 of a sharded family knows how many distinct series the family held.
      const sharded = storage.knownShards() > 1 && state.shard === 0;
      const seriesCount = sharded ? shardKeys.distinct : storage.definition() ? storage.seriesCount() : 0;
      this.writePath.familyDeleted();
      await catalog(state.env).remove(name);
      await ctx.storage.deleteAll();
      await this.expiry.clear();
      state.forget();
      state.migrate();
      return { seriesCount };
    });
  }
}
