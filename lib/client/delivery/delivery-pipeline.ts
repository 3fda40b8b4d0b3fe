// The delivery pipeline behind `flush`: pushes go out one after another through a transport; what could not be
// delivered is kept, with its push id, and sent first next time (bounded); once a family fails, its newer parts wait
// behind it; a part refused for a size limit (413 naming the limit) is split by that limit and sent again.

import { SPLIT_LIMIT_NAMES, type SplitLimitName } from "../../protocol/limits.ts";
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
}

/** How many times one family part may be split again after a 413 (each split makes its parts strictly smaller). */
const MAX_SPLIT_ROUNDS = 16;
/** How long a send waits for the previous one before going anyway (a send stuck in a cancelled request). */
const MAX_WAIT_FOR_PREVIOUS_SEND_MS = 15_000;

const seriesIn = (pushes: readonly Push[]) =>
  pushes.reduce((n, p) => n + p.families.reduce((m, f) => m + f.series.length, 0), 0);
const itemsIn = (family: FamilyPush) => family.series.length + (family.remove?.length ?? 0);

/** Resolves when `promise` settles or after `ms`, whichever is first; never leaves a timer behind. */
function waitAtMost(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

export class DeliveryPipeline {
  readonly #options: DeliveryOptions;
  /** Pushes that could not be delivered, oldest first, with their push ids: the next send starts with them. */
  #retained: Push[] = [];
  /** The send in progress; sends run one after another so pushes land in order. */
  #sending: Promise<unknown> = Promise.resolve();
  #counters = { flushes: 0, rejectedSeries: 0, droppedSeries: 0 };
  /** How often the family parts of a push were split already. */
  readonly #rounds = new WeakMap<Push, number>();
  /** When each kept push was first sent and could not be delivered. */
  readonly #failedSince = new WeakMap<Push, number>();

  constructor(options: DeliveryOptions) {
    this.#options = options;
  }

  get stats(): DeliveryStats {
    return { ...this.#counters, retainedSeries: seriesIn(this.#retained) };
  }

  /** Forgets what is retained for retry. */
  clear(): void {
    this.#retained = [];
  }

  /**
   * Sends what earlier sends could not deliver, then `pushes`, after the send in progress (waiting for it at most
   * 15 s). Never rejects for delivery problems. With nothing to send, it still settles only after the send in
   * progress, which may carry deltas a caller waits for.
   */
  deliver(pushes: Push[], transport: Transport): Promise<FlushResult> {
    const idle = pushes.length + this.#retained.length === 0;
    const run = waitAtMost(this.#sending, MAX_WAIT_FOR_PREVIOUS_SEND_MS).then(() =>
      this.#send(idle ? [] : [...this.#retained.splice(0), ...pushes], transport),
    );
    if (!idle) this.#sending = run.catch(() => undefined);
    return run;
  }

  async #send(queue: Push[], transport: Transport): Promise<FlushResult> {
    const result: FlushResult = { delivered: 0, rejected: 0, retained: 0, dropped: 0 };
    if (queue.length === 0) return result;
    this.#counters.flushes++;
    const kept: Push[] = [];
    const blocked = new Set<string>();
    /** Sends `families` of `push` again at once, ahead of newer parts, as long as it failed before if it did. */
    const again = (push: Push, families: FamilyPush[]) => {
      const since = this.#failedSince.get(push);
      const next = { ...push, families };
      if (since !== undefined) this.#failedSince.set(next, since);
      queue.unshift(next);
    };
    for (let push = queue.shift(); push; push = queue.shift()) {
      const sendable = push.families.filter((f) => !blocked.has(f.name));
      const failed = push.families.filter((f) => blocked.has(f.name));
      const tooLarge: FamilyPush[] = [];
      /** Families not applied only because another family of their push was refused: sent again without it. */
      const refusedWithPush: FamilyPush[] = [];
      const sending = { ...push, families: sendable };
      let outcomes: DeliveryOutcome[] = [];
      try {
        if (sendable.length > 0) outcomes = await transport.push(sending);
      } catch (error) {
        outcomes = allFailed(sending, errorMessage(error));
      }
      sendable.forEach((family, i) => {
        const outcome = outcomes[i];
        if (outcome?.status === "applied" || outcome?.status === "duplicate") result.delivered++;
        // A server error is not a refusal: nothing says what was applied; resend later with the same id.
        else if (outcome?.status !== "rejected" || outcome.code >= 500) {
          failed.push(family);
          blocked.add(family.name);
        } else if (outcome.code === REFUSED_WITH_PUSH && sendable.length > 1) refusedWithPush.push(family);
        else if (this.#splittable(push, family, outcome.limit)) tooLarge.push(family);
        else {
          result.rejected++;
          this.#counters.rejectedSeries += family.series.length;
          this.#options.onError(`family ${describeValue(family.name)} refused (${outcome.code}): ${outcome.error}`);
        }
      });
      if (failed.length > 0) {
        const keep = { ...push, families: failed };
        this.#failedSince.set(keep, this.#failedSince.get(push) ?? Date.now());
        kept.push(keep);
      }
      // Refused before anything of them was applied: split by the lowered limits (and into strictly smaller
      // parts, so this ends), sent right away, ahead of newer parts of the same families.
      if (tooLarge.length > 0) queue.unshift(...this.#resplit(push, tooLarge));
      // Nothing of them was applied in this attempt: they go again at once without the refused families, under the
      // same push id (an earlier attempt may have applied some of them: the id makes that a replay), and each round
      // refuses at least one family for itself, so this ends.
      if (refusedWithPush.length > 0) again(push, refusedWithPush);
    }
    this.#retained = [...kept, ...this.#retained];
    result.dropped = this.#enforceRetryBound();
    // Parts still kept after the bounds (a part dropped for age or room is counted in `dropped` instead).
    result.retained = kept.filter((p) => this.#retained.includes(p)).reduce((n, p) => n + p.families.length, 0);
    return result;
  }

  /**
   * A part refused for a limit a push is split by can be made smaller (lowering that limit here when the server's is
   * lower): its push held other families, or it holds more than one series. Not a part sent before without an
   * answer: it may have been applied then, and its pieces would carry new ids.
   */
  #splittable(push: Push, family: FamilyPush, limit: { name: string; value: number } | undefined): boolean {
    const name = limit?.name as SplitLimitName;
    if (!SPLIT_LIMIT_NAMES.includes(name) || this.#failedSince.has(push)) return false;
    if ((this.#rounds.get(push) ?? 0) >= MAX_SPLIT_ROUNDS || (push.families.length < 2 && itemsIn(family) < 2))
      return false;
    const { limits } = this.#options;
    const value = limit?.value as number;
    if (Number.isSafeInteger(value) && value > 0 && value < limits[name]) limits[name] = value;
    return true;
  }

  #resplit(push: Push, families: FamilyPush[]): Push[] {
    const largest = Math.max(...families.map(itemsIn));
    const pushes = splitIntoPushes(families, this.#options.limits, undefined, Math.max(1, largest - 1));
    const round = (this.#rounds.get(push) ?? 0) + 1;
    for (const p of pushes) this.#rounds.set(p, round);
    return pushes;
  }

  /** Drops retained pushes that are too old, then the oldest until the bound holds; returns the series dropped. */
  #enforceRetryBound(): number {
    const { maxRetainedAgeMs, maxRetainedSeries, onError } = this.#options;
    const now = Date.now();
    const fresh = this.#retained.filter((p) => now - (this.#failedSince.get(p) ?? now) <= maxRetainedAgeMs);
    const aged = seriesIn(this.#retained) - seriesIn(fresh);
    if (aged > 0) onError(`dropped ${aged} series undelivered for over ${maxRetainedAgeMs} ms (maxRetainedAgeMs)`);
    let full = 0;
    while (seriesIn(fresh) > maxRetainedSeries) full += seriesIn(fresh.splice(0, 1));
    if (full > 0)
      onError(`retry buffer full: dropped ${full} undelivered series (maxRetainedSeries ${maxRetainedSeries})`);
    this.#retained = fresh;
    this.#counters.droppedSeries += aged + full;
    return aged + full;
  }
}
