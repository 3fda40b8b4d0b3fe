// The one interface every transport implements: deliver a batch, report per family how it ended.

import type { FamilyOutcome, PushBatch } from "../wire.ts";

/** A family that could not be delivered this time (network, overload, timeout): safe to send again with the same batch id. */
export interface FailedFamily {
  name: string;
  status: "failed";
  error: string;
}

export type DeliveryOutcome = FamilyOutcome | FailedFamily;

/**
 * Delivers batches to the store. Implementations never throw: every family gets an outcome.
 * @example
 * const outcomes = await transport.push({ batch: "b-1", families });
 */
export interface Transport {
  push(batch: PushBatch): Promise<DeliveryOutcome[]>;
}

/** Every family of `batch` marked failed with `error`. */
export function allFailed(batch: PushBatch, error: string): DeliveryOutcome[] {
  return batch.families.map((f) => ({ name: f.name, status: "failed", error }));
}

/** Every family of `batch` marked rejected with `code` and `error` (one outcome named "" when it has none). */
export function allRejected(batch: PushBatch, code: number, error: string): DeliveryOutcome[] {
  const families: unknown[] =
    Array.isArray(batch?.families) && batch.families.length > 0 ? batch.families : [{ name: "" }];
  return families.map((f) => ({
    name: String((f as { name?: unknown } | null)?.name ?? ""),
    status: "rejected",
    code,
    error,
  }));
}
