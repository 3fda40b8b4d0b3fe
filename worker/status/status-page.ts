// The status page's HTML, as pure functions from plain data to a string: the list of families and one family's
// series. Every interpolated value goes through `escapeHtml` (the `html` template does it for anything that is not
// already markup), since family names, help texts and label values come from whoever may push. Inline CSS only, no
// script; tables scroll sideways on a phone.

import { formatValue } from "../../lib/protocol/exposition.ts";
import type { FamilyDefinition, Labels, SeriesSnapshot } from "../../lib/protocol/wire.ts";

/** What the objects of a family told the status page (see `FamilyObject.summary`). */
export interface FamilyStatus {
  definition: FamilyDefinition | null;
  /** Distinct series the family holds. */
  seriesCount: number;
  /** The latest update of any of its series, in seconds since the epoch. */
  lastUpdated?: number;
}

/** One listed family: its name, the most objects it was spread over, and its status (absent: it could not be read). */
export interface FamilyRow {
  name: string;
  shards: number;
  status?: FamilyStatus;
}

/** A Pushgateway group: its grouping labels, the families it is indexed in, its last push and last failure. */
export interface GroupRow {
  labels: Labels;
  families: string[];
  /** Seconds since the epoch (0: no push to it succeeded); absent when unknown. */
  pushed?: number;
  failed?: number;
}

/** What both pages need besides their own data. */
export interface PageContext {
  /** Now, in seconds since the epoch. */
  now: number;
  /** The Worker's DEFAULT_TTL_SECONDS (0 = series never expire unless their family says so). */
  defaultTtlSeconds: number;
  /** The path the status page lives at (where the router is mounted), ending in "/". */
  root: string;
  /** A group without a push for longer than this many seconds is flagged (GROUP_SILENCE_SECONDS). */
  silenceSeconds?: number;
}

/** One page of a family's series, in key order; `next` is the key to continue after, when more remain. */
export interface SeriesPageData {
  series: SeriesSnapshot[];
  after?: string;
  next?: string;
}

/**
 * Escapes text for HTML element content and quoted attribute values.
 * @example escapeHtml(`<a href="x">`); // "&lt;a href=&quot;x&quot;&gt;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Markup that is already safe: only the `html` template makes it. */
class Html {
  constructor(readonly text: string) {}
}

type Part = string | number | Html | null | undefined | false | readonly Part[];

function piece(value: Part): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(piece).join("");
  return escapeHtml(String(value));
}

/** A template whose every interpolation is escaped, unless it is markup made by this same template. */
function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += piece(values[i] as Part) + strings[i + 1];
  return new Html(out);
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5b6570;--line:#d7dde3;--head:#f2f4f6;--bad:#b42318;--link:#0a58b0}
@media (prefers-color-scheme:dark){:root{--fg:#e5e8eb;--bg:#15191d;--muted:#9aa4ae;--line:#353d45;--head:#20262c;--bad:#ff8f84;--link:#7cb8ff}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:80rem;padding:16px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.35rem;margin:0 0 4px;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0}
p{margin:4px 0 12px}
a{color:var(--link)}
code{font:0.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.bad{color:var(--bad);font-weight:600}
.note{border-left:3px solid var(--link);padding:6px 10px;background:var(--head)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:6px;margin:8px 0 16px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{padding:6px 8px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line);white-space:nowrap}
tr:last-child td{border-bottom:0}
th{background:var(--head);font-weight:600}
th:first-child,td:first-child{position:sticky;left:0;background:var(--bg);border-right:1px solid var(--line)}
th:first-child{background:var(--head)}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.w{white-space:normal;min-width:4rem;max-width:22rem;overflow-wrap:anywhere}
.help{display:block;white-space:normal;max-width:10rem;font-size:13px;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:8px 0 16px}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere}
nav{display:flex;gap:16px;flex-wrap:wrap;margin:8px 0 16px}
h2{margin-top:20px}
svg.chart{display:block;max-width:100%;height:auto;fill:var(--link);margin:2px 0 4px}
table.groups td.w{min-width:9rem}
`;

function document(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
${body}
</body>
</html>
`.text;
}

/** "1 h", "90 s", "2 d": a whole number of the largest unit that divides it. */
function duration(seconds: number): string {
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["min", 60],
  ] as const)
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  return `${seconds} s`;
}

/** "3 min ago": how long before `now` (seconds), roughly. */
function ago(then: number, now: number): string {
  const s = Math.floor(now - then);
  if (s < 5) return "just now";
  if (s < 120) return `${s} s ago`;
  if (s < 7_200) return `${Math.floor(s / 60)} min ago`;
  if (s < 172_800) return `${Math.floor(s / 3_600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** "2026-05-01 12:34:56 UTC". */
function utc(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

function when(seconds: number | undefined, now: number): Html {
  if (seconds === undefined) return html`<span class="muted">—</span>`;
  const iso = new Date(seconds * 1000).toISOString();
  return html`<time datetime="${iso}">${ago(seconds, now)}</time><br><span class="muted">${utc(seconds)}</span>`;
}

/** The family's time to live: its own, else the Worker's default, else "never". */
function ttl(definition: FamilyDefinition, defaultTtlSeconds: number): string {
  if (definition.ttlSeconds !== undefined) return definition.ttlSeconds > 0 ? duration(definition.ttlSeconds) : "never";
  return defaultTtlSeconds > 0 ? `${duration(defaultTtlSeconds)} (default)` : "never";
}

function familyLink(root: string, name: string): Html {
  return html`<a href="${`${root}families/${encodeURIComponent(name)}`}"><code>${name}</code></a>`;
}

const dash = html`<span class="muted">—</span>`;

function familyRow(row: FamilyRow, context: PageContext): Html {
  const status = row.status;
  const definition = status?.definition;
  const name = html`${familyLink(context.root, row.name)}${definition ? html`<span class="help muted">${definition.help}</span>` : ""}`;
  if (!status) {
    return html`<tr><td>${name}</td><td colspan="6" class="muted">—</td><td>${row.shards}</td><td class="bad">⚠ unreadable</td></tr>`;
  }
  if (!definition) {
    return html`<tr><td>${name}</td><td colspan="6" class="muted">no series stored yet</td><td>${row.shards}</td><td>ok</td></tr>`;
  }
  return html`<tr><td>${name}</td><td>${definition.type}</td><td class="n">${status.seriesCount}</td><td>${when(status.lastUpdated, context.now)}</td><td>${ttl(definition, context.defaultTtlSeconds)}</td><td>${definition.type === "gauge" ? (definition.merge ?? "set") : dash}</td><td>${definition.labelNames.length > 0 ? definition.labelNames.join(", ") : dash}</td><td>${row.shards}</td><td>ok</td></tr>`;
}

/** A group's labels as PromQL would write its selector, `job` first. */
function groupSelector(labels: Labels): string {
  const { job, ...rest } = labels;
  return Object.entries({ job: job ?? "", ...rest })
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(", ");
}

function groupRow(row: GroupRow, context: PageContext): Html {
  const silence = context.silenceSeconds ?? 86_400;
  const pushed = row.pushed !== undefined && row.pushed > 0 ? row.pushed : undefined;
  const failedLast = row.failed !== undefined && row.failed > 0 && (pushed === undefined || row.failed > pushed);
  const silent = pushed === undefined || context.now - pushed > silence;
  const status = failedLast
    ? html`<span class="bad">⚠ last push failed</span>`
    : silent
      ? html`<span class="bad">⚠ silent over ${duration(silence)}</span>`
      : "ok";
  const failure = row.failed !== undefined && row.failed > 0 ? when(row.failed, context.now) : dash;
  const families = row.families.map((name, i) => html`${i > 0 ? ", " : ""}${familyLink(context.root, name)}`);
  return html`<tr><td class="w"><code>${groupSelector(row.labels)}</code></td><td class="w">${families}</td><td>${when(pushed, context.now)}</td><td>${failure}</td><td>${status}</td></tr>`;
}

/** The Pushgateway groups, newest push first, flagged when silent too long or when their last push failed. */
function groupsSection(groups: readonly GroupRow[], context: PageContext): Html | "" {
  if (groups.length === 0) return "";
  const newest = [...groups].sort((a, b) => (b.pushed ?? 0) - (a.pushed ?? 0));
  return html`<h2>Pushgateway groups</h2>
<p class="muted">${groups.length} ${groups.length === 1 ? "group" : "groups"}, newest push first; flagged when silent over ${duration(context.silenceSeconds ?? 86_400)} or when the last push failed.</p>
<div class="scroll"><table class="groups">
<thead><tr><th>Group</th><th>Families</th><th>Last push</th><th>Last failure</th><th>Status</th></tr></thead>
<tbody>
${newest.map(
  (row) => html`${groupRow(row, context)}
`,
)}</tbody>
</table></div>`;
}

const byName = (a: FamilyRow, b: FamilyRow) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * The list of families: type, help, series, last push, TTL, merge policy, labels, shards, and whether it could be read.
 * @example new Response(renderStatusPage(rows, { now: Date.now() / 1000, defaultTtlSeconds: 0, root: "/" }));
 */
export function renderStatusPage(
  families: readonly FamilyRow[],
  context: PageContext,
  groups: readonly GroupRow[] = [],
): string {
  const rows = [...families].sort(byName);
  const series = rows.reduce((n, row) => n + (row.status?.seriesCount ?? 0), 0);
  const unreadable = rows.filter((row) => !row.status).length;
  const table =
    rows.length === 0
      ? html`<p class="muted">No families yet: push some metrics to <code>POST ${context.root}push</code>.</p>`
      : html`<div class="scroll"><table>
<thead><tr><th>Family</th><th>Type</th><th>Series</th><th>Last push</th><th>TTL</th><th>Merge</th><th>Labels</th><th>Shards</th><th>Status</th></tr></thead>
<tbody>
${rows.map((row) => html`${familyRow(row, context)}\n`)}</tbody>
</table></div>`;
  return document(
    "Metrics status",
    html`<h1>Metrics status</h1>
<p class="muted">${rows.length} ${rows.length === 1 ? "family" : "families"} · ${series} series · ${utc(context.now)}</p>
${unreadable > 0 ? html`<p class="bad">⚠ ${unreadable} ${unreadable === 1 ? "family" : "families"} could not be read (details in the Worker's log).</p>` : ""}
${groupsSection(groups, context)}
${groups.length > 0 ? html`<h2>Families</h2>` : ""}
${table}
<p class="muted">Scrape: <a href="${`${context.root}metrics`}"><code>${context.root}metrics</code></a></p>`,
  );
}

/**
 * A small inline SVG bar chart of `values` (finite, ≥ 0 shown; others as empty bars), each bar titled with its label
 * and value; markup only (no script), so the page's CSP holds. Values are numbers and titles escaped text.
 */
function barChart(values: readonly number[], labels: readonly string[], what: string): Html | "" {
  if (values.length === 0) return "";
  const width = 160;
  const height = 40;
  const shown = values.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  const top = Math.max(...shown) || 1;
  const step = width / values.length;
  const bars = shown.map((v, i) => {
    const h = Math.max(1, Math.round((v / top) * (height - 2)));
    const x = (i * step + 1).toFixed(1);
    const title = `${labels[i] ?? ""}: ${formatValue(values[i] ?? 0)}`;
    return html`<rect x="${x}" y="${height - h}" width="${Math.max(1, step - 2).toFixed(1)}" height="${h}"><title>${title}</title></rect>`;
  });
  return html`<svg class="chart" role="img" aria-label="${what}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars}</svg><br>`;
}

/** A series' value cells for its family's type. */
function valueCells(definition: FamilyDefinition, s: SeriesSnapshot): Html {
  switch (definition.type) {
    case "counter":
    case "gauge":
    case "untyped":
      return html`<td class="n">${formatValue(s.value ?? 0)}</td>`;
    case "histogram": {
      const bounds = definition.buckets ?? [];
      let cumulative = 0;
      const buckets = (s.counts ?? []).map((c, i) => {
        cumulative += c;
        return `${i < bounds.length ? `≤${formatValue(bounds[i] as number)}` : "+Inf"}: ${cumulative}`;
      });
      const labels = (s.counts ?? []).map((_, i) =>
        i < bounds.length ? `≤${formatValue(bounds[i] as number)}` : "+Inf",
      );
      const chart = barChart(s.counts ?? [], labels, "observations per bucket");
      return html`<td class="n">${cumulative}</td><td class="n">${formatValue(s.sum ?? 0)}</td><td class="w">${chart}${buckets.join(" · ")}</td>`;
    }
    case "summary": {
      const quantiles = (s.quantiles ?? []).map(([q = 0, v = 0]) => `${formatValue(q)}: ${formatValue(v)}`);
      const pairs = s.quantiles ?? [];
      const chart = barChart(
        pairs.map(([, v = 0]) => v),
        pairs.map(([q = 0]) => `q${formatValue(q)}`),
        "value at each quantile",
      );
      return html`<td class="n">${formatValue(s.count ?? 0)}</td><td class="n">${formatValue(s.sum ?? 0)}</td><td class="w">${quantiles.length > 0 ? html`${chart}${quantiles.join(" · ")}` : dash}</td>`;
    }
  }
}

function valueHeads(definition: FamilyDefinition): Html {
  if (definition.type === "histogram") return html`<th>Count</th><th>Sum</th><th>Buckets (cumulative)</th>`;
  if (definition.type === "summary") return html`<th>Count</th><th>Sum</th><th>Quantiles</th>`;
  return html`<th>Value</th>`;
}

function definitionList(row: FamilyRow, status: FamilyStatus, definition: FamilyDefinition, context: PageContext) {
  const item = (term: string, value: Part) => html`<dt>${term}</dt><dd>${value}</dd>`;
  const list = (values: readonly number[] | undefined) => (values ?? []).map(formatValue).join(", ");
  return html`<dl>
${item("Type", definition.type)}
${item("Help", definition.help)}
${item("Labels", definition.labelNames.length > 0 ? html`<code>${definition.labelNames.join(", ")}</code>` : dash)}
${definition.type === "histogram" ? item("Buckets", list(definition.buckets)) : ""}
${definition.type === "gauge" ? item("Merge", definition.merge ?? "set") : ""}
${definition.type === "summary" ? item("Quantiles", list(definition.percentiles) || dash) : ""}
${definition.type === "summary" && definition.maxAgeSeconds ? item("Window", `${duration(definition.maxAgeSeconds)} in ${definition.ageBuckets ?? 1} buckets`) : ""}
${item("TTL", ttl(definition, context.defaultTtlSeconds))}
${item("Series", status.seriesCount)}
${item("Last push", when(status.lastUpdated, context.now))}
${item("Shards", row.shards)}
</dl>`;
}

/**
 * One family: its definition and a page of its series, with a link to the next page (`?after=<last key>`). A family
 * that could not be read (`row.status` absent or `page` undefined) shows a marker, never the error.
 * @example renderFamilyPage(row, { series: [], next: undefined }, context);
 */
export function renderFamilyPage(row: FamilyRow, page: SeriesPageData | undefined, context: PageContext): string {
  const back = html`<nav><a href="${context.root}">← All families</a></nav>`;
  const status = row.status;
  const definition = status?.definition;
  if (!status || !page) {
    return document(
      row.name,
      html`${back}<h1><code>${row.name}</code></h1><p class="bad">⚠ This family could not be read just now (details in the Worker's log).</p>`,
    );
  }
  if (!definition) {
    return document(row.name, html`${back}<h1><code>${row.name}</code></h1><p class="muted">No series stored yet.</p>`);
  }
  const labelHeads = definition.labelNames.map((name) => html`<th>${name}</th>`);
  const rows = page.series.map(
    (s) =>
      html`<tr>${definition.labelNames.length === 0 ? html`<td class="muted">(no labels)</td>` : ""}${definition.labelNames.map((name) => html`<td class="w">${s.labels[name] ?? ""}</td>`)}${valueCells(definition, s)}<td>${when(s.updated, context.now)}</td></tr>\n`,
  );
  const pager = html`<nav>${page.after !== undefined ? html`<a href="?">« First page</a>` : ""}${page.next !== undefined ? html`<a href="${`?after=${encodeURIComponent(page.next)}`}" rel="next">Next page »</a>` : ""}</nav>`;
  const sharded =
    row.shards > 1
      ? html`<p class="note">Spread over ${row.shards} objects: the values shown are merged over every shard, as the scrape merges them.</p>`
      : "";
  const table =
    page.series.length === 0
      ? html`<p class="muted">No live series${page.after !== undefined ? " on this page" : ""}.</p>`
      : html`<div class="scroll"><table>
<thead><tr>${definition.labelNames.length === 0 ? html`<th>Series</th>` : labelHeads}${valueHeads(definition)}<th>Updated</th></tr></thead>
<tbody>
${rows}</tbody>
</table></div>`;
  return document(
    row.name,
    html`${back}<h1><code>${row.name}</code></h1>
${definitionList(row, status, definition, context)}
${sharded}
<h2>Series${page.after !== undefined ? " (continued)" : ""}</h2>
${table}
${pager}`,
  );
}
