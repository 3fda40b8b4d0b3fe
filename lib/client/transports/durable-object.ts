// Transport (a): straight to the family Durable Objects through a namespace binding, one RPC per family, in parallel.
// Each family goes to the object named by its family name (or one of its shards).

import { familyName, shardObjectName } from "../../protocol/names.ts";
import { errorMessage, isRetryableObjectError, type RetryOptions, withRetries } from "../../protocol/retry.ts";
import { shardFor } from "../../protocol/shards.ts";
import type { DeliveryOutcome, Transport } from "../../protocol/transport.ts";
import type { FamilyOutcome, FamilyPush, Push } from "../../protocol/wire.ts";

/** The RPC surface of a family object, as this transport calls it. */
export interface FamilyObjectStub {
  push(pushId: string | undefined, family: FamilyPush): Promise<FamilyOutcome>;
}

/**
 * A Durable Object namespace binding for the family objects (`env.METRICS_FAMILY`), typed or not: the binding
 * types `wrangler types` generates for a class of another Worker carry no RPC methods, so any namespace fits.
 */
export interface FamilyNamespace {
  getByName(name: string): unknown;
}

/**
 * Sends each family of `push` to its object through `send`, in parallel. Retries only errors marked retryable
 * (never overloaded), on a fresh stub, and only when the push has an id (so a retry can never count twice).
 */
export function pushToFamilyObjects(
  push: Push,
  send: (pushId: string | undefined, family: FamilyPush) => Promise<FamilyOutcome>,
  options: RetryOptions = {},
): Promise<DeliveryOutcome[]> {
  const retry = push.batch === undefined ? () => false : isRetryableObjectError;
  return Promise.all(
    push.families.map(async (family): Promise<DeliveryOutcome> => {
      try {
        return await withRetries(() => send(push.batch, family), retry, options);
      } catch (error) {
        return { name: family.name, status: "failed", error: errorMessage(error) };
      }
    }),
  );
}

/**
 * Sends each family to its object (the one named by its family name, or one of its shards), with
 * pushToFamilyObjects' retries.
 * @example
 * ctx.waitUntil(register.flush(new DurableObjectTransport(env.METRICS_FAMILY)));
 */
export class DurableObjectTransport implements Transport {
  constructor(
    private readonly namespace: FamilyNamespace,
    private readonly options: RetryOptions = {},
  ) {}

  push(push: Push): Promise<DeliveryOutcome[]> {
    const send = (pushId: string | undefined, family: FamilyPush) => {
      // The family's object, named by the family name the object's definition check will make of `family.name`.
      const name = familyName(family.type, family.name);
      const object = shardObjectName(name, shardFor({ ...family, name }, pushId));
      return (this.namespace.getByName(object) as FamilyObjectStub).push(pushId, family);
    };
    return pushToFamilyObjects(push, send, this.options);
  }
}
