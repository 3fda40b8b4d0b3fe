// Admission: the refusals a push meets against what is stored, asked before anything of it is applied, so that a
// push is refused whole or applied whole. A part over the series cap on its own is refused at once; each family
// object is asked whether it would refuse its part (another definition, other buckets, a gauge merged by "sum", the
// series cap…); the catalog admits the families not known to be registered (a clash with another family's type or
// sample names, the deployment's and the credential's cap on families) and lists the new ones.

import { checkPush } from "../../lib/protocol/check-push.ts";
import type { Limits } from "../../lib/protocol/limits.ts";
import { reservedNameProblem } from "../../lib/protocol/names.ts";
import type { Refusal } from "../../lib/protocol/refusal.ts";
import type { FamilyRefusal } from "../../lib/protocol/transport.ts";
import type { FamilyPush, Push } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
import { configuredShards, maxFamilies, maxSeriesPerFamily } from "../config/settings.ts";
import { countFamilyCapRefusal, type WaitUntil } from "../self-metrics/self-metrics.ts";
import { catalog } from "./catalog-object.ts";
import { familyStub } from "./stubs.ts";

/** The cap a scoped credential puts on the families its prefixes may hold, when it has one. */
export interface TokenCap {
  prefixes: string[];
  maxFamilies: number;
}

export interface Admission {
  /** Ask every family's object (not only when the push has several families). */
  askEveryFamily: boolean;
  /** True for a family known to be registered with this part's type: the catalog need not be asked about it. */
  registered: (part: FamilyPush) => boolean;
  token: TokenCap | undefined;
  /** The push's id, so a replay is judged as the object would judge it. */
  pushId: string | undefined;
}

/** The refusals that make a push of `parts` refused whole (none: it may be applied). Writes nothing but the catalog's list. */
export async function refusalsOfWhole(
  env: Env,
  ctx: WaitUntil | undefined,
  parts: readonly FamilyPush[],
  admission: Admission,
): Promise<FamilyRefusal[]> {
  const cap = maxSeriesPerFamily(env);
  const oversized = parts.filter((f) => f.series.length > cap);
  if (oversized.length > 0)
    return oversized.map((f) => ({
      name: f.name,
      status: "rejected",
      code: 413,
      error: `family ${JSON.stringify(f.name)} would hold ${f.series.length} series, over the limit of ${cap} per family`,
    }));
  if (admission.askEveryFamily || parts.length > 1) {
    const verdicts = await Promise.all(
      parts.map((part) => familyStub(env, part.name, 0).wouldRefuse(admission.pushId, part)),
    );
    // (The stub's RPC-wrapped result type adds Disposable, which a plain refusal lacks: filtered, then named.)
    const refused = verdicts.filter((v) => v?.status === "rejected") as unknown as FamilyRefusal[];
    if (refused.length > 0) return refused;
  }
  const unknown = parts.filter((f) => !admission.registered(f));
  if (unknown.length === 0) return [];
  const caps = { maxFamilies: maxFamilies(env), ...(admission.token ? { token: admission.token } : {}) };
  const admitted = unknown.map(({ name, type, shards, withoutTotal }) => ({
    name,
    type,
    ...(shards ? { shards } : {}),
    ...(withoutTotal ? { withoutTotal } : {}),
  }));
  const refused = await catalog(env).admit(admitted, caps);
  if (!refused) return [];
  if (refused.cap) countFamilyCapRefusal(refused.cap, env, ctx);
  const { status: code, error, limit } = refused;
  return refused.families.map((name) => ({ name, status: "rejected", code, error, ...(limit ? { limit } : {}) }));
}

/** A push checked whole (`checkPush`, and no family in the reserved namespace), or its refusal. */
export function checkedWhole(input: unknown, limits: Limits): Push | { refusal: Refusal } {
  const checked = checkPush(input, limits);
  if (!checked.ok) return { refusal: checked.refusal };
  for (const [i, family] of checked.value.families.entries()) {
    const problem = reservedNameProblem(family.name);
    if (problem) return { refusal: { status: 400, path: ["families", i, "name"], problem } };
  }
  return checked.value;
}

/**
 * `part` spread over the objects an operator chose: FAMILY_SHARDS, or (for a bound Worker, the operator's own code)
 * what it declares, whichever is more. What an HTTP push declares is not used: a producer cannot make every scrape
 * read more objects.
 */
export function spreadAsConfigured(env: Env, part: FamilyPush, bound: boolean): FamilyPush {
  const { shards: declared, ...rest } = part;
  const configured = configuredShards(env, part.name, part.type) ?? 1;
  const shards = bound ? Math.max(declared ?? 1, configured) : configured;
  return shards > 1 ? { ...rest, shards } : rest;
}
