// Reads the configurable limits from the Worker's vars, falling back to documented defaults
// (an unset, empty or invalid value means the default).

import { DEFAULT_PUSH_LIMITS, type PushLimits } from "../lib/limits.ts";
import type { Env } from "./env.ts";

export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
export const DEFAULT_BATCH_RETENTION_SECONDS = 3_600;
export const DEFAULT_MAX_SERIES_PER_FAMILY = 10_000;

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export function pushLimits(env: Env): PushLimits {
  return {
    ...DEFAULT_PUSH_LIMITS,
    maxFamilies: positiveInt(env.MAX_FAMILIES_PER_PUSH, DEFAULT_PUSH_LIMITS.maxFamilies),
    maxSeriesPerPush: positiveInt(env.MAX_SERIES_PER_PUSH, DEFAULT_PUSH_LIMITS.maxSeriesPerPush),
    maxNameLength: positiveInt(env.MAX_NAME_LENGTH, DEFAULT_PUSH_LIMITS.maxNameLength),
    maxLabelValueLength: positiveInt(env.MAX_LABEL_VALUE_LENGTH, DEFAULT_PUSH_LIMITS.maxLabelValueLength),
  };
}

export function maxBodyBytes(env: Env): number {
  return positiveInt(env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES);
}

export function batchRetentionMs(env: Env): number {
  return positiveInt(env.BATCH_RETENTION_SECONDS, DEFAULT_BATCH_RETENTION_SECONDS) * 1000;
}

export function maxSeriesPerFamily(env: Env): number {
  return positiveInt(env.MAX_SERIES_PER_FAMILY, DEFAULT_MAX_SERIES_PER_FAMILY);
}

/** Time to live of series whose family declares none; 0 (the default) = series never expire. */
export function defaultTtlSeconds(env: Env): number {
  return positiveInt(env.DEFAULT_TTL_SECONDS, 0);
}
