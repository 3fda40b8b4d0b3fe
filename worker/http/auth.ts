// Credential checks: Bearer token, or Basic with the token as password. Each credential setting holds one or more
// tokens (a new one goes live before the old one is removed); the presented token is compared with every one of them
// in constant time (both sides hashed first, so not even the length leaks). Scoped producer tokens may only write
// families whose names start with their prefixes. Token values never reach a response or a log.

import type { Env } from "../config/env.ts";
import { parsedOnce } from "../config/settings.ts";
import { HttpError } from "./errors.ts";

/**
 * What a credential lets its holder write or delete: every family, or the families whose names start with a prefix
 * (and, for a scoped token with a cap, at most `maxFamilies` of them).
 */
export type Scope = { all: true } | { prefixes: string[]; maxFamilies?: number };

/** A scoped token's terms, as SCOPED_PUSH_TOKENS gives them. */
type ScopedTerms = { prefixes: string[]; maxFamilies?: number };

export const EVERY_FAMILY: Scope = { all: true };

const encoder = new TextEncoder();

const digest = (text: string) => crypto.subtle.digest("SHA-256", encoder.encode(text));

/**
 * The digests of the configured tokens, computed once per isolate (a token only changes with a new deployment). The
 * digests, not promises of them, are kept: a promise must not outlive the request that made it.
 */
const expectedDigests = new Map<string, ArrayBuffer>();

async function expectedDigest(token: string): Promise<ArrayBuffer> {
  let found = expectedDigests.get(token);
  if (!found) {
    found = await digest(token);
    if (expectedDigests.size >= 256) expectedDigests.clear();
    expectedDigests.set(token, found);
  }
  return found;
}

/**
 * The index of the token in `tokens` that `given` equals, or -1. Every token is compared, in constant time, whatever
 * matched before: the time taken says nothing about which token matched, or whether one did.
 */
async function matchingToken(given: string, tokens: readonly string[]): Promise<number> {
  const presented = await digest(given);
  let match = -1;
  for (const [i, token] of tokens.entries()) {
    if (crypto.subtle.timingSafeEqual(presented, await expectedDigest(token)) && match < 0) match = i;
  }
  return match;
}

/** The tokens a credential setting holds: one, or several separated by commas or whitespace (for rotation). */
export function tokenList(setting: string | undefined): string[] {
  return (setting ?? "").split(/[\s,]+/).filter((token) => token !== "");
}

let reportedBadScopes = false;

/**
 * The scoped producer tokens of SCOPED_PUSH_TOKENS, a JSON object of token → family-name prefixes, e.g.
 * `{"<token>": ["team_a_"]}`, or → prefixes and a cap on the families they may hold, e.g.
 * `{"<token>": {"prefixes": ["team_a_"], "maxFamilies": 100}}`. A setting that is not such an object admits no scoped
 * token (and is reported once in the log, without its content).
 */
export function scopedTokens(env: Env): Map<string, ScopedTerms> {
  return parsedOnce(parsedScopes, env.SCOPED_PUSH_TOKENS ?? "", parseScopes);
}

/** SCOPED_PUSH_TOKENS as parsed, by setting (it is read on every push). */
const parsedScopes = new Map<string, Map<string, ScopedTerms>>();

/** A token's terms as the setting gives them (a list of prefixes, or an object), or undefined when malformed. */
function termsOf(value: unknown): ScopedTerms | undefined {
  const prefixesOk = (p: unknown): p is string[] =>
    Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === "string" && x !== "");
  if (prefixesOk(value)) return { prefixes: value };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { prefixes, maxFamilies, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !prefixesOk(prefixes)) return undefined;
  if (maxFamilies === undefined) return { prefixes };
  return Number.isSafeInteger(maxFamilies) && (maxFamilies as number) > 0
    ? { prefixes, maxFamilies: maxFamilies as number }
    : undefined;
}

function parseScopes(setting: string): Map<string, ScopedTerms> {
  const scoped = new Map<string, ScopedTerms>();
  if (!setting) return scoped;
  let parsed: unknown;
  try {
    parsed = JSON.parse(setting);
  } catch {
    parsed = undefined;
  }
  const valid =
    typeof parsed === "object" &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.entries(parsed).every(([token, terms]) => token !== "" && termsOf(terms) !== undefined);
  if (!valid) {
    if (!reportedBadScopes) {
      console.error(
        'prometheus-distributed-client: SCOPED_PUSH_TOKENS must be a JSON object of token → non-empty list of family-name prefixes, or → {"prefixes": [...], "maxFamilies": n}, e.g. {"<token>": ["team_a_"]}; no scoped token is accepted until it is',
      );
      reportedBadScopes = true;
    }
    return scoped;
  }
  for (const [token, terms] of Object.entries(parsed as Record<string, unknown>))
    scoped.set(token, termsOf(terms) as ScopedTerms);
  return scoped;
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

/**
 * The scope of the presented token: EVERY_FAMILY for one of `unscoped`, its prefixes for a scoped one; 401 otherwise.
 * Both lists are always compared in full.
 */
async function requireToken(
  request: Request,
  unscoped: readonly string[],
  scoped: Map<string, ScopedTerms>,
  challenge: string,
): Promise<Scope> {
  const token = presented(request);
  if (token === undefined)
    throw new HttpError(401, "missing or malformed credentials", { "www-authenticate": challenge });
  // One comparison over both lists: the first match wins, so an unscoped token wins over the same scoped one.
  const index = await matchingToken(token, [...unscoped, ...scoped.keys()]);
  if (index >= 0 && index < unscoped.length) return EVERY_FAMILY;
  if (index >= 0) return [...scoped.values()][index - unscoped.length] as ScopedTerms;
  throw new HttpError(401, "invalid credentials", { "www-authenticate": challenge });
}

/**
 * Pushes need a PUSH_TOKEN or a scoped token (SCOPED_PUSH_TOKENS); with neither configured they are refused unless
 * ALLOW_ANONYMOUS_PUSH is "true". Returns what the credential may write.
 */
export async function authorizePush(request: Request, env: Env): Promise<Scope> {
  const unscoped = tokenList(env.PUSH_TOKEN);
  const scoped = scopedTokens(env);
  if (unscoped.length > 0 || scoped.size > 0)
    return requireToken(request, unscoped, scoped, 'Bearer realm="metrics push"');
  if (env.ALLOW_ANONYMOUS_PUSH === "true") return EVERY_FAMILY;
  throw new HttpError(
    403,
    'pushes are disabled: set the PUSH_TOKEN secret (wrangler secret put PUSH_TOKEN), or ALLOW_ANONYMOUS_PUSH = "true" to accept anonymous pushes',
  );
}

/** The scrape and the status page need SCRAPE_TOKEN; without one they are refused unless ALLOW_ANONYMOUS_SCRAPE is "true". */
export async function authorizeScrape(request: Request, env: Env): Promise<void> {
  const tokens = tokenList(env.SCRAPE_TOKEN);
  if (tokens.length > 0) {
    await requireToken(request, tokens, new Map(), 'Bearer realm="metrics", Basic realm="metrics"');
    return;
  }
  if (env.ALLOW_ANONYMOUS_SCRAPE === "true") return;
  throw new HttpError(
    403,
    'the scrape is closed: set the SCRAPE_TOKEN secret (wrangler secret put SCRAPE_TOKEN) and give it to Prometheus, or ALLOW_ANONYMOUS_SCRAPE = "true" to serve it to anyone',
  );
}

/**
 * Deletions need ADMIN_TOKEN (or PUSH_TOKEN when no admin token is set), or a scoped token for its own families;
 * never anonymous. Returns what the credential may delete.
 */
export async function authorizeAdmin(request: Request, env: Env): Promise<Scope> {
  const admin = tokenList(env.ADMIN_TOKEN);
  const unscoped = admin.length > 0 ? admin : tokenList(env.PUSH_TOKEN);
  const scoped = scopedTokens(env);
  if (unscoped.length === 0 && scoped.size === 0)
    throw new HttpError(403, "deletion is disabled: set the ADMIN_TOKEN (or PUSH_TOKEN) secret");
  return requireToken(request, unscoped, scoped, 'Bearer realm="metrics admin"');
}

/** True when `scope` covers the family `name`. */
export function inScope(scope: Scope, name: string): boolean {
  return "all" in scope || scope.prefixes.some((prefix) => name.startsWith(prefix));
}

/** The problem with writing or deleting the family `name` under `scope`, or undefined when it may. */
export function scopeProblem(scope: Scope, name: string): string | undefined {
  if (inScope(scope, name)) return undefined;
  const prefixes = "prefixes" in scope ? scope.prefixes.map((p) => JSON.stringify(p)).join(", ") : "";
  return `this token may not write family ${JSON.stringify(name)}: its families start with ${prefixes}`;
}
