// Credential checks: Bearer token, or Basic with the token as password. Compared in constant time
// (both sides hashed first, so not even the length leaks). Token values never reach a response or a log.

import type { Env } from "./env.ts";
import { HttpError } from "./http-error.ts";

const encoder = new TextEncoder();

const digest = (text: string) => crypto.subtle.digest("SHA-256", encoder.encode(text));

/**
 * The digests of the configured tokens, computed once per isolate (a token only changes with a new deployment). The
 * digests, not promises of them, are kept: a promise must not outlive the request that made it.
 */
const expectedDigests = new Map<string, ArrayBuffer>();

async function sameToken(given: string, expected: string): Promise<boolean> {
  let expectedDigest = expectedDigests.get(expected);
  if (!expectedDigest) {
    expectedDigest = await digest(expected);
    if (expectedDigests.size >= 16) expectedDigests.clear();
    expectedDigests.set(expected, expectedDigest);
  }
  return crypto.subtle.timingSafeEqual(await digest(given), expectedDigest);
}

/** The presented secret: a Bearer token, or the password of Basic credentials. */
function presented(request: Request): string | undefined {
  const header = request.headers.get("authorization") ?? "";
  const [scheme, value] = [
    header.slice(0, header.indexOf(" ")).toLowerCase(),
    header.slice(header.indexOf(" ") + 1).trim(),
  ];
  if (scheme === "bearer" && value) return value;
  if (scheme === "basic" && value) {
    try {
      const decoded = atob(value);
      const colon = decoded.indexOf(":");
      return colon >= 0 ? decoded.slice(colon + 1) : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function requireToken(request: Request, expected: string, challenge: string): Promise<void> {
  const token = presented(request);
  if (token === undefined)
    throw new HttpError(401, "missing or malformed credentials", { "www-authenticate": challenge });
  if (!(await sameToken(token, expected)))
    throw new HttpError(401, "invalid credentials", { "www-authenticate": challenge });
}

/** Pushes need PUSH_TOKEN; without one configured they are refused unless ALLOW_ANONYMOUS_PUSH is "true". */
export async function authorizePush(request: Request, env: Env): Promise<void> {
  if (env.PUSH_TOKEN) return requireToken(request, env.PUSH_TOKEN, 'Bearer realm="metrics push"');
  if (env.ALLOW_ANONYMOUS_PUSH === "true") return;
  throw new HttpError(
    403,
    'pushes are disabled: set the PUSH_TOKEN secret (wrangler secret put PUSH_TOKEN), or ALLOW_ANONYMOUS_PUSH = "true" to accept anonymous pushes',
  );
}

/** The scrape is open unless SCRAPE_TOKEN is set. */
export async function authorizeScrape(request: Request, env: Env): Promise<void> {
  if (env.SCRAPE_TOKEN) return requireToken(request, env.SCRAPE_TOKEN, 'Bearer realm="metrics", Basic realm="metrics"');
}

/** Destructive operations need ADMIN_TOKEN, or PUSH_TOKEN when no admin token is set; never anonymous. */
export async function authorizeAdmin(request: Request, env: Env): Promise<void> {
  const token = env.ADMIN_TOKEN || env.PUSH_TOKEN;
  if (!token) throw new HttpError(403, "deletion is disabled: set the ADMIN_TOKEN (or PUSH_TOKEN) secret");
  return requireToken(request, token, 'Bearer realm="metrics admin"');
}
