// The one error → Response mapper: HttpError carries a status, a public message and optional public details (the
// limit a 413 passed); anything else is a 500 with a generic body (the details go to the log, never to the client).

import type { LimitExceeded } from "../../lib/protocol/limits.ts";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly limit?: LimitExceeded,
  ) {
    super(message);
  }
}

/** A JSON response with no-store caching. */
export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    return jsonResponse(
      { error: error.message, ...(error.limit ? { limit: error.limit } : {}) },
      error.status,
      error.headers,
    );
  }
  console.error("prometheus-distributed-client: unexpected error", error);
  return jsonResponse({ error: "internal error" }, 500);
}
