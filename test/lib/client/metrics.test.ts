// The client metric types: prom-client's call shapes, definition-time validation, and the pending deltas they record.

import { describe, expect, it } from "vitest";
import { InvalidMetricError } from "../../../lib/client/errors.ts";
import { exponentialBuckets, linearBuckets } from "../../../lib/client/metrics/buckets.ts";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Metric, type MetricConfiguration } from "../../../lib/client/metrics/metric.ts";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { checkPush } from "../../../lib/protocol/check-push.ts";
import { familyName } from "../../../lib/protocol/names.ts";
import type { CounterDelta } from "../../../lib/protocol/wire.ts";

/** The single pending batch of a registry (its families by family name, as the server names them). */
function pending(registry: Registry) {
  const batches = registry.take();
  expect(batches.length).toBeLessThanOrEqual(1);
  return Object.fromEntries((batches[0]?.families ?? []).map((f) => [familyName(f.type, f.name), f]));
}

describe("Counter", () => {
  it("sums increments per series, labels by object or positional child", () => {
    const r = new Registry();
    const c = new Counter({
      name: "http_requests_total",
      help: "Requests.",
      labelNames: ["route", "code"] as const,
      registers: [r],
    });
    c.inc({ route: "/", code: 200 });
    c.inc({ route: "/", code: "200" }, 2);
    c.labels("/", "500").inc();
    c.labels({ route: "/x" }).inc(0.5);
    const f = pending(r).http_requests;
    expect(f).toMatchObject({
      // Pushed under its exposed name, which the server's definition check turns back into the family `http_requests`.
      name: "http_requests_total",
      type: "counter",
      help: "Requests.",
      labelNames: ["route", "code"],
    });
    expect(f?.series).toEqual([
      { labels: { route: "/", code: "200" }, inc: 3 },
      { labels: { route: "/", code: "500" }, inc: 1 },
      { labels: { route: "/x", code: "" }, inc: 0.5 },
    ]);
  });

  it("throws on negative, NaN or infinite increments and records nothing", () => {
    const r = new Registry();
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    expect(() => c.inc(-1)).toThrow("It is not possible to decrease a counter");
    expect(() => c.inc(Number.NaN)).toThrow("Value is not a valid number: NaN");
    expect(() => c.inc(Infinity)).toThrow("Value is not a valid number: Infinity");
    expect(r.take()).toEqual([]);
  });

  it("keeps series apart even when a label value holds the key separator", () => {
    const r = new Registry();
    const c = new Counter({ name: "c", help: "C.", labelNames: ["a", "b"] as const, registers: [r] });
    c.inc({ a: "x\u0001y", b: "" });
    c.inc({ a: "x", b: "y" });
    c.inc({ a: "x\u0001y" });
    expect(pending(r).c?.series).toEqual([
      { labels: { a: "x\u0001y", b: "" }, inc: 2 },
      { labels: { a: "x", b: "y" }, inc: 1 },
    ]);
  });

  it("throws on an unknown label name", () => {
    const c = new Counter({ name: "c", help: "C.", labelNames: ["a"] as const, registers: [] });
    // @ts-expect-error "b" is not a declared label
    expect(() => c.inc({ b: "1" })).toThrow(`Added label "b" is not included in initial labelset: [ 'a' ]`);
  });

  it("takes and clears synchronously: a second take sees only later increments", () => {
    const r = new Registry();
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    c.inc(2);
    const first = r.take();
    c.inc(5);
    expect(first[0]?.families[0]?.series).toEqual([{ labels: {}, inc: 2 }]);
    expect(r.take()[0]?.families[0]?.series).toEqual([{ labels: {}, inc: 5 }]);
    expect(r.take()).toEqual([]);
  });
});

describe("Gauge", () => {
  it("sends a delta when only inc/dec happened", () => {
    const r = new Registry();
    const g = new Gauge({ name: "g", help: "G.", registers: [r] });
    g.inc(5);
    g.dec(2);
    g.inc();
    expect(pending(r).g?.series).toEqual([{ labels: {}, inc: 4 }]);
  });

  it("sends an absolute value once set happened, adjusted by later inc/dec", () => {
    const r = new Registry();
    const g = new Gauge({ name: "g", help: "G.", labelNames: ["k"] as const, registers: [r] });
    g.inc({ k: "a" }, 100);
    g.set({ k: "a" }, 10);
    g.inc({ k: "a" }, 3);
    g.labels("a").dec(1);
    expect(pending(r).g?.series).toEqual([{ labels: { k: "a" }, set: 12 }]);
  });

  it("setToCurrentTime and startTimer set seconds", () => {
    const r = new Registry();
    const g = new Gauge({ name: "g", help: "G.", registers: [r] });
    const before = Date.now() / 1000;
    g.setToCurrentTime();
    const t = pending(r).g?.series[0] as { set: number };
    expect(t.set).toBeGreaterThanOrEqual(before - 1);
    const end = g.startTimer();
    const seconds = end();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(pending(r).g?.series).toEqual([{ labels: {}, set: seconds }]);
  });

  it("takes NaN and ±Inf as values (prom-client and the text format do), not as changes", () => {
    const g = new Gauge({ name: "g", help: "G.", registers: [] });
    g.set(Number.NaN);
    g.set({}, Number.POSITIVE_INFINITY);
    expect(() => g.inc(Infinity)).toThrow("Delta is not a valid number: Infinity");
    expect(() => g.set("1" as unknown as number)).toThrow("Value is not a valid number: 1");
  });
});

describe("Histogram", () => {
  it("counts observations per bucket (+Inf last) and sums them", () => {
    const r = new Registry();
    const h = new Histogram({
      name: "job_seconds",
      help: "Job time.",
      labelNames: ["kind"] as const,
      buckets: [0.1, 0.5, 1],
      registers: [r],
    });
    for (const v of [0.05, 0.1, 0.3, 0.7, 3]) h.observe({ kind: "a" }, v);
    h.labels("b").observe(1);
    const f = pending(r).job_seconds;
    expect(f?.buckets).toEqual([0.1, 0.5, 1]);
    expect(f?.series).toEqual([
      { labels: { kind: "a" }, counts: [2, 1, 1, 1], sum: 4.15 },
      { labels: { kind: "b" }, counts: [0, 0, 1, 0], sum: 1 },
    ]);
  });

  it("uses prom-client's default buckets and supports an unlabelled series", () => {
    const r = new Registry();
    const h = new Histogram({ name: "h", help: "H.", registers: [r] });
    h.observe(0.003);
    expect(pending(r).h).toMatchObject({
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      series: [{ labels: {}, counts: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], sum: 0.003 }],
    });
  });

  it("startTimer observes elapsed seconds with start and end labels", () => {
    const r = new Registry();
    const h = new Histogram({ name: "h", help: "H.", labelNames: ["a", "b"] as const, buckets: [100], registers: [r] });
    const end = h.startTimer({ a: "x" });
    end({ b: "y" });
    expect(pending(r).h?.series).toMatchObject([{ labels: { a: "x", b: "y" }, counts: [1, 0] }]);
  });

  it.each([
    [[], /at least one bucket/],
    [[1, 1], /strictly increasing/],
    [[2, 1], /strictly increasing/],
    [[1, Infinity], /finite/],
  ])("refuses buckets %j", (buckets, message) => {
    expect(() => new Histogram({ name: "h", help: "H.", buckets, registers: [] })).toThrow(message);
  });

  it("reserves the le label", () => {
    expect(() => new Histogram({ name: "h", help: "H.", labelNames: ["le"], registers: [] })).toThrow(
      "le is a reserved label keyword",
    );
  });

  it("builds linear and exponential buckets", () => {
    expect(linearBuckets(0, 10, 3)).toEqual([0, 10, 20]);
    expect(exponentialBuckets(1, 2, 4)).toEqual([1, 2, 4, 8]);
    expect(() => exponentialBuckets(0, 2, 3)).toThrow(/start/);
    expect(() => linearBuckets(0, 1, 0)).toThrow(/count/);
  });
});

describe("Summary", () => {
  it("keeps count and sum only when it reports no quantiles; reserves quantile", () => {
    const r = new Registry();
    const s = new Summary({ name: "payload_bytes", help: "Payload size.", percentiles: [], registers: [r] });
    s.observe(100);
    s.observe(800);
    expect(pending(r).payload_bytes?.series).toEqual([{ labels: {}, count: 2, sum: 900 }]);
    expect(() => new Summary({ name: "s", help: "S.", labelNames: ["quantile"], registers: [] })).toThrow(
      "quantile is a reserved label keyword",
    );
  });
});

describe("Summary quantiles", () => {
  it("ships a sketch with prom-client's default percentiles in the definition", () => {
    const r = new Registry();
    const s = new Summary({ name: "lat", help: "L.", registers: [r] });
    for (const v of [1, 2, 3, -4, 0]) s.observe(v);
    const f = pending(r).lat;
    expect(f).toMatchObject({
      percentiles: [0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999],
      maxAgeSeconds: 0,
      ageBuckets: 1,
    });
    const delta = f?.series[0] as { count: number; sketch: { zero: number; pos: unknown[]; neg: unknown[] } };
    expect(delta.count).toBe(5);
    expect(delta.sketch.zero).toBe(1);
    expect(delta.sketch.pos).toHaveLength(3);
    expect(delta.sketch.neg).toHaveLength(1);
  });

  it.each([
    [{ percentiles: [0.5, 0.5] }, /strictly increasing/],
    [{ percentiles: [1.5] }, /from 0 to 1/],
    [{ maxAgeSeconds: -1 }, /maxAgeSeconds/],
    [{ maxAgeSeconds: 60, ageBuckets: 0 }, /ageBuckets/],
  ])("refuses %j", (options, message) => {
    expect(() => new Summary({ name: "s", help: "S.", registers: [], ...options })).toThrow(message);
  });
});

describe("Gauge merge policies (client side)", () => {
  it.each([
    ["set", [5, 3, 4], { set: 4 }],
    ["max", [5, 3, 4], { set: 5 }],
    ["min", [5, 3, 4], { set: 3 }],
  ] as const)("%s keeps %j as %j between flushes", (merge, values, expected) => {
    const r = new Registry();
    const g = new Gauge({ name: "g", help: "G.", merge, registers: [r] });
    for (const v of values) g.set(v);
    const f = pending(r).g;
    expect(f?.merge).toBe(merge);
    expect(f?.series).toEqual([{ labels: {}, ...expected }]);
  });

  it("refuses the operations a policy cannot merge", () => {
    const sum = new Gauge({ name: "in_flight", help: "I.", merge: "sum", registers: [] });
    expect(() => sum.set(1)).toThrow(/"sum" takes inc\/dec, not set/);
    sum.inc();
    sum.dec();
    const max = new Gauge({ name: "peak", help: "P.", merge: "max", registers: [] });
    expect(() => max.inc()).toThrow(/"max" takes set, not inc\/dec/);
    expect(() => new Gauge({ name: "x", help: "X.", merge: "avg" as never, registers: [] })).toThrow(
      /merge: must be one of/,
    );
  });
});

describe("remove and reset", () => {
  it("remove drops the pending delta and sends a removal; a later inc starts the series again", () => {
    const r = new Registry();
    const c = new Counter({ name: "c", help: "C.", labelNames: ["k"] as const, registers: [r] });
    c.inc({ k: "a" }, 5);
    c.inc({ k: "b" });
    c.remove({ k: "a" });
    c.remove("z");
    expect(pending(r).c).toMatchObject({ remove: [{ k: "a" }, { k: "z" }], series: [{ labels: { k: "b" }, inc: 1 }] });
    c.remove({ k: "a" });
    c.inc({ k: "a" }, 2);
    expect(pending(r).c).toMatchObject({ remove: [{ k: "a" }], series: [{ labels: { k: "a" }, inc: 2 }] });
  });

  it("reset drops everything pending and sends a reset; the registry resets every metric", () => {
    const r = new Registry();
    const c = new Counter({ name: "c", help: "C.", registers: [r] });
    const g = new Gauge({ name: "g", help: "G.", registers: [r] });
    c.inc(3);
    c.reset();
    c.inc(1);
    expect(pending(r).c).toMatchObject({ reset: true, series: [{ labels: {}, inc: 1 }] });
    g.set(1);
    r.resetMetrics();
    const after = pending(r);
    expect(after.c).toMatchObject({ reset: true, series: [] });
    expect(after.g).toMatchObject({ reset: true, series: [] });
  });
});

describe("registry niceties", () => {
  it("adds default labels (a metric's own label wins) and a name prefix", () => {
    const r = new Registry({ prefix: "shop_", defaultLabels: { service: "checkout", region: "eu" } });
    const c = new Counter({ name: "orders_total", help: "O.", labelNames: ["region"] as const, registers: [r] });
    c.inc({ region: "us" });
    c.remove({ region: "x" });
    expect(pending(r).shop_orders).toMatchObject({
      name: "shop_orders_total",
      labelNames: ["region", "service"],
      series: [{ labels: { region: "us", service: "checkout" }, inc: 1 }],
      remove: [{ region: "x", service: "checkout" }],
    });
  });

  it("belongs to one registry: a second one is refused, so deltas are flushed once", () => {
    const a = new Registry();
    const b = new Registry();
    expect(() => new Counter({ name: "twice_total", help: "T.", registers: [a, b] })).toThrow(
      /already belongs to another registry/,
    );
  });

  it("sends a counter under a name the server makes its family of: one _total removed, so x_total_total is family x_total", () => {
    const r = new Registry();
    new Counter({ name: "x_total_total", help: "X.", registers: [r] }).inc();
    new Counter({ name: "y_total", help: "Y.", registers: [r] }).inc();
    new Counter({ name: "z", help: "Z.", registers: [r] }).inc();
    const [push] = r.take();
    expect(push?.families.map((f) => f.name)).toEqual(["x_total_total", "y_total", "z_total"]);
    const checked = checkPush(push);
    expect(checked.ok && checked.value.families.map((f) => f.name)).toEqual(["x_total", "y", "z"]);
  });

  it("refuses invalid default labels and prefixes", () => {
    expect(() => new Registry({ defaultLabels: { le: "x" } })).toThrow(/"le" is reserved/);
    expect(() => new Registry({ defaultLabels: { "bad-name": "x" } })).toThrow(/not a valid label name/);
    expect(() => new Registry({ prefix: "1x" })).toThrow(/prefix/);
  });
});

describe("definition-time validation", () => {
  it("throws an InvalidMetricError (a TypeError) carrying the refusal: where and what", () => {
    const declare = () => new Histogram({ name: "bad_labels", help: "B.", labelNames: ["ok", "le"], registers: [] });
    expect(declare).toThrow(InvalidMetricError);
    expect(declare).toThrow(TypeError);
    try {
      declare();
    } catch (error) {
      expect((error as InvalidMetricError).refusal).toEqual({
        status: 400,
        path: ["labelNames", 1],
        problem: '"le" is reserved for histogram buckets',
      });
      expect((error as InvalidMetricError).metric).toBe("bad_labels");
    }
  });

  it.each([
    [{ name: "1bad", help: "x" }, /^Invalid metric name: 1bad$/],
    [{ name: "ok", help: "" }, /help/],
    [{ name: "ok", help: "x", labelNames: ["bad-label"] }, /^At least one label name is invalid: bad-label$/],
    [{ name: "ok", help: "x", labelNames: ["__x"] }, /labelNames\[0\]: "__x" starts with "__", which is reserved/],
    [{ name: "ok", help: "x", labelNames: ["a", "a"] }, /appears twice/],
  ])("refuses %j", (config, message) => {
    expect(() => new Gauge({ ...config, registers: [] })).toThrow(message);
  });

  it("refuses the same family registered with a different definition, shares it when identical", () => {
    const r = new Registry();
    const a = new Counter({ name: "jobs_total", help: "Jobs.", labelNames: ["k"], registers: [r] });
    expect(() => new Gauge({ name: "jobs", help: "Jobs.", registers: [r] })).toThrow(/different type/);
    expect(() => new Counter({ name: "jobs", help: "Jobs.", labelNames: ["other"], registers: [r] })).toThrow(
      /different labelNames/,
    );
    const b = new Counter({ name: "jobs", help: "Jobs.", labelNames: ["k"], registers: [r] });
    a.inc({ k: "x" });
    b.inc({ k: "x" }, 2);
    expect(pending(r).jobs?.series).toEqual([{ labels: { k: "x" }, inc: 3 }]);
    expect(r.getSingleMetric("jobs_total")).toBe(a);
  });
});

describe("a metric type of your own", () => {
  it("records into its registry without any registration step of its own", () => {
    // A subclass only says what it records; the base class registers it.
    class Hits extends Metric {
      constructor(config: MetricConfiguration<string>) {
        super(config, "counter");
      }
      hit(): void {
        this.record<CounterDelta>(
          this.series(undefined),
          (labels) => ({ labels, inc: 0 }),
          (d) => {
            d.inc += 1;
          },
        );
      }
    }
    const r = new Registry();
    const hits = new Hits({ name: "own_hits", help: "Hits.", registers: [r] });
    hits.hit();
    hits.hit();
    expect(r.getSingleMetric("own_hits")).toBe(hits);
    expect(pending(r).own_hits?.series).toEqual([{ labels: {}, inc: 2 }]);
  });
});

describe("what a server would refuse is refused while recording", () => {
  it("throws when a pending value would overflow, keeping what was pending", () => {
    const r = new Registry();
    const c = new Counter({ name: "huge", help: "H.", registers: [r] });
    c.inc(1e308);
    expect(() => c.inc(1e308)).toThrow(/would overflow/);
    const g = new Gauge({ name: "huge_gauge", help: "H.", merge: "sum", registers: [r] });
    g.inc(-1e308);
    expect(() => g.dec(1e308)).toThrow(/would overflow/);
    const h = new Histogram({ name: "huge_seconds", help: "H.", registers: [r] });
    h.observe(1e308);
    expect(() => h.observe(1e308)).toThrow(/would overflow/);
    expect(pending(r).huge?.series).toEqual([{ labels: {}, inc: 1e308 }]);
  });

  it("refuses two families of one registry that would expose the same sample name", () => {
    const r = new Registry();
    new Counter({ name: "x_total", help: "X.", registers: [r] });
    expect(() => new Gauge({ name: "x_total", help: "X.", registers: [r] })).toThrow(/would expose "x_total"/);
    // A counter declared bare leaves x_total to a gauge, as the server does (OpenMetrics writes the counter unknown).
    new Counter({ name: "bare", help: "B.", registers: [r] });
    new Gauge({ name: "bare_total", help: "B.", registers: [r] });
    expect(() => new Gauge({ name: "bare", help: "B.", registers: [r] })).toThrow(/already registered/);
    new Histogram({ name: "h", help: "H.", registers: [r] });
    expect(() => new Gauge({ name: "h_bucket", help: "H.", registers: [r] })).toThrow(/would expose "h_bucket"/);
  });

  it("finds a metric by its declared name first, then by its family name", () => {
    const r = new Registry();
    const a = new Counter({ name: "a_total", help: "A.", registers: [r] });
    const b = new Counter({ name: "a_total_total", help: "B.", registers: [r] });
    expect(r.getSingleMetric("a_total")).toBe(a);
    expect(r.getSingleMetric("a_total_total")).toBe(b);
    expect(r.getSingleMetric("a")).toBe(a);
  });
});
