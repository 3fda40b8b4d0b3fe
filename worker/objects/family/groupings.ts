// The Pushgateway groups this object holds series of, kept in the catalog's index of groups (which families hold a
// group's series, so the Pushgateway API's PUT and DELETE reach exactly those): the catalog learns of a group here
// before its first series is written here, and forgets it once the group's series here are deleted. This object's
// calls to the catalog go one after another, so the index ends as its last word; it may list a family that holds
// none of a group, never miss one that holds some.

import { catalog } from "../catalog-object.ts";
import type { FamilyState } from "./state.ts";

export class Groupings {
  /** The groups (`groupingId`s) held here, as far as the catalog was told; undefined until read from storage. */
  private known: Set<string> | undefined;
  /** The last call to the catalog: the next one waits for it. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly state: FamilyState) {
    state.onForget(() => {
      this.known = undefined;
    });
  }

  private held(): Set<string> {
    this.known ??= new Set(this.state.storage.groupings());
    return this.known;
  }

  /** Tells the catalog of the groups among `groupings` not known to be held here; resolves once it knows. */
  async announce(groupings: Iterable<string>): Promise<void> {
    const held = this.held();
    const fresh = [...new Set(groupings)].filter((grouping) => !held.has(grouping));
    if (fresh.length === 0) return;
    for (const grouping of fresh) held.add(grouping);
    try {
      await this.tell(fresh, []);
    } catch (error) {
      for (const grouping of fresh) this.known?.delete(grouping);
      throw error;
    }
  }

  /**
   * The groups `groupings` hold no series here any more. Shard 0 (or a family's only object) has the catalog forget
   * them for the family: a group's DELETE reaches it after the other shards. Another shard only forgets them itself
   * (it tells the catalog again when it next writes one), so after a PUT cleared a group from a family on such a
   * shard the index still lists the family: a superset, which costs the group's next PUT one request there.
   */
  async retire(groupings: readonly string[]): Promise<void> {
    if (groupings.length === 0) return;
    for (const grouping of groupings) this.known?.delete(grouping);
    if (this.state.shard === 0) await this.tell([], [...groupings]);
  }

  /**
   * The groups `groupings` hold no series here any more, but another shard of the family holds them (a group
   * replaced there): forgotten here only, so the next series of one written here tells the catalog again.
   */
  forget(groupings: readonly string[]): void {
    for (const grouping of groupings) this.known?.delete(grouping);
  }

  private tell(added: string[], removed: string[]): Promise<void> {
    const family = this.state.place?.family;
    if (family === undefined) return Promise.resolve();
    const call = this.chain.then(() => catalog(this.state.env).indexGroupings(family, added, removed));
    this.chain = call.catch(() => undefined);
    return call;
  }
}
