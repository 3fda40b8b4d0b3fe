// OTLP/HTTP metrics ingest: `POST /v1/metrics` takes an ExportMetricsServiceRequest in protobuf
// (application/x-protobuf) or JSON (application/json), gzip or not, with the push credential, and answers as the
// OTLP specification says: 200 with an ExportMetricsServiceResponse (a partial success names the points left out),
// or an error status with a google.rpc.Status body in the request's encoding; 429 and 503 are the retryable ones.
// The export is one push (lib/protocol/otlp/to-push.ts decides the mapping) whose push id is the body's digest: an
// exporter's retry of an export whose reply was lost counts once.

import { parseOtlpJson } from "../../lib/protocol/otlp/model.ts";
import { otlpToPush } from "../../lib/protocol/otlp/to-push.ts";
import { Invalid, refusalText } from "../../lib/protocol/refusal.ts";
import type { Env } from "../config/env.ts";
import { limits, otlpResourceLabels } from "../config/settings.ts";
import { authorizePush } from "../http/auth.ts";
import { readBytesLimited } from "../http/body.ts";
import { HttpError } from "../http/errors.ts";
import { ingest } from "../ingest/ingest.ts";
import { digestPushId } from "../ingest/push-ids.ts";
import { decodeOtlpRequest, encodeOtlpResponse, encodeStatus } from "../protobuf/otlp.ts";
import { ProtobufError } from "../protobuf/reader.ts";
import type { WaitUntil } from "../self-metrics/self-metrics.ts";

const PROTOBUF = "application/x-protobuf";
const JSON_TYPE = "application/json";

/** gRPC status codes for the HTTP statuses an OTLP reply may carry. */
const GRPC_CODES: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 9, 413: 8, 415: 3, 429: 8, 503: 14 };

function reply(protobuf: boolean, status: number, body: { rejected?: number; message?: string; error?: string }) {
  if (body.error !== undefined) {
    const code = GRPC_CODES[status] ?? 2;
    return protobuf
      ? new Response(encodeStatus(code, body.error), { status, headers: { "content-type": PROTOBUF } })
      : Response.json({ code, message: body.error }, { status });
  }
  const rejected = body.rejected ?? 0;
  const message = body.message ?? "";
  if (protobuf) return new Response(encodeOtlpResponse(rejected, message), { headers: { "content-type": PROTOBUF } });
  const partial = rejected > 0 || message !== "";
  return Response.json(
    partial ? { partialSuccess: { rejectedDataPoints: String(rejected), errorMessage: message } } : {},
  );
}

/** POST /v1/metrics. */
export async function otlpMetrics(request: Request, env: Env, ctx: WaitUntil | undefined): Promise<Response> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const protobuf = type === PROTOBUF;
  try {
    const scope = await authorizePush(request, env);
    if (!protobuf && type !== JSON_TYPE)
      throw new HttpError(415, `content-type must be ${PROTOBUF} or ${JSON_TYPE}, got ${JSON.stringify(type)}`);
    const bytes = await readBytesLimited(request, limits(env).maxBodyBytes);
    let decoded: ReturnType<typeof parseOtlpJson>;
    try {
      if (protobuf) decoded = decodeOtlpRequest(bytes);
      else {
        let json: unknown;
        try {
          json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
        } catch {
          throw new HttpError(400, "body is not valid JSON");
        }
        decoded = parseOtlpJson(json);
      }
    } catch (error) {
      if (error instanceof ProtobufError) throw new HttpError(400, `protobuf body: ${error.message}`);
      if (error instanceof Invalid) throw new HttpError(400, refusalText(error.refusal));
      throw error;
    }
    const pushId = await digestPushId("otlp", bytes);
    const { push, rejected, reasons } = otlpToPush(decoded, {
      resourceLabels: otlpResourceLabels(env),
      pushId,
      limits: limits(env),
    });
    if (push.families.length > 0) {
      const outcome = await ingest(env, ctx, push, { scope, bound: false });
      if ("refusal" in outcome) throw new HttpError(outcome.status, refusalText(outcome.refusal));
    }
    return reply(protobuf, 200, { rejected, message: reasons.join("; ") });
  } catch (error) {
    if (error instanceof HttpError) return reply(protobuf, error.status, { error: error.message });
    throw error;
  }
}
