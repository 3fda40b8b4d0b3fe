// The building blocks of the checks on untrusted input: one error type that names the path and the problem (and,
// for a size limit, which limit), and shape checks for objects and arrays.

import type { LimitExceeded } from "./limits.ts";
import { show } from "./validation.ts";

/** A refusal: where (`families[0].buckets`), what is wrong, the HTTP status, and the size limit passed, if any. */
export class Invalid extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly status: 400 | 413 = 400,
    readonly limit?: LimitExceeded,
  ) {
    super(path === "" ? problem : `${path}: ${problem}`);
  }
}

export function fail(path: string, problem: string | undefined, status: 400 | 413 = 400, limit?: LimitExceeded): never {
  throw new Invalid(path, problem ?? "is invalid", status, limit);
}

/** `path` joined with a field name, for messages. */
export function at(path: string, field: string): string {
  return path === "" ? field : field.startsWith("[") ? `${path}${field}` : `${path}.${field}`;
}

/** An object with only `allowed` fields and every `required` one. */
export function record(
  value: unknown,
  path: string,
  allowed: readonly string[],
  required: readonly string[],
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(path, `must be an object, got ${show(value)}`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) fail(path, `unknown field ${show(key)}`);
  for (const key of required) if (!(key in obj)) fail(path, `missing field ${show(key)}`);
  return obj;
}

/** An array without holes (structured clone keeps holes, which map/forEach would skip). */
export function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, `must be an array, got ${show(value)}`);
  for (let i = 0; i < value.length; i++) if (!(i in value)) fail(`${path}[${i}]`, "is missing (a hole in the array)");
  return value;
}

/** Fails with `problem` at `path` when there is one. */
export function failOn(problem: string | undefined, path: string, status: 400 | 413 = 400): void {
  if (problem !== undefined) fail(path, problem, status);
}
