// The delivery pipeline behind `flush`: pushes go out one after another through a transport; what could not be
// delivered is kept, with its push id, and sent first next time (bounded); once a family fails, its newer parts wait
// behind it; a part refused for a size limit (413 naming the limit) is split by that limit and sent again.

import { type LimitExceeded, SPLIT_LIMIT_NAMES, type SplitLimitName } from "../../protocol/limits.ts";
import { errorMessage } from "../../protocol/retry.ts";
import { allFailed, type DeliveryOutcome, REFUSED_WITH_PUSH, type Transport } from "../../protocol/transport.ts";
import { describeValue } from "../../protocol/validation.ts";
import type { FamilyPush, Push } from "../../protocol/wire.ts";
import { type SplitLimits, splitIntoPushes } from "./split-into-pushes.ts";

/** What one flush did, counted in family parts (one family's part of one push = one delivery). */
export interface FlushResult {
  /** Parts stored (or recognised as already stored: a replay). */
  delivered: number;
  /** Parts the server refused (4xx); their deltas are gone and counted in stats.rejectedSeries. */
  rejected: number;
  /** Parts that could not be delivered; kept for the next flush with the same push id. */
  retained: number;
  /** Series dropped because the retry buffer was full. */
  dropped: number;
}

export interface DeliveryStats {
  flushes: number;
  rejectedSeries: number;
  droppedSeries: number;
  /** Series currently waiting for a retry. */
  retainedSeries: number;
}

export interface DeliveryOptions {
  /** Series kept for retry; past it the oldest undelivered pushes are dropped. */
  maxRetainedSeries: number;
  /**
   * How long an undelivered push is kept for retry; an older one is dropped. A server remembers push ids for a while
   * (an hour by default), and a replay after that would count again.
   */
  maxRetainedAgeMs: number;
  onError: (message: string) => void;
  /** The limits pushes are split by. A 413 naming a lower value lowers it here, for every later flush too. */
  limits: SplitLimits;
  /** A fresh push id, for the pushes a refused push is split into. */
  newId: () => string;
}

/** How many times one family part may be split again after a 413 (each split makes its parts strictly smaller). */
const MAX_SPLIT_ROUNDS = 16;
/** How long a send waits for the previous one before going anyway (a send stuck in a cancelled request). */
const MAX_WAIT_FOR_PREVIOUS_SEND_MS = 15_000;

const nothing = (): FlushResult => ({ delivered: 0, rejected: 0, retained: 0, dropped: 0 });
const seriesIn = (families: readonly FamilyPush[]) => families.reduce((n, f) => n + f.series.length, 0);
const itemsIn = (family: FamilyPush) => family.series.length + (family.remove?.length ?? 0);

/** Resolves when `promise` settles or after `ms`, whichever is first; never leaves a timer behind. */
function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** A transport's outcomes, or every family failed (kept for retry) if the transport throws. */
async function pushSafely(transport: Transport, push: Push): Promise<DeliveryOutcome[]> {
  try {
    return await transport.push(push);
  } catch (error) {
    return allFailed(push, errorMessage(error));
  }
}

export class DeliveryPipeline {
  /** Pushes that could not be delivered, oldest first, with their push ids: the next send starts with them. */
  private retained: Push[] = [];
  /** The send in progress; sends run one after another so pushes land in order. */
  private sending: Promise<unknown> = Promise.resolve();
  private counters = { flushes: 0, rejectedSeries: 0, droppedSeries: 0 };
  /** How often the family parts of a push were split already. */
  private readonly rounds = new WeakMap<Push, number>();
  /** When each kept push was first sent and could not be delivered. */
  private readonly failedSince = new WeakMap<Push, number>();

  constructor(private readonly options: DeliveryOptions) {}

  get stats(): DeliveryStats {
    return { ...this.counters, retainedSeries: this.retained.reduce((n, p) => n + seriesIn(p.families), 0) };
  }

  /** Forgets what is retained for retry. */
  clear(): void {
    this.retained = [];
  }

  /** True when nothing waits for a retry. */
  get idle(): boolean {
    return this.retained.length === 0;
  }

  /**
   * Sends what earlier sends could not deliver, then `pushes`, after the send in progress (waiting for it at most
   * 15 s). Never rejects for delivery problems.
   */
  deliver(pushes: Push[], transport: Transport): Promise<FlushResult> {
    const previous = this.sending;
    // Nothing to send: still settle only after the send in progress, which may carry deltas a caller waits for.
    if (pushes.length === 0 && this.retained.length === 0) {
      return waitAtMost(previous, MAX_WAIT_FOR_PREVIOUS_SEND_MS).then(nothing);
    }
    const run = (async () => {
      await waitAtMost(previous, MAX_WAIT_FOR_PREVIOUS_SEND_MS);
      return this.send([...this.retained.splice(0), ...pushes], transport);
    })();
    this.sending = run.catch(() => undefined);
    return run;
  }

  private async send(queue: Push[], transport: Transport): Promise<FlushResult> {
    const result = nothing();
    if (queue.length === 0) return result;
    this.counters.flushes++;
    const kept: Push[] = [];
    const blocked = new Set<string>();
    while (queue.length > 0) {
      const push = queue.shift() as Push;
      const sendable = push.families.filter((f) => !blocked.has(f.name));
      const failed = push.families.filter((f) => blocked.has(f.name));
      const tooLarge: FamilyPush[] = [];
      /** Families not applied only because another family of their push was refused: sent again without it. */
      const refusedWithPush: FamilyPush[] = [];
      const outcomes = sendable.length > 0 ? await pushSafely(transport, { ...push, families: sendable }) : [];
      sendable.forEach((family, i) => {
        const outcome = outcomes[i];
        if (outcome?.status === "applied" || outcome?.status === "duplicate") result.delivered++;
        else if (outcome?.status === "rejected" && outcome.code >= 500) {
          // A server error is not a refusal: nothing says what was applied; resend later with the same id.
          failed.push(family);
          blocked.add(family.name);
        } else if (outcome?.status === "rejected" && outcome.code === REFUSED_WITH_PUSH && sendable.length > 1) {
          refusedWithPush.push(family);
        } else if (outcome?.status === "rejected" && splitLimit(outcome.limit) && this.splittable(push, family)) {
          const limit = outcome.limit as { name: SplitLimitName; value: number };
          this.lower(limit.name, limit.value);
          tooLarge.push(family);
        } else if (outcome?.status === "rejected") {
          result.rejected++;
          this.counters.rejectedSeries += family.series.length;
          this.options.onError(`family ${describeValue(family.name)} refused (${outcome.code}): ${outcome.error}`);
        } else {
          failed.push(family);
          blocked.add(family.name);
        }
      });
      if (failed.length > 0) {
        const keep = { ...push, families: failed };
        this.failedSince.set(keep, this.failedSince.get(push) ?? Date.now());
        kept.push(keep);
      }
      // Refused before anything of them was applied: split by the lowered limits (and into strictly smaller
      // parts, so this ends), sent right away, ahead of newer parts of the same families.
      if (tooLarge.length > 0) queue.unshift(...this.resplit(push, tooLarge));
      // Nothing of them was applied in this attempt: they go again at once without the refused families, under the
      // same push id (an earlier attempt may have applied some of them: the id makes that a replay), and each round
      // refuses at least one family for itself, so this ends.
      if (refusedWithPush.length > 0) {
        const again = { ...push, families: refusedWithPush };
        const since = this.failedSince.get(push);
        if (since !== undefined) this.failedSince.set(again, since);
        queue.unshift(again);
      }
    }
    this.retained = [...kept, ...this.retained];
    result.dropped = this.enforceRetryBound();
    // Parts still kept after the bounds (a part dropped for age or room is counted in `dropped` instead).
    result.retained = kept.filter((p) => this.retained.includes(p)).reduce((n, p) => n + p.families.length, 0);
    return result;
  }

  /**
   * A part can be made smaller: its push held other families, or it holds more than one series. Not a part sent
   * before without an answer: it may have been applied then, and its pieces would carry new ids.
   */
  private splittable(push: Push, family: FamilyPush): boolean {
    if (this.failedSince.has(push)) return false;
    return (this.rounds.get(push) ?? 0) < MAX_SPLIT_ROUNDS && (push.families.length > 1 || itemsIn(family) > 1);
  }

  private lower(name: keyof SplitLimits, value: number): void {
    if (Number.isSafeInteger(value) && value > 0 && value < this.options.limits[name])
      this.options.limits[name] = value;
  }

  private resplit(push: Push, families: FamilyPush[]): Push[] {
    const largest = Math.max(...families.map(itemsIn));
    const pushes = splitIntoPushes(families, this.options.limits, this.options.newId, Math.max(1, largest - 1));
    const round = (this.rounds.get(push) ?? 0) + 1;
    for (const p of pushes) this.rounds.set(p, round);
    return pushes;
  }

  /** Drops retained pushes that are too old, then the oldest until the bound holds; returns the series dropped. */
  private enforceRetryBound(): number {
    const now = Date.now();
    const tooOld = (p: Push) => now - (this.failedSince.get(p) ?? now) > this.options.maxRetainedAgeMs;
    const aged = this.retained.filter(tooOld).reduce((n, p) => n + seriesIn(p.families), 0);
    if (aged > 0) {
      this.retained = this.retained.filter((p) => !tooOld(p));
      this.options.onError(
        `dropped ${aged} series undelivered for over ${this.options.maxRetainedAgeMs} ms (maxRetainedAgeMs)`,
      );
    }
    let retained = this.stats.retainedSeries;
    let full = 0;
    while (retained > this.options.maxRetainedSeries && this.retained.length > 0) {
      const n = seriesIn((this.retained.shift() as Push).families);
      retained -= n;
      full += n;
    }
    if (full > 0) {
      this.options.onError(
        `retry buffer full: dropped ${full} undelivered series (maxRetainedSeries ${this.options.maxRetainedSeries})`,
      );
    }
    this.counters.droppedSeries += aged + full;
    return aged + full;
  }
}

/** True for a limit a push can be split by (not a cap on what the deployment holds). */
function splitLimit(limit: LimitExceeded | undefined): boolean {
  return limit !== undefined && (SPLIT_LIMIT_NAMES as readonly string[]).includes(limit.name);
}
