// Ingest: check a whole push and refuse it whole when any part would be refused (nothing is applied), then fan it out
// to the family objects. Every way in shares it: POST /push, the MetricsService RPC entrypoint, the Pushgateway API.

import { checkPush } from "../../lib/protocol/check-push.ts";
import { pushToFamilyObjects } from "../../lib/protocol/family-calls.ts";
import { reservedNameProblem } from "../../lib/protocol/names.ts";
import { type Refusal, type RefusalStatus, refusalText } from "../../lib/protocol/refusal.ts";
import { shardFor } from "../../lib/protocol/shards.ts";
import {
  type DeliveryOutcome,
  type FamilyRefusal,
  type IngestAnswer,
  refusedWhole,
} from "../../lib/protocol/transport.ts";
import type { FamilyPush, Labels, MetricType, Push } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
import { limits } from "../config/settings.ts";
import { EVERY_FAMILY, type Scope, scopeProblem } from "../http/auth.ts";
import { refusalsOfWhole, spreadAsConfigured, type TokenCap } from "../objects/admission.ts";
import { familyStub, ingestStub } from "../objects/stubs.ts";
import type { WaitUntil } from "../self-metrics/self-metrics.ts";

/**
 * What a push gets, as data each way in renders in its own terms: its families' outcomes; or the refusal of the whole
 * push, with every family's outcome when the push was readable (the refused families, and the others, not applied
 * with them).
 */
export type IngestReply =
  | { status: number; pushId?: string; families: DeliveryOutcome[] }
  | { status: number; refusal: Refusal; families?: DeliveryOutcome[] };

/** An ingest reply as JSON (POST /push): `{ batch, families }`, or `{ error, limit?, families? }`. */
export function jsonOf(reply: IngestReply): Record<string, unknown> {
  if (!("refusal" in reply))
    return { ...(reply.pushId !== undefined ? { batch: reply.pushId } : {}), families: reply.families };
  const { limit } = reply.refusal;
  const families = reply.families ? { families: reply.families } : {};
  return { error: refusalText(reply.refusal), ...(limit ? { limit } : {}), ...families };
}

/** The HTTP status of a push from its family outcomes: a failure → 503, a conflict → 409, a limit → 413. */
export function statusOf(outcomes: DeliveryOutcome[]): number {
  if (outcomes.some((o) => o.status === "failed")) return 503;
  const codes = outcomes.flatMap((o) => (o.status === "rejected" ? [o.code] : []));
  for (const code of [409, 413, 400]) if (codes.includes(code)) return code;
  return 200;
}

/** Who pushes: what the credential may write, and whether it is a Worker bound to this one (trusted: see Security). */
export interface WayIn {
  scope: Scope;
  bound: boolean;
  /**
   * Parts the Worker adds to the producer's push (the Pushgateway API's group time gauge and the parts that clear a
   * group from the families a PUT does not name): built here, so not checked as the producer's are, nor counted
   * against the per-push limits, the reserved names or the credential's scope.
   */
  extra?: readonly FamilyPush[];
  /**
   * What picks the ingest object (default: the push id): the Pushgateway API's pushes of one group all go to one, so
   * its folds apply them in the order they were acknowledged.
   */
  route?: string;
  /** A Pushgateway PUT: the group it replaces (its ingest object then clears what it took for the group before). */
  replaces?: Labels;
}

/** A Worker calling through a service binding: unscoped, trusted to declare shards. */
export const BOUND_WORKER: WayIn = { scope: EVERY_FAMILY, bound: true };

/** Families known to be registered with a type, so a push of them needs no catalog check (types never change). */
const registered = new Map<string, { type: MetricType; until: number }>();
const REGISTERED_MS = 60_000;

/** The cap a credential's scope puts on families, if any. */
function tokenCap(scope: Scope): TokenCap | undefined {
  return "prefixes" in scope && scope.maxFamilies !== undefined
    ? { prefixes: scope.prefixes, maxFamilies: scope.maxFamilies }
    : undefined;
}

/**
 * The reply to a push refused whole: the refusal that decided it (`refusal`, or the first family's), and every
 * family's outcome.
 */
function refusedReply(push: Push, refusals: readonly FamilyRefusal[], refusal?: Refusal): IngestReply {
  const first = refusals[0] as FamilyRefusal;
  const decided = refusal ?? {
    status: first.code as RefusalStatus,
    path: [],
    problem: first.error,
    ...(first.limit ? { limit: first.limit } : {}),
  };
  return { status: decided.status, refusal: decided, families: refusedWhole(push, refusals) };
}

/** Remembers the families a push applied, with their types, so the next pushes of them skip the catalog. */
function rememberApplied(push: Push, outcomes: readonly DeliveryOutcome[]): void {
  const until = Date.now() + REGISTERED_MS;
  if (registered.size > 10_000) registered.clear();
  push.families.forEach((family, i) => {
    if (outcomes[i]?.status === "applied") registered.set(family.name, { type: family.type, until });
  });
}

/**
 * The push acknowledged (or refused whole) by its ingest object: one request, whatever its families; undefined
 * without the ingest binding, or for a push too large for the ingest log (it goes to the family objects directly).
 */
async function acceptedByIngestObject(
  env: Env,
  push: Push,
  scope: Scope,
  { route, replaces }: Pick<WayIn, "route" | "replaces">,
): Promise<IngestReply | undefined> {
  const stub = ingestStub(env, route ?? push.pushId);
  if (!stub) return undefined;
  let answer: IngestAnswer;
  try {
    answer = await stub.accept(push, tokenCap(scope), replaces);
  } catch (error) {
    console.error(`prometheus-distributed-client: the ingest object failed: ${String(error)}`);
    const error503 = "the push could not be stored; resend the same push (same push id)";
    const families = push.families.map((f): DeliveryOutcome => ({ name: f.name, status: "failed", error: error503 }));
    return { status: 503, ...(push.pushId !== undefined ? { pushId: push.pushId } : {}), families };
  }
  if (answer.kind === "too-large") return undefined;
  if (answer.kind === "refused") return refusedReply(push, answer.refusals);
  // The router checked the push: an ingest object does not call it invalid (that is for pushes it checks itself).
  if (answer.kind === "invalid") return { status: answer.refusal.status, refusal: answer.refusal };
  const { families } = answer;
  return { status: statusOf(families), ...(push.pushId !== undefined ? { pushId: push.pushId } : {}), families };
}

/**
 * Checks a push whole and applies it, family by family; `scope` is what the caller's credential may write. Every way
 * in (POST /push, the RPC, the Pushgateway API) comes through here, so a push is refused whole or applied whole by
 * the same rules: invalid (400/413), a family outside the credential's scope (403), a clash or a family's object
 * refusing its part (409/413/400), a cap on families (413), all before anything is applied.
 */
export async function ingest(
  env: Env,
  ctx: WaitUntil | undefined,
  input: unknown,
  from: WayIn = BOUND_WORKER,
): Promise<IngestReply> {
  const checked = checkPush(input, limits(env));
  if (!checked.ok) return { status: checked.refusal.status, refusal: checked.refusal };
  const push = {
    ...checked.value,
    families: checked.value.families.map((f) => spreadAsConfigured(env, f, from.bound)),
  };
  const scope = from.scope;
  for (const [i, family] of push.families.entries()) {
    const refuse = (refusal: Refusal) =>
      refusedReply(
        push,
        [{ name: family.name, status: "rejected", code: refusal.status, error: refusalText(refusal) }],
        refusal,
      );
    const problem = reservedNameProblem(family.name);
    if (problem) return refuse({ status: 400, path: ["families", i, "name"], problem });
    const outside = scopeProblem(scope, family.name);
    if (outside) return refuse({ status: 403, path: [], problem: outside });
  }
  for (const part of from.extra ?? []) push.families.push(spreadAsConfigured(env, part, true));
  const viaIngest = await acceptedByIngestObject(env, push, scope, from);
  if (viaIngest) return viaIngest;
  const now = Date.now();
  const refusals = await refusalsOfWhole(env, ctx, push.families, {
    askEveryFamily: false,
    registered: (f) => {
      const seen = registered.get(f.name);
      return seen !== undefined && seen.type === f.type && seen.until >= now;
    },
    token: tokenCap(scope),
    pushId: push.pushId,
  });
  if (refusals.length > 0) return refusedReply(push, refusals);
  // Checked whole above, so the objects take the parts as they are (no second check).
  const send = (pushId: string | undefined, part: FamilyPush) =>
    familyStub(env, part.name, shardFor(part, pushId)).pushChecked(pushId, part);
  // A family object's failure stays in the log; the client only learns that it may resend (503).
  const families = (await pushToFamilyObjects(push, send)).map((o) => {
    if (o.status !== "failed") return o;
    console.error(`prometheus-distributed-client: family ${JSON.stringify(o.name)} failed: ${o.error}`);
    return { ...o, error: "the family's storage did not answer; resend the same push (same push id)" };
  });
  rememberApplied(push, families);
  return { status: statusOf(families), ...(push.pushId !== undefined ? { pushId: push.pushId } : {}), families };
}
