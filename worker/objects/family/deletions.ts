// An operator's deletions on one object of a family (the router calls each on every shard): the series matching some
// labels, the series of one Pushgateway group, or the whole family, which leaves the catalog and then drops every row with no push in between.

import { labelsOfKey } from "../../../lib/protocol/series-key.ts";
import type { Labels } from "../../../lib/protocol/wire.ts";
import { deleteMatching } from "../../../lib/store/family-store.ts";
import { catalog } from "../catalog-object.ts";
import type { Expiry } from "./expiry.ts";
import type { Groupings } from "./groupings.ts";
import type { FamilyState } from "./state.ts";
import type { WritePath } from "./write-path.ts";

export class Deletions {
  constructor(
    private readonly state: FamilyState,
    private readonly expiry: Expiry,
    private readonly writePath: WritePath,
    private readonly groupings: Groupings,
  ) {}

  /**
   * Deletes the series of the Pushgateway group `grouping` (a `groupingId`) and nothing else; returns how many and
   * their keys. The catalog's index of groups forgets the group here, and shard 0 stops counting the keys for this
   * shard against the cap.
   */
  async grouping(grouping: string): Promise<{ seriesCount: number; keys: string[] }> {
    const { state } = this;
    const { storage } = state;
    const keys = storage.definition() ? storage.keysOfGrouping(grouping) : [];
    await state.deleteKeys(keys);
    await this.groupings.retire([grouping]);
    return { seriesCount: keys.length, keys };
  }

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
      // A scrape paging through the family reads the rest of it as it was (read-snapshots.ts).
      storage.beforeWipe();
      await ctx.storage.deleteAll();
      await this.expiry.clear();
      state.forget();
      state.migrate();
      return { seriesCount };
    });
  }
}
