// Ingest: check a whole push (nothing is applied when any part is invalid), then fan it out to the family
// objects. Shared by POST /push and the MetricsService RPC entrypoint.

import type { LimitExceeded } from "../lib/limits.ts";
import { reservedNameProblem } from "../lib/names.ts";
import { shardFor } from "../lib/shards.ts";
import { pushToFamilyObjects } from "../lib/transports/durable-object.ts";
import type { DeliveryOutcome } from "../lib/transports/transport.ts";
import type { FamilyPush, Push } from "../lib/wire.ts";
import { checkPush } from "../lib/wire-check.ts";
import { EVERY_FAMILY, type Scope, scopeProblem } from "./auth.ts";
import { limits } from "./config.ts";
import type { Env } from "./env.ts";
import { familyStub } from "./family-stubs.ts";

export type IngestReply = {
  status: number;
  body: { error: string; limit?: LimitExceeded } | { batch?: string; families: DeliveryOutcome[] };
};

/** The HTTP status of a push from its family outcomes: a failure → 503, a conflict → 409, a limit → 413. */
export function statusOf(outcomes: DeliveryOutcome[]): number {
  if (outcomes.some((o) => o.status === "failed")) return 503;
  const codes = outcomes.flatMap((o) => (o.status === "rejected" ? [o.code] : []));
  for (const code of [409, 413, 400]) if (codes.includes(code)) return code;
  return 200;
}

/**
 * Checks a push whole and applies it, family by family; `scope` is what the caller's credential may write (a family
 * outside it refuses the whole push with 403, before anything is applied). `beforeApplying` sees the checked push
 * last, and may refuse it whole by throwing.
 */
export async function ingest(
  env: Env,
  input: unknown,
  scope: Scope = EVERY_FAMILY,
  beforeApplying?: (push: Push) => Promise<void>,
): Promise<IngestReply> {
  const checked = checkPush(input, limits(env));
  if (!checked.ok) {
    const { status, message, limit } = checked.error;
    return { status, body: { error: message, ...(limit ? { limit } : {}) } };
  }
  for (const [i, family] of checked.value.families.entries()) {
    const problem = reservedNameProblem(family.name);
    if (problem) return { status: 400, body: { error: `families[${i}].name: ${problem}` } };
    const outside = scopeProblem(scope, family.name);
    if (outside) return { status: 403, body: { error: outside } };
  }
  await beforeApplying?.(checked.value);
  // Checked whole above, so the objects take the parts as they are (no second check).
  const send = (pushId: string | undefined, part: FamilyPush) =>
    familyStub(env, part.name, shardFor(part, pushId)).pushChecked(pushId, part);
  // A family object's failure stays in the log; the client only learns that it may resend (503).
  const families = (await pushToFamilyObjects(checked.value, send)).map((o) => {
    if (o.status !== "failed") return o;
    console.error(`prometheus-distributed-client: family ${JSON.stringify(o.name)} failed: ${o.error}`);
    return { ...o, error: "the family's storage did not answer; resend the same push (same push id)" };
  });
  return {
    status: statusOf(families),
    body: { ...(checked.value.batch ? { batch: checked.value.batch } : {}), families },
  };
}
