// The one interface every transport implements: deliver a push, report per family how it ended.

import type { LimitExceeded } from "../limits.ts";
import type { FamilyOutcome, Push } from "../wire.ts";

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
 * const outcomes = await transport.push({ batch: "b-1", families });
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
