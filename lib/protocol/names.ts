// The naming rules, in one place: no other module strips or appends `_total`. A metric is named by whoever declares
// or pushes it (prom-client style: a counter may end in `_total`); it belongs to a family whose name is canonical.
// Every way in (the client, JSON over HTTP, the RPC, the Durable Object transport, text pushes) hands the name as
// declared to the one definition check, which turns it into the family name with `familyName`, exactly once.
// Storage, object addresses, the catalog and snapshots hold family names; a producer sends `pushedName`.

import type { FamilyDefinition, MetricType } from "./wire.ts";

/** Family names with this prefix are the Worker's own metrics; clients may not push them. */
export const RESERVED_PREFIX = "pdc_";

/**
 * The family a declared metric belongs to: a counter's one trailing `_total` is not part of it (OpenMetrics), so
 * `jobs` and `jobs_total` are one family and `jobs_total_total` is the family `jobs_total`.
 * @example familyName("counter", "http_requests_total"); // "http_requests"
 */
export function familyName(type: MetricType, declaredName: string): string {
  return type === "counter" && declaredName.endsWith("_total") ? declaredName.slice(0, -"_total".length) : declaredName;
}

/**
 * The name a family is announced under in text format 0.0.4 (`# HELP` / `# TYPE`), and the sample name of a
 * counter's value: a counter's samples carry `_total`, so its HELP and TYPE lines do too.
 * @example exposedName("http_requests", "counter"); // "http_requests_total"
 */
export function exposedName(family: string, type: MetricType): string {
  return type === "counter" ? `${family}_total` : family;
}

/**
 * The name a family is announced under in text format 0.0.4 and protobuf, and there a counter's sample name: its
 * exposed name, but a counter created `withoutTotal` keeps its bare name there, as prom-client, client_golang and the
 * Pushgateway (which serve 0.0.4) show it (OpenMetrics always adds `_total`, as it must). Who decides: a metric or a
 * collector declared without `_total` (`declaredWithoutTotal`), a Pushgateway body's samples named so, or a JSON
 * push's `withoutTotal`; the family's first definition keeps it.
 * @example textName({ name: "jobs_processed", type: "counter", withoutTotal: true }); // "jobs_processed"
 */
export function textName(family: Pick<FamilyDefinition, "name" | "type" | "withoutTotal">): string {
  return family.withoutTotal === true ? family.name : exposedName(family.name, family.type);
}

/**
 * Whether a counter declared as `declared` (a client metric's or a collector's name) is created `withoutTotal`: it was
 * declared without `_total`, so text 0.0.4 shows it as prom-client showed it.
 * @example declaredWithoutTotal("counter", "jobs"); // true
 * @example declaredWithoutTotal("counter", "jobs_total"); // false
 */
export function declaredWithoutTotal(type: MetricType, declared: unknown): boolean {
  return type === "counter" && typeof declared === "string" && !declared.endsWith("_total");
}

/**
 * The family a metric or collector declared as `declared` makes: its name (`familyName`), and whether a counter is
 * kept bare (`declaredWithoutTotal`).
 * @example declaredFamily("counter", "jobs"); // { name: "jobs", type: "counter", withoutTotal: true }
 */
export function declaredFamily(
  type: MetricType,
  declared: string,
): { name: string; type: MetricType; withoutTotal: boolean } {
  return { name: familyName(type, declared), type, withoutTotal: declaredWithoutTotal(type, declared) };
}

/**
 * The name a producer sends for a family, so that `familyName` turns it back into that family: its exposed name.
 * @example pushedName("jobs_total", "counter"); // "jobs_total_total" (the family "jobs_total")
 */
export function pushedName(family: string, type: MetricType): string {
  return exposedName(family, type);
}

/**
 * The sample names a counter declared `name` may write in text format 0.0.4: the name itself (prom-client,
 * client_golang) or its exposed form (Python's client, OpenMetrics).
 * @example counterSampleNames("jobs"); // ["jobs", "jobs_total"]
 */
export function counterSampleNames(name: string): [string, string] {
  return [name, exposedName(name, "counter")];
}

/**
 * Every sample name a family claims (what the catalog and the registries hold against other families): two families
 * must never share one, or the scrape would repeat a series: e.g. a gauge `x_total` next to a counter `x`, or a
 * counter `h_sum` kept bare next to a histogram `h`. A counter kept bare (`withoutTotal`; see `textName`) claims its
 * bare name and leaves `_total` to whichever family takes it, as the Pushgateway lets a body carry a counter `x` and a
 * gauge `x_total`: text 0.0.4 and protobuf tell them apart, and OpenMetrics writes the counter `unknown`
 * (`openMetricsUntyped`).
 */
export function sampleNames(family: string, type: MetricType, withoutTotal = false): string[] {
  const suffixes = type === "counter" && withoutTotal ? BARE_COUNTER_SUFFIXES : SAMPLE_SUFFIXES[type];
  return suffixes.map((suffix) => family + suffix);
}

/**
 * Whether OpenMetrics writes the counter family `family` as an `unknown` family under its bare name (its samples
 * `family`, not `family_total`): another family of the exposition writes a sample `family_total` (a gauge, untyped
 * or summary family of that name), which only a counter kept bare leaves free (`sampleNames`). OpenMetrics would
 * otherwise write the sample `family_total` twice. `families` gives each family's type by name.
 * @example openMetricsUntyped("x", "counter", new Map([["x", "counter"], ["x_total", "gauge"]])); // true
 */
export function openMetricsUntyped(
  family: string,
  type: MetricType,
  families: ReadonlyMap<string, MetricType>,
): boolean {
  if (type !== "counter") return false;
  const other = families.get(exposedName(family, type));
  return other !== undefined && SAMPLE_SUFFIXES[other].includes("");
}

/**
 * Every sample name a family may write in some format: a counter kept bare writes its bare name in text 0.0.4 and
 * protobuf and `_total` in OpenMetrics. What a scrape-time collector is held to (it cannot be written `unknown`).
 * @example writtenSampleNames("jobs", "counter", true); // ["jobs", "jobs_total", "jobs_created"]
 */
export function writtenSampleNames(family: string, type: MetricType, withoutTotal = false): string[] {
  const claimed = sampleNames(family, type, withoutTotal);
  return type === "counter" && withoutTotal ? [...claimed, exposedName(family, type)] : claimed;
}

/** What a counter kept bare claims: its own name, and `_created` (no other family may take it either). */
const BARE_COUNTER_SUFFIXES = ["", "_created"];

/** The suffixes of the sample names each type exposes. */
const SAMPLE_SUFFIXES: Record<MetricType, string[]> = {
  counter: ["_total", "_created"],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count", "_created"],
  summary: ["", "_sum", "_count", "_created"],
};

/**
 * The Pushgateway's gauges of each group's last successful and last failed push (seconds since the epoch): the Worker
 * writes them for pushes to the Pushgateway API, as the Pushgateway does; producers may not.
 */
export const PUSH_TIME = "push_time_seconds";
export const PUSH_FAILURE_TIME = "push_failure_time_seconds";
export const GROUP_TIME_FAMILIES: readonly string[] = [PUSH_TIME, PUSH_FAILURE_TIME];

/** Why a pushed family name is refused as reserved (unless it is one of `allowed`), or undefined. */
export function reservedNameProblem(family: string, allowed: readonly string[] = []): string | undefined {
  if (allowed.includes(family)) return undefined;
  if (GROUP_TIME_FAMILIES.includes(family))
    return `${JSON.stringify(family)} is kept by the Worker for each Pushgateway group (the time of its last push)`;
  if (!family.startsWith(RESERVED_PREFIX)) return undefined;
  return `${JSON.stringify(family)} uses the prefix "${RESERVED_PREFIX}", reserved for the Worker's own metrics`;
}

/** Separates a family name from a shard number in an object name; never part of a valid metric name. */
const SHARD_SEPARATOR = "#";

/**
 * The name of the Durable Object holding shard `shard` of `family`: the family's own name for shard 0 (so an
 * unsharded family lives where it always did), `family#shard` for the others.
 * @example shardObjectName("http_requests", 3); // "http_requests#3"
 */
export function shardObjectName(family: string, shard: number): string {
  return shard === 0 ? family : `${family}${SHARD_SEPARATOR}${shard}`;
}

/** The family and shard an object name stands for (the inverse of `shardObjectName`). */
export function parseShardObjectName(name: string): { family: string; shard: number } {
  const at = name.lastIndexOf(SHARD_SEPARATOR);
  if (at < 0) return { family: name, shard: 0 };
  return { family: name.slice(0, at), shard: Number(name.slice(at + 1)) };
}
