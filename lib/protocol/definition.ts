// The one definition check: what a family definition must be, and its canonical form (defaults filled in, fields in
// one order). The metric constructors and the registry run it on what the client will send, the server's push
// check on what arrives, with the same limits, so the client can never build a definition the server refuses.

import type { Limits } from "./limits.ts";
import { familyName } from "./names.ts";
import { checkNativeSettings } from "./native-histogram.ts";
import { array, at, fail, failOn, type Path } from "./refusal.ts";
import {
  bucketsProblem,
  describeValue,
  GAUGE_MERGES,
  labelNameProblem,
  METRIC_TYPES,
  metricNameProblem,
  percentilesProblem,
  textProblem,
  wholeNumberProblem,
} from "./validation.ts";
import type { FamilyDefinition, MetricType } from "./wire.ts";

/** Summary windows when maxAgeSeconds is set and ageBuckets is not (as prom-client). */
export const DEFAULT_AGE_BUCKETS = 5;

/** The fields of a definition, as they arrive (untrusted) or as a metric's options give them. */
export type DefinitionFields = Partial<Record<keyof FamilyDefinition, unknown>>;

/** Which options only one type may carry. */
const ONLY: Record<string, MetricType> = {
  buckets: "histogram",
  native: "histogram",
  merge: "gauge",
  withoutTotal: "counter",
  percentiles: "summary",
  maxAgeSeconds: "summary",
  ageBuckets: "summary",
};

/**
 * Checks a family definition and returns it in canonical form, or throws `Invalid` naming the field (under `path`)
 * and the problem. `name` is the metric's name as declared or pushed; the canonical form carries its family name
 * (`familyName`: a counter's one trailing `_total` removed). This is the one place a way in names a family.
 * @example checkDefinition({ name: "jobs_total", type: "counter", help: "Jobs." }, DEFAULT_LIMITS, "families[0]").name; // "jobs"
 */
export function checkDefinition(input: DefinitionFields, limits: Limits, path: Path): FamilyDefinition {
  const check = (field: string, problem: string | undefined) => failOn(problem, at(path, field));
  /** One of `allowed`, or a refusal naming them. */
  const oneOf = <T extends string>(field: string, value: unknown, allowed: readonly T[]) => {
    if (!allowed.includes(value as T))
      check(field, `must be one of ${allowed.join(", ")}, got ${describeValue(value)}`);
    return value as T;
  };
  /** An integer from `min` to the limit `max`, or `fallback` when absent. */
  const whole = (field: keyof DefinitionFields, min: number, max: number, fallback?: number) => {
    const value = input[field] === undefined ? fallback : input[field];
    if (value !== undefined) check(field, wholeNumberProblem(value, min, max));
    return value as number;
  };
  check("name", metricNameProblem(input.name, limits));
  const type = oneOf("type", input.type, METRIC_TYPES);
  const name = familyName(type, input.name as string);
  if (name === "") check("name", `${describeValue(input.name)} leaves no family name once "_total" is removed`);
  check("help", textProblem(input.help, limits.maxHelpLength));
  const labelNames = array(input.labelNames === undefined ? [] : input.labelNames, at(path, "labelNames")) as string[];
  if (labelNames.length > limits.maxLabelNames)
    check("labelNames", `has ${labelNames.length} names, over the limit of ${limits.maxLabelNames}`);
  labelNames.forEach((label, i) => {
    const problem = labelNameProblem(label, type, limits);
    const twice = labelNames.indexOf(label) < i ? `${describeValue(label)} appears twice` : undefined;
    failOn(problem ?? twice, at(path, "labelNames", i));
  });
  for (const [field, owner] of Object.entries(ONLY)) {
    if (input[field as keyof DefinitionFields] !== undefined && owner !== type)
      check(field, `only a ${owner} has ${field}, this family is a ${type}`);
  }
  const definition: FamilyDefinition = { name, type, help: input.help as string, labelNames: [...labelNames] };
  if (type === "histogram") {
    if (input.buckets === undefined) fail(path, `missing field "buckets" (required for a histogram)`);
    // A native histogram may do without classic buckets: its counts are then the +Inf bucket's alone.
    const none = input.native !== undefined && Array.isArray(input.buckets) && input.buckets.length === 0;
    if (!none) check("buckets", bucketsProblem(input.buckets, limits));
    definition.buckets = [...(input.buckets as number[])];
    if (input.native !== undefined) definition.native = checkNativeSettings(input.native, at(path, "native"), limits);
  }
  if (input.withoutTotal !== undefined && typeof input.withoutTotal !== "boolean")
    check("withoutTotal", `must be true or false, got ${describeValue(input.withoutTotal)}`);
  if (input.withoutTotal === true) definition.withoutTotal = true;
  if (type === "gauge")
    definition.merge = oneOf("merge", input.merge === undefined ? "set" : input.merge, GAUGE_MERGES);
  if (type === "summary") {
    const percentiles = input.percentiles === undefined ? [] : input.percentiles;
    check("percentiles", percentilesProblem(percentiles, limits));
    definition.percentiles = [...(percentiles as number[])];
    definition.maxAgeSeconds = whole("maxAgeSeconds", 0, limits.maxAgeSeconds, 0);
    definition.ageBuckets = whole(
      "ageBuckets",
      1,
      limits.maxAgeBuckets,
      definition.maxAgeSeconds > 0 ? DEFAULT_AGE_BUCKETS : 1,
    );
  }
  const ttlSeconds = whole("ttlSeconds", 0, limits.maxTtlSeconds);
  if (ttlSeconds !== undefined) definition.ttlSeconds = ttlSeconds;
  // One object is the default, so it is left out: a family stored before shards existed compares equal.
  const shards = whole("shards", 1, limits.maxShards, 1);
  if (shards !== 1) definition.shards = shards;
  return definition;
}

/**
 * A definition stored by an older version, in today's canonical form: the defaults it left out filled in (a gauge's
 * merge policy, a summary's quantiles and window), one shard left out.
 */
export function withDefaults(stored: FamilyDefinition): FamilyDefinition {
  const { shards, ...definition } = { ...stored, labelNames: stored.labelNames ?? [] };
  if (definition.type === "gauge") definition.merge ??= "set";
  if (definition.type === "summary") {
    definition.percentiles ??= [];
    definition.maxAgeSeconds ??= 0;
    definition.ageBuckets ??= definition.maxAgeSeconds > 0 ? DEFAULT_AGE_BUCKETS : 1;
  }
  return shards !== undefined && shards > 1 ? { ...definition, shards } : definition;
}

/**
 * Which part of two canonical definitions of one family differs, or undefined when they agree. Help and the number
 * of shards may change: they are not part of what a family is. The time to live is: one producer must not expire
 * the series of the others (an operator changes it with `PATCH /families/<name>`); `b` declaring none takes `a`'s.
 * With `labelsMayGrow` (a definition inferred from samples), `b` may add label names after `a`'s: the family's series
 * lack them (they are empty).
 */
export function definitionDifference(
  a: FamilyDefinition,
  b: FamilyDefinition,
  labelsMayGrow = false,
): string | undefined {
  if (a.name !== b.name) return `name (${a.name} vs ${b.name})`;
  if (a.type !== b.type) return `type (${a.type} vs ${b.type})`;
  const labels = labelsMayGrow ? b.labelNames.slice(0, a.labelNames.length) : b.labelNames;
  if (!sameList(a.labelNames, labels))
    return `labelNames (${describeValue(a.labelNames)} vs ${describeValue(b.labelNames)})`;
  if (!sameList(a.buckets ?? [], b.buckets ?? []))
    return `buckets (${describeValue(a.buckets)} vs ${describeValue(b.buckets)})`;
  // Producers may choose their own resolution (series merge at the coarser one), not whether there are native buckets.
  if ((a.native === undefined) !== (b.native === undefined))
    return `native buckets (${a.native ? "kept" : "none"} vs ${b.native ? "kept" : "none"})`;
  if (a.type === "gauge" && a.merge !== b.merge) return `merge policy (${a.merge} vs ${b.merge})`;
  // A definition that declares no time to live takes the stored one; one that declares another differs.
  if (b.ttlSeconds !== undefined && a.ttlSeconds !== b.ttlSeconds)
    return `time to live (ttlSeconds ${ttlText(a)} vs ${ttlText(b)})`;
  if (a.type === "summary") {
    if (!sameList(a.percentiles ?? [], b.percentiles ?? [])) {
      return `percentiles (${describeValue(a.percentiles)} vs ${describeValue(b.percentiles)})`;
    }
    if (a.maxAgeSeconds !== b.maxAgeSeconds || a.ageBuckets !== b.ageBuckets) {
      return `quantile window (maxAgeSeconds ${a.maxAgeSeconds} / ageBuckets ${a.ageBuckets} vs ${b.maxAgeSeconds} / ${b.ageBuckets})`;
    }
  }
  return undefined;
}

/** A definition's time to live as a message shows it. */
const ttlText = (d: FamilyDefinition) => (d.ttlSeconds === undefined ? "unset" : String(d.ttlSeconds));

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
