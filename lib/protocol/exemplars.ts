// Exemplars, in one place: what one is (a trace's labels beside one increment or observation, its value and time),
// which families carry them (a counter: one per series; a histogram: one per bucket, +Inf last), what makes one
// valid (OpenMetrics: label names and values together at most 128 characters; a histogram's inside its bucket), and
// how two combine (the later one is kept).

import { describeValue, labelNameProblem, labelValueProblem } from "./validation.ts";
import type { Exemplar, Exemplars, FamilyDefinition, Labels } from "./wire.ts";

/** The most characters an exemplar's label names and values may hold together (OpenMetrics). */
export const EXEMPLAR_MAX_LABEL_CHARS = 128;

/** How many exemplar slots a series of `definition` has: 1 for a counter, one per bucket for a histogram, else 0. */
export function exemplarSlots(definition: Pick<FamilyDefinition, "type" | "buckets">): number {
  if (definition.type === "counter") return 1;
  if (definition.type === "histogram") return (definition.buckets?.length ?? 0) + 1;
  return 0;
}

/** The slot of a histogram observation `value`: the first bucket whose bound holds it, +Inf last. */
export function bucketOf(buckets: readonly number[], value: number): number {
  let i = 0;
  while (i < buckets.length && value > (buckets[i] as number)) i++;
  return i;
}

/**
 * Why `labels` cannot be an exemplar's labels, or undefined.
 * @example exemplarLabelsProblem({ trace_id: "x".repeat(200) }); // "… over the limit of 128 …"
 */
export function exemplarLabelsProblem(labels: unknown): string | undefined {
  if (typeof labels !== "object" || labels === null || Array.isArray(labels))
    return `labels must be an object of label names to string values, got ${describeValue(labels)}`;
  let chars = 0;
  for (const [name, value] of Object.entries(labels)) {
    const problem = labelNameProblem(name, "gauge", { maxNameLength: EXEMPLAR_MAX_LABEL_CHARS });
    if (problem) return problem;
    const valueProblem = labelValueProblem(value, { maxLabelValueLength: EXEMPLAR_MAX_LABEL_CHARS });
    if (valueProblem) return `label ${describeValue(name)}: value ${valueProblem}`;
    chars += [...name].length + [...(value as string)].length;
  }
  if (chars > EXEMPLAR_MAX_LABEL_CHARS)
    return `labels hold ${chars} characters, over the limit of ${EXEMPLAR_MAX_LABEL_CHARS} (names and values together)`;
  return undefined;
}

/**
 * Why `exemplar` cannot stand in `slot` of a series of `definition`, or undefined: its labels, a finite value (inside
 * the bucket, for a histogram), a finite non-negative timestamp in seconds.
 */
export function exemplarProblem(
  exemplar: Exemplar,
  definition: Pick<FamilyDefinition, "type" | "buckets">,
  slot: number,
): string | undefined {
  const labels = exemplarLabelsProblem(exemplar.labels);
  if (labels) return labels;
  if (typeof exemplar.value !== "number" || !Number.isFinite(exemplar.value))
    return `value must be a finite number, got ${describeValue(exemplar.value)}`;
  if (typeof exemplar.timestamp !== "number" || !Number.isFinite(exemplar.timestamp) || exemplar.timestamp < 0)
    return `timestamp must be a finite number of seconds since the epoch, got ${describeValue(exemplar.timestamp)}`;
  if (definition.type === "histogram" && bucketOf(definition.buckets ?? [], exemplar.value) !== slot)
    return `value ${exemplar.value} does not fall into bucket ${slot}`;
  if (definition.type === "counter" && exemplar.value < 0)
    return `value must not be negative for a counter, got ${exemplar.value}`;
  return undefined;
}

/** Each slot's later exemplar of `before` and `after` (`after` wins a tie); undefined when neither has any. */
export function laterExemplars(
  before: Readonly<Exemplars> | undefined,
  after: Readonly<Exemplars> | undefined,
): Exemplars | undefined {
  if (!after) return before ? [...before] : undefined;
  if (!before) return [...after];
  const length = Math.max(before.length, after.length);
  return Array.from({ length }, (_, i) => {
    const a = before[i] ?? null;
    const b = after[i] ?? null;
    if (!a) return b;
    if (!b) return a;
    return b.timestamp >= a.timestamp ? b : a;
  });
}

/** An exemplar recorded now: `labels` (as given), `value`, the time in seconds. */
export function exemplarOf(labels: Labels, value: number): Exemplar {
  return { labels, value, timestamp: Date.now() / 1000 };
}
