// The status page inside workerd: GET / lists every family (type, help, series, last push, TTL, merge, shards,
// errors); GET /families/:name shows a page of series, 100 at a time, merged over shards; hostile names, help texts
// and label values are escaped; the scrape credential guards both; a family that cannot be read shows a marker only.

import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardObjectName } from "../../../lib/protocol/names.ts";
import type { FamilyPush, Push } from "../../../lib/protocol/wire.ts";
import type { Env } from "../../../worker/config/env.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import { escapeHtml } from "../../../worker/status/status-page.ts";

const TOKEN = "test-push-token";
const SCRIPT = "<script>alert(1)</script>";
const HOSTILE_HELP = `Queue depth."><img src=x onerror=alert(1)>`;

const fetchWorker = (path: string, init?: RequestInit) =>
  exports.default.fetch(new Request(`http://metrics.test${path}`, init));
const push = async (body: Push) => {
  const res = await fetchWorker("/push", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
};
/** The router with some variables changed, against the same real bindings. */
const withVars = (vars: Partial<Env>) => (path: string, init?: RequestInit) =>
  createMetricsRouter().fetch(
    new Request(`http://metrics.test${path}`, init),
    { ...env, ...vars } as Env,
    createExecutionContext(),
  );
const page = async (path: string) => {
  const res = await fetchWorker(path);
  return { res, html: await res.text() };
};
/** The `id` label values on a family page, in order (they are the only cells of class "w" in these families). */
const ids = (html: string) => [...html.matchAll(/<td class="w">(s\d+)<\/td>/g)].map((m) => m[1] as string);
/** The next-page link of a family page, unescaped, or undefined. */
const nextLink = (html: string) => html.match(/<a href="([^"]*)" rel="next">/)?.[1]?.replaceAll("&amp;", "&");
const expectNoMarkupFromData = (html: string) => {
  expect(html.toLowerCase()).not.toContain("<script");
  expect(html.toLowerCase()).not.toContain("<img");
};

const families: FamilyPush[] = [
  {
    name: "status_requests",
    type: "counter",
    help: "Requests served.",
    labelNames: ["route"],
    ttlSeconds: 3600,
    series: [
      { labels: { route: "/" }, inc: 3 },
      { labels: { route: SCRIPT }, inc: 1 },
    ],
  },
  {
    name: "status_queue",
    type: "gauge",
    help: HOSTILE_HELP,
    labelNames: [],
    merge: "max",
    series: [{ labels: {}, set: 12 }],
  },
  {
    name: "status_seconds",
    type: "histogram",
    help: "Job time.",
    labelNames: ["kind"],
    buckets: [0.1, 1],
    series: [{ labels: { kind: "a" }, counts: [1, 2, 0], sum: 1.7 }],
  },
  {
    name: "status_bytes",
    type: "summary",
    help: "Payload size.",
    labelNames: [],
    percentiles: [0.5],
    series: [{ labels: {}, count: 2, sum: 900, sketch: { zero: 0, pos: [[100, 2]], neg: [] } }],
  },
];

describe("GET / (the list of families)", () => {
  it("lists every family, sorted, with type, help, series, last push, TTL, merge and shards", async () => {
    await push({ pushId: "status-1", families });
    const { res, html } = await page("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    const order = ["status_bytes", "status_queue", "status_requests", "status_seconds"].map((name) =>
      html.indexOf(`<a href="/families/${name}"><code>${name}</code></a>`),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const row = (name: string) => html.slice(html.indexOf(`/families/${name}"`)).split("</tr>")[0] as string;
    expect(row("status_requests")).toMatch(/Requests served\..*<td>counter<\/td><td class="n">2<\/td>/);
    expect(row("status_requests")).toContain("<td>1 h</td>");
    expect(row("status_requests")).toMatch(
      /just now<\/time><br><span class="muted">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/,
    );
    expect(row("status_queue")).toContain("<td>gauge</td>");
    expect(row("status_queue")).toContain("<td>max</td>");
    expect(row("status_queue")).toContain("<td>never</td>");
    expect(row("status_seconds")).toContain("<td>histogram</td>");
    expect(row("status_bytes")).toMatch(/<td>summary<\/td><td class="n">1<\/td>/);
    expect(row("status_bytes")).toMatch(/<td>1<\/td><td>ok<\/td>$/);
  });

  it("escapes a hostile help text: its markup is shown as text, never parsed", async () => {
    const { html } = await page("/");
    expectNoMarkupFromData(html);
    expect(html).toContain(escapeHtml(HOSTILE_HELP));
    expect(html).toContain("Queue depth.&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  });

  it("shows the Worker's default TTL for families that declare none", async () => {
    const { html } = await (async () => {
      const res = await withVars({ DEFAULT_TTL_SECONDS: "600" })("/");
      return { html: await res.text() };
    })();
    const row = html.slice(html.indexOf('/families/status_queue"')).split("</tr>")[0] as string;
    expect(row).toContain("<td>10 min (default)</td>");
  });

  it("marks a family that cannot be read, without the error's text", async () => {
    const fail = () => Promise.reject(new Error("internal detail: disk on fire"));
    const broken = { getByName: () => ({ summary: fail, scrapePage: fail }) } as unknown as Env["METRICS_FAMILY"];
    const res = await withVars({ METRICS_FAMILY: broken })("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("⚠ unreadable");
    expect(html).toContain("could not be read");
    expect(html).not.toContain("disk on fire");
    const family = await withVars({ METRICS_FAMILY: broken })("/families/status_queue");
    expect(family.status).toBe(503);
    const text = await family.text();
    expect(text).toContain("could not be read");
    expect(text).not.toContain("disk on fire");
  });
});

describe("GET /families/:name (one family)", () => {
  it("shows the definition and the series, label values escaped", async () => {
    const { res, html } = await page("/families/status_requests");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(html).toContain("<dt>Type</dt><dd>counter</dd>");
    expect(html).toContain("<dt>TTL</dt><dd>1 h</dd>");
    expect(html).toContain("<th>route</th><th>Value</th>");
    expectNoMarkupFromData(html);
    expect(html).toContain(`<td class="w">${escapeHtml(SCRIPT)}</td><td class="n">1</td>`);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain('<a href="/">← All families</a>');
    expect(nextLink(html)).toBeUndefined();
  });

  it("renders each type's values: histogram buckets, summary quantiles, a gauge's merge", async () => {
    const histogram = (await page("/families/status_seconds")).html;
    expect(histogram).toContain("<dt>Buckets</dt><dd>0.1, 1</dd>");
    // A chart of the per-bucket counts (1, 2, 0: bars of 19, 38 and 1 px of 40), then the cumulative text.
    expect(histogram).toContain(
      '<td class="n">3</td><td class="n">1.7</td><td class="w"><svg class="chart" role="img" aria-label="observations per bucket" viewBox="0 0 160 40" width="160" height="40">' +
        '<rect x="1.0" y="21" width="51.3" height="19"><title>≤0.1: 1</title></rect>' +
        '<rect x="54.3" y="2" width="51.3" height="38"><title>≤1: 2</title></rect>' +
        '<rect x="107.7" y="39" width="51.3" height="1"><title>+Inf: 0</title></rect></svg><br>≤0.1: 1 · ≤1: 3 · +Inf: 3</td>',
    );
    const summary = (await page("/families/status_bytes")).html;
    expect(summary).toContain("<dt>Quantiles</dt><dd>0.5</dd>");
    expect(summary).toMatch(
      /<td class="n">2<\/td><td class="n">900<\/td><td class="w"><svg class="chart" role="img" aria-label="value at each quantile"[^>]*><rect [^>]*height="38"><title>q0\.5: [\d.]+<\/title><\/rect><\/svg><br>0\.5: [\d.]+<\/td>/,
    );
    const gauge = (await page("/families/status_queue")).html;
    expect(gauge).toContain("<dt>Merge</dt><dd>max</dd>");
    expect(gauge).toContain(`<dt>Help</dt><dd>${escapeHtml(HOSTILE_HELP)}</dd>`);
    expectNoMarkupFromData(gauge);
  });

  it("pages 100 series at a time: a next link, then the rest, no overlap", async () => {
    const series = Array.from({ length: 150 }, (_, i) => ({
      labels: { id: `s${String(i).padStart(3, "0")}` },
      inc: 1,
    }));
    await push({
      pushId: "status-paged",
      families: [{ name: "status_paged", type: "counter", help: "Paged.", labelNames: ["id"], series }],
    });
    const first = await page("/families/status_paged");
    const one = ids(first.html);
    expect(one).toHaveLength(100);
    const next = nextLink(first.html);
    // The link carries the key of the last series shown.
    expect(next).toMatch(/^\?after=/);
    expect(decodeURIComponent((next as string).slice("?after=".length))).toContain(one.at(-1));
    const second = await page(`/families/status_paged${next}`);
    expect(second.res.status).toBe(200);
    const two = ids(second.html);
    expect(two).toHaveLength(50);
    expect(nextLink(second.html)).toBeUndefined();
    expect(second.html).toContain('<a href="?">« First page</a>');
    expect(new Set([...one, ...two]).size).toBe(150);
    expect([...one, ...two]).toEqual(series.map((s) => s.labels.id));
  });

  it("merges a sharded family's parts over its shards, paged by key", async () => {
    const name = "status_spread";
    const part = (series: FamilyPush["series"]): FamilyPush => ({
      name,
      type: "counter",
      help: "Spread.",
      labelNames: ["id"],
      shards: 3,
      series,
    });
    const id = (i: number) => ({ id: `s${String(i).padStart(3, "0")}` });
    // 120 distinct series; each shard holds a part of every series whose number is not ≡ its shard (mod 3).
    for (let k = 0; k < 3; k++) {
      const mine = Array.from({ length: 120 }, (_, i) => i).filter((i) => i % 3 !== k);
      const reply = await env.METRICS_FAMILY.getByName(shardObjectName(name, k)).push(
        `status-spread-${k}`,
        part(mine.map((i) => ({ labels: id(i), inc: i + 1 }))),
      );
      expect(reply).toMatchObject({ status: "applied" });
    }
    const list = (await page("/")).html;
    const row = list.slice(list.indexOf(`/families/${name}"`)).split("</tr>")[0] as string;
    expect(row).toMatch(/<td>counter<\/td><td class="n">120<\/td>/);
    expect(row).toMatch(/<td>3<\/td><td>ok<\/td>$/);

    const first = await page(`/families/${name}`);
    expect(first.html).toContain("Spread over 3 objects");
    const one = ids(first.html);
    expect(one).toHaveLength(100);
    // Each series is held by two shards: the page shows the merged sum, twice what one part holds.
    expect(first.html).toContain('<td class="w">s007</td><td class="n">16</td>');
    const next = nextLink(first.html);
    expect(next).toBeDefined();
    const second = await page(`/families/${name}${next}`);
    const two = ids(second.html);
    expect(two).toHaveLength(20);
    expect(nextLink(second.html)).toBeUndefined();
    expect([...one, ...two]).toEqual(Array.from({ length: 120 }, (_, i) => id(i).id));
  });

  it("404s an unknown family (the catalog is asked first) and 400s a bad percent-encoding", async () => {
    expect((await fetchWorker("/families/status_nothing")).status).toBe(404);
    expect((await fetchWorker("/families/%E0%A4%A")).status).toBe(400);
  });
});

describe("the scrape credential", () => {
  it("guards both pages when SCRAPE_TOKEN is set, as Bearer or as the Basic password", async () => {
    const guarded = withVars({ SCRAPE_TOKEN: "scrape-secret" });
    for (const path of ["/", "/families/status_requests"]) {
      const missing = await guarded(path);
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toContain("Bearer");
      expect(await missing.text()).not.toContain("status_requests<");
      expect((await guarded(path, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
      expect((await guarded(path, { headers: { authorization: "Bearer scrape-secret" } })).status).toBe(200);
      const basic = `Basic ${btoa("prometheus:scrape-secret")}`;
      expect((await guarded(path, { headers: { authorization: basic } })).status).toBe(200);
    }
  });
});

describe("the status page's Pushgateway groups (workerd)", () => {
  const gateway = (method: string, path: string, body = "") =>
    fetchWorker(`/metrics/${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}` },
      ...(method === "DELETE" ? {} : { body }),
    });

  it("lists each group with its labels, families, last push and failure, newest first, flagged when silent or failed", async () => {
    expect((await gateway("POST", "job/status_nightly/host/db-1", "status_g_rows 10\n")).status).toBe(200);
    expect((await gateway("POST", `job/${encodeURIComponent(`status_${SCRIPT}`)}`, "status_g_rows 3\n")).status).toBe(
      200,
    );
    expect(
      (await gateway("POST", "job/status_nightly/host/db-1", "# TYPE status_g_rows counter\nstatus_g_rows 1\n")).status,
    ).toBe(409);
    // A group silent longer than GROUP_SILENCE_SECONDS is flagged: here every group is, at one second.
    const { html } = await page("/");
    const section = html.slice(html.indexOf("<h2>Pushgateway groups</h2>"), html.indexOf("<h2>Families</h2>"));
    const rows = section.split("<tr>").slice(2);
    const mine = rows.filter((r) => r.includes("status_"));
    expect(mine).toHaveLength(2);
    // Newest push first: the hostile job pushed last; its name is text.
    const hostile = escapeHtml(`job=${JSON.stringify(`status_${SCRIPT}`)}`);
    expect(mine[0]).toContain(`<code>${hostile}</code>`);
    expect(mine[0]).toContain('<a href="/families/status_g_rows"><code>status_g_rows</code></a>');
    expect(mine[0]).toContain("<td>ok</td>");
    expect(mine[1]).toContain("<code>job=&quot;status_nightly&quot;, host=&quot;db-1&quot;</code>");
    expect(mine[1]).toContain('<span class="bad">⚠ last push failed</span>');
    expectNoMarkupFromData(html);
    const silent = await (await withVars({ GROUP_SILENCE_SECONDS: "1", ALLOW_ANONYMOUS_SCRAPE: "true" })("/")).text();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = await (await withVars({ GROUP_SILENCE_SECONDS: "1", ALLOW_ANONYMOUS_SCRAPE: "true" })("/")).text();
    expect(silent).toContain("flagged when silent over 1 s");
    const row = later.split("<tr>").find((r: string) => r.includes(hostile)) ?? "";
    expect(row).toContain('<span class="bad">⚠ silent over 1 s</span>');
    // A deleted group is gone from the list.
    expect((await gateway("DELETE", "job/status_nightly/host/db-1")).status).toBe(202);
    expect((await page("/")).html).not.toContain("status_nightly");
  });
});
