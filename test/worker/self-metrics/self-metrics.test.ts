// The Worker's own metrics in the scrape: pushes by outcome (exact, stored like any family), series and last
// push time per family, and the scrape's collection time.

import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { scrapeGauges } from "../../../worker/self-metrics/self-metrics.ts";
import { foldIngest } from "../object-requests.ts";

const push = (body: unknown, token = "test-push-token") =>
  exports.default.fetch(
    new Request("http://metrics.test/push", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    }),
  );
const scrape = async () => (await exports.default.fetch(new Request("http://metrics.test/metrics"))).text();
const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("self-metrics never caught up");
}

describe("self-metrics", () => {
  it("counts pushes by outcome, exactly", async () => {
    const family = (inc: number) => ({
      families: [{ name: "self_jobs", type: "counter", help: "Jobs.", series: [{ labels: {}, inc }] }],
    });
    for (let i = 0; i < 3; i++) expect((await push({ batch: `self-${i}`, ...family(1) })).status).toBe(200);
    expect((await push(family(-1))).status).toBe(400);
    expect((await push(family(1), "wrong")).status).toBe(401);
    await eventually(async () => value(await scrape(), 'pdc_pushes_total{outcome="unauthorized"}') === 1);
    const text = await scrape();
    expect(value(text, 'pdc_pushes_total{outcome="accepted"}')).toBe(3);
    expect(value(text, 'pdc_pushes_total{outcome="invalid"}')).toBe(1);
    expect(text).toContain("# TYPE pdc_pushes_total counter\n");
  });

  it("reports series and last push time per family, and the families count", async () => {
    const before = Date.now() / 1000;
    await push({
      batch: "self-g",
      families: [
        {
          name: "self_depth",
          type: "gauge",
          help: "D.",
          labelNames: ["q"],
          series: [
            { labels: { q: "a" }, set: 1 },
            { labels: { q: "b" }, set: 2 },
          ],
        },
      ],
    });
    const text = await scrape();
    expect(value(text, 'pdc_family_series{family="self_depth"}')).toBe(2);
    expect(value(text, 'pdc_family_last_push_timestamp_seconds{family="self_depth"}')).toBeGreaterThanOrEqual(
      Math.floor(before) - 1,
    );
    expect(value(text, "pdc_families")).toBeGreaterThanOrEqual(2);
    expect(value(text, "pdc_scrape_collect_seconds")).toBeGreaterThanOrEqual(0);
    expect(text.match(/^# TYPE pdc_family_series gauge$/gm)).toHaveLength(1);
  });

  it("serves the other families when one family's storage cannot be read, and reports it", async () => {
    await push({
      batch: "corrupt-ok",
      families: [{ name: "healthy_gauge", type: "gauge", help: "H.", series: [{ labels: {}, set: 5 }] }],
    });
    await push({
      batch: "corrupt-bad",
      families: [{ name: "corrupted_gauge", type: "gauge", help: "C.", series: [{ labels: {}, set: 1 }] }],
    });
    // The pushes are folded into the family objects (the ingest object holds them until a read asks) before the test
    // breaks one object's storage.
    await foldIngest();
    await runInDurableObject(env.METRICS_FAMILY.getByName("corrupted_gauge"), (instance, state) => {
      state.storage.sql.exec("UPDATE meta SET value = 'not json' WHERE key = 'definition'");
      instance.reload();
    });
    const res = await exports.default.fetch(new Request("http://metrics.test/metrics"));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(value(text, "healthy_gauge")).toBe(5);
    expect(text).not.toContain("corrupted_gauge ");
    expect(value(text, 'pdc_scrape_family_errors{family="corrupted_gauge"}')).toBe(1);
    // The ingest object acknowledges a later push of the broken family (it is in its log); the fold into the broken
    // object fails and is tried again, and the scrape goes on serving the other families.
    const later = await push({
      batch: "corrupt-2",
      families: [{ name: "corrupted_gauge", type: "gauge", help: "C.", series: [{ labels: {}, set: 2 }] }],
    });
    expect(later.status).toBe(200);
    const again = await (await exports.default.fetch(new Request("http://metrics.test/metrics"))).text();
    expect(value(again, "healthy_gauge")).toBe(5);
    expect(value(again, 'pdc_scrape_family_errors{family="corrupted_gauge"}')).toBe(1);
    expect((await env.METRICS_INGEST?.getByName("ingest#0").stats())?.pending).toBe(1);
    const body = await later.text();
    expect(body).not.toMatch(/JSON|token|SyntaxError|at /);
  });

  it("derives the gauges from what the scrape saw", () => {
    const gauges = scrapeGauges(
      {
        families: [
          { name: "a", seriesCount: 2, lastUpdated: 30 },
          { name: "b", seriesCount: 0 },
        ],
        collectSeconds: 0.25,
        objectRequests: 7,
        unreadable: ["broken"],
        collectorProblems: [{ collector: "slow", problem: "timeout" }],
        familiesListed: 3,
        familiesLimit: 2000,
      },
      100,
    );
    const label = (labels: Record<string, string>) => Object.values(labels).join("/");
    expect(gauges.map((g) => [g.name, g.series.map((s) => [label(s.labels), s.value])])).toEqual([
      ["pdc_families", [["", 3]]],
      ["pdc_families_limit", [["", 2000]]],
      [
        "pdc_family_series",
        [
          ["a", 2],
          ["b", 0],
        ],
      ],
      ["pdc_family_last_push_timestamp_seconds", [["a", 30]]],
      ["pdc_scrape_collect_seconds", [["", 0.25]]],
      ["pdc_scrape_object_requests", [["", 7]]],
      ["pdc_scrape_family_errors", [["broken", 1]]],
      ["pdc_scrape_collector_errors", [["slow/timeout", 1]]],
    ]);
  });
});
