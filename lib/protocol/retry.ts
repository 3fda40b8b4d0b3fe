// Retries an idempotent call with exponential backoff and full jitter, only while `shouldRetry` allows.

export interface RetryOptions {
  /** Attempts after the first one. Default 2. */
  retries?: number;
  /** Base delay in milliseconds, doubled per attempt (with full jitter). Default 50. */
  backoffMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn(attempt)` until it resolves, `shouldRetry(error)` says no, or the retries run out.
 * @example
 * await withRetries(() => stub.push(id, family), (e) => isRetryable(e), { retries: 3 });
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  shouldRetry: (error: unknown) => boolean,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 2;
  const base = options.backoffMs ?? 50;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= retries || !shouldRetry(error)) throw error;
      await sleep(Math.random() * base * 2 ** attempt);
    }
  }
}

/** A Durable Object error that may be retried: marked `retryable` and not `overloaded` (never retry overload). */
export function isRetryableObjectError(error: unknown): boolean {
  const e = error as { retryable?: boolean; overloaded?: boolean } | null;
  return typeof e === "object" && e !== null && e.retryable === true && e.overloaded !== true;
}

/** The message of an unknown error, for outcomes and logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
