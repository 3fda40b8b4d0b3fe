// Sends each family of a push to its Durable Object, in parallel, retrying what may be retried: what the Durable
// Object transport does from a user's Worker, and what the metrics Worker's ingest does with a checked push.

import { errorMessage, isRetryableObjectError, type RetryOptions, withRetries } from "./retry.ts";
import type { DeliveryOutcome } from "./transport.ts";
import type { FamilyOutcome, FamilyPush, Push } from "./wire.ts";

/**
 * Sends each family of `push` to its object through `send`, in parallel. Retries only errors marked retryable
 * (never overloaded), on a fresh stub, and only when the push has an id (so a retry can never count twice).
 */
export function pushToFamilyObjects(
  push: Push,
  send: (pushId: string | undefined, family: FamilyPush) => Promise<FamilyOutcome>,
  options: RetryOptions = {},
): Promise<DeliveryOutcome[]> {
  const retry = push.pushId === undefined ? () => false : isRetryableObjectError;
  return Promise.all(
    push.families.map(async (family): Promise<DeliveryOutcome> => {
      try {
        return await withRetries(() => send(push.pushId, family), retry, options);
      } catch (error) {
        return { name: family.name, status: "failed", error: errorMessage(error) };
      }
    }),
  );
}
