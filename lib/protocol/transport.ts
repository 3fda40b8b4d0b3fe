// The one interface every transport implements: deliver a push, report per family how it ended.

import type { LimitExceeded } from "./limits.ts";
import type { Refusal } from "./refusal.ts";
import type { FamilyOutcome, Push } from "./wire.ts";

/** A family that could not be delivered this time (network, overload, timeout): safe to send again with the same push id. */
export interface FailedFamily {
  name: string;
  status: "failed";
  error: string;
}

export type DeliveryOutcome = FamilyOutcome | FailedFamily;

/**
 * Delivers pushes to the store. Implementations never throw: every family gets an outcome, in order.
 * @example
 * const outcomes = await transport.push({ pushId: "b-1", families });
 */
export interface Transport {
  push(push: Push): Promise<DeliveryOutcome[]>;
}

/** Every family of `push` marked failed with `error`. */
export function allFailed(push: Push, error: string): DeliveryOutcome[] {
  return push.families.map((f) => ({ name: f.name, status: "failed", error }));
}

/**
 * Every family of `push` marked rejected with `code` and `error` (and the size limit it passed, if any); one
 * outcome named "" when the push has no readable families.
 */
export function allRejected(push: Push, code: number, error: string, limit?: LimitExceeded): DeliveryOutcome[] {
  const families: unknown[] =
    Array.isArray(push?.families) && push.families.length > 0 ? push.families : [{ name: "" }];
  return families.map((f) => ({
    name: String((f as { name?: unknown } | null)?.name ?? ""),
    status: "rejected",
    code,
    error,
    ...(limit ? { limit } : {}),
  }));
}

/** A family's refusal, as a push's outcomes carry it. */
export type FamilyRefusal = Extract<FamilyOutcome, { status: "rejected" }>;

/**
 * The code of a family that was not applied only because another family of its push was refused: a push is refused
 * whole. Nothing of it was applied, so a sender may send that family again without the refused one (the client
 * library does, at once).
 */
export const REFUSED_WITH_PUSH = 424;

/**
 * The outcomes of a push refused whole: each family in `refusals` with its own refusal, every other family with
 * REFUSED_WITH_PUSH naming why.
 */
export function refusedWhole(push: Push, refusals: readonly FamilyRefusal[]): DeliveryOutcome[] {
  const names = refusals.map((r) => JSON.stringify(r.name)).join(", ");
  return push.families.map(
    (f) =>
      refusals.find((r) => r.name === f.name) ?? {
        name: f.name,
        status: "rejected",
        code: REFUSED_WITH_PUSH,
        error: `not applied: the push was refused whole because of family ${names}; send this family again without it`,
      },
  );
}

/**
 * What an ingest object of the metrics Worker answers a whole push: every family's outcome; the refusals that refuse
 * it whole; its refusal as invalid (only for a push it checks itself); or "too large for its log" (the sender sends
 * it to the family objects instead).
 */
export type IngestAnswer =
  | { kind: "outcomes"; families: DeliveryOutcome[] }
  | { kind: "refused"; refusals: FamilyRefusal[] }
  | { kind: "invalid"; refusal: Refusal }
  | { kind: "too-large" };
