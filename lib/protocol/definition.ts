// The one definition check: what a family definition must be, and its canonical form (defaults filled in, fields in
// one order). The metric constructors and the registry run it on what the client will send, the server's push
// check on what arrives, with the same limits, so the client can never build a definition the server refuses.

import type { Limits } from "./limits.ts";
import { familyName } from "./names.ts";
import { array, at, fail, failOn, type Path } from "./refusal.ts";
import {
  bucketsProblem,
  describeValue,
  GAUGE_MERGES,
  labelNameProblem,
  METRIC_TYPES,
  metricNameProblem,
  percentilesProblem,
  wellFormed,
  wholeNumberProblem,
} from "./validation.ts";
import type { FamilyDefinition, GaugeMerge, MetricType } from "./wire.ts";

/** Summary windows when maxAgeSeconds is set and ageBuckets is not (as prom-client). */
export const DEFAULT_AGE_BUCKETS = 5;

/** The fields of a definition, as they arrive (untrusted) or as a metric's options give them. */
export type DefinitionFields = Partial<Record<keyof FamilyDefinition, unknown>>;

/** Which options only one type may carry. */
const ONLY: Record<string, MetricType> = {
  buckets: "histogram",
  merge: "gauge",
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
  const nameProblem = metricNameProblem(input.name, limits);
  if (nameProblem) fail(at(path, "name"), nameProblem);
  if (typeof input.type !== "string" || !(METRIC_TYPES as readonly string[]).includes(input.type)) {
    fail(at(path, "type"), `must be one of ${METRIC_TYPES.join(", ")}, got ${describeValue(input.type)}`);
  }
  const type = input.type as MetricType;
  const name = familyName(type, input.name as string);
  if (name === "")
    fail(at(path, "name"), `${describeValue(input.name)} leaves no family name once "_total" is removed`);
  const help = input.help;
  if (typeof help !== "string") fail(at(path, "help"), `must be a string, got ${describeValue(help)}`);
  if (help.length > limits.maxHelpLength) {
    fail(at(path, "help"), `is ${help.length} characters, over the limit of ${limits.maxHelpLength}`);
  }
  if (!wellFormed(help))
    fail(at(path, "help"), `is not well-formed Unicode (lone surrogate) in ${describeValue(help)}`);

  const labelNames = array(input.labelNames === undefined ? [] : input.labelNames, at(path, "labelNames")) as string[];
  if (labelNames.length > limits.maxLabelNames) {
    fail(at(path, "labelNames"), `has ${labelNames.length} names, over the limit of ${limits.maxLabelNames}`);
  }
  labelNames.forEach((label, i) => {
    const problem = labelNameProblem(label, type, limits);
    if (problem) fail(at(path, "labelNames", i), problem);
    if (labelNames.indexOf(label) !== i) fail(at(path, "labelNames", i), `${describeValue(label)} appears twice`);
  });

  for (const [field, owner] of Object.entries(ONLY)) {
    if (input[field as keyof DefinitionFields] !== undefined && owner !== type) {
      fail(at(path, field), `only a ${owner} has ${field}, this family is a ${type}`);
    }
  }
  const definition: FamilyDefinition = { name, type, help, labelNames: [...labelNames] };
  if (type === "histogram") {
    if (input.buckets === undefined) fail(path, `missing field "buckets" (required for a histogram)`);
    const problem = bucketsProblem(input.buckets, limits);
    if (problem) fail(at(path, "buckets"), problem);
    definition.buckets = [...(input.buckets as number[])];
  }
  if (type === "gauge") {
    const merge = input.merge === undefined ? "set" : input.merge;
    if (typeof merge !== "string" || !(GAUGE_MERGES as readonly string[]).includes(merge)) {
      fail(at(path, "merge"), `must be one of ${GAUGE_MERGES.join(", ")}, got ${describeValue(merge)}`);
    }
    definition.merge = merge as GaugeMerge;
  }
  if (type === "summary") {
    const percentiles = input.percentiles === undefined ? [] : input.percentiles;
    const problem = percentilesProblem(percentiles, limits);
    if (problem) fail(at(path, "percentiles"), problem);
    definition.percentiles = [...(percentiles as number[])];
    const maxAge = input.maxAgeSeconds === undefined ? 0 : input.maxAgeSeconds;
    failOn(wholeNumberProblem(maxAge, 0, limits.maxAgeSeconds), at(path, "maxAgeSeconds"));
    definition.maxAgeSeconds = maxAge as number;
    const ageBuckets =
      input.ageBuckets === undefined ? ((maxAge as number) > 0 ? DEFAULT_AGE_BUCKETS : 1) : input.ageBuckets;
    failOn(wholeNumberProblem(ageBuckets, 1, limits.maxAgeBuckets), at(path, "ageBuckets"));
    definition.ageBuckets = ageBuckets as number;
  }
  if (input.ttlSeconds !== undefined) {
    failOn(wholeNumberProblem(input.ttlSeconds, 0, limits.maxTtlSeconds), at(path, "ttlSeconds"));
    definition.ttlSeconds = input.ttlSeconds as number;
  }
  if (input.shards !== undefined) {
    failOn(wholeNumberProblem(input.shards, 1, limits.maxShards), at(path, "shards"));
    // One object is the default, so it is left out: a family stored before shards existed compares equal.
    if (input.shards !== 1) definition.shards = input.shards as number;
  }
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
