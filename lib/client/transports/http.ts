// Transport (c): HTTPS to the router Worker's POST /push with a bearer token. For Lambda, Node 20+, anything with fetch.

import { type LimitExceeded, SPLIT_LIMIT_NAMES } from "../../protocol/limits.ts";
import { errorMessage, type RetryOptions, withRetries } from "../../protocol/retry.ts";
import { allFailed, allRejected, type DeliveryOutcome, type Transport } from "../../protocol/transport.ts";
import { type FamilyOutcome, type Push, toJson, toWire } from "../../protocol/wire.ts";

export interface HttpTransportOptions extends RetryOptions {
  /** The full push URL, e.g. `https://metrics.example.com/push`. */
  url: string;
  /** The Worker's PUSH_TOKEN, sent as `Authorization: Bearer …`. */
  token?: string;
  /** Per-attempt timeout in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** A fetch implementation; default the global one. */
  fetch?: typeof fetch;
}

/** A reply worth another attempt with the same push id: 5xx, 429, timeouts, network errors. */
export class TransientHttpError extends Error {}

/**
 * One HTTP attempt within `timeoutMs` (default 5000): the response and its text. A network error, a timeout, a 5xx or
 * a 429 throws TransientHttpError, named after `what`; any other status is the caller's to judge.
 * @example
 * const { response, text } = await httpAttempt(fetch, url, { method: "POST", body }, 5000, "push");
 */
export async function httpAttempt(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  timeoutMs: number | undefined,
  what: string,
): Promise<{ response: Response; text: string }> {
  let response: Response;
  try {
    response = await doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs ?? 5000) });
  } catch (error) {
    throw new TransientHttpError(`${what} failed: ${errorMessage(error)}`);
  }
  const text = await response.text().catch(() => "");
  if (response.status >= 500 || response.status === 429)
    throw new TransientHttpError(`${what} answered ${response.status}: ${text.slice(0, 200)}`);
  return { response, text };
}

/**
 * Posts the push as JSON. Retries 5xx, 429, timeouts and network errors with the same push id (safe: the server
 * drops replays); never retries another 4xx.
 * @example
 * await register.flush(new HttpTransport({ url: "https://metrics.example.com/push", token: process.env.PUSH_TOKEN }));
 */
export class HttpTransport implements Transport {
  constructor(private readonly options: HttpTransportOptions) {}

  async push(push: Push): Promise<DeliveryOutcome[]> {
    const retryable = (e: unknown) => push.pushId !== undefined && !(e instanceof HttpRejection);
    try {
      return await withRetries(() => this.attempt(push), retryable, this.options);
    } catch (error) {
      if (error instanceof HttpRejection) return allRejected(push, error.status, error.message, error.limit);
      return allFailed(push, errorMessage(error));
    }
  }

  private async attempt(push: Push): Promise<DeliveryOutcome[]> {
    const init = {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      },
      body: toJson(toWire(push)),
    };
    const { url, timeoutMs } = this.options;
    const { response, text } = await httpAttempt(this.options.fetch ?? fetch, url, init, timeoutMs, `push to ${url}`);
    const body = parse(text);
    // A reply with per-family outcomes (200, or a 409/413/400 about some families) says what was applied.
    if (Array.isArray(body?.families)) return body.families as FamilyOutcome[];
    if (response.ok) throw new TransientHttpError(`push answered ${response.status} with an unreadable body`);
    const error = typeof body?.error === "string" ? body.error : text.slice(0, 200);
    throw new HttpRejection(response.status, `push refused (${response.status}): ${error}`, limitOf(body?.limit));
  }
}

class HttpRejection extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly limit: LimitExceeded | undefined,
  ) {
    super(message);
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === "object" && body !== null ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The size limit a 413 names, when it names one this client can split by. */
function limitOf(value: unknown): LimitExceeded | undefined {
  const limit = value as { name?: unknown; value?: unknown } | undefined;
  if (typeof limit?.value !== "number" || !(SPLIT_LIMIT_NAMES as readonly unknown[]).includes(limit.name))
    return undefined;
  return { name: limit.name as LimitExceeded["name"], value: limit.value };
}
