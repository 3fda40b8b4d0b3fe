// The registry renders itself, as prom-client's does: metrics() in both formats (the server's encoder), what this
// process recorded since the registry started (a flush changes nothing), getMetricsAsJSON, getSingleMetricAsString,
// Registry.merge; compared line for line with prom-client's own output for the same calls.

import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "../../../lib/protocol/exposition.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";
import { type PromClient, prom } from "./prom-client.ts";

/** The same calls on one of our registries and on one of prom-client's. */
function recordBoth(ours: Registry, theirs: PromClient.Registry): void {
  const oc = new Counter({ name: "jobs_total", help: 'Jobs "done"\\ok.', labelNames: ["kind"], registers: [ours] });
  const tc = new prom.Counter({
    name: "jobs_total",
    help: 'Jobs "done"\\ok.',
    labelNames: ["kind"],
    registers: [theirs],
  });
  const og = new Gauge({ name: "queue_depth", help: "Depth.", registers: [ours] });
  const tg = new prom.Gauge({ name: "queue_depth", help: "Depth.", registers: [theirs] });
  const oh = new Histogram({
    name: "job_seconds",
    help: "Time.",
    buckets: [0.1, 1],
    labelNames: ["kind"],
    registers: [ours],
  });
  const th = new prom.Histogram({
    name: "job_seconds",
    help: "Time.",
    buckets: [0.1, 1],
    labelNames: ["kind"],
    registers: [theirs],
  });
  for (const [c, g, h] of [
    [oc, og, oh],
    [tc, tg, th],
  ] as const) {
    c.inc({ kind: 'a"b\nc' }, 2);
    c.inc({ kind: "x" });
    g.set(5);
    g.dec(1.5);
    h.observe({ kind: "x" }, 0.05);
    h.observe({ kind: "x" }, 0.5);
    h.observe({ kind: "x" }, 7);
  }
}

/**
 * The lines of an exposition, sorted, each sample's labels in name order (prom-client writes `le` first, we write it
 * last: both are valid).
 */
const sortedLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((line) =>
      line.replace(
        /\{(.*)\}/,
        (_, pairs: string) =>
          `{${pairs
            .split(/(?<="),/)
            .sort()
            .join(",")}}`,
      ),
    )
    .sort();

describe("metrics()", () => {
  it("renders the same lines as prom-client for the same calls (text format)", async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    recordBoth(ours, theirs);
    expect(ours.contentType).toBe(TEXT_CONTENT_TYPE);
    expect(sortedLines(await ours.metrics())).toEqual(sortedLines(await theirs.metrics()));
  });

  it("names a counter declared without _total as prom-client does, in both formats and in the same order", async () => {
    for (const contentType of [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE] as const) {
      const ours = new Registry(contentType);
      const theirs = new prom.Registry();
      theirs.setContentType(contentType as never);
      const oc = new Counter({ name: "jobs", help: "Jobs.", labelNames: ["kind"], registers: [ours] });
      const tc = new prom.Counter({ name: "jobs", help: "Jobs.", labelNames: ["kind"], registers: [theirs] });
      for (const c of [oc, tc]) c.inc({ kind: "a" }, 3);
      const text = await ours.metrics();
      expect(text).toBe(await theirs.metrics());
      expect(text).toContain(
        contentType === Registry.OPENMETRICS_CONTENT_TYPE ? 'jobs_total{kind="a"} 3' : 'jobs{kind="a"} 3',
      );
      // What the registry sends says so, and the Worker's text 0.0.4 scrape shows it the same way.
      expect(oc.definition()).toMatchObject({ name: "jobs", withoutTotal: true });
    }
    expect(new Counter({ name: "runs_total", help: "Runs.", registers: [] }).definition().withoutTotal).toBeUndefined();
  });

  it("keeps showing what was recorded since the registry started after a flush, and adds what comes next", async () => {
    const registry = new Registry({ transport: new MemoryStore() });
    const jobs = new Counter({ name: "jobs_total", help: "Jobs.", registers: [registry] });
    const latency = new Summary({ name: "rpc_seconds", help: "RPC.", percentiles: [0.5], registers: [registry] });
    jobs.inc(3);
    latency.observe(0.2);
    expect(await registry.flush()).toMatchObject({ delivered: 2, rejected: 0 });
    jobs.inc(2);
    latency.observe(0.2);
    const text = await registry.metrics();
    expect(text).toContain("jobs_total 5\n");
    expect(text).toContain("rpc_seconds_count 2\n");
    // Two observations are kept exactly: the median is exact.
    expect(text).toContain('rpc_seconds{quantile="0.5"} 0.2\n');
  });

  it("shows a family without labels at zero before anything is recorded, as prom-client does", async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    new Counter({ name: "idle_total", help: "Idle.", registers: [ours] });
    new prom.Counter({ name: "idle_total", help: "Idle.", registers: [theirs] });
    new Histogram({ name: "idle_seconds", help: "Idle.", buckets: [1], registers: [ours] });
    new prom.Histogram({ name: "idle_seconds", help: "Idle.", buckets: [1], registers: [theirs] });
    expect(sortedLines(await ours.metrics())).toEqual(sortedLines(await theirs.metrics()));
  });

  it("renders OpenMetrics when told to: HELP first, no _created, ending in # EOF", async () => {
    const registry = new Registry();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: "jobs_total", help: "Jobs.", registers: [registry] }).inc();
    const text = await registry.metrics();
    expect(registry.contentType).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(text).toBe("# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 1\n# EOF\n");
  });

  it("shows the families as the registry sends them: prefixed, with its default labels", async () => {
    const registry = new Registry({ prefix: "app_", defaultLabels: { region: "eu" } });
    new Gauge({ name: "up", help: "Up.", labelNames: ["region"], registers: [registry] }).set({ region: "us" }, 1);
    new Counter({ name: "hits_total", help: "Hits.", registers: [registry] }).inc();
    const text = await registry.metrics();
    expect(text).toContain('app_up{region="us"} 1\n');
    expect(text).toContain('app_hits_total{region="eu"} 1\n');
  });

  it("runs collect callbacks first; one that throws is reported and the rest still render", async () => {
    const errors: string[] = [];
    const registry = new Registry({ onError: (m) => errors.push(m) });
    new Gauge({
      name: "read_at_render",
      help: "R.",
      registers: [registry],
      collect() {
        this.set(42);
      },
    });
    new Gauge({
      name: "broken",
      help: "B.",
      registers: [registry],
      collect() {
        throw new Error("boom");
      },
    });
    const text = await registry.metrics();
    expect(text).toContain("read_at_render 42\n");
    expect(errors).toEqual([expect.stringContaining('collect callback of metric "broken" failed: boom')]);
  });
});

describe("getMetricsAsJSON() and getSingleMetricAsString()", () => {
  it("give prom-client's shapes, with the default labels added", async () => {
    const ours = new Registry({ defaultLabels: { env: "prod" } });
    const theirs = new prom.Registry();
    theirs.setDefaultLabels({ env: "prod" });
    recordBoth(ours, theirs);
    // Exemplar slots included: a histogram bucket's is null until it has one, as prom-client's.
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await ours.getSingleMetricAsString("queue_depth")).toBe(await theirs.getSingleMetricAsString("queue_depth"));
    expect(await ours.getSingleMetricAsString("nothing")).toBe("");
  });
});

describe("Registry.merge", () => {
  it("renders every registry's families, each as its own registry sends it", async () => {
    const a = new Registry({ prefix: "a_" });
    const b = new Registry();
    new Counter({ name: "x_total", help: "X.", registers: [a] }).inc();
    new Gauge({ name: "y", help: "Y.", registers: [b] }).set(2);
    const text = await Registry.merge([a, b]).metrics();
    expect(sortedLines(text)).toEqual(
      sortedLines("# HELP a_x_total X.\n# TYPE a_x_total counter\na_x_total 1\n# HELP y Y.\n# TYPE y gauge\ny 2\n"),
    );
  });

  it("refuses a family in two registries, and registries of different content types", () => {
    const a = new Registry();
    const b = new Registry();
    new Gauge({ name: "same", help: "S.", registers: [a] });
    new Gauge({ name: "same", help: "S.", registers: [b] });
    expect(() => Registry.merge([a, b])).toThrow("A metric with the name same has already been registered.");
    const c = new Registry();
    c.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(() => Registry.merge([new Registry(), c])).toThrow("same content type");
  });

  it("sends each pending delta once, whichever registry flushes it", async () => {
    const store = new MemoryStore();
    const a = new Registry({ transport: store });
    const jobs = new Counter({ name: "jobs_total", help: "J.", registers: [a] });
    const merged = Registry.merge([a]);
    jobs.inc(4);
    await merged.flush(store);
    await a.flush();
    expect(store.snapshot().find((f) => f.name === "jobs")?.series).toMatchObject([{ value: 4 }]);
  });
});
