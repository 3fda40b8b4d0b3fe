// The stubs of a family's objects: one per shard it was ever spread over, shard 0 first.

import { shardObjectName } from "../../lib/protocol/names.ts";
import type { Labels } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
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
 * Deletes the series matching `match` on every shard, shard 0 last: while shard 0 takes a retired shard's series in
 * (a family taken back to one object), a deletion then meets them on one side or the other, never neither.
 */
export async function deleteOnEveryShard(stubs: ReturnType<typeof familyStub>[], match: Labels) {
  const [zero, ...others] = stubs;
  const replies = await Promise.all(others.map((stub) => stub.deleteSeries(match)));
  return zero ? [await zero.deleteSeries(match), ...replies] : replies;
}
