// Transport (a): straight to the metrics Worker's Durable Objects through namespace bindings. Without `ingest`, one
// RPC per family, in parallel, each family to the object named by its family name (or one of its shards). With the
// ingest objects' namespace, one RPC per push, whatever its families (what a Worker that flushes on every request
// wants: see the README's "Ingest objects").

import { pushToFamilyObjects } from "../../protocol/family-calls.ts";
import { familyName, shardObjectName } from "../../protocol/names.ts";
import { refusalText } from "../../protocol/refusal.ts";
import { errorMessage, isRetryableObjectError, type RetryOptions, withRetries } from "../../protocol/retry.ts";
import { shardFor, shardOfId } from "../../protocol/shards.ts";
import {
  allFailed,
  allRejected,
  type DeliveryOutcome,
  type IngestAnswer,
  refusedWhole,
  type Transport,
} from "../../protocol/transport.ts";
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

/** The RPC surface of an ingest object, as this transport calls it. */
export interface IngestObjectStub {
  acceptBound(push: Push): Promise<IngestAnswer>;
}

export interface DurableObjectTransportOptions extends RetryOptions {
  /**
   * The ingest objects' namespace (`env.METRICS_INGEST`, class `IngestObject` of the metrics Worker): each push is
   * then one request to one ingest object, checked there as the router checks an HTTP push.
   */
  ingest?: FamilyNamespace;
  /** The metrics Worker's INGEST_SHARDS (default 1): which ingest objects exist. */
  ingestShards?: number;
}

/**
 * Sends each family to its object (the one named by its family name, or one of its shards), with
 * pushToFamilyObjects' retries.
 * @example
 * ctx.waitUntil(register.flush(new DurableObjectTransport(env.METRICS_FAMILY)));
 * // One request per flush, whatever its families:
 * ctx.waitUntil(register.flush(new DurableObjectTransport(env.METRICS_FAMILY, { ingest: env.METRICS_INGEST })));
 */
export class DurableObjectTransport implements Transport {
  constructor(
    private readonly namespace: FamilyNamespace,
    private readonly options: DurableObjectTransportOptions = {},
  ) {}

  async push(push: Push): Promise<DeliveryOutcome[]> {
    const { ingest, ingestShards = 1 } = this.options;
    if (ingest) {
      const name = `ingest#${shardOfId(push.pushId, ingestShards)}`;
      const retry = push.pushId === undefined ? () => false : isRetryableObjectError;
      let answer: IngestAnswer;
      try {
        answer = await withRetries(
          () => (ingest.getByName(name) as IngestObjectStub).acceptBound(push),
          retry,
          this.options,
        );
      } catch (error) {
        return allFailed(push, errorMessage(error));
      }
      // The answers name families by family name (a counter's without `_total`), one per family, in order.
      const named = { ...push, families: push.families.map((f) => ({ ...f, name: familyName(f.type, f.name) })) };
      if (answer.kind === "outcomes")
        return named.families.map(
          (f, i) => answer.families.find((o) => o.name === f.name) ?? (answer.families[i] as DeliveryOutcome),
        );
      if (answer.kind === "refused") return refusedWhole(named, answer.refusals);
      if (answer.kind === "invalid")
        return allRejected(push, answer.refusal.status, refusalText(answer.refusal), answer.refusal.limit);
      // Too large for an ingest object's log: to the family objects, as without ingest objects.
    }
    return this.perFamily(push);
  }

  private perFamily(push: Push): Promise<DeliveryOutcome[]> {
    const send = (pushId: string | undefined, family: FamilyPush) => {
      // The family's object, named by the family name the object's definition check will make of `family.name`.
      const name = familyName(family.type, family.name);
      const object = shardObjectName(name, shardFor({ ...family, name }, pushId));
      return (this.namespace.getByName(object) as FamilyObjectStub).push(pushId, family);
    };
    return pushToFamilyObjects(push, send, this.options);
  }
}
