// How the writers of one gauge combine, in one place: the policy a gauge declares (`merge`), which operations it takes,
// and how two values of one series combine under it. The client applies it between flushes, the store when it
// merges pushes and shards, the Pushgateway client to the totals it keeps.

import type { FamilyDefinition, GaugeMerge } from "./wire.ts";

/** How a gauge family's writers combine; an untyped family merges like a gauge whose policy is "set". */
export function gaugePolicy(definition: Pick<FamilyDefinition, "type" | "merge">): GaugeMerge {
  return definition.type === "untyped" ? "set" : (definition.merge ?? "set");
}

/**
 * How two values of one series combine, `later` being the more recent write: "set", the later wins; "sum", they add;
 * "max" / "min", the larger / smaller wins.
 * @example combineGauge("max", 3, 2); // 3
 */
export function combineGauge(policy: GaugeMerge, earlier: number, later: number): number {
  switch (policy) {
    case "sum":
      return earlier + later;
    case "max":
      return Math.max(earlier, later);
    case "min":
      return Math.min(earlier, later);
    case "set":
      return later;
  }
}

/**
 * Why a gauge merged by `policy` does not take `operation`, or undefined: a "sum" gauge takes only changes (inc/dec),
 * a "max" or "min" gauge only values (set).
 * @example gaugeOperationProblem("sum", "set"); // 'a gauge merged by "sum" takes inc/dec, not set'
 */
export function gaugeOperationProblem(policy: GaugeMerge, operation: "set" | "inc"): string | undefined {
  if (operation === "set" && policy === "sum") return `a gauge merged by "sum" takes inc/dec, not set`;
  if (operation === "inc" && (policy === "max" || policy === "min"))
    return `a gauge merged by "${policy}" takes set, not inc/dec`;
  return undefined;
}
