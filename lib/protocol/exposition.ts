// Pure encoders: family snapshots → Prometheus text 0.0.4 or OpenMetrics 1.0. No I/O, no negotiation. Built from
// pieces (a family's header, its series' lines, the end) so a scrape can stream a family at a time, and a family
// object can render its own pages; `encodeText` / `encodeOpenMetrics` put the pieces together.

import { exposedName, openMetricsUntyped, textName } from "./names.ts";
import {
  type FamilyDefinition,
  type FamilySnapshot,
  type Labels,
  type MetricType,
  nonFiniteText,
  type SeriesSnapshot,
} from "./wire.ts";

export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

export type ExpositionFormat = "text" | "openmetrics";

/** A sample value as Prometheus writes it: `NaN`, `+Inf`, `-Inf`, or the shortest round-tripping decimal. */
export function formatValue(value: number): string {
  return nonFiniteText(value) ?? String(value);
}

const LABEL_ESCAPES = /[\\"\n]/;

/** Escapes a label value: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  if (!LABEL_ESCAPES.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text for 0.0.4: backslash and newline. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/**
 * A series' labels as they stand between the braces of its samples (`route="/",code="200"`), "" for none. A
 * renderer may cache it per series: it only depends on the labels.
 */
export function labelFragment(labelNames: readonly string[], labels: Labels): string {
  let out = "";
  for (let i = 0; i < labelNames.length; i++) {
    const name = labelNames[i] as string;
    out += `${i === 0 ? "" : ","}${name}="${escapeLabelValue(labels[name] ?? "")}"`;
  }
  return out;
}

/** The `# HELP` / `# TYPE` lines that open a family, each ending in a newline. */
export function familyHeader(family: FamilyDefinition, format: ExpositionFormat): string {
  if (format === "openmetrics") {
    // OpenMetrics calls a family without a type `unknown`.
    const type = family.type === "untyped" ? "unknown" : family.type;
    return `# HELP ${family.name} ${escapeLabelValue(family.help)}\n# TYPE ${family.name} ${type}\n`;
  }
  const name = textName(family);
  return `# HELP ${name} ${escapeHelp(family.help)}\n# TYPE ${name} ${family.type}\n`;
}

/**
 * Walks a histogram series' buckets: each one's `le` as written and its cumulative count (+Inf last); returns the
 * total. The one place the bucket samples of both the text and the sample form are made.
 */
function eachBucket(
  bounds: readonly number[],
  counts: readonly number[],
  visit: (le: string, cumulative: number, index: number) => void,
): number {
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i] as number;
    visit(i < bounds.length ? formatValue(bounds[i] as number) : "+Inf", cumulative, i);
  }
  return cumulative;
}

/**
 * The sample lines of `series` of `family`, each ending in a newline. `fragment` gives a series' label fragment
 * (default: `labelFragment`), so a caller may cache it.
 */
export function seriesLines(
  family: FamilyDefinition,
  series: readonly SeriesSnapshot[],
  format: ExpositionFormat,
  fragment: (s: SeriesSnapshot) => string = (s) => labelFragment(family.labelNames, s.labels),
): string {
  const openMetrics = format === "openmetrics";
  const name = family.name;
  const counterName = openMetrics ? exposedName(name, "counter") : textName(family);
  let out = "";
  for (const s of series) {
    // OpenMetrics carries exemplars after a counter's value and a histogram's buckets; text 0.0.4 has none.
    const exemplar = (slot: number) => {
      const e = openMetrics ? s.exemplars?.[slot] : undefined;
      if (!e) return "";
      const labels = Object.entries(e.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
      return ` # {${labels.join(",")}} ${formatValue(e.value)} ${formatValue(e.timestamp)}`;
    };
    const base = fragment(s);
    const plain = base === "" ? "" : `{${base}}`;
    const extra = (label: string, value: string) =>
      base === "" ? `{${label}="${value}"}` : `{${base},${label}="${value}"}`;
    switch (family.type) {
      case "counter":
        out += `${counterName}${plain} ${formatValue(s.value ?? 0)}${exemplar(0)}\n`;
        break;
      case "gauge":
      case "untyped":
        out += `${name}${plain} ${formatValue(s.value ?? 0)}\n`;
        break;
      case "histogram": {
        const bounds = family.buckets ?? [];
        const cumulative = eachBucket(bounds, s.counts ?? [], (le, count, i) => {
          out += `${name}_bucket${extra("le", le)} ${count}${exemplar(i)}\n`;
        });
        // OpenMetrics: with negative bucket thresholds the sum is no counter, and _count goes with _sum.
        if (!openMetrics || (bounds[0] ?? 0) >= 0) {
          out += `${name}_sum${plain} ${formatValue(s.sum ?? 0)}\n${name}_count${plain} ${cumulative}\n`;
        }
        break;
      }
      case "summary":
        for (const [q = 0, v = 0] of s.quantiles ?? [])
          out += `${name}${extra("quantile", formatValue(q))} ${formatValue(v)}\n`;
        // OpenMetrics: a negative sum is no counter; _count goes with _sum.
        if (!openMetrics || (s.sum ?? 0) >= 0) {
          out += `${name}_sum${plain} ${formatValue(s.sum ?? 0)}\n${name}_count${plain} ${formatValue(s.count ?? 0)}\n`;
        }
        break;
    }
  }
  return out;
}

/** One sample as Prometheus stores it from text 0.0.4: its name, its labels (the series', then `le` or `quantile`). */
export interface Sample {
  name: string;
  labels: [string, string][];
  value: number;
}

/**
 * The samples of `series` of `family` as Prometheus stores them from text 0.0.4 (`seriesLines` in that format, as
 * data: what remote-write sends). Same names, labels and values; `test/lib/protocol/exposition.test.ts` holds the
 * two to each other.
 */
export function seriesSamples(family: FamilyDefinition, series: readonly SeriesSnapshot[]): Sample[] {
  const out: Sample[] = [];
  const { name, labelNames } = family;
  for (const s of series) {
    const labels = labelNames.map((n): [string, string] => [n, s.labels[n] ?? ""]);
    const push = (sample: string, value: number, extra?: [string, string]) =>
      out.push({ name: sample, labels: extra ? [...labels, extra] : labels, value });
    switch (family.type) {
      case "counter":
        push(textName(family), s.value ?? 0);
        break;
      case "gauge":
      case "untyped":
        push(name, s.value ?? 0);
        break;
      case "histogram": {
        const cumulative = eachBucket(family.buckets ?? [], s.counts ?? [], (le, count) =>
          push(`${name}_bucket`, count, ["le", le]),
        );
        push(`${name}_sum`, s.sum ?? 0);
        push(`${name}_count`, cumulative);
        break;
      }
      case "summary":
        for (const [q = 0, v = 0] of s.quantiles ?? []) push(name, v, ["quantile", formatValue(q)]);
        push(`${name}_sum`, s.sum ?? 0);
        push(`${name}_count`, s.count ?? 0);
        break;
    }
  }
  return out;
}

/**
 * The definition `family` is written with in `format`, among families named `families`: itself, but an `untyped` one
 * (bare samples, `# TYPE … unknown`) where OpenMetrics would write its counter samples under another family's name
 * (names.ts `openMetricsUntyped`).
 */
export function shownDefinition<T extends FamilyDefinition>(
  family: T,
  format: ExpositionFormat,
  families: ReadonlyMap<string, MetricType>,
): T {
  return format === "openmetrics" && openMetricsUntyped(family.name, family.type, families)
    ? { ...family, type: "untyped" }
    : family;
}

/** What ends an exposition: `# EOF` for OpenMetrics, nothing for 0.0.4. */
export function expositionEnd(format: ExpositionFormat): string {
  return format === "openmetrics" ? "# EOF\n" : "";
}

const byName = (a: FamilySnapshot, b: FamilySnapshot) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Every family in `format`: sorted by name, one header each, then the end marker. */
export function encode(families: readonly FamilySnapshot[], format: ExpositionFormat): string {
  const names = new Map(families.map((f) => [f.name, f.type]));
  let out = "";
  for (const family of [...families].sort(byName).map((f) => shownDefinition(f, format, names)))
    out += familyHeader(family, format) + seriesLines(family, family.series, format);
  return out + expositionEnd(format);
}

/**
 * Prometheus text format 0.0.4: one HELP/TYPE block per family, families sorted by name.
 * A counter family `jobs` is exposed as `jobs_total`.
 * @example
 * new Response(encodeText(families), { headers: { "content-type": TEXT_CONTENT_TYPE } });
 */
export function encodeText(families: readonly FamilySnapshot[]): string {
  return encode(families, "text");
}

/**
 * OpenMetrics 1.0: families sorted by name, terminated by `# EOF`. No `_created` samples: Prometheus 2 stores each as
 * a series of its own (one more per counter, histogram and summary series), and 3 reads creation times from protobuf.
 * @example
 * new Response(encodeOpenMetrics(families), { headers: { "content-type": OPENMETRICS_CONTENT_TYPE } });
 */
export function encodeOpenMetrics(families: readonly FamilySnapshot[]): string {
  return encode(families, "openmetrics");
}
