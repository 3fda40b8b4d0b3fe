// An ingest object: acknowledges whole pushes (one request a push, whatever its families) and folds them into the
// family objects in the background, so a push's cost does not grow with its families and series.
// - A push is checked against what is stored before it is acknowledged: the families and series this object has
//   admitted before need no asking; a push with a new family, a new series or another definition waits until
//   everything acknowledged before it is folded, then asks the family objects and the catalog (admission.ts), so
//   refusals stay synchronous and the series cap counts exactly.
// - Acknowledged means durable: concurrent pushes are written as one log row (group commit) before their replies
//   leave. With DURABILITY_WINDOW_MS set, pushes are acknowledged from memory and written once per window instead.
// - The fold sends each family object the parts of many pushes as one group, each with its push id (a push without
//   one is given one), so a fold sent again after a crash, and a producer's retry that lands after the fold, apply
//   nothing twice. A scrape folds first (`drain`), so it reads every acknowledged push.
// - It folds every INGEST_FOLD_MS (30 s), or at once when FOLD_PARTS parts wait.

import { DurableObject } from "cloudflare:workers";
import { GROUP_TIME_FAMILIES } from "../../lib/protocol/names.ts";
import { groupingId } from "../../lib/protocol/pushgateway-path.ts";
import { seriesKey } from "../../lib/protocol/series-key.ts";
import { shardFor } from "../../lib/protocol/shards.ts";
import type { IngestAnswer } from "../../lib/protocol/transport.ts";
import { type FamilyPush, type Labels, type Push, toJson } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
import { durabilityWindowMs, ingestFoldMs, limits, maxSeriesPerFamily } from "../config/settings.ts";
import { checkedWhole, refusalsOfWhole, spreadAsConfigured, type TokenCap } from "./admission.ts";
import { GroupCommit } from "./group-commit.ts";
import { type LoggedPush, PushLog, RING_SLOTS, ROW_BYTES } from "./ingest/push-log.ts";
import { familyStub } from "./stubs.ts";

export interface IngestObjectStats {
  /** RPC calls received (pushes, drains), this one excluded. */
  requests: number;
  /** Pushes acknowledged, log groups written, folds run and the family-object requests they made. */
  pushes: number;
  groups: number;
  folds: number;
  foldRequests: number;
  /** Parts a family object refused in a fold (after they were acknowledged; see the README's limits). */
  foldRefused: number;
  /** Pushes that needed the family objects asked before they were acknowledged. */
  admissions: number;
  rowsWritten: number;
  busyMs: number;
  /** Parts acknowledged and not folded yet. */
  pending: number;
}

/** A push on its way into the log, with its JSON text. */
interface LogItem {
  logged: LoggedPush;
  json: string;
}

/** A family's part of an acknowledged push, waiting for the fold; `seq` is its log group (0: not in the log). */
interface Waiting {
  seq: number;
  pushId: string;
  part: FamilyPush;
}

/** What this object admitted of a family: its definition (as a key) and the series keys it has seen. */
interface Admitted {
  definition: string;
  type: FamilyPush["type"];
  keys: Set<string>;
}

/** How often an object that keeps folding saves its fold mark on its own (well inside the push id retention). */
const SAVE_FOLDED_MS = 60_000;
const STORED = Promise.resolve(true);
/** Parts waiting that make an ingest object fold before its interval ends (bounds its memory at high rates). */
export const FOLD_PARTS = 5_000;
/** Pushgateway groups whose families are remembered (beyond them, the catalog's index and the waiting parts). */
const REMEMBERED_GROUPS = 10_000;
/** Push ids remembered to answer a replay as a duplicate without the family objects (beyond them, they judge). */
const REMEMBERED_IDS = 100_000;

const definitionKey = (p: FamilyPush) =>
  JSON.stringify([
    p.type,
    p.help,
    p.labelNames,
    p.buckets,
    // Whether native buckets are kept, not their settings: pushes inferred from samples derive those from their data.
    p.native !== undefined,
    p.merge,
    p.percentiles,
    p.maxAgeSeconds,
    p.ageBuckets,
    p.ttlSeconds,
    p.shards,
    p.inferred,
  ]);

export class IngestObject extends DurableObject<Env> {
  private readonly log: PushLog;
  private readonly groups: GroupCommit<LogItem, undefined>;
  /** Parts acknowledged and not folded, in the order acknowledged. */
  private waiting: Waiting[] = [];
  /** The last log group written, and the last one whose parts are all folded. */
  private last = 0;
  private folded = 0;
  private savedFolded = 0;
  private savedAt = 0;
  private readonly admitted = new Map<string, Admitted>();
  /** The families each Pushgateway group's pushes acknowledged here wrote (since its last PUT), by family name. */
  private readonly groupFamilies = new Map<string, Map<string, FamilyPush>>();
  /** Push ids acknowledged or being written, each with whether it is stored (it settles once its log row is). */
  private readonly ids = new Map<string, Promise<boolean>>();
  /** Admissions run one at a time, so each sees the ones before it folded. */
  private admitting: Promise<unknown> = Promise.resolve();
  private folding: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly counters = {
    requests: 0,
    pushes: 0,
    groups: 0,
    folds: 0,
    foldRequests: 0,
    foldRefused: 0,
    admissions: 0,
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new PushLog(ctx.storage.sql);
    this.groups = new GroupCommit(
      (pushes) => this.write(pushes),
      () => 0,
    );
    void ctx.blockConcurrencyWhile(async () => this.load());
  }

  /** Reads the log as a restarted object does: what was acknowledged and not folded waits for the fold again. */
  private load(): void {
    const { last, folded, groups } = this.log.load();
    this.last = last;
    this.folded = this.savedFolded = folded;
    for (const { seq, pushes } of groups) this.enqueue(seq, pushes);
    if (this.waiting.length > 0) this.foldAfter(0);
  }

  /**
   * Forgets everything held in memory and reads the log again, as after a crash (tests use it to prove that an
   * acknowledged push is in storage).
   * @internal
   */
  async reload(): Promise<void> {
    this.waiting = [];
    this.admitted.clear();
    this.ids.clear();
    this.load();
  }

  /**
   * Acknowledges `push` (checked by `checkPush`, within the caller's scope) once it is durable, or refuses it whole.
   * `token` is the credential's cap on families, if any.
   */
  async accept(received: Push, token: TokenCap | undefined, replaces?: Labels): Promise<IngestAnswer> {
    this.counters.requests++;
    const push = this.withWaitingGroup(received, replaces);
    const windowMs = durabilityWindowMs(this.env);
    const logged: LoggedPush = { pushId: push.pushId ?? `ingest:${crypto.randomUUID()}`, families: push.families };
    // Serialised once, here: the log row is made of these texts.
    const json = windowMs === 0 ? toJson(logged) : "";
    if (json.length > ROW_BYTES) return { kind: "too-large" };
    if (push.families.every((f) => this.isAdmitted(f))) return this.commit(push, { logged, json }, windowMs);
    // A new family, series or definition: after everything acknowledged before is folded, the stored state decides.
    const run = this.admitting.then(async (): Promise<IngestAnswer> => {
      const replay = await this.replay(push);
      if (replay) return replay;
      const unknown = push.families.filter((f) => !this.isAdmitted(f));
      if (unknown.length > 0) {
        this.counters.admissions++;
        await this.fold();
        const refusals = await refusalsOfWhole(this.env, undefined, unknown, {
          askEveryFamily: true,
          registered: (f) => this.admitted.get(f.name)?.type === f.type,
          token,
          pushId: push.pushId,
        });
        if (refusals.length > 0) return { kind: "refused", refusals };
        for (const f of unknown) this.admit(f);
      }
      return this.commit(push, { logged, json }, windowMs);
    });
    this.admitting = run.catch(() => undefined);
    return run;
  }

  /**
   * `push`, and when it replaces a Pushgateway group (a PUT), the parts that clear the group from the families the
   * group's pushes acknowledged here wrote and `push` does not name: the router cleared those the catalog's index
   * lists, and these may not be indexed yet (waiting for a fold, or in one). The Pushgateway API sends every push of a
   * group to one ingest object, so it has seen them: the pushes waiting (after a restart too) and those it took since
   * it started.
   */
  private withWaitingGroup(push: Push, replaces: Labels | undefined): Push {
    // Every part of a Pushgateway push names its group (its time gauge too, even with an empty body).
    const grouping = replaces ?? push.families.find((f) => f.grouping !== undefined)?.grouping;
    if (!grouping) return push;
    const id = groupingId(grouping);
    const put = replaces !== undefined;
    const written = this.groupFamilies.get(id) ?? new Map<string, FamilyPush>();
    const named = new Set(push.families.map((f) => f.name));
    const clearing = new Map<string, FamilyPush>();
    if (put) {
      const waiting = this.waiting.flatMap(({ part }) =>
        part.grouping && part.series.length > 0 && groupingId(part.grouping) === id ? [part] : [],
      );
      for (const part of [...written.values(), ...waiting]) {
        if (named.has(part.name) || clearing.has(part.name) || GROUP_TIME_FAMILIES.includes(part.name)) continue;
        const { series: _series, remove: _remove, reset: _reset, replace: _replace, ...definition } = part;
        clearing.set(part.name, { ...definition, series: [], replace: true, grouping, inferred: true });
      }
      written.clear();
    }
    // Its definition only (the series are not needed to clear the family later).
    for (const part of push.families) if (part.series.length > 0) written.set(part.name, { ...part, series: [] });
    if (this.groupFamilies.size >= REMEMBERED_GROUPS) this.groupFamilies.clear();
    this.groupFamilies.set(id, written);
    return clearing.size === 0 ? push : { ...push, families: [...push.families, ...clearing.values()] };
  }

  /**
   * A push from a Worker bound to this object's namespace (the Durable Object transport's ingest path): checked here
   * as the router checks a push (`checkPush`, reserved names), spread as a bound Worker's push is, then accepted.
   */
  async acceptBound(input: unknown): Promise<IngestAnswer> {
    const checked = checkedWhole(input, limits(this.env));
    if ("refusal" in checked) {
      this.counters.requests++;
      return { kind: "invalid", refusal: checked.refusal };
    }
    const push = { ...checked, families: checked.families.map((f) => spreadAsConfigured(this.env, f, true)) };
    return this.accept(push, undefined);
  }

  /** Folds everything acknowledged before this call into the family objects (a scrape's read-your-writes). */
  async drain(): Promise<void> {
    this.counters.requests++;
    await this.fold();
  }

  /** Forgets what it admitted of `families` (deleted or changed by an operator), after folding what it holds of them. */
  async forget(families: string[]): Promise<void> {
    this.counters.requests++;
    await this.fold();
    for (const name of families) this.admitted.delete(name);
    // The family objects forget the push ids of a deleted family; so does this object (but of what still waits).
    const waiting = new Set(this.waiting.map((w) => w.pushId));
    for (const id of [...this.ids.keys()]) if (!waiting.has(id)) this.ids.delete(id);
  }

  /** Cost counters, for the benchmark and tests (not counted as a request). */
  async stats(): Promise<IngestObjectStats> {
    return {
      ...this.counters,
      rowsWritten: this.log.rowsWritten,
      busyMs: this.groups.busyMs,
      pending: this.waiting.length,
    };
  }

  /**
   * The answer to a push whose id this object holds: a duplicate once the first attempt is stored (a retry that
   * arrives while it is being written waits for it, so it is never told "duplicate" of something that then fails).
   */
  private async replay(push: Push): Promise<IngestAnswer | undefined> {
    const stored = push.pushId === undefined ? undefined : this.ids.get(push.pushId);
    if (stored === undefined) return undefined;
    if (await stored)
      return { kind: "outcomes", families: push.families.map((f) => ({ name: f.name, status: "duplicate" })) };
    return IngestObject.unstored(push);
  }

  private static unstored(push: Push): IngestAnswer {
    return {
      kind: "outcomes",
      families: push.families.map((f) => ({
        name: f.name,
        status: "failed",
        error: "the push could not be stored; resend the same push (same push id)",
      })),
    };
  }

  private async commit(push: Push, item: LogItem, windowMs: number): Promise<IngestAnswer> {
    const { logged } = item;
    const replay = await this.replay(push);
    if (replay) return replay;
    if (windowMs > 0) {
      this.remember(logged.pushId);
      this.enqueue(0, [logged]);
      this.foldAfter(windowMs);
    } else {
      let settle: (stored: boolean) => void = () => {};
      this.remember(logged.pushId, new Promise<boolean>((resolve) => (settle = resolve)));
      try {
        await this.groups.submit(item);
        settle(true);
      } catch (error) {
        settle(false);
        this.ids.delete(logged.pushId);
        console.error(`prometheus-distributed-client: the ingest log could not be written: ${String(error)}`);
        return IngestObject.unstored(push);
      }
      this.foldAfter(this.nextFoldMs());
    }
    this.counters.pushes++;
    return {
      kind: "outcomes",
      families: push.families.map((f) => ({ name: f.name, status: "applied", series: f.series.length })),
    };
  }

  /** Writes a group of pushes to the log (one row, more only past ROW_BYTES); they wait for the fold from then on. */
  private async write(items: LogItem[]): Promise<undefined[]> {
    const rows: LogItem[][] = [[]];
    let bytes = 0;
    for (const item of items) {
      if (bytes + item.json.length > ROW_BYTES && (rows.at(-1) as LogItem[]).length > 0) {
        rows.push([]);
        bytes = 0;
      }
      (rows.at(-1) as LogItem[]).push(item);
      bytes += item.json.length;
    }
    for (const row of rows) {
      // The ring is full of groups not folded yet: fold first (a slot is written again only once it is folded).
      if (this.last + 1 - RING_SLOTS > this.folded) await this.fold();
      if (this.last + 1 - RING_SLOTS > this.folded)
        throw new Error("the ingest log is full (the fold does not succeed)");
      const seq = this.last + 1;
      this.log.write(seq, `[${row.map((i) => i.json).join(",")}]`, this.folded);
      // The row carries the fold mark: nothing else needs saving for it.
      this.savedFolded = Math.max(this.savedFolded, this.folded);
      this.savedAt = Date.now();
      this.last = seq;
      this.counters.groups++;
      this.enqueue(
        seq,
        row.map((i) => i.logged),
      );
    }
    return items.map(() => undefined);
  }

  private enqueue(seq: number, pushes: readonly LoggedPush[]): void {
    for (const { pushId, families } of pushes) {
      this.remember(pushId);
      for (const part of families) this.waiting.push({ seq, pushId, part });
    }
  }

  private remember(pushId: string, stored: Promise<boolean> = STORED): void {
    if (this.ids.size >= REMEMBERED_IDS) this.ids.delete(this.ids.keys().next().value as string);
    this.ids.set(pushId, stored);
  }

  private isAdmitted(part: FamilyPush): boolean {
    const known = this.admitted.get(part.name);
    if (!known || known.definition !== definitionKey(part)) return false;
    return part.series.every((s) => known.keys.has(seriesKey(part.labelNames, s.labels)));
  }

  private admit(part: FamilyPush): void {
    const definition = definitionKey(part);
    let known = this.admitted.get(part.name);
    if (!known || known.definition !== definition || known.keys.size > maxSeriesPerFamily(this.env)) {
      known = { definition, type: part.type, keys: new Set() };
      this.admitted.set(part.name, known);
    }
    for (const s of part.series) known.keys.add(seriesKey(part.labelNames, s.labels));
  }

  /** When the next fold is due: a durability window's end, at once past FOLD_PARTS, else after INGEST_FOLD_MS. */
  private nextFoldMs(): number {
    const windowMs = durabilityWindowMs(this.env);
    if (windowMs > 0) return windowMs;
    return this.waiting.length >= FOLD_PARTS ? 0 : ingestFoldMs(this.env);
  }

  private foldAfter(ms: number): void {
    if (this.timer !== undefined && ms > 0) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.fold().then(
        () => {
          if (this.waiting.length > 0) this.foldAfter(this.nextFoldMs());
        },
        (error) => console.error(`prometheus-distributed-client: fold failed: ${String(error)}`),
      );
    }, ms);
  }

  /** Folds every part waiting now (one fold at a time; a caller's fold starts after its call). */
  private fold(): Promise<void> {
    const run = this.folding.then(() => this.foldOnce());
    this.folding = run.catch(() => undefined);
    return run;
  }

  private async foldOnce(): Promise<void> {
    const taken = this.waiting.splice(0);
    if (taken.length > 0) {
      this.counters.folds++;
      /** The parts for each family object, in order. */
      const byObject = new Map<string, { family: string; shard: number; parts: Waiting[] }>();
      for (const w of taken) {
        const shard = shardFor(w.part, w.pushId);
        const key = `${w.part.name}\u0000${shard}`;
        const entry = byObject.get(key) ?? { family: w.part.name, shard, parts: [] };
        entry.parts.push(w);
        byObject.set(key, entry);
      }
      const again: Waiting[] = [];
      await Promise.all(
        [...byObject.values()].map(async ({ family, shard, parts }) => {
          this.counters.foldRequests++;
          try {
            const outcomes = await familyStub(this.env, family, shard).pushFolded(
              parts.map(({ pushId, part }) => ({ pushId, part })),
            );
            outcomes.forEach((outcome, i) => {
              if (outcome.status !== "rejected") return;
              if (outcome.code >= 500) again.push(parts[i] as Waiting);
              else {
                this.counters.foldRefused++;
                console.error(
                  `prometheus-distributed-client: family ${JSON.stringify(family)} refused a folded part (${outcome.code}): ${outcome.error}`,
                );
              }
            });
          } catch (error) {
            console.error(
              `prometheus-distributed-client: folding into ${JSON.stringify(family)} failed: ${String(error)}`,
            );
            again.push(...parts);
          }
        }),
      );
      // What failed goes first next time, in the order acknowledged, ahead of what arrived during this fold. In the
      // log it is written again as a group of its own, so one family whose object keeps failing does not hold the
      // ring: the slots behind it are free again (one row a fold while it fails).
      again.sort((a, b) => taken.indexOf(a) - taken.indexOf(b));
      if (again.length > 0 && again.some((w) => w.seq > 0)) {
        const seq = this.last + 1;
        const pushes = new Map<string, LoggedPush>();
        for (const w of again) {
          const push = pushes.get(w.pushId) ?? { pushId: w.pushId, families: [] };
          push.families.push(w.part);
          pushes.set(w.pushId, push);
        }
        this.log.write(seq, toJson([...pushes.values()]), this.folded);
        this.last = seq;
        for (const w of again) w.seq = seq;
      }
      this.waiting = [...again, ...this.waiting];
    }
    // Folded: every group before the oldest one that still has a part waiting.
    let oldest = this.last + 1;
    for (const w of this.waiting) if (w.seq > 0 && w.seq < oldest) oldest = w.seq;
    this.folded = oldest - 1;
    // Saved when nothing waits (the last fold before a pause: no log row will carry the mark, and a restart must not
    // fold again what the family objects may have forgotten by then), else at most once a minute.
    if (this.folded > this.savedFolded && (this.waiting.length === 0 || Date.now() - this.savedAt > SAVE_FOLDED_MS)) {
      this.log.saveFolded(this.folded);
      this.savedFolded = this.folded;
      this.savedAt = Date.now();
    }
  }
}
