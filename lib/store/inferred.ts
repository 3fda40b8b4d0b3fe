// A family part whose definition was inferred from samples (a text-format push knows a family's type, label names and
// buckets, not how it was declared) joins the stored family on the stored family's terms, adding label names it
// lacks (pushes to Pushgateway groups with different grouping labels share a family). The family remembers which
// label names were added, so a declared part with the declared ones still joins it (the added labels empty).

import { gaugeOperationProblem, gaugePolicy } from "../protocol/gauge-policy.ts";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.ts";
import type { FamilyDefinition, FamilyPush, GaugeDelta, Labels, MetricType } from "../protocol/wire.ts";

/**
 * Whether `part` may add label names after the stored family's: a part inferred from samples, or a declared part
 * already widened to a family's added label names (shard 0 forwards those to the other shards).
 */
export function labelsMayGrow(part: FamilyPush): boolean {
  return part.inferred === true || part.addedLabelNames !== undefined;
}

/**
 * True when values pushed as `pushed` join a family listed as `listed` of the other kind, taking its type: an untyped
 * value and a gauge merged by "set" are the same thing (versions before untyped families stored untyped samples as
 * gauges, and a gauge declared by a client may meet a family a text push created untyped).
 */
export function joinsAcrossUntyped(listed: MetricType, pushed: MetricType): boolean {
  return (listed === "gauge" && pushed === "untyped") || (listed === "untyped" && pushed === "gauge");
}

/** `part` as a part of a family stored as `stored` of the other kind (see joinsAcrossUntyped), when it may join. */
function acrossUntyped(part: FamilyPush, stored: FamilyDefinition): FamilyPush {
  if (!joinsAcrossUntyped(stored.type, part.type)) return part;
  // An untyped value joins a gauge (inferred ones as any text push does: on the stored terms).
  if (stored.type === "gauge")
    return part.inferred || (stored.merge ?? "set") === "set"
      ? { ...part, type: "gauge", merge: stored.merge ?? "set" }
      : part;
  // A gauge joins an untyped family only as what untyped means: last write wins.
  if ((part.merge ?? "set") !== "set") return part;
  const { merge: _merge, ...rest } = part;
  return { ...rest, type: "untyped" };
}

/** Why an inferred part cannot join its stored family: a conflict (409) or a limit it would pass (400). */
export interface AdoptionProblem {
  status: 400 | 409;
  problem: string;
}

/** The help of a family first pushed as text without a HELP line. */
export const NO_HELP = "Pushed without HELP text.";

/**
 * `part` completed from the stored definition when it is `inferred`: the stored label order, merge policy, quantile
 * settings, time to live and shards are kept (its help is the pushed one). Label names the family lacks are added
 * after its own (its series lack them: they are empty), and label names the part lacks are empty in its series, as
 * Prometheus reads a missing label. Returns the problem (a conflict) when its samples cannot join: a gauge merged by
 * "sum" takes no absolute values, and a summary that reports quantiles needs sketches that samples do not carry. A
 * different type or buckets is left to the definition check.
 * @example adoptStored({ ...part, inferred: true }, storage.definition());
 */
export function adoptStored(
  received: FamilyPush,
  stored: FamilyDefinition | undefined,
  limits: Pick<Limits, "maxLabelNames"> = DEFAULT_LIMITS,
): FamilyPush | AdoptionProblem {
  // A new family from a text body without HELP gets a help text of its own (an empty one fails Prometheus' lint).
  if (!stored) return received.inferred && received.help === "" ? { ...received, help: NO_HELP } : received;
  const part = acrossUntyped(received, stored);
  if (stored.type !== part.type) return part;
  if (!part.inferred) return widenDeclared(part, stored);
  // A part with no series to join (a Pushgateway PUT clearing its group from a family it did not name) takes the
  // stored terms whole.
  if (part.series.length === 0 && !part.remove) {
    const { reset, replace, grouping } = part;
    return {
      ...stored,
      series: [],
      ...(reset ? { reset } : {}),
      ...(replace ? { replace } : {}),
      ...(grouping ? { grouping } : {}),
      inferred: true,
    };
  }
  const sameBuckets = (stored.buckets ?? []).join() === (part.buckets ?? []).join();
  // Buckets, classic and native, must agree (the definition check names the difference).
  if (!sameBuckets || (stored.native === undefined) !== (part.native === undefined)) return part;
  const name = JSON.stringify(part.name);
  const setsRefused = stored.type === "gauge" ? gaugeOperationProblem(gaugePolicy(stored), "set") : undefined;
  if (setsRefused && part.series.some((d) => (d as GaugeDelta).set !== undefined))
    return { status: 409, problem: `family ${name}: ${setsRefused}, and samples set absolute values` };
  if (stored.type === "summary" && (stored.percentiles ?? []).length > 0)
    return {
      status: 409,
      problem: `family ${name} is a summary that reports quantiles; samples carry no observations to add`,
    };
  const added = part.labelNames.filter((label) => !stored.labelNames.includes(label));
  const labelNames = [...stored.labelNames, ...added];
  // The limit on label names holds for a family however its names arrive, a few at a time included. (A family an
  // earlier version let grow past it takes pushes that add none.)
  if (added.length > 0 && labelNames.length > limits.maxLabelNames)
    return {
      status: 400,
      problem: `family ${name} would have ${labelNames.length} label names with those of this push, over the limit of ${limits.maxLabelNames}`,
    };
  const addedLabelNames = [...(stored.addedLabelNames ?? []), ...added];
  const { reset, replace, grouping, inferred } = part;
  const completed = withLabelNames(part, labelNames);
  return {
    ...stored,
    ...(addedLabelNames.length > 0 ? { addedLabelNames } : {}),
    // A text body often has no HELP line: the stored help stays then (the part may have been given NO_HELP when it
    // was first adopted, before the family existed).
    help: part.help === NO_HELP ? stored.help : part.help || stored.help,
    labelNames,
    series: completed.series,
    ...(reset ? { reset } : {}),
    ...(completed.remove ? { remove: completed.remove } : {}),
    ...(replace ? { replace } : {}),
    ...(grouping ? { grouping } : {}),
    ...(inferred ? { inferred } : {}),
  };
}

/**
 * A declared part of a family that inferred pushes grew: with the declared label names, it joins the family, its
 * series having the added labels empty; with all of them, it keeps the record of which were added. Any other
 * declared part is left to the definition check as it is.
 */
function widenDeclared(part: FamilyPush, stored: FamilyDefinition): FamilyPush {
  const added = stored.addedLabelNames ?? [];
  if (added.length === 0) return part;
  const same = (names: readonly string[]) =>
    names.length === part.labelNames.length && names.every((label, i) => part.labelNames[i] === label);
  if (same(stored.labelNames)) return { ...part, addedLabelNames: added };
  const declared = stored.labelNames.filter((label) => !added.includes(label));
  return same(declared) ? { ...part, ...withLabelNames(part, stored.labelNames), addedLabelNames: added } : part;
}

/** `part`'s series and removals with exactly `labelNames`, a label the part lacks being empty. */
function withLabelNames(
  part: FamilyPush,
  labelNames: readonly string[],
): Pick<FamilyPush, "labelNames" | "series" | "remove"> {
  const complete = (labels: Labels): Labels =>
    Object.fromEntries(
      labelNames.map((label) => [label, (Object.hasOwn(labels, label) ? labels[label] : undefined) ?? ""]),
    );
  return {
    labelNames: [...labelNames],
    series: part.series.map((delta) => ({ ...delta, labels: complete(delta.labels) })),
    ...(part.remove ? { remove: part.remove.map(complete) } : {}),
  };
}
