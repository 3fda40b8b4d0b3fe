// The status page in a real browser: the real Worker (behind a scrape token), a few families pushed (one with a
// `<script>` label value, one with hostile help, one spread over shards), opened in headless Debian chromium at a
// phone's size. The families show, nothing hostile runs, only the tables scroll sideways. Screenshots go to
// .artifacts/. A second run with realistic data (Pushgateway groups, a histogram) takes the README's screenshots at
// 390 px and at desktop width: to docs/ with PDC_UPDATE_SCREENSHOTS=1. Skipped, visibly, without chromium unless
// PDC_REQUIRE_BROWSER=1.

import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Push } from "../../lib/protocol/wire.ts";
import { PUSH_TOKEN, type RunningWorker, startMetricsWorker, tempDir } from "./harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser && process.env.PDC_REQUIRE_BROWSER === "1") {
  throw new Error(`PDC_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install -y chromium)`);
}
if (!hasBrowser) {
  console.warn(`\n*** SKIPPING status page browser checks: ${CHROMIUM} is missing (apt-get install -y chromium) ***\n`);
}

const root = resolve(import.meta.dirname, "../..");
const SCRAPE_TOKEN = "blackbox-scrape-token";
const SCRIPT = "<script>alert(1)</script>";
const HOSTILE_HELP = `Queue depth."><img src=x onerror=alert(1)>`;

const families: Push["families"] = [
  {
    name: "edge_requests",
    type: "counter",
    help: "Requests served, by route and status code.",
    labelNames: ["route", "code"],
    ttlSeconds: 86_400,
    series: [
      { labels: { route: "/", code: "200" }, inc: 1289 },
      { labels: { route: "/api/orders", code: "200" }, inc: 412 },
      { labels: { route: "/api/orders", code: "500" }, inc: 3 },
      { labels: { route: SCRIPT, code: "404" }, inc: 1 },
    ],
  },
  {
    name: "edge_queue_depth",
    type: "gauge",
    help: HOSTILE_HELP,
    labelNames: [],
    merge: "max",
    series: [{ labels: {}, set: 17 }],
  },
  {
    name: "edge_request_seconds",
    type: "histogram",
    help: "Request latency.",
    labelNames: ["route"],
    buckets: [0.05, 0.25, 1],
    series: [{ labels: { route: "/" }, counts: [900, 300, 80, 9], sum: 171.4 }],
  },
  {
    name: "edge_payload_bytes",
    type: "summary",
    help: "Payload size.",
    labelNames: [],
    percentiles: [0.5, 0.99],
    series: [{ labels: {}, count: 3, sum: 900, sketch: { zero: 0, pos: [[100, 3]], neg: [] } }],
  },
];

const PHONE = { width: 390, height: 844 };
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Opens `path` of the Worker with the scrape token at `viewport` (a phone by default); dialogs are recorded. */
async function openPage(
  browser: Browser,
  worker: RunningWorker,
  path: string,
  dialogs: string[],
  viewport = PHONE,
): Promise<Page> {
  const phone = viewport.width === PHONE.width;
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: phone ? 2 : 1,
    isMobile: phone,
    hasTouch: phone,
    extraHTTPHeaders: { authorization: `Bearer ${SCRAPE_TOKEN}` },
  });
  const page = await context.newPage();
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const response = await page.goto(new URL(path, worker.url).href);
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'");
  return page;
}

/** Saves a screenshot to .artifacts/ (git-ignored); with `docs`, also to docs/ when PDC_UPDATE_SCREENSHOTS=1. */
async function screenshot(page: Page, name: string, docs = false): Promise<void> {
  mkdirSync(resolve(root, ".artifacts"), { recursive: true });
  await page.screenshot({ path: resolve(root, ".artifacts", name), fullPage: true });
  if (docs && process.env.PDC_UPDATE_SCREENSHOTS === "1") {
    mkdirSync(resolve(root, "docs"), { recursive: true });
    await page.screenshot({ path: resolve(root, "docs", name), fullPage: true });
  }
}

describe.skipIf(!hasBrowser)("the status page in a phone-sized browser (black box)", () => {
  let worker: RunningWorker;
  let browser: Browser;
  const dialogs: string[] = [];

  beforeAll(async () => {
    // The operator spreads one family's HTTP pushes over 3 objects.
    const vars = { SCRAPE_TOKEN, FAMILY_SHARDS: JSON.stringify({ edge_jobs: 3 }) };
    worker = await startMetricsWorker({ persistDir: tempDir("pdc-status-"), vars });
    expect((await worker.push({ batch: "status-1", families })).status).toBe(200);
    // A family spread over 3 objects, written by several pushes.
    for (let i = 0; i < 9; i++) {
      const spread = {
        name: "edge_jobs",
        type: "counter" as const,
        help: "Jobs run, spread over shards.",
        labelNames: ["kind"],
        series: [{ labels: { kind: i % 2 ? "import" : "export" }, inc: i + 1 }],
      };
      expect((await worker.push({ batch: `status-jobs-${i}`, families: [spread] })).status).toBe(200);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  const open = (path: string) => openPage(browser, worker, path, dialogs);

  /** Nothing from the data became markup: no script, no image, no dialog; the page itself is no wider than the phone. */
  async function expectInert(page: Page): Promise<void> {
    expect(await page.locator("script, img, iframe, object, embed").count()).toBe(0);
    // (Evaluated in the page: this project's Node types have no DOM.)
    expect(await page.evaluate("document.querySelectorAll('script').length")).toBe(0);
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    expect(dialogs).toEqual([]);
  }

  it("needs the scrape token", async () => {
    expect((await fetch(new URL("/", worker.url))).status).toBe(401);
    expect((await fetch(new URL("/families/edge_requests", worker.url))).status).toBe(401);
  });

  it("lists the families, hostile help shown as text, and runs nothing", async () => {
    const page = await open("/");
    const names = await page.locator("tbody tr td:first-child a").allInnerTexts();
    const pushed = ["edge_jobs", "edge_payload_bytes", "edge_queue_depth", "edge_request_seconds", "edge_requests"];
    expect(names.filter((n) => n.startsWith("edge_"))).toEqual(pushed);
    await expect(page.getByText(HOSTILE_HELP, { exact: true }).count()).resolves.toBe(1);
    const jobs = await page.locator("tr", { has: page.locator('a[href="/families/edge_jobs"]') }).locator("td");
    const [, type, series, , ttl, merge, labels, shards, status] = await jobs.allTextContents();
    expect({ type, series, ttl, merge, labels, shards, status }).toEqual({
      type: "counter",
      series: "2",
      ttl: "never",
      merge: "—",
      labels: "kind",
      shards: "3",
      status: "ok",
    });
    await expectInert(page);
    await screenshot(page, "status-test-list.png");
  });

  it("shows a family's series, the `<script>` label value as text", async () => {
    const page = await open("/");
    await page.click('a[href="/families/edge_requests"]');
    await page.waitForURL(/\/families\/edge_requests$/);
    await expect(page.getByText(SCRIPT, { exact: true }).count()).resolves.toBe(1);
    await expect(page.locator("tbody tr").count()).resolves.toBe(4);
    expect(await page.locator("dd").allTextContents()).toContain("1 d");
    await expectInert(page);
    await screenshot(page, "status-family.png");
    await page.click("text=← All families");
    await page.waitForURL(/\/$/);
  });

  it("shows a sharded family's series merged over its shards", async () => {
    const page = await open("/families/edge_jobs");
    await expect(page.getByText("Spread over 3 objects", { exact: false }).count()).resolves.toBe(1);
    const rows = await page.locator("tbody tr").all();
    const values = await Promise.all(rows.map(async (row) => (await row.locator("td").allTextContents()).slice(0, 2)));
    // export: 1 + 3 + 5 + 7 + 9 = 25; import: 2 + 4 + 6 + 8 = 20.
    expect(values).toEqual([
      ["export", "25"],
      ["import", "20"],
    ]);
    await expectInert(page);
  });
});

/** Pushes of a small operations team, as the README's screenshots show them (nothing from the tests above). */
const DEMO_PUSHES: [method: string, path: string, body: string][] = [
  ...["db-1", "db-2", "db-3"].map((host, i): [string, string, string] => [
    "PUT",
    `job/nightly-backup/host/${host}`,
    [
      "# HELP backup_bytes Bytes written by the last backup.",
      "# TYPE backup_bytes gauge",
      `backup_bytes ${[48_213_987_328, 51_002_331_136, 12_884_901_888][i]}`,
      "# HELP backup_duration_seconds How long backups take.",
      "# TYPE backup_duration_seconds histogram",
      `backup_duration_seconds_bucket{le="60"} ${[0, 0, 1][i]}`,
      `backup_duration_seconds_bucket{le="300"} ${[1, 0, 1][i]}`,
      `backup_duration_seconds_bucket{le="900"} ${[1, 1, 1][i]}`,
      `backup_duration_seconds_bucket{le="+Inf"} 1`,
      `backup_duration_seconds_sum ${[241.7, 612.4, 38.9][i]}`,
      "backup_duration_seconds_count 1",
      "",
    ].join("\n"),
  ]),
  [
    "POST",
    "job/invoice-export",
    '# HELP invoices_exported_total Invoices written to the ledger.\n# TYPE invoices_exported_total counter\ninvoices_exported_total{region="eu"} 1834\ninvoices_exported_total{region="us"} 2291\n',
  ],
  [
    "POST",
    "job/sitemap-builder",
    "# HELP sitemap_urls URLs in the sitemap.\n# TYPE sitemap_urls gauge\nsitemap_urls 18342\n",
  ],
  // A refused push: a counter under a gauge's name (the job's last push failed).
  ["POST", "job/sitemap-builder", "# TYPE sitemap_urls counter\nsitemap_urls 1\n"],
];

describe.skipIf(!hasBrowser)("the status page with realistic data: the README's screenshots (black box)", () => {
  let worker: RunningWorker;
  let browser: Browser;
  const dialogs: string[] = [];

  beforeAll(async () => {
    worker = await startMetricsWorker({ persistDir: tempDir("pdc-status-demo-"), vars: { SCRAPE_TOKEN } });
    for (const [method, path, body] of DEMO_PUSHES) {
      const res = await fetch(new URL(`/metrics/${path}`, worker.url), {
        method,
        headers: { authorization: `Bearer ${PUSH_TOKEN}` },
        body,
      });
      expect(res.status).toBe(path.startsWith("job/sitemap") && body.includes("counter") ? 409 : 200);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it("lists the groups newest first, the failed one flagged, at phone and desktop width", async () => {
    for (const [viewport, name] of [
      [PHONE, "status-page.png"],
      [{ width: 1280, height: 900 }, "status-page-desktop.png"],
    ] as const) {
      const page = await openPage(browser, worker, "/", dialogs, viewport);
      const groups = await page.locator("table.groups tbody tr").all();
      const cells = await Promise.all(groups.map(async (row) => await row.locator("td").allTextContents()));
      expect(cells.map((c) => c[0])).toEqual([
        'job="sitemap-builder"',
        'job="invoice-export"',
        'job="nightly-backup", host="db-3"',
        'job="nightly-backup", host="db-2"',
        'job="nightly-backup", host="db-1"',
      ]);
      expect(cells.map((c) => c[4])).toEqual(["⚠ last push failed", "ok", "ok", "ok", "ok"]);
      expect(cells[2]?.[1]).toBe("backup_bytes, backup_duration_seconds");
      expect(await page.locator("script, img, iframe, object, embed").count()).toBe(0);
      expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
      await screenshot(page, name, true);
    }
    expect(dialogs).toEqual([]);
  });

  it("draws a histogram's buckets as an inline SVG chart on its family page", async () => {
    const page = await openPage(browser, worker, "/families/backup_duration_seconds", dialogs);
    const charts = page.locator("svg.chart");
    await expect(charts.count()).resolves.toBe(3);
    // Four bars a series (60, 300, 900, +Inf), each titled with its bucket and count.
    await expect(charts.first().locator("rect").count()).resolves.toBe(4);
    expect(await charts.first().locator("title").allTextContents()).toEqual([
      "≤60: 0",
      "≤300: 1",
      "≤900: 0",
      "+Inf: 0",
    ]);
    // At a phone's width only the table scrolls sideways; the README shows it at desktop width.
    expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    const wide = await openPage(browser, worker, "/families/backup_duration_seconds", dialogs, {
      width: 1280,
      height: 720,
    });
    await screenshot(wide, "status-family.png", true);
    expect(dialogs).toEqual([]);
  });
});
