// A family part whose definition was inferred from samples (a text-format push knows a family's type, label names and
// buckets, not how it was declared) joins the stored family on the stored family's terms, adding label names it
// lacks (pushes to Pushgateway groups with different grouping labels share a family).

import type { FamilyDefinition, FamilyPush, GaugeDelta, Labels } from "../wire.ts";

/**
 * `part` completed from the stored definition when it is `inferred`: the stored label order, merge policy, quantile
 * settings, time to live and shards are kept (its help is the pushed one). Label names the family lacks are added
 * after its own (its series lack them: they are empty), and label names the part lacks are empty in its series, as
 * Prometheus reads a missing label. Returns the problem (a conflict) when its samples cannot join: a gauge merged by
 * "sum" takes no absolute values, and a summary that reports quantiles needs sketches that samples do not carry. A
 * different type or buckets is left to the definition check.
 * @example adoptStored({ ...part, inferred: true }, storage.definition());
 */
export function adoptStored(part: FamilyPush, stored: FamilyDefinition | undefined): FamilyPush | { problem: string } {
  if (!part.inferred || !stored || stored.type !== part.type) return part;
  const sameBuckets = (stored.buckets ?? []).join() === (part.buckets ?? []).join();
  if (!sameBuckets) return part;
  const name = JSON.stringify(part.name);
  if (stored.type === "gauge" && stored.merge === "sum" && part.series.some((d) => (d as GaugeDelta).set !== undefined))
    return {
      problem: `family ${name} is a gauge merged by "sum" (it takes inc/dec only); samples set absolute values`,
    };
  if (stored.type === "summary" && (stored.percentiles ?? []).length > 0)
    return { problem: `family ${name} is a summary that reports quantiles; samples carry no observations to add` };
  const labelNames = [...stored.labelNames, ...part.labelNames.filter((label) => !stored.labelNames.includes(label))];
  const complete = (labels: Labels): Labels =>
    Object.fromEntries(labelNames.map((label) => [label, labels[label] ?? ""]));
  const { reset, remove, replace, inferred } = part;
  return {
    ...stored,
    help: part.help,
    labelNames,
    series: part.series.map((delta) => ({ ...delta, labels: complete(delta.labels) })),
    ...(reset ? { reset } : {}),
    ...(remove ? { remove: remove.map(complete) } : {}),
    ...(replace ? { replace } : {}),
    ...(inferred ? { inferred } : {}),
  };
}
