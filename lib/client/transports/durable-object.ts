// Transport (a): straight to the family Durable Objects through a namespace binding, one RPC per family, in parallel.
// Each family goes to the object named by its family name (or one of its shards).

import { pushToFamilyObjects } from "../../protocol/family-calls.ts";
import { familyName, shardObjectName } from "../../protocol/names.ts";
import type { RetryOptions } from "../../protocol/retry.ts";
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
