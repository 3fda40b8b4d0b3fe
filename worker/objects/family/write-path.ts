// The write path of a family object: a family's part of a push is checked, registered in the catalog before the
// family's first push (the catalog refuses clashes and the cap on families), and applied with the pushes that
// arrive with it as one group (group commit: one transaction, one write per touched series per group). For a
// family spread over shards: shard 0 forwards deletions to the other shards before it applies them, and every shard
// asks shard 0 before it creates a series, so the series cap counts distinct series.

import { checkPush } from "../../../lib/protocol/check-push.ts";
import { DEFAULT_LIMITS, type LimitExceeded } from "../../../lib/protocol/limits.ts";
import { GROUP_TIME_FAMILIES, reservedNameProblem } from "../../../lib/protocol/names.ts";
import { groupingId } from "../../../lib/protocol/pushgateway-path.ts";
import { refusalText } from "../../../lib/protocol/refusal.ts";
import { deletesElsewhere, shardFor } from "../../../lib/protocol/shards.ts";
import type { FamilyOutcome, FamilyPush, GroupFence } from "../../../lib/protocol/wire.ts";
import type { Registration } from "../../../lib/store/catalog.ts";
import { applyGroup, clearsGroupOnly, type PendingPush, type TouchedKeys } from "../../../lib/store/family-store.ts";
import { adoptStored } from "../../../lib/store/inferred.ts";
import {
  defaultTtlSeconds,
  groupCommitWindowMs,
  limits,
  maxFamilies,
  maxSeriesPerFamily,
} from "../../config/settings.ts";
import { countFamilyCapRefusal, SELF_STORED_FAMILIES } from "../../self-metrics/self-metrics.ts";
import { catalog } from "../catalog-object.ts";
import { GroupCommit } from "../group-commit.ts";
import type { Expiry } from "./expiry.ts";
import type { Fences } from "./fences.ts";
import type { Groupings } from "./groupings.ts";
import type { Narrowing } from "./narrowing.ts";
import type { FamilyState } from "./state.ts";

/**
 * How long a first push waits for the catalog before its group fails (and its pushes are resent): a hung call must
 * not keep every later push of the family waiting.
 */
const CATALOG_TIMEOUT_MS = 10_000;

export class WritePath {
  private readonly groups: GroupCommit<PendingPush, FamilyOutcome>;
  /** Bumped by every deletion of the family: a push that awaited the catalog across one registers again. */
  private generation = 0;
  /** The fence a group replacement commits with (family/fences.ts), by its pending push. */
  private readonly fenced = new WeakMap<PendingPush, GroupFence>();

  constructor(
    private readonly state: FamilyState,
    private readonly expiry: Expiry,
    private readonly narrowing: Narrowing,
    private readonly groupings: Groupings,
    private readonly fences: Fences,
    /** The group commit window in ms (tests set it; otherwise GROUP_COMMIT_WINDOW_MS). */
    windowMs: () => number | undefined,
  ) {
    this.groups = new GroupCommit(
      (pushes) => this.applyPushes(pushes),
      () => windowMs() ?? groupCommitWindowMs(state.env),
    );
  }

  /** Milliseconds spent applying groups or holding their windows open. */
  get busyMs(): number {
    return this.groups.busyMs;
  }

  /** A push from a bound Worker: checked here first, then as `pushChecked`. */
  push(pushId: string | undefined, family: FamilyPush): Promise<FamilyOutcome> {
    const checked = checkPush(
      { ...(pushId !== undefined ? { pushId } : {}), families: [family] },
      limits(this.state.env),
    );
    if (!checked.ok) {
      const { status, limit } = checked.refusal;
      const error = refusalText(checked.refusal);
      const name = (family as { name?: unknown } | null)?.name;
      return Promise.resolve({
        name: typeof name === "string" ? name : "",
        status: "rejected",
        code: status,
        error,
        ...(limit ? { limit } : {}),
      });
    }
    const part = checked.value.families[0] as FamilyPush;
    // Only the router writes the Pushgateway groups' time gauges (through `pushChecked` and folds).
    const reserved = reservedNameProblem(part.name, SELF_STORED_FAMILIES);
    if (reserved)
      return Promise.resolve({
        name: part.name,
        status: "rejected",
        code: 400,
        error: `families[0].name: ${reserved}`,
      });
    return this.submit(pushId, part);
  }

  /** The refusal `part` would meet if applied alone now (its adoption included), or null; nothing is written. */
  wouldRefuse(pushId: string | undefined, part: FamilyPush): FamilyOutcome | null {
    const shards = Math.max(part.shards ?? 1, this.state.storage.knownShards());
    const pending: PendingPush = { pushId, part };
    const [outcome] = applyGroup(this.state.storage, [pending], this.state.now(), this.groupOptions(shards)).outcomes;
    return outcome?.status === "rejected" ? outcome : null;
  }

  /** A deletion of the whole family happened: a registration in flight across it registers again. */
  familyDeleted(): void {
    this.generation++;
  }

  /** A checked part, applied with the group it joins. */
  async submit(pushId: string | undefined, received: FamilyPush, forwarded = false): Promise<FamilyOutcome> {
    const prepared = await this.prepare(pushId, received, forwarded);
    return "status" in prepared ? prepared : this.groups.submit(prepared);
  }

  /**
   * Checked parts of several pushes, in order, applied as one group (a fold from the ingest objects): one write per
   * touched series and one row of push ids for all of them. A push id seen before is a duplicate, as for `submit`.
   */
  async submitAll(items: readonly { pushId: string | undefined; part: FamilyPush }[]): Promise<FamilyOutcome[]> {
    const prepared = await Promise.all(items.map(({ pushId, part }) => this.prepare(pushId, part)));
    const pending = prepared.filter((p): p is PendingPush => !("status" in p));
    const applied = await this.groups.submitMany(pending);
    let next = 0;
    return prepared.map((p) => ("status" in p ? p : (applied[next++] as FamilyOutcome)));
  }

  /** A checked part made ready for its group (its stored terms adopted, deletions forwarded), or its refusal. */
  private async prepare(
    pushId: string | undefined,
    received: FamilyPush,
    /** Deletions another shard forwarded: applied here only. */
    forwarded = false,
  ): Promise<PendingPush | FamilyOutcome> {
    const { state } = this;
    const reject = (code: number, error: string): FamilyOutcome => ({
      name: received.name,
      status: "rejected",
      code,
      error,
    });
    // An inferred definition takes this family's terms before anything else reads the part (its keys, its shard).
    const adopted = adoptStored(received, state.storage.definition(), limits(state.env));
    if ("problem" in adopted) return reject(adopted.status, adopted.problem);
    const part = adopted;
    const reserved = reservedNameProblem(part.name, [...SELF_STORED_FAMILIES, ...GROUP_TIME_FAMILIES]);
    if (reserved) return reject(400, `families[0].name: ${reserved}`);
    if (state.place && (state.place.family !== part.name || !(state.place.shard < DEFAULT_LIMITS.maxShards))) {
      return reject(
        409,
        `family ${JSON.stringify(part.name)} was sent to the object of ${JSON.stringify(state.ctx.id.name)}`,
      );
    }
    // A group this shard handed over to its own shard (a replacement there is fenced): a stale router's write of it
    // goes there, so the fence never covers it and no old part here grows again (applied there only, never handed on).
    const handedTo = !forwarded && part.grouping ? this.fences.handedTo(groupingId(part.grouping)) : undefined;
    if (handedTo !== undefined && handedTo !== state.shard)
      return state.shardStub(handedTo).pushForwarded(pushId, received);
    await this.narrowing.unretireIfSpread(part);
    // The shard a part with deletions is sent to (shard 0; a group's own shard for a group's replacement) applies them
    // on every other shard before it answers, so a retry completes what failed; a part it would refuse here deletes
    // nothing elsewhere. (The deletions it forwards are sent to other shards: those apply them only.) A group's
    // replacement deletes nothing elsewhere at once: it commits with a fence instead (family/fences.ts), so no reader
    // sees half of it.
    const clearsOnly = clearsGroupOnly(part) && !state.storage.definition();
    let fence: GroupFence | undefined;
    if (!forwarded && deletesElsewhere(part) && shardFor(received, pushId) === state.shard) {
      const shards = await state.familyShards(part);
      // A retired shard hands its pushes to shard 0, which cannot keep its fence: it deletes first, as for others.
      const group = part.replace && part.grouping && !this.narrowing.retired() ? groupingId(part.grouping) : undefined;
      if (shards > 1 && group !== undefined) fence = await this.fences.ask(part, group, shards);
      if (shards > 1 && (group === undefined || part.reset || part.remove)) {
        const refused = clearsOnly ? null : this.wouldRefuse(pushId, part);
        if (refused) return refused;
        await this.forwardDeletions(pushId, group === undefined ? part : withoutReplacement(part), shards);
      }
    }
    state.counters.pushes++;
    const pending: PendingPush = { pushId, part };
    if (fence) this.fenced.set(pending, fence);
    return pending;
  }

  /**
   * Sends the deletions of `part` to shards 1 … n−1, with the same push id: its reset and removals, the series it
   * replaces (their parts elsewhere go; shard 0 then holds the whole series), and a replaced group's series there.
   */
  private async forwardDeletions(pushId: string | undefined, part: FamilyPush, shards: number): Promise<void> {
    const { replace, ...rest } = part;
    const replaced = replace ? part.series.map((delta) => delta.labels) : [];
    const remove = [...(part.remove ?? []), ...replaced];
    // A replaced group keeps nothing on the other shards: it holds exactly what shard 0 is about to write.
    const group = replace && part.grouping ? { replace } : {};
    const deletions: FamilyPush = { ...rest, ...group, series: [], ...(remove.length > 0 ? { remove } : {}) };
    const others = Array.from({ length: shards }, (_, k) => k).filter((k) => k !== this.state.shard);
    const outcomes = await Promise.all(others.map((k) => this.state.shardStub(k).pushForwarded(pushId, deletions)));
    const refused = outcomes.find((o) => o.status === "rejected");
    if (refused?.status === "rejected")
      throw new Error(`a shard refused the deletions (${refused.code}): ${refused.error}`);
  }

  /** Applies a group of checked pushes in one transaction; registers the family in the catalog first if needed. */
  private async applyPushes(pushes: PendingPush[]): Promise<FamilyOutcome[]> {
    const { state } = this;
    const { storage } = state;
    const wanted = Math.max(...pushes.map((p) => p.part.shards ?? 1));
    const early =
      storage.isCatalogued() && wanted <= storage.knownShards()
        ? new Map<number, FamilyOutcome>()
        : await this.register(pushes, wanted);
    const shards = Math.max(wanted, storage.knownShards());
    if (shards > 1) await this.admitNewSeries(pushes, early, shards);
    // A retired shard's series were taken in by shard 0 (or are being): what it is sent now goes there. Checked with
    // no await before the transaction, so every group applied here was applied before the retirement.
    if (this.narrowing.retired()) {
      const forwarded = await this.narrowing.forwardToZero(pushes, early);
      for (const [i, outcome] of forwarded) early.set(i, outcome);
    }
    const applicable = pushes.filter((_, i) => !early.has(i));
    // The catalog's index of groups learns of a group's first series here before they are written.
    const writing = (list: PendingPush[]) =>
      list.flatMap(({ part }) => (part.grouping && part.series.length > 0 ? [groupingId(part.grouping)] : []));
    await this.groupings.announce(writing(applicable));
    // Never dated before an answer this shard gave a replacing shard (family/fences.ts): no fence covers what follows.
    const now = Math.max(state.now(), this.fences.floor());
    const applied = state.write(() => {
      const { outcomes, change, keys } = applyGroup(storage, applicable, now, this.groupOptions(shards));
      storage.commit(change, now);
      if (outcomes.some((o) => o.status === "applied")) {
        storage.markCatalogued();
        storage.raiseKnownShards(shards);
      }
      if (state.shard === 0 && shards > 1) this.applyDeletionsToKeys(applicable, outcomes, keys);
      applicable.forEach((pending, i) => {
        const fence = this.fenced.get(pending);
        if (fence && outcomes[i]?.status === "applied") this.fences.add(fence, pending.pushId, now);
      });
      return outcomes;
    });
    await this.fences.schedule();
    state.counters.groups++;
    const done = applicable.filter((_, i) => applied[i]?.status === "applied");
    // A deletion of a group that ran while the index was told must not be its last word here: tell it again. A group
    // whose last part here cleared it is forgotten.
    await this.groupings.announce(writing(done));
    const last = new Map<string, boolean>();
    for (const { part } of done) if (part.grouping) last.set(groupingId(part.grouping), clearsGroupOnly(part));
    await this.groupings.retire([...last].flatMap(([grouping, cleared]) => (cleared ? [grouping] : [])));
    if (applied.some((o) => o.status === "applied")) this.expiry.schedule();
    return pushes.map((_, i) => early.get(i) ?? (applied.shift() as FamilyOutcome));
  }

  private groupOptions(shards: number) {
    const { env } = this.state;
    return {
      maxLabelNames: limits(env).maxLabelNames,
      maxSeries: maxSeriesPerFamily(env),
      defaultTtlSeconds: defaultTtlSeconds(env),
      // A shard cannot tell alone whether a series it holds expired everywhere.
      restartExpired: shards <= 1,
    };
  }

  /**
   * Lists the family in the catalog before its first push is applied (and again when it is spread over more
   * shards); returns the pushes refused on the way (by index): a clash with another family's names (409), a different
   * type than the one registered (409), a first push over the series cap (413: it must not claim the name), or the
   * cap on families (413).
   */
  private async register(pushes: PendingPush[], shards: number): Promise<Map<number, FamilyOutcome>> {
    const { state } = this;
    const refused = new Map<number, FamilyOutcome>();
    const maxSeries = maxSeriesPerFamily(state.env);
    let registered: string | undefined;
    for (const [i, { part }] of pushes.entries()) {
      const reject = (code: number, error: string, limit?: LimitExceeded) =>
        refused.set(i, { name: part.name, status: "rejected", code, error, ...(limit ? { limit } : {}) });
      if (registered !== undefined) {
        if (part.type !== registered)
          reject(
            409,
            `family ${JSON.stringify(part.name)} is stored with a different type (${registered} vs ${part.type})`,
          );
        continue;
      }
      if (!state.storage.isCatalogued() && part.series.length > maxSeries) {
        const held = `would hold ${part.series.length} series, over the limit of ${maxSeries} per family`;
        reject(413, `family ${JSON.stringify(part.name)} ${held}`);
        continue;
      }
      let registration: Registration;
      let generation: number;
      do {
        generation = this.generation;
        // The Worker's own families are not held to the cap: they count its refusals when the cap is reached.
        const cap = SELF_STORED_FAMILIES.includes(part.name) ? undefined : maxFamilies(state.env);
        const call: Promise<Registration> = catalog(state.env).register(
          { name: part.name, type: part.type, shards, ...(part.withoutTotal ? { withoutTotal: true } : {}) },
          cap,
        );
        registration = await withTimeout(call, CATALOG_TIMEOUT_MS);
      } while (registration.ok && generation !== this.generation);
      if (registration.ok) {
        registered = part.type;
        // The catalog decides whether the counter is kept bare: every part of the group takes its word.
        for (const pending of pushes)
          pending.part = withCatalogNaming(pending.part, registration.withoutTotal === true);
      } else {
        reject(registration.status, registration.error, registration.limit);
        if (registration.cap) countFamilyCapRefusal(registration.cap, state.env, state.ctx);
      }
    }
    return refused;
  }

  /**
   * For a family spread over several objects: asks shard 0 to admit the series this group would add here, so the cap
   * counts distinct series across shards; a push whose series would pass it is refused (413) before it applies.
   */
  private async admitNewSeries(
    pushes: PendingPush[],
    early: Map<number, FamilyOutcome>,
    shards: number,
  ): Promise<void> {
    const { state } = this;
    const candidates = pushes.map((p, i) => ({ i, p })).filter(({ i }) => !early.has(i));
    const group = candidates.map(({ p }) => p);
    const { outcomes, keys: touched } = applyGroup(state.storage, group, state.now(), this.groupOptions(shards));
    const requests: { i: number; keys: string[] }[] = [];
    candidates.forEach(({ i }, k) => {
      if (outcomes[k]?.status !== "applied") return;
      // The keys as the group stores them (a part may have been adopted to the family's label names there).
      const keys = touched[k]?.written ?? [];
      const held = state.storage.getSeries(keys);
      const fresh = keys.filter((key) => !held.has(key));
      if (fresh.length > 0) requests.push({ i, keys: fresh });
    });
    if (requests.length === 0) return;
    const cap = maxSeriesPerFamily(state.env);
    const asked = requests.map((r) => r.keys);
    const verdicts =
      state.shard === 0
        ? state.ctx.storage.transactionSync(() => state.shardKeys.admit(0, asked, cap))
        : await state.shardStub(0).admitSeries(state.shard, asked, cap);
    requests.forEach(({ i }, k) => {
      if (verdicts[k]) return;
      const name = pushes[i]?.part.name ?? "";
      const error = `family ${JSON.stringify(name)} would hold more than ${cap} distinct series, the limit per family`;
      early.set(i, { name, status: "rejected", code: 413, error });
    });
  }

  /** Shard 0 only: the series a group deleted (reset, remove) no longer count against the cap anywhere. */
  private applyDeletionsToKeys(pushes: PendingPush[], outcomes: FamilyOutcome[], touched: TouchedKeys[]): void {
    const { shardKeys } = this.state;
    pushes.forEach(({ part }, i) => {
      if (outcomes[i]?.status !== "applied") return;
      if (part.reset) shardKeys.drop(shardKeys.keys());
      if (part.remove) shardKeys.drop(touched[i]?.removed ?? []);
    });
  }
}

/** `part` with the catalog's word on whether its counter keeps its bare name. */
function withCatalogNaming(part: FamilyPush, withoutTotal: boolean): FamilyPush {
  if (part.type !== "counter" || (part.withoutTotal === true) === withoutTotal) return part;
  const { withoutTotal: _pushed, ...rest } = part;
  return withoutTotal ? { ...rest, withoutTotal: true } : rest;
}

/** A group replacement's other deletions (a reset, removals): what other shards apply at once. */
function withoutReplacement(part: FamilyPush): FamilyPush {
  const { replace: _replace, grouping: _grouping, ...rest } = part;
  return { ...rest, series: [] };
}

/** `promise`, or a rejection after `ms`; never leaves a timer behind. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the catalog did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
