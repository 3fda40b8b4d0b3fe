// Custom collectors, as prom-client's registry takes them: plain objects with name, help, type and get() (sync or
// async) and prom-client's own metrics. They render in metrics() and are pushed by flush: gauges set, counters and
// histograms as the difference since the last flush (a lower value is a restart, sent whole), summaries as count
// and sum.

import { describe, expect, it } from "vitest";
import type { Collector } from "../../../lib/client/collector.ts";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";
import { prom } from "./prom-client.ts";

function setup() {
  const store = new MemoryStore();
  const errors: string[] = [];
  const registry = new Registry({ transport: store, onError: (m) => errors.push(m) });
  const stored = (family: string) => store.snapshot().find((f) => f.name === family);
  return { store, errors, registry, stored };
}

describe("a plain object with get()", () => {
  it("renders and pushes a gauge as set, read at each flush (sync or async get)", async () => {
    const { registry, stored } = setup();
    let size = 3;
    registry.registerMetric({
      name: "cache_entries",
      help: "Entries.",
      type: "gauge",
      get: () => ({ values: [{ value: size, labels: { cache: "a" } }] }),
    });
    registry.registerMetric({
      name: "queue_items",
      help: "Items.",
      type: "gauge",
      get: async () => ({ values: [{ value: 12 }] }),
    });
    expect(await registry.metrics()).toContain('cache_entries{cache="a"} 3\n');
    await registry.flush();
    size = 8;
    await registry.flush();
    expect(stored("cache_entries")).toMatchObject({ labelNames: ["cache"], series: [{ value: 8 }] });
    expect(stored("queue_items")?.series).toMatchObject([{ labels: {}, value: 12 }]);
  });

  it("pushes a counter as the difference since the last flush; a lower value is a restart, counted whole", async () => {
    const { registry, stored } = setup();
    let total = 5;
    registry.registerMetric({
      name: "ext_jobs_total",
      help: "J.",
      type: "counter",
      get: () => ({ values: [{ value: total }] }),
    });
    await registry.flush();
    total = 9;
    await registry.flush();
    await registry.flush(); // unchanged: nothing more
    total = 2; // the source restarted and counted 2 since
    await registry.flush();
    expect(stored("ext_jobs")?.series).toMatchObject([{ value: 11 }]);
    expect(await registry.metrics()).toContain("ext_jobs_total 2\n");
  });

  it("is reported and left out when its get() throws or breaks a rule; a non-finite value is shown, not pushed", async () => {
    const { registry, stored, errors } = setup();
    registry.registerMetric({
      name: "bad_throws",
      help: "B.",
      type: "gauge",
      get: () => {
        throw new Error("no db");
      },
    });
    registry.registerMetric({
      name: "bad_value",
      help: "B.",
      type: "gauge",
      get: () => ({
        values: [
          { value: Number.NaN, labels: { k: "nan" } },
          { value: 2, labels: { k: "two" } },
        ],
      }),
    });
    registry.registerMetric({ name: "bad label", help: "B.", type: "gauge", get: () => ({ values: [{ value: 1 }] }) });
    new Counter({ name: "fine_total", help: "F.", registers: [registry] }).inc();
    await registry.flush();
    expect(stored("fine")?.series).toMatchObject([{ value: 1 }]);
    expect(stored("bad_throws")).toBeUndefined();
    expect(stored("bad_value")?.series).toMatchObject([{ labels: { k: "two" }, value: 2 }]);
    expect(errors).toEqual([
      expect.stringContaining('collector "bad_throws" failed: no db'),
      expect.stringContaining('collector "bad label" failed'),
      expect.stringContaining(
        'collector "bad_value": series {"k":"nan"} is not pushed: the store takes finite values only',
      ),
    ]);
    const text = await registry.metrics();
    expect(text).toContain("fine_total 1\n");
    expect(text).toContain('bad_value{k="nan"} NaN\n');
    expect(text).not.toContain("bad_throws");
    expect(text).not.toContain("bad label");
  });

  it("is refused at registration when its name is taken or would clash with another family's samples", () => {
    const { registry } = setup();
    const gauge: Collector = { name: "x_total", help: "X.", type: "gauge", get: () => ({ values: [] }) };
    new Counter({ name: "x_total", help: "X.", registers: [registry] });
    expect(() => registry.registerMetric(gauge)).toThrow('metric "x_total" would expose "x_total"');
    registry.registerMetric({ ...gauge, name: "y" });
    expect(() => registry.registerMetric({ ...gauge, name: "y" })).toThrow("already been registered");
    expect(() => new Counter({ name: "y", help: "Y.", type: "gauge", registers: [registry] } as never)).toThrow(
      "already been registered",
    );
  });

  it("is refused when a later reading changes its family (other label names), keeping what it sent", async () => {
    const { registry, stored, errors } = setup();
    let labels: Record<string, string> = { a: "1" };
    registry.registerMetric({
      name: "shifty",
      help: "S.",
      type: "gauge",
      get: () => ({ values: [{ value: 1, labels }] }),
    });
    await registry.flush();
    labels = { b: "1" };
    await registry.flush();
    expect(errors).toEqual([
      expect.stringContaining('collector "shifty" failed: it now reports a different labelNames'),
    ]);
    expect(stored("shifty")).toMatchObject({ labelNames: ["a"], series: [{ labels: { a: "1" }, value: 1 }] });
  });

  it("is found, listed and removed like a metric", () => {
    const { registry } = setup();
    const collector: Collector = { name: "c", help: "C.", type: "gauge", get: () => ({ values: [] }) };
    registry.registerMetric(collector);
    expect(registry.getSingleMetric("c")).toBe(collector);
    expect(registry.getMetricsAsArray()).toEqual([collector]);
    registry.removeSingleMetric("c");
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});

describe("prom-client's own metrics", () => {
  it("render and push through our registry: counter, histogram, summary (count and sum)", async () => {
    const { registry, stored } = setup();
    const counter = new prom.Counter({ name: "legacy_total", help: "L.", labelNames: ["k"], registers: [] });
    const histogram = new prom.Histogram({ name: "legacy_seconds", help: "L.", buckets: [1, 5], registers: [] });
    const summary = new prom.Summary({ name: "legacy_size", help: "L.", percentiles: [0.5], registers: [] });
    for (const metric of [counter, histogram, summary]) registry.registerMetric(metric as unknown as Collector);
    counter.inc({ k: "a" }, 2);
    histogram.observe(0.5);
    histogram.observe(3);
    summary.observe(10);
    await registry.flush();
    counter.inc({ k: "a" });
    histogram.observe(9);
    summary.observe(20);
    await registry.flush();
    expect(stored("legacy")?.series).toMatchObject([{ labels: { k: "a" }, value: 3 }]);
    expect(stored("legacy_seconds")).toMatchObject({ buckets: [1, 5], series: [{ counts: [1, 1, 1], sum: 12.5 }] });
    expect(stored("legacy_size")).toMatchObject({ percentiles: [], series: [{ count: 2, sum: 30 }] });
    const text = await registry.metrics();
    expect(text).toContain('legacy_total{k="a"} 3\n');
    expect(text).toContain('legacy_seconds_bucket{le="5"} 2\n');
    expect(text).toContain('legacy_size{quantile="0.5"} 15\n');
  });
});
