// The stubs of a family's objects: one per shard it was ever spread over, shard 0 first.

import { shardObjectName } from "../lib/names.ts";
import { catalog } from "./catalog-object.ts";
import type { Env } from "./env.ts";

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
