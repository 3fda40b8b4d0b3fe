// Pure encoders: family snapshots → Prometheus text 0.0.4 or OpenMetrics 1.0. No I/O, no negotiation.

import { exposedName } from "./names.ts";
import type { FamilySnapshot, Labels, SeriesSnapshot } from "./wire.ts";

export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** A sample value as Prometheus writes it: `NaN`, `+Inf`, `-Inf`, or the shortest round-tripping decimal. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Escapes a label value: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text for 0.0.4: backslash and newline. */
export function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelString(labels: Labels, names: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n) => `${n}="${escapeLabelValue(labels[n] ?? "")}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

type Line = (name: string, series: SeriesSnapshot, value: number, extra?: [string, string]) => string;

/** The sample lines of one family; `created` adds OpenMetrics `_created` samples. */
function samples(family: FamilySnapshot, created: boolean): string[] {
  const line: Line = (name, s, value, extra) =>
    `${name}${labelString(s.labels, family.labelNames, extra)} ${formatValue(value)}`;
  const out: string[] = [];
  for (const s of family.series) {
    switch (family.type) {
      case "counter":
        out.push(line(exposedName(family.name, "counter"), s, s.value ?? 0));
        break;
      case "gauge":
        out.push(line(family.name, s, s.value ?? 0));
        break;
      case "histogram": {
        const counts = s.counts ?? [];
        const bounds = family.buckets ?? [];
        let cumulative = 0;
        counts.forEach((c, i) => {
          cumulative += c;
          const le = i < bounds.length ? formatValue(bounds[i] as number) : "+Inf";
          out.push(line(`${family.name}_bucket`, s, cumulative, ["le", le]));
        });
        // OpenMetrics: with negative bucket thresholds the sum is no counter, and _count goes with _sum.
        if (!created || (bounds[0] ?? 0) >= 0) {
          out.push(line(`${family.name}_sum`, s, s.sum ?? 0));
          out.push(line(`${family.name}_count`, s, cumulative));
        }
        break;
      }
      case "summary":
        for (const [q, v] of s.quantiles ?? []) out.push(line(family.name, s, v, ["quantile", formatValue(q)]));
        // OpenMetrics: a negative sum is no counter; _count goes with _sum.
        if (!created || (s.sum ?? 0) >= 0) {
          out.push(line(`${family.name}_sum`, s, s.sum ?? 0));
          out.push(line(`${family.name}_count`, s, s.count ?? 0));
        }
        break;
    }
    if (created && family.type !== "gauge") out.push(line(`${family.name}_created`, s, s.created));
  }
  return out;
}

const byName = (a: FamilySnapshot, b: FamilySnapshot) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Prometheus text format 0.0.4: one HELP/TYPE block per family, families sorted by name.
 * A counter family `jobs` is exposed as `jobs_total`.
 * @example
 * new Response(encodeText(families), { headers: { "content-type": TEXT_CONTENT_TYPE } });
 */
export function encodeText(families: readonly FamilySnapshot[]): string {
  const out: string[] = [];
  for (const family of [...families].sort(byName)) {
    const name = exposedName(family.name, family.type);
    out.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`, ...samples(family, false));
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/**
 * OpenMetrics 1.0: families sorted by name, `_created` samples, terminated by `# EOF`.
 * @example
 * new Response(encodeOpenMetrics(families), { headers: { "content-type": OPENMETRICS_CONTENT_TYPE } });
 */
export function encodeOpenMetrics(families: readonly FamilySnapshot[]): string {
  const out: string[] = [];
  for (const family of [...families].sort(byName)) {
    out.push(
      `# TYPE ${family.name} ${family.type}`,
      `# HELP ${family.name} ${escapeLabelValue(family.help)}`,
      ...samples(family, true),
    );
  }
  out.push("# EOF");
  return `${out.join("\n")}\n`;
}
