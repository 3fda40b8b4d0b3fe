// Taking a family spread over shards back to one object: shard 0 takes in each other shard's series and push ids,
// one shard at a time with nothing else running on it; a shard taken in is retired (its pushes go on to shard 0, a
// replay of one it applied is answered here), keeps its old parts for a grace, then drops them; a retired shard the
// family is spread over again starts afresh. Shard 0's raw pages name the shards it took in (readers skip them).

import type {
  FamilyDefinition,
  FamilyOutcome,
  FamilyPage,
  FamilyPush,
  GroupFence,
  SeriesPart,
} from "../../../lib/protocol/wire.ts";
import {
  type FamilyChange,
  PAGE_BYTES,
  PAGE_SERIES,
  type PageRequest,
  type PendingPush,
  type StoredSeries,
} from "../../../lib/store/family-store.ts";
import { fencesOf, replacedByAny } from "../../../lib/store/group-fences.ts";
import { combineParts } from "../../../lib/store/merge-shards.ts";
import { catalog } from "../catalog-object.ts";
import type { Expiry } from "./expiry.ts";
import type { Fences } from "./fences.ts";
import type { FamilyState } from "./state.ts";

/** A retired shard: the token shard 0 records what it took in with, and when its old parts are dropped. */
interface Retirement {
  token: string;
  dropAt?: number;
}

/** True for a part that only deletes (what shard 0 forwards to the other shards). */
export function deletionsOnly(part: FamilyPush): boolean {
  return part.series.length === 0;
}

export class Narrowing {
  /** This shard's retirement, once read; null when not retired. */
  private retirement: Retirement | null | undefined;

  constructor(
    private readonly state: FamilyState,
    private readonly expiry: Expiry,
    private readonly fences: Fences,
  ) {
    state.onForget(() => {
      this.retirement = undefined;
    });
  }

  /** This shard's retirement (read once), or null. */
  retired(): Retirement | null {
    if (this.retirement === undefined) this.retirement = this.state.storage.metaValue<Retirement>("retired") ?? null;
    return this.retirement;
  }

  /**
   * A retired shard's pushes, sent on to shard 0 with their push ids (deletions only stay: they keep the retired
   * shard's old parts true while shard 0 takes them in). A push this shard applied before it retired is a replay.
   * Returns the outcomes of those not applied here, by index.
   */
  async forwardToZero(
    pushes: readonly PendingPush[],
    early: ReadonlyMap<number, FamilyOutcome>,
  ): Promise<Map<number, FamilyOutcome>> {
    const { state } = this;
    const forwarded = new Map<number, FamilyOutcome>();
    await Promise.all(
      pushes.map(async ({ pushId, part }, i) => {
        if (early.has(i) || deletionsOnly(part)) return;
        if (pushId !== undefined && state.storage.hasPushId(pushId))
          forwarded.set(i, { name: part.name, status: "duplicate" });
        else forwarded.set(i, await state.shardStub(0).pushChecked(pushId, part));
      }),
    );
    return forwarded;
  }

  /**
   * Retires this shard: from now on its pushes go to shard 0, and its series stay as they are for shard 0 to take in.
   * Returns the retirement's token (the same on every call), which shard 0 records with what it took in, so taking in
   * twice counts once, and the push ids this shard remembers, so a replay that reaches shard 0 is known there.
   */
  retire(): { token: string; pushIds: string[] } {
    let retirement = this.retired();
    if (!retirement) {
      const fresh: Retirement = { token: crypto.randomUUID() };
      this.state.write(() => this.state.storage.setMetaValue("retired", fresh));
      this.retirement = fresh;
      retirement = fresh;
    }
    return { token: retirement.token, pushIds: this.state.storage.pushIdList() };
  }

  /**
   * Shard 0: takes in the series of shard `shard` (retiring it first) and the push ids it remembers, adding the series
   * to its own as the scrape merges shards. Nothing else runs on shard 0 meanwhile, so a deletion meets the series
   * either before they move (on the retired shard, which deletions reach first) or after (here). Idempotent: a shard's
   * series are taken in once per retirement. Does nothing once the family left the catalog.
   */
  absorbShard(shard: number): Promise<{ seriesCount: number }> {
    const { state } = this;
    return state.ctx.blockConcurrencyWhile(async () => {
      const name = state.place?.family ?? "";
      if ((await catalog(state.env).typeOf(name)) === null) return { seriesCount: 0 };
      const stub = state.shardStub(shard);
      const { token, pushIds } = await stub.retire();
      if (this.absorbedShards()[shard] === token) return { seriesCount: 0 };
      const { definition, parts: held } = await everyPart(stub);
      // Parts a group replacement replaced (kept for readers of before it) are not taken in, and go from here too:
      // once the family is in this object alone, no reader would leave them out.
      const fences = await this.everyFence();
      for (const fence of fences) if (fence.before["0"] !== undefined) await this.fences.drop(fence);
      const replaced = replacedByAny(fences);
      const parts = held.filter((part) => !replaced(shard, part));
      const absorbed = { ...this.absorbedShards(), [shard]: token };
      state.write(() => {
        this.takeIn(definition, parts, pushIds, shard);
        state.storage.setMetaValue("absorbed", absorbed);
      });
      this.expiry.schedule();
      return { seriesCount: parts.length };
    });
  }

  /** The fences of every shard of the family (each shard's first page carries its own). */
  private async everyFence(): Promise<GroupFence[]> {
    const { state } = this;
    const own = this.fences.list();
    const shards = await state.familyShards();
    const others = await Promise.all(
      Array.from({ length: shards - 1 }, (_, k) =>
        state.shardStub(k + 1).scrapePage({ as: "parts", limit: 1, maxBytes: PAGE_BYTES, snapshot: false }),
      ),
    );
    return [...own, ...others.flatMap(fencesOf)];
  }

  /** Adds `parts` (of shard `shard`) to this object's series and `pushIds` to its own (inside a transaction). */
  private takeIn(definition: FamilyDefinition | null, parts: SeriesPart[], pushIds: string[], shard: number): void {
    const { storage, shardKeys } = this.state;
    const own = storage.definition() ?? definition ?? undefined;
    const keys = parts.map((p) => p.key);
    const stored = storage.getSeries(keys);
    const written = new Map<string, StoredSeries>();
    for (const part of parts) {
      const mine = stored.get(part.key);
      const { key, ...combined } = mine && own ? combineParts(own, { ...mine, key: part.key }, part) : part;
      written.set(key, combined);
    }
    const seriesCount = storage.seriesCount() + parts.filter((p) => !stored.has(p.key)).length;
    const fresh = pushIds.filter((id) => !storage.hasPushId(id));
    const change: FamilyChange = { resetAll: false, deleted: [], written, pushIds: fresh, seriesCount };
    if (own && !storage.definition()) change.definition = own;
    storage.commit(change, this.state.now());
    shardKeys.release(shard, keys);
    shardKeys.admit(0, [keys], Number.POSITIVE_INFINITY);
  }

  /** The shards shard 0 took in, each with the retirement it took in. */
  absorbedShards(): Record<number, string> {
    return this.state.storage.metaValue<Record<number, string>>("absorbed") ?? {};
  }

  /** Shard 0: `shard` holds parts of the family again (it was spread over it anew), so readers read it again. */
  forgetAbsorbed(shard: number): void {
    const { [shard]: _gone, ...rest } = this.absorbedShards();
    this.state.write(() =>
      this.state.storage.setMetaValue("absorbed", Object.keys(rest).length > 0 ? rest : undefined),
    );
  }

  /** Shard 0: the family is in this object alone now, so it no longer keeps the distinct series of several. */
  narrowToOne(): void {
    const { storage, shardKeys } = this.state;
    this.state.write(() => {
      storage.setKnownShards(1);
      shardKeys.drop(shardKeys.keys());
    });
  }

  /**
   * A retired shard drops its old parts after `ms` (its alarm does), once no scrape that read shard 0 before it took
   * them in can still ask for them.
   */
  async dropAfter(ms: number): Promise<void> {
    const retirement = this.retired();
    if (!retirement) return;
    const next: Retirement = { ...retirement, dropAt: this.state.now() + ms };
    this.state.write(() => this.state.storage.setMetaValue("retired", next));
    this.retirement = next;
    await this.expiry.armAt(next.dropAt as number);
  }

  /**
   * The alarm of a retired shard: its parts are shard 0's now, and go once the grace is over (no expiry of its own).
   * Returns false on a shard that is not retired (its alarm is the expiry's).
   */
  async alarm(): Promise<boolean> {
    const retirement = this.retired();
    if (!retirement) return false;
    if (retirement.dropAt === undefined) return true;
    if (retirement.dropAt <= this.state.now())
      this.state.write(() => this.state.storage.deleteSeriesUpdatedBefore(Number.MAX_SAFE_INTEGER));
    else await this.expiry.armAt(retirement.dropAt);
    return true;
  }

  /**
   * Before a push: a retired shard the catalog spreads its family over again starts afresh (everything it held was
   * taken in by shard 0; its push ids stay, so a replay of a push it applied is still one), and shard 0 stops telling
   * readers to skip it.
   */
  async unretireIfSpread(part: FamilyPush): Promise<void> {
    const { state } = this;
    if (!this.retired() || deletionsOnly(part)) return;
    if (state.shard >= (await catalog(state.env).shardsOf(part.name))) return;
    await state.ctx.blockConcurrencyWhile(async () => {
      if (!this.retired()) return;
      state.write(() => state.storage.clearFamily());
      await this.expiry.clear();
      state.forget();
      await state.shardStub(0).forgetAbsorbed(state.shard);
    });
  }
}

/** Every part a shard holds, page after page, and its definition. */
async function everyPart(
  stub: ReturnType<FamilyState["shardStub"]>,
): Promise<{ definition: FamilyDefinition | null; parts: SeriesPart[] }> {
  const parts: SeriesPart[] = [];
  let definition: FamilyDefinition | null = null;
  let after: string | undefined;
  let snapshot: string | undefined;
  do {
    // Page after page at the snapshot of the first: the shard as it was then.
    const at = { ...(after !== undefined ? { after } : {}), ...(snapshot !== undefined ? { snapshot } : {}) };
    const request: PageRequest = { as: "parts", ...at, limit: PAGE_SERIES, maxBytes: PAGE_BYTES };
    const page: FamilyPage = await stub.scrapePage(request);
    if (page.kind !== "parts") break;
    definition ??= page.definition;
    parts.push(...page.parts);
    after = page.next;
    snapshot = page.snapshot;
  } while (after !== undefined);
  return { definition, parts };
}
