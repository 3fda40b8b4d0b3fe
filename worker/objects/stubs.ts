// The stubs of a family's objects: one per shard it was ever spread over, shard 0 first.

import { shardObjectName } from "../../lib/protocol/names.ts";
import { shardOfId } from "../../lib/protocol/shards.ts";
import type { Env } from "../config/env.ts";
import { ingestShards } from "../config/settings.ts";
import { catalog } from "./catalog-object.ts";

/** The stub of shard `shard` of `family`. */
export const familyStub = (env: Env, family: string, shard = 0) =>
  env.METRICS_FAMILY.getByName(shardObjectName(family, shard));

/**
 * A stub for every object `family` was ever spread over, shard 0 first: `shards` of them when the caller knows how
 * many (from the catalog's list), else the catalog is asked.
 */
export async function everyShard(env: Env, family: string, shards?: number) {
  const count = shards ?? (await catalog(env).shardsOf(family));
  return Array.from({ length: count }, (_, k) => familyStub(env, family, k));
}

/**
 * Runs a deletion on every shard, shard 0 last: while shard 0 takes a retired shard's series in (a family taken back
 * to one object), a deletion then meets them on one side or the other, never neither; and shard 0 has the catalog's
 * index of groups forget a group once the other shards hold none of it.
 */
export async function deleteOnEveryShard<R>(
  stubs: ReturnType<typeof familyStub>[],
  deletion: (stub: ReturnType<typeof familyStub>) => Promise<R>,
): Promise<R[]> {
  const [zero, ...others] = stubs;
  const replies = await Promise.all(others.map(deletion));
  return zero ? [await deletion(zero), ...replies] : replies;
}

/**
 * The ingest object that acknowledges the push with id `pushId` (a retry meets its first attempt), or undefined when
 * the Worker has no ingest binding.
 */
export function ingestStub(env: Env, pushId: string | undefined) {
  const shards = ingestShards(env);
  return env.METRICS_INGEST?.getByName(`ingest#${shardOfId(pushId, shards)}`);
}

/** Every ingest object (none without the binding). */
export function everyIngestStub(env: Env) {
  const namespace = env.METRICS_INGEST;
  return namespace ? Array.from({ length: ingestShards(env) }, (_, k) => namespace.getByName(`ingest#${k}`)) : [];
}

/**
 * Folds what every ingest object acknowledged into the family objects (and, with `forget`, makes them ask about those
 * families again): a read that follows sees every acknowledged push, and an operator's change of a family is not
 * undone by parts acknowledged before it.
 */
export async function drainIngest(env: Env, forget?: string[]): Promise<void> {
  await Promise.all(everyIngestStub(env).map((stub) => (forget ? stub.forget(forget) : stub.drain())));
}
