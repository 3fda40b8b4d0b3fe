// Transport (a): straight to the family Durable Objects through a namespace binding, one RPC per family, in parallel.

import { familyName } from "../validation.ts";
import type { FamilyBatch, FamilyOutcome, PushBatch } from "../wire.ts";
import { errorMessage, isRetryableObjectError, type RetryOptions, withRetries } from "./retry.ts";
import type { DeliveryOutcome, Transport } from "./transport.ts";

/** The RPC surface of a family object, as this transport needs it. */
export interface FamilyObjectStub {
  push(batch: string | undefined, family: FamilyBatch): Promise<FamilyOutcome>;
}

/** A Durable Object namespace binding for the family objects (`env.METRICS_FAMILY`). */
export interface FamilyNamespace {
  getByName(name: string): FamilyObjectStub;
}

/**
 * Sends each family to its object. Retries only errors marked retryable (never overloaded), on a fresh stub,
 * and only when the batch has an id (so a retry can never count twice).
 * @example
 * ctx.waitUntil(register.flush(new DurableObjectTransport(env.METRICS_FAMILY)));
 */
export class DurableObjectTransport implements Transport {
  constructor(
    private readonly namespace: FamilyNamespace,
    private readonly options: RetryOptions = {},
  ) {}

  push(batch: PushBatch): Promise<DeliveryOutcome[]> {
    return Promise.all(batch.families.map((family) => this.pushFamily(batch.batch, family)));
  }

  private async pushFamily(batch: string | undefined, family: FamilyBatch): Promise<DeliveryOutcome> {
    try {
      const retry = batch === undefined ? () => false : isRetryableObjectError;
      const object = familyName(family.type, family.name);
      return await withRetries(() => this.namespace.getByName(object).push(batch, family), retry, this.options);
    } catch (error) {
      return { name: family.name, status: "failed", error: errorMessage(error) };
    }
  }
}
