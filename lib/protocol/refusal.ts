// A refusal is data: where the refused value sits in what was sent (a path of field names and indexes, or a line of a
// text body), what is wrong with it, the status it maps to, and the limit passed, if any. Checks produce refusals;
// each way out renders them once: JSON (`families[0].series[2].inc: …`), the Pushgateway's text terms (the family and
// the series by name), the RPC's outcomes, the client's typed errors. Also the shape checks the checks are built from.

import type { LimitExceeded } from "./limits.ts";
import { describeValue } from "./validation.ts";

/** Where a value sits in what was sent: field names and array indexes, e.g. ["families", 0, "series", 2, "inc"]. */
export type Path = readonly (string | number)[];

/** The HTTP status a refusal maps to. */
export type RefusalStatus = 400 | 403 | 409 | 413 | 415 | 424;

export interface Refusal {
  status: RefusalStatus;
  /** Where, in a JSON push or its RPC form; empty for the push as a whole. */
  path: Path;
  /** The line of a text body it is about, when it came from one. */
  line?: number;
  /** What is wrong, without where: "a counter cannot decrease, got -1". */
  problem: string;
  /** The limit passed, for a 413 a push may be split by (or a cap on families). */
  limit?: LimitExceeded;
}

/** A path as JSON names it: `families[0].series[2].inc`. */
export function pathText(path: Path): string {
  let out = "";
  for (const step of path) out += typeof step === "number" ? `[${step}]` : out === "" ? step : `.${step}`;
  return out;
}

/** A refusal as one line of text, for JSON replies and logs: `families[0].series[2].inc: …`, `line 4: …`. */
export function refusalText(refusal: Refusal): string {
  const where = refusal.line !== undefined ? `line ${refusal.line}` : pathText(refusal.path);
  return where === "" ? refusal.problem : `${where}: ${refusal.problem}`;
}

/** What a check throws: the refusal, and its text as the message. */
export class Invalid extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusalText(refusal));
  }
}

/** Refuses at `path` with `problem` (400, or another status and the limit passed). */
export function fail(
  path: Path,
  problem: string | undefined,
  status: RefusalStatus = 400,
  limit?: LimitExceeded,
): never {
  throw new Invalid({ status, path, problem: problem ?? "is invalid", ...(limit ? { limit } : {}) });
}

/** Refuses a line of a text body with `problem`. */
export function failLine(line: number, problem: string): never {
  throw new Invalid({ status: 400, path: [], line, problem });
}

/** `path` and more steps. */
export function at(path: Path, ...steps: (string | number)[]): Path {
  return [...path, ...steps];
}

/** An object with only `allowed` fields and every `required` one. */
export function record(
  value: unknown,
  path: Path,
  allowed: readonly string[],
  required: readonly string[],
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(path, `must be an object, got ${describeValue(value)}`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(path, `unknown field ${describeValue(key)}`);
  for (const key of required) if (!(key in obj)) fail(path, `missing field ${describeValue(key)}`);
  return obj;
}

/** An array without holes (structured clone keeps holes, which map/forEach would skip). */
export function array(value: unknown, path: Path): unknown[] {
  if (!Array.isArray(value)) fail(path, `must be an array, got ${describeValue(value)}`);
  for (let i = 0; i < value.length; i++) if (!(i in value)) fail(at(path, i), "is missing (a hole in the array)");
  return value;
}

/** Refuses with `problem` at `path` when there is one. */
export function failOn(problem: string | undefined, path: Path, status: RefusalStatus = 400): void {
  if (problem !== undefined) fail(path, problem, status);
}
