// Transport (c): HTTPS to the router Worker's POST /push with a bearer token. For Lambda, Node 20+, anything with fetch.

import type { FamilyOutcome, PushBatch } from "../wire.ts";
import { errorMessage, type RetryOptions, withRetries } from "./retry.ts";
import { allFailed, allRejected, type DeliveryOutcome, type Transport } from "./transport.ts";

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

/** A reply worth another attempt with the same batch id: 5xx, 429, timeouts, network errors. */
class TransientHttpError extends Error {}

/**
 * Posts the batch as JSON. Retries 5xx, 429, timeouts and network errors with the same batch id (safe: the server
 * drops replays); never retries another 4xx.
 * @example
 * await register.flush(new HttpTransport({ url: "https://metrics.example.com/push", token: process.env.PUSH_TOKEN }));
 */
export class HttpTransport implements Transport {
  constructor(private readonly options: HttpTransportOptions) {}

  async push(batch: PushBatch): Promise<DeliveryOutcome[]> {
    const retryable = (e: unknown) => batch.batch !== undefined && !(e instanceof HttpRejection);
    try {
      return await withRetries(() => this.attempt(batch), retryable, this.options);
    } catch (error) {
      if (error instanceof HttpRejection) return allRejected(batch, error.status, error.message);
      return allFailed(batch, errorMessage(error));
    }
  }

  private async attempt(batch: PushBatch): Promise<DeliveryOutcome[]> {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (error) {
      throw new TransientHttpError(`push to ${this.options.url} failed: ${errorMessage(error)}`);
    }
    const text = await response.text().catch(() => "");
    if (response.status >= 500 || response.status === 429)
      throw new TransientHttpError(`push answered ${response.status}: ${text.slice(0, 200)}`);
    const families = parseOutcomes(text);
    // A reply with per-family outcomes (200, or a 409/413/400 about some families) says what was applied.
    if (families) return families;
    if (response.ok) throw new TransientHttpError(`push answered ${response.status} with an unreadable body`);
    throw new HttpRejection(response.status, `push refused (${response.status}): ${errorOf(text)}`);
  }
}

class HttpRejection extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseOutcomes(text: string): FamilyOutcome[] | undefined {
  try {
    const body = JSON.parse(text) as { families?: unknown };
    return Array.isArray(body.families) ? (body.families as FamilyOutcome[]) : undefined;
  } catch {
    return undefined;
  }
}

function errorOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === "string") return body.error;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}
