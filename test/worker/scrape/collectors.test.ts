// Scrape-time collectors inside workerd: a router given collectors runs them on each scrape with its env, renders
// them after the stored families in both formats, and leaves out (naming it in pdc_scrape_collector_errors) one that
// throws, takes too long, reports what the definition check refuses, or would expose a stored family's sample
// name. Collectors the router cannot take are refused when it is created.

import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/config/env.ts";
import { createMetricsRouter, type MetricsRouterOptions } from "../../../worker/http/router.ts";
import type { ScrapeCollector } from "../../../worker/scrape/collectors.ts";

const TOKEN = "test-push-token";

function routerWith(options: MetricsRouterOptions) {
  const router = createMetricsRouter(options);
  const call = (path: string, init?: RequestInit) =>
    router.fetch(new Request(`http://metrics.test${path}`, init), env as Env, createExecutionContext());
  return {
    push: (families: unknown[]) =>
      call("/push", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ families }),
      }),
    scrape: async (accept?: string) => {
      const res = await call("/metrics", accept ? { headers: { accept } } : {});
      return { status: res.status as number, text: (await res.text()) as string };
    },
  };
}

const gauge = (name: string, get: ScrapeCollector<Env>["get"]): ScrapeCollector<Env> => ({
  name,
  help: `${name}.`,
  type: "gauge",
  get,
});

describe("scrape-time collectors", () => {
  it("run on each scrape with the Worker's env, after the stored families, in both formats", async () => {
    const seen: unknown[] = [];
    let depth = 5;
    const worker = routerWith({
      collectors: [
        gauge("work_queue_depth", (e) => {
          seen.push(e);
          return { values: [{ value: depth, labels: { queue: "a" } }] };
        }),
      ],
    });
    const pushed = await worker.push([
      { name: "work_done", type: "counter", help: "D.", labelNames: [], series: [{ labels: {}, inc: 2 }] },
    ]);
    expect(pushed.status).toBe(200);
    const first = await worker.scrape();
    expect(first.status).toBe(200);
    expect(first.text).toContain('# TYPE work_queue_depth gauge\nwork_queue_depth{queue="a"} 5\n');
    expect(first.text.indexOf("work_done_total 2")).toBeLessThan(first.text.indexOf("work_queue_depth"));
    depth = 6;
    const om = await worker.scrape("application/openmetrics-text");
    expect(om.text).toContain('work_queue_depth{queue="a"} 6\n');
    expect(om.text.endsWith("# EOF\n")).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(env);
  });

  it("leave out one that throws, times out, reports what is no number or clashes with a stored family; the rest render", async () => {
    const worker = routerWith({
      collectorTimeoutMs: 100,
      collectors: [
        gauge("c_fine", () => ({ values: [{ value: 1 }] })),
        gauge("c_throws", () => {
          throw new Error("no database");
        }),
        gauge("c_slow", () => new Promise(() => {})),
        gauge("c_nan", () => ({ values: [{ value: Number.NaN }] })),
        gauge("c_text", () => ({ values: [{ value: "1" as unknown as number }] })),
        gauge("c_stored_total", () => ({ values: [{ value: 9 }] })),
        // A counter declared bare writes its bare name in text 0.0.4: a stored gauge of that name clashes.
        { ...gauge("c_level", () => ({ values: [{ value: 9 }] })), type: "counter" },
        // A stored counter kept bare writes its bare name: a collector's gauge of that name clashes.
        gauge("c_bare", () => ({ values: [{ value: 9 }] })),
      ],
    });
    await worker.push([
      { name: "c_stored", type: "counter", help: "S.", labelNames: [], series: [{ labels: {}, inc: 3 }] },
      { name: "c_level", type: "gauge", help: "L.", labelNames: [], series: [{ labels: {}, set: 2 }] },
      {
        name: "c_bare",
        type: "counter",
        help: "B.",
        labelNames: [],
        withoutTotal: true,
        series: [{ labels: {}, inc: 4 }],
      },
    ]);
    const { status, text } = await worker.scrape();
    expect(status).toBe(200);
    expect(text).toContain("c_fine 1\n");
    expect(text).toContain("c_stored_total 3\n");
    expect(text).not.toMatch(/^c_(throws|slow|text) /m);
    // NaN is a value the text formats write (a gauge of a ratio with nothing to divide, say).
    expect(text).toContain("c_nan NaN\n");
    expect(text).not.toContain("c_stored_total 9");
    const errors = text.split("\n").filter((line) => line.startsWith("pdc_scrape_collector_errors{"));
    expect(text.split("\n").filter((l) => /^c_(level|bare)\b/.test(l))).toEqual(["c_bare 4", "c_level 2"]);
    expect(errors).toEqual([
      'pdc_scrape_collector_errors{collector="c_bare",problem="clash"} 1',
      'pdc_scrape_collector_errors{collector="c_level",problem="clash"} 1',
      'pdc_scrape_collector_errors{collector="c_slow",problem="timeout"} 1',
      'pdc_scrape_collector_errors{collector="c_stored_total",problem="clash"} 1',
      'pdc_scrape_collector_errors{collector="c_text",problem="invalid"} 1',
      'pdc_scrape_collector_errors{collector="c_throws",problem="error"} 1',
    ]);
  });

  it("are refused when the router is created: reserved or invalid names, two naming one family, no get, a bad timeout", () => {
    const get = () => ({ values: [] });
    expect(() => createMetricsRouter({ collectors: [gauge("pdc_mine", get)] })).toThrow("pdc_");
    expect(() => createMetricsRouter({ collectors: [gauge("bad name", get)] })).toThrow('"bad name"');
    expect(() =>
      createMetricsRouter({ collectors: [gauge("x_total", get), { ...gauge("x", get), type: "counter" }] }),
    ).toThrow('would expose "x_total"');
    expect(() => createMetricsRouter({ collectors: [{ ...gauge("y", get), get: undefined as never }] })).toThrow(
      "get must be a function",
    );
    expect(() => createMetricsRouter({ collectorTimeoutMs: 0 })).toThrow("collectorTimeoutMs");
  });
});
