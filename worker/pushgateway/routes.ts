// The Pushgateway's API with this project's semantics: `POST /metrics/job/<job>{/<label>/<value>}` adds what a job
// counted to its group, `PUT` replaces the group (after it, the group holds exactly what the body carried, in every
// family), `DELETE` deletes the group and nothing else. A group is its grouping key: each series records the group
// that wrote it, and the catalog indexes which families hold a group's series. Every push also sets the group's
// `push_time_seconds`; a push refused after its body was read sets `push_failure_time_seconds`. The body is the text
// format 0.0.4 or the protobuf delimited format (what client_golang's push helper sends), both turned into the same
// parsed families and pushed alike; an optional Idempotency-Key header is the push id. Limits, checks and errors are
// those of /push.

import { pushIdProblem } from "../../lib/protocol/check-push.ts";
import { familyName, GROUP_TIME_FAMILIES, PUSH_FAILURE_TIME, PUSH_TIME } from "../../lib/protocol/names.ts";
import { groupingId, groupingKey } from "../../lib/protocol/pushgateway-path.ts";
import { Invalid, type Refusal, refusalText } from "../../lib/protocol/refusal.ts";
import { type ParsedFamily, parseTextFormat } from "../../lib/protocol/text-format/parse.ts";
import { groupTimePart, textToPush } from "../../lib/protocol/text-format/to-push.ts";
import { describeValue } from "../../lib/protocol/validation.ts";
import type { FamilyPush, Labels, Push } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
import { limits } from "../config/settings.ts";
import { authorizeAdmin, authorizePush, EVERY_FAMILY, inScope, type Scope } from "../http/auth.ts";
import { readBodyLimited, readBytesLimited } from "../http/body.ts";
import { HttpError, jsonResponse } from "../http/errors.ts";
import { ingest, type WayIn } from "../ingest/ingest.ts";
import { digestPushId } from "../ingest/push-ids.ts";
import { catalog } from "../objects/catalog-object.ts";
import { deleteOnEveryShard, drainIngest, everyShard } from "../objects/stubs.ts";
import { parsedFamilies } from "../protobuf/families.ts";
import { decodeDelimited, ProtobufError } from "../protobuf/messages.ts";
import type { WaitUntil } from "../self-metrics/self-metrics.ts";

/** Where the grouping key starts in a path, after the router's base. */
const PREFIX = "/metrics/";

/** Families a group DELETE asks at once. */
const DELETE_PARALLELISM = 8;

/** The grouping labels of a request's path (`base` is the router's mount point); a trailing slash is ignored. */
function groupingOf(request: Request, env: Env, base: string): Labels {
  const path = new URL(request.url).pathname.slice(base.length).replace(/\/$/, "");
  try {
    return groupingKey(path.slice(PREFIX.length).split("/"), limits(env));
  } catch (error) {
    if (error instanceof Invalid) throw new HttpError(400, error.message);
    throw error;
  }
}

/**
 * The push id of an Idempotency-Key: the key within its method and group, so one key sent to two groups (a job's run
 * id, say), or by a PUT after a POST, is two pushes; a retry of the same request is the same push.
 */
async function groupPushId(key: string, method: string, grouping: Labels, env: Env): Promise<string> {
  const problem = pushIdProblem(key, limits(env));
  if (problem) throw new HttpError(400, `Idempotency-Key header: ${problem}`);
  return digestPushId("pg", `${method}\n${groupingId(grouping)}\n${key}`);
}

/**
 * A refusal in a pusher's terms: a text push names families and series, not their places in the push it became, so
 * `families[0].series[2]` is told as the family's name and the series' labels.
 */
function pushersText(refusal: Refusal, push: Push): string {
  const [families, i, series, j, ...rest] = refusal.path;
  if (families !== "families" || typeof i !== "number") return refusalText(refusal);
  const family = push.families[i];
  const one = series === "series" && typeof j === "number" ? family?.series[j] : undefined;
  const where = `family ${describeValue(family?.name)}${one ? ` series ${describeValue(one.labels)}` : ""}`;
  const more = one ? rest : [series, j, ...rest].filter((step) => step !== undefined);
  return refusalText({ ...refusal, path: [where, ...(more as (string | number)[])] });
}

/** The protobuf delimited format, as client_golang's push helper names it. */
const PROTOBUF = "application/vnd.google.protobuf";

/**
 * The families of a push body, in the format its Content-Type names: the protobuf delimited format (which must name
 * io.prometheus.client.MetricFamily and the delimited encoding, if it names them), or else the text format.
 */
async function bodyFamilies(request: Request, env: Env): Promise<{ families: ParsedFamily[]; protobuf: boolean }> {
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const maxBytes = limits(env).maxBodyBytes;
  if (type.split(";")[0]?.trim() === PROTOBUF) {
    const params = Object.fromEntries(
      type
        .split(";")
        .slice(1)
        .map((p) =>
          p
            .trim()
            .split("=")
            .map((v) => v.trim()),
        ) as [string, string][],
    );
    if ((params.proto ?? "io.prometheus.client.metricfamily") !== "io.prometheus.client.metricfamily")
      throw new HttpError(
        415,
        `protobuf messages of type ${params.proto} are not accepted (io.prometheus.client.MetricFamily)`,
      );
    if ((params.encoding ?? "delimited") !== "delimited")
      throw new HttpError(415, `the protobuf encoding ${params.encoding} is not accepted (delimited)`);
    try {
      return { families: parsedFamilies(decodeDelimited(await readBytesLimited(request, maxBytes))), protobuf: true };
    } catch (error) {
      if (error instanceof ProtobufError) throw new HttpError(400, `protobuf body: ${error.message}`);
      throw error;
    }
  }
  const parsed = parseTextFormat(await readBodyLimited(request, maxBytes));
  if (!parsed.ok) throw new HttpError(400, `line ${parsed.line}: ${parsed.error}`);
  return { families: parsed.families, protobuf: false };
}

/**
 * How the Pushgateway API's pushes of group `grouping` come in: routed by group, with the parts the Worker adds
 * (`extra`: the group's time gauge, a PUT's clearing parts), and for a PUT the group it replaces.
 */
function wayIn(scope: Scope, grouping: Labels, extra: FamilyPush[], replace = false): WayIn {
  return {
    scope,
    bound: false,
    extra,
    route: `pg:${groupingId(grouping)}`,
    ...(replace ? { replaces: grouping } : {}),
  };
}

/**
 * The parts of a PUT that clear its group from the families the catalog's index lists for it and the body does not
 * name (and the credential may write; the time gauges stay): after the PUT, the group holds exactly the body.
 */
async function clearingParts(env: Env, grouping: Labels, push: Push, scope: Scope): Promise<FamilyPush[]> {
  const named = new Set(push.families.map((f) => familyName(f.type, f.name)));
  const listed = await catalog(env).familiesOfGrouping(groupingId(grouping));
  const labelNames = [...new Set(["instance", ...Object.keys(grouping)])].sort();
  return listed
    .filter(({ name }) => !named.has(name) && !GROUP_TIME_FAMILIES.includes(name) && inScope(scope, name))
    .map(({ name, type }) => ({
      name,
      type,
      help: "",
      labelNames,
      series: [],
      replace: true,
      grouping,
      inferred: true,
    }));
}

/**
 * True when the credential may write every family of the body: only then is a refused push its failure to record (a
 * scoped token cannot mark another team's group failed).
 */
function mine(scope: Scope, families: readonly ParsedFamily[]): boolean {
  return families.every((f) => inScope(scope, familyName(f.type, f.name)));
}

/**
 * A push to the group refused after its body was read (the Pushgateway's "inconsistent with existing metrics"): its
 * `push_failure_time_seconds` is set to `at` (and `push_time_seconds` is made, at 0, for a group new here). Nothing
 * else of the push is applied. A failure to record it is logged, not answered.
 */
async function recordFailure(env: Env, ctx: WaitUntil | undefined, grouping: Labels, at: number): Promise<void> {
  const times = [groupTimePart(PUSH_FAILURE_TIME, grouping, at), groupTimePart(PUSH_TIME, grouping, 0)];
  const reply = await ingest(env, ctx, { families: [] }, wayIn(EVERY_FAMILY, grouping, times)).catch(
    (error: unknown) => ({
      status: 503,
      refusal: { problem: String(error) },
    }),
  );
  if ("refusal" in reply)
    console.error(
      `prometheus-distributed-client: the failure time of a group was not recorded: ${reply.refusal.problem}`,
    );
}

/**
 * PUT or POST: read the body (text or protobuf), convert it under the grouping key, and ingest it as one push with
 * the group's push time (and, for a PUT, the parts that clear the group from the families the body does not name).
 */
export async function pushgatewayPush(
  request: Request,
  env: Env,
  ctx: WaitUntil | undefined,
  base: string,
): Promise<Response> {
  const scope = await authorizePush(request, env);
  const grouping = groupingOf(request, env, base);
  // A body that cannot be read changes nothing, its group's failure time included (as the Pushgateway does).
  const { families, protobuf } = await bodyFamilies(request, env);
  const at = Date.now() / 1000;
  const key = request.headers.get("idempotency-key") ?? undefined;
  const pushId = key === undefined ? undefined : await groupPushId(key, request.method, grouping, env);
  const replace = request.method === "PUT";
  let push: Push;
  try {
    push = textToPush(families, { grouping, replace, pushId, limits: limits(env) });
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    if (mine(scope, families)) await recordFailure(env, ctx, grouping, at);
    // A protobuf body's "line" is the number of the message the problem is in.
    const { line, problem } = error.refusal;
    throw new HttpError(400, protobuf ? `protobuf body: message ${line}: ${problem}` : error.message);
  }
  const clearing = replace ? await clearingParts(env, grouping, push, scope) : [];
  // push_failure_time_seconds at 0 until a push fails, as the Pushgateway shows it (a `max` gauge: 0 never lowers a
  // failure time); one more row per group and fold, in an object the fold already writes to for other groups.
  const extra = [...clearing, groupTimePart(PUSH_TIME, grouping, at), groupTimePart(PUSH_FAILURE_TIME, grouping, 0)];
  // Ingest refuses the push whole (a family outside the credential's scope, a clash, a cap, a part a family's object
  // would refuse) before anything is applied.
  const reply = await ingest(env, ctx, push, wayIn(scope, grouping, extra, replace));
  if ("refusal" in reply) {
    if (reply.status !== 403 && reply.status < 500 && mine(scope, families))
      await recordFailure(env, ctx, grouping, at);
    throw new HttpError(reply.status, pushersText(reply.refusal, push), {}, reply.refusal.limit);
  }
  // The group's time gauge is the Worker's business; the pusher hears of the families it pushed or cleared.
  const body = { families: reply.families.filter((f) => !GROUP_TIME_FAMILIES.includes(f.name)) };
  return jsonResponse(key === undefined ? body : { idempotencyKey: key, ...body }, reply.status);
}

/**
 * DELETE: the group's series, and no other, in every family the catalog's index lists for the group (and that the
 * credential may delete from; the group's time gauges go with it), on every object (one request per object).
 */
export async function pushgatewayDelete(request: Request, env: Env, base: string): Promise<Response> {
  const scope = await authorizeAdmin(request, env);
  const grouping = groupingOf(request, env, base);
  const id = groupingId(grouping);
  // What the ingest objects acknowledged before this DELETE is folded first, so the DELETE removes it too.
  await drainIngest(env);
  // A scoped token deletes the group from its own families only (the group, and its time gauges, live on).
  const families = (await catalog(env).familiesOfGrouping(id)).filter(({ name }) => inScope(scope, name));
  await drainIngest(
    env,
    families.map(({ name }) => name),
  );
  const touched: { family: string; deleted: number }[] = [];
  for (let i = 0; i < families.length; i += DELETE_PARALLELISM) {
    const slice = families.slice(i, i + DELETE_PARALLELISM);
    const counts = await Promise.all(
      slice.map(async ({ name, shards }) => {
        const stubs = await everyShard(env, name, shards);
        const replies = await deleteOnEveryShard(stubs, (stub) => stub.deleteGrouping(id));
        return new Set(replies.flatMap((reply) => reply.keys)).size;
      }),
    );
    slice.forEach(({ name }, k) => {
      if ((counts[k] ?? 0) > 0) touched.push({ family: name, deleted: counts[k] as number });
    });
  }
  return jsonResponse({ grouping, families: touched }, 202);
}
