// The Pushgateway's read API, as tools that read a Pushgateway call it, behind the scrape credential:
// - GET /api/v1/metrics: every group (its grouping labels), each with its families' series as the Pushgateway
//   renders them (values as text), its push_time_seconds and push_failure_time_seconds, and whether its last push
//   succeeded;
// - GET /api/v1/status: what this Worker is, and since when this isolate runs.
// Groups come from the catalog's index of groups; their series from the stored families (lib/store), read whole.

import { GROUP_TIME_FAMILIES, PUSH_FAILURE_TIME, PUSH_TIME, textName } from "../../lib/protocol/names.ts";
import { groupingOfId } from "../../lib/protocol/pushgateway-path.ts";
import { groupTimePart } from "../../lib/protocol/text-format/to-push.ts";
import type { FamilySnapshot, Labels, SeriesSnapshot } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
import { authorizeScrape } from "../http/auth.ts";
import { jsonResponse } from "../http/errors.ts";
import { catalog } from "../objects/catalog-object.ts";
import { collectFamilies } from "../scrape/scrape.ts";

/** A number as the Pushgateway's API writes it: text, Go's spelling of the infinities. */
function valueText(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** A series' labels as the API shows them: the empty ones left out, but `instance` (the Pushgateway shows it). */
function shownLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([name, value]) => value !== "" || name === "instance"));
}

/** One series as the Pushgateway's API shows it, by type. */
function metricOf(family: FamilySnapshot, s: SeriesSnapshot): Record<string, unknown> {
  const labels = shownLabels(s.labels);
  switch (family.type) {
    case "histogram": {
      const bounds = [...(family.buckets ?? []), Number.POSITIVE_INFINITY];
      let cumulative = 0;
      const buckets = Object.fromEntries(
        bounds.map((le, i) => {
          cumulative += s.counts?.[i] ?? 0;
          return [valueText(le), valueText(cumulative)];
        }),
      );
      return { labels, buckets, count: valueText(cumulative), sum: valueText(s.sum ?? 0) };
    }
    case "summary": {
      const quantiles = Object.fromEntries((s.quantiles ?? []).map(([q, v]) => [valueText(q ?? 0), valueText(v ?? 0)]));
      return { labels, quantiles, count: valueText(s.count ?? 0), sum: valueText(s.sum ?? 0) };
    }
    default:
      return { labels, value: valueText(s.value ?? 0) };
  }
}

/** A family's part of a group as the API shows it: its last update, type, help and series. */
function familyOf(family: FamilySnapshot, series: SeriesSnapshot[]): Record<string, unknown> {
  const updated = Math.max(...series.map((s) => s.updated ?? s.created));
  return {
    time_stamp: new Date(updated * 1000).toISOString(),
    type: family.type.toUpperCase(),
    help: family.help,
    metrics: series.map((s) => metricOf(family, s)),
  };
}

/** A group's time gauge that was never set, as the Pushgateway shows it: 0. */
function unsetTime(name: string, grouping: Labels): Record<string, unknown> {
  const { help, series } = groupTimePart(name, grouping, 0);
  const labels = series[0]?.labels ?? grouping;
  return { time_stamp: new Date(0).toISOString(), type: "GAUGE", help, metrics: [{ labels, value: "0" }] };
}

/** GET /api/v1/metrics: every group with its families. */
export async function pushgatewayMetrics(request: Request, env: Env): Promise<Response> {
  await authorizeScrape(request, env);
  const index = await catalog(env).groupings();
  const names = new Set([...index.map((row) => row.family), ...GROUP_TIME_FAMILIES]);
  const failed: string[] = [];
  const families = await collectFamilies(env, (family) => failed.push(family), names);
  const groups = new Map<string, Record<string, unknown>>();
  for (const family of families) {
    const byGroup = new Map<string, SeriesSnapshot[]>();
    for (const s of family.series) {
      if (s.grouping === undefined) continue;
      const series = byGroup.get(s.grouping) ?? [];
      series.push(s);
      byGroup.set(s.grouping, series);
    }
    for (const [id, series] of byGroup) {
      const group = groups.get(id) ?? { labels: groupingOfId(id) };
      group[textName(family)] = familyOf(family, series);
      groups.set(id, group);
    }
  }
  const data = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => {
      const grouping = group.labels as Labels;
      const time = (name: string) => (group[name] as { metrics: { value: string }[] } | undefined)?.metrics[0]?.value;
      const pushed = Number(time(PUSH_TIME) ?? 0);
      const failure = Number(time(PUSH_FAILURE_TIME) ?? 0);
      return {
        ...group,
        [PUSH_TIME]: group[PUSH_TIME] ?? unsetTime(PUSH_TIME, grouping),
        [PUSH_FAILURE_TIME]: group[PUSH_FAILURE_TIME] ?? unsetTime(PUSH_FAILURE_TIME, grouping),
        last_push_successful: failure <= pushed,
      };
    });
  return jsonResponse({
    status: "success",
    data,
    ...(failed.length > 0 ? { warnings: failed.map((f) => `family ${JSON.stringify(f)} could not be read`) } : {}),
  });
}

/** When this isolate first answered (a Worker has no process start time; Date is frozen at module scope). */
let startTime: string | undefined;

/** GET /api/v1/status: what answers, and since when. */
export async function pushgatewayStatus(request: Request, env: Env): Promise<Response> {
  await authorizeScrape(request, env);
  startTime ??= new Date().toISOString();
  return jsonResponse({
    status: "success",
    data: {
      build_information: { program: "prometheus-distributed-client" },
      flags: {},
      start_time: startTime,
    },
  });
}
