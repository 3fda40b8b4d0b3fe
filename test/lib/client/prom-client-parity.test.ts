// prom-client parity for code that ports by changing an import: `collect` callbacks run before each flush,
// `histogram.zero()`, `get()` in prom-client's shape (this process's values since its registry started), the default export, the content-type
// constants under prom-client's names, and what registering a name twice does.

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { InvalidMetricError } from "../../../lib/client/errors.ts";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { openMetricsContentType, prometheusContentType, Registry, register } from "../../../lib/client/registry.ts";
import client, * as named from "../../../lib/index.ts";
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "../../../lib/protocol/exposition.ts";
import { DEFAULT_LIMITS } from "../../../lib/protocol/limits.ts";
import { refusalText } from "../../../lib/protocol/refusal.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";
import { prom } from "./prom-client.ts";

/** A registry flushing into a fresh MemoryStore, with what it reported through onError. */
function setup() {
  const store = new MemoryStore();
  const errors: string[] = [];
  const registry = new Registry({ transport: store, onError: (m) => errors.push(m) });
  return { store, errors, registry };
}

const stored = (store: MemoryStore, family: string) => store.snapshot().find((f) => f.name === family)?.series ?? [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("collect callbacks", () => {
  it("set a gauge at flush time, with `this` the metric", async () => {
    const { store, registry } = setup();
    let depth = 3;
    const seenThis: unknown[] = [];
    const queue = new Gauge({
      name: "queue_depth",
      help: "Items waiting.",
      registers: [registry],
      collect() {
        seenThis.push(this);
        this.set(depth);
      },
    });
    depth = 7;
    expect(await registry.flush()).toMatchObject({ delivered: 1 });
    expect(stored(store, "queue_depth")).toMatchObject([{ labels: {}, value: 7 }]);
    expect(seenThis).toEqual([queue]);
    depth = 9;
    await registry.flush();
    expect(stored(store, "queue_depth")).toMatchObject([{ labels: {}, value: 9 }]);
  });

  it("are awaited, all in parallel, before the pending deltas are taken", async () => {
    const { store, registry } = setup();
    const events: string[] = [];
    for (const name of ["a_depth", "b_depth"]) {
      new Gauge({
        name,
        help: "Depth.",
        registers: [registry],
        async collect() {
          events.push(`start ${name}`);
          await sleep(5);
          this.set(name.length);
          events.push(`end ${name}`);
        },
      });
    }
    await registry.flush();
    expect(events.slice(0, 2).sort()).toEqual(["start a_depth", "start b_depth"]);
    expect(stored(store, "a_depth")).toMatchObject([{ value: 7 }]);
    expect(stored(store, "b_depth")).toMatchObject([{ value: 7 }]);
  });

  it("are not run by take(), which stays synchronous", () => {
    const { registry } = setup();
    let calls = 0;
    new Gauge({
      name: "untouched",
      help: "U.",
      registers: [registry],
      collect() {
        calls++;
        this.set(1);
      },
    });
    expect(registry.take()).toEqual([]);
    expect(calls).toBe(0);
  });

  it("run at the end of a flushSoon window, so they read the state of that moment", async () => {
    const { store, registry } = setup();
    let depth = 1;
    new Gauge({
      name: "soon_depth",
      help: "D.",
      registers: [registry],
      collect() {
        this.set(depth);
      },
    });
    const window = registry.flushSoon(undefined, { maxDelayMs: 20 });
    depth = 42;
    await window;
    expect(stored(store, "soon_depth")).toMatchObject([{ value: 42 }]);
  });

  it("that throw or reject are reported through onError; the flush goes on", async () => {
    const { store, errors, registry } = setup();
    new Gauge({
      name: "broken_sync",
      help: "B.",
      registers: [registry],
      collect() {
        throw new Error("no queue");
      },
    });
    new Gauge({
      name: "broken_async",
      help: "B.",
      registers: [registry],
      async collect() {
        await sleep(1);
        throw new Error("timed out");
      },
    });
    new Gauge({
      name: "fine",
      help: "F.",
      registers: [registry],
      collect() {
        this.set(5);
      },
    });
    const jobs = new Counter({ name: "jobs_total", help: "Jobs.", registers: [registry] });
    jobs.inc(2);
    expect(await registry.flush()).toMatchObject({ delivered: 2, rejected: 0, retained: 0 });
    expect(stored(store, "fine")).toMatchObject([{ value: 5 }]);
    expect(stored(store, "jobs")).toMatchObject([{ value: 2 }]);
    expect(errors.sort()).toEqual([
      'collect callback of metric "broken_async" failed: timed out',
      'collect callback of metric "broken_sync" failed: no queue',
    ]);
  });

  it("take a function, as prom-client checks", () => {
    const { registry } = setup();
    expect(
      () => new Gauge({ name: "g", help: "G.", registers: [registry], collect: 5 as unknown as () => void }),
    ).toThrow(`Optional "collect" parameter must be a function`);
  });

  it("run when get() is called, as prom-client's get() runs them", async () => {
    const { registry } = setup();
    const g = new Gauge({
      name: "on_get",
      help: "G.",
      registers: [registry],
      async collect() {
        this.set(3);
      },
    });
    expect((await g.get()).values).toEqual([{ labels: {}, value: 3 }]);
  });
});

describe("histogram.zero", () => {
  it("makes a series appear in the store with zero counts", async () => {
    const { store, registry } = setup();
    const h = new Histogram({
      name: "zeroed_seconds",
      help: "Z.",
      labelNames: ["route"] as const,
      buckets: [0.1, 1],
      registers: [registry],
    });
    h.zero({ route: "/login" });
    await registry.flush();
    expect(stored(store, "zeroed_seconds")).toMatchObject([{ labels: { route: "/login" }, counts: [0, 0, 0], sum: 0 }]);
  });

  it("keeps the counts pending for that series, and adds nothing to what is stored", async () => {
    const { store, registry } = setup();
    const h = new Histogram({
      name: "kept_seconds",
      help: "K.",
      labelNames: ["route"] as const,
      buckets: [0.1, 1],
      registers: [registry],
    });
    h.observe({ route: "/" }, 0.5);
    h.zero({ route: "/" });
    await registry.flush();
    h.zero({ route: "/" });
    await registry.flush();
    expect(stored(store, "kept_seconds")).toMatchObject([{ labels: { route: "/" }, counts: [0, 1, 0], sum: 0.5 }]);
  });
});

describe("get(): this process's values since its registry started, in prom-client's shape", () => {
  it("counter: the pending increments per series", async () => {
    const { registry } = setup();
    const ours = new Counter({ name: "req_total", help: "R.", labelNames: ["route", "code"], registers: [registry] });
    const theirs = new prom.Counter({ name: "req_total", help: "R.", labelNames: ["route", "code"], registers: [] });
    for (const c of [ours, theirs]) {
      c.inc({ route: "/", code: "200" });
      c.inc({ route: "/", code: "200" }, 2);
      c.labels("/x", "500").inc(0.5);
    }
    expect(await ours.get()).toEqual(await theirs.get());
    expect((await ours.get()).values).toEqual([
      { labels: { route: "/", code: "200" }, value: 3 },
      { labels: { route: "/x", code: "500" }, value: 0.5 },
    ]);
  });

  it("counter and gauge without labels: one series, 0 when nothing is pending, as prom-client", async () => {
    const { registry } = setup();
    const pairs = [
      [
        new Counter({ name: "c0", help: "C.", registers: [registry] }),
        new prom.Counter({ name: "c0", help: "C.", registers: [] }),
      ],
      [
        new Gauge({ name: "g0", help: "G.", registers: [registry] }),
        new prom.Gauge({ name: "g0", help: "G.", registers: [] }),
      ],
    ] as const;
    for (const [ours, theirs] of pairs) expect(await ours.get()).toEqual(await theirs.get());
  });

  it("gauge: the pending set value, or the pending inc/dec", async () => {
    const { registry } = setup();
    const ours = new Gauge({ name: "temp", help: "T.", labelNames: ["room"], registers: [registry] });
    const theirs = new prom.Gauge({ name: "temp", help: "T.", labelNames: ["room"], registers: [] });
    for (const g of [ours, theirs]) {
      g.set({ room: "a" }, 20);
      g.inc({ room: "a" }, 1.5);
      g.inc({ room: "b" }, 3);
      g.dec({ room: "b" });
      g.labels("c").dec(4);
    }
    expect(await ours.get()).toEqual(await theirs.get());
    expect((await ours.get()).values.map((v) => v.value)).toEqual([21.5, 2, -4]);
  });

  it("gauge: aggregator says how a max or min gauge merges, else prom-client's default", async () => {
    const { registry } = setup();
    const peak = new Gauge({ name: "peak", help: "P.", merge: "max", registers: [registry] });
    const low = new Gauge({ name: "low", help: "L.", merge: "min", registers: [registry] });
    const last = new Gauge({ name: "last", help: "L.", registers: [registry] });
    expect([(await peak.get()).aggregator, (await low.get()).aggregator, (await last.get()).aggregator]).toEqual([
      "max",
      "min",
      "sum",
    ]);
  });

  it("histogram: cumulative _bucket values with le (+Inf last), _sum and _count, per series", async () => {
    const { registry } = setup();
    const config = { name: "job_seconds", help: "J.", labelNames: ["kind"], buckets: [0.1, 0.5, 1] };
    const ours = new Histogram({ ...config, registers: [registry] });
    const theirs = new prom.Histogram({ ...config, registers: [] });
    for (const h of [ours, theirs]) {
      h.observe({ kind: "a" }, 0.05);
      h.observe({ kind: "a" }, 0.3);
      h.observe({ kind: "a" }, 0.3);
      h.observe({ kind: "a" }, 7);
      h.labels("b").observe(1);
      h.zero({ kind: "c" });
    }
    const expected = await theirs.get();
    expect(await ours.get()).toEqual(expected);
    const a = (await ours.get()).values.filter((v) => v.labels.kind === "a");
    expect(a).toEqual([
      { labels: { kind: "a", le: 0.1 }, value: 1, metricName: "job_seconds_bucket", exemplar: null },
      { labels: { kind: "a", le: 0.5 }, value: 3, metricName: "job_seconds_bucket", exemplar: null },
      { labels: { kind: "a", le: 1 }, value: 3, metricName: "job_seconds_bucket", exemplar: null },
      { labels: { kind: "a", le: "+Inf" }, value: 4, metricName: "job_seconds_bucket", exemplar: null },
      { labels: { kind: "a" }, value: 7.65, metricName: "job_seconds_sum" },
      { labels: { kind: "a" }, value: 4, metricName: "job_seconds_count" },
    ]);
  });

  it("histogram without labels: zeros when nothing is pending, as prom-client", async () => {
    const { registry } = setup();
    const ours = new Histogram({ name: "h0", help: "H.", buckets: [1, 2], registers: [registry] });
    const theirs = new prom.Histogram({ name: "h0", help: "H.", buckets: [1, 2], registers: [] });
    const expected = await theirs.get();
    expect(await ours.get()).toEqual(expected);
  });

  it("summary: quantile values from the pending sketch (within 1%), then _sum and _count", async () => {
    const { registry } = setup();
    const config = { name: "rpc_seconds", help: "R.", labelNames: ["method"], percentiles: [0.5, 0.9, 0.99] };
    const ours = new Summary({ ...config, registers: [registry] });
    const theirs = new prom.Summary({ ...config, registers: [] });
    for (const s of [ours, theirs]) {
      for (let i = 0; i < 3; i++) s.observe({ method: "get" }, 0.25);
      s.labels("put").observe(2);
    }
    const got = await ours.get();
    const expected = await theirs.get();
    // The shapes agree exactly; quantile values agree within the sketch's 1% (prom-client's t-digest is exact here).
    const exact = (v: { labels: object; value: number; metricName?: string }) =>
      "quantile" in v.labels ? { ...v, value: "quantile" } : v;
    expect({ ...got, values: got.values.map(exact) }).toEqual({ ...expected, values: expected.values.map(exact) });
    got.values.forEach((v, i) => {
      const want = expected.values[i]?.value as number;
      expect(Math.abs(v.value - want)).toBeLessThanOrEqual(want * 0.01);
    });
    expect(got.values.filter((v) => v.labels.method === "get").map((v) => v.metricName ?? v.labels.quantile)).toEqual([
      0.5,
      0.9,
      0.99,
      "rpc_seconds_sum",
      "rpc_seconds_count",
    ]);
  });

  it("summary without labels and nothing pending: NaN quantiles (prom-client says 0), sum and count 0", async () => {
    const { registry } = setup();
    const ours = new Summary({ name: "s0", help: "S.", percentiles: [0.5], registers: [registry] });
    const theirs = new prom.Summary({ name: "s0", help: "S.", percentiles: [0.5], registers: [] });
    expect((await theirs.get()).values[0]).toEqual({ labels: { quantile: 0.5 }, value: 0 });
    expect(await ours.get()).toEqual({
      name: "s0",
      help: "S.",
      type: "summary",
      aggregator: "sum",
      values: [
        { labels: { quantile: 0.5 }, value: Number.NaN },
        { labels: {}, value: 0, metricName: "s0_sum" },
        { labels: {}, value: 0, metricName: "s0_count" },
      ],
    });
  });

  it("shows what this process recorded since its registry started: a flush changes nothing, remove and reset do", async () => {
    const { registry } = setup();
    const c = new Counter({ name: "flushed", help: "F.", labelNames: ["k"], registers: [registry] });
    const g = new Gauge({ name: "level", help: "L.", registers: [registry] });
    const s = new Summary({ name: "lat", help: "L.", percentiles: [0.5], registers: [registry] });
    c.inc({ k: "a" }, 4);
    g.set(10);
    s.observe(2);
    expect((await c.get()).values).toEqual([{ labels: { k: "a" }, value: 4 }]);
    await registry.flush();
    c.inc({ k: "a" });
    c.inc({ k: "b" });
    g.inc(3);
    s.observe(2);
    expect((await c.get()).values).toEqual([
      { labels: { k: "a" }, value: 5 },
      { labels: { k: "b" }, value: 1 },
    ]);
    expect((await g.get()).values).toEqual([{ labels: {}, value: 13 }]);
    const summary = (await s.get()).values;
    expect(summary.find((v) => v.metricName === "lat_count")?.value).toBe(2);
    expect(summary[0]?.value).toBeCloseTo(2, 1);
    c.remove({ k: "a" });
    expect((await c.get()).values).toEqual([{ labels: { k: "b" }, value: 1 }]);
    c.reset();
    expect((await c.get()).values).toEqual([]);
  });
});

describe("the default export", () => {
  it("has prom-client's members (not collectDefaultMetrics), the same as the named exports", () => {
    for (const member of [
      "Counter",
      "Gauge",
      "Histogram",
      "Summary",
      "Registry",
      "register",
      "linearBuckets",
      "exponentialBuckets",
      "prometheusContentType",
      "openMetricsContentType",
    ] as const) {
      expect(client[member], member).toBe(named[member]);
    }
    expect("collectDefaultMetrics" in client).toBe(false);
  });

  it("works as `import client from ...` code uses prom-client's", async () => {
    const registry = new client.Registry({ transport: new MemoryStore() });
    const jobs = new client.Counter({ name: "default_jobs_total", help: "Jobs.", registers: [registry] });
    const latency = new client.Histogram({
      name: "default_seconds",
      help: "L.",
      buckets: client.linearBuckets(0.1, 0.1, 3),
      registers: [registry],
    });
    jobs.inc();
    latency.observe(0.15);
    expect((await jobs.get()).values).toEqual([{ labels: {}, value: 1 }]);
    expect(await registry.flush()).toMatchObject({ delivered: 2 });
    expect(client.register).toBe(register);
  });
});

describe("content types under prom-client's names", () => {
  it("are the versioned strings the scrape serves", async () => {
    expect(prometheusContentType).toBe(TEXT_CONTENT_TYPE);
    expect(openMetricsContentType).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(Registry.PROMETHEUS_CONTENT_TYPE).toBe(TEXT_CONTENT_TYPE);
    expect(Registry.OPENMETRICS_CONTENT_TYPE).toBe(OPENMETRICS_CONTENT_TYPE);
    const scrape = (accept: string) =>
      exports.default.fetch(new Request("http://metrics.test/metrics", { headers: { accept } }));
    const text = await scrape("text/plain;version=0.0.4");
    const openMetrics = await scrape("application/openmetrics-text;version=1.0.0");
    expect(text.headers.get("content-type")).toBe(prometheusContentType);
    expect(openMetrics.headers.get("content-type")).toBe(openMetricsContentType);
    await Promise.all([text.body?.cancel(), openMetrics.body?.cancel()]);
  });

  it("match prom-client's in this version", () => {
    expect(Registry.PROMETHEUS_CONTENT_TYPE).toBe(prom.Registry.PROMETHEUS_CONTENT_TYPE);
    expect(Registry.OPENMETRICS_CONTENT_TYPE).toBe(prom.Registry.OPENMETRICS_CONTENT_TYPE);
  });

  it("register.contentType: text by default, setContentType takes either constant and refuses others", () => {
    expect(register.contentType).toBe(prometheusContentType);
    const registry = new Registry();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(registry.contentType).toBe(openMetricsContentType);
    registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(registry.contentType).toBe(prometheusContentType);
    expect(() => registry.setContentType("text/html" as typeof prometheusContentType)).toThrow(TypeError);
    expect(registry.contentType).toBe(prometheusContentType);
  });
});

describe("registering a name twice", () => {
  it("shares one state for an identical definition (prom-client would throw; code ported from it never does this)", async () => {
    const { registry } = setup();
    const a = new Counter({ name: "twice_total", help: "T.", labelNames: ["k"], registers: [registry] });
    const b = new Counter({ name: "twice_total", help: "T.", labelNames: ["k"], registers: [registry] });
    a.inc({ k: "x" });
    b.inc({ k: "x" }, 2);
    expect((await a.get()).values).toEqual([{ labels: { k: "x" }, value: 3 }]);
  });

  it.each([
    ["type", () => new Gauge({ name: "dup", help: "D.", registers: [] }), /different type \(counter vs gauge\)/],
    [
      "labelNames",
      () => new Counter({ name: "dup", help: "D.", labelNames: ["b"], registers: [] }),
      /different labelNames \(\["a"\] vs \["b"\]\)/,
    ],
  ])("throws an Error naming what differs: %s", (_, second, message) => {
    const registry = new Registry();
    new Counter({ name: "dup", help: "D.", labelNames: ["a"], registers: [registry] });
    const metric = second();
    expect(() => registry.registerMetric(metric)).toThrow(message);
  });

  it("throws naming the different buckets of a histogram", () => {
    const registry = new Registry();
    new Histogram({ name: "dup_seconds", help: "D.", buckets: [1, 2], registers: [registry] });
    expect(() => new Histogram({ name: "dup_seconds", help: "D.", buckets: [1, 3], registers: [registry] })).toThrow(
      'a metric named "dup_seconds" is already registered with a different buckets ([1,2] vs [1,3])',
    );
  });
});

describe("prom-client's smaller habits", () => {
  it("a metric in no registry records on its own: get() shows it, nothing pushes it", async () => {
    const loose = new Counter({ name: "loose_total", help: "L.", labelNames: ["k"], registers: [] });
    loose.inc({ k: "a" }, 2);
    expect((await loose.get()).values).toEqual([{ labels: { k: "a" }, value: 2 }]);
    const registry = new Registry();
    expect(registry.take()).toEqual([]);
  });

  it("values in labelNames order are one per label name, with prom-client's message", () => {
    const c = new Counter({ name: "pos_total", help: "P.", labelNames: ["method", "endpoint"], registers: [] });
    expect(() => c.labels("GET").inc()).toThrow(
      'Invalid number of arguments (1): "GET" for label names (2): "method, endpoint".',
    );
    expect(() => c.remove("GET", "/", "x")).toThrow("Invalid number of arguments (3)");
  });

  /** What `act` throws, as a message; the test fails when it throws nothing. */
  const thrown = (act: () => unknown): string => {
    try {
      act();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("threw nothing");
  };
  type Lib = typeof prom | typeof named;
  const none = { registers: [] };
  /** A mistake prom-client throws at, made with either library's classes. */
  const mistakes: [string, (lib: Lib) => unknown][] = [
    ["a counter decreased", (l) => new l.Counter({ name: "c", help: "C.", ...none }).inc(-1)],
    [
      "a counter increment that is a string",
      (l) => new l.Counter({ name: "c", help: "C.", ...none }).inc("3ms" as never),
    ],
    ["a counter increment of Infinity", (l) => new l.Counter({ name: "c", help: "C.", ...none }).inc(Infinity)],
    ["a gauge set to a string", (l) => new l.Gauge({ name: "g", help: "G.", ...none }).set("asd" as never)],
    [
      "a histogram observing a string",
      (l) => new l.Histogram({ name: "h", help: "H.", ...none }).observe("asd" as never),
    ],
    ["a summary observing Infinity", (l) => new l.Summary({ name: "s", help: "S.", ...none }).observe(Infinity)],
    ["no help", (l) => new l.Gauge({ name: "g", help: "", ...none })],
    ["neither name nor help", (l) => new l.Gauge({ ...none } as never)],
    ["a collect that is not a function", (l) => new l.Gauge({ name: "g", help: "G.", collect: 1 as never, ...none })],
    ["a gauge increment that is a string", (l) => new l.Gauge({ name: "g", help: "G.", ...none }).inc("asd" as never)],
    [
      "a gauge set to nothing",
      (l) => new l.Gauge({ name: "g", help: "G.", labelNames: ["a"], ...none }).set({ a: "1" } as never),
    ],
    [
      "a histogram observing nothing",
      (l) => new l.Histogram({ name: "h", help: "H.", labelNames: ["a"], ...none }).observe({ a: "1" } as never),
    ],
    ["a histogram's le", (l) => new l.Histogram({ name: "h", help: "H.", labelNames: ["le"], ...none })],
    ["a summary's quantile", (l) => new l.Summary({ name: "s", help: "S.", labelNames: ["quantile"], ...none })],
    [
      "an undeclared label",
      (l) => new l.Summary({ name: "s", help: "S.", labelNames: ["foo"], ...none }).observe({ baz: "q" } as never, 1),
    ],
  ];

  it.each(mistakes)("throws at %s in prom-client's words", (_, mistake) => {
    expect(thrown(() => mistake(named))).toBe(thrown(() => mistake(prom)));
  });

  it("names a bad metric or label name as prom-client's next release does (15.1.3 says less: `Invalid metric name`)", () => {
    expect(thrown(() => new Gauge({ name: "my-gauge", help: "G.", ...none }))).toBe("Invalid metric name: my-gauge");
    expect(thrown(() => new Gauge({ name: "g", help: "G.", labelNames: ["ok", "a-b", "1c"], ...none }))).toBe(
      "At least one label name is invalid: a-b,1c",
    );
    expect(thrown(() => new prom.Gauge({ name: "my-gauge", help: "G.", ...none }))).toMatch(/^Invalid metric name/);
    expect(thrown(() => new prom.Gauge({ name: "g", help: "G.", labelNames: ["a-b"], ...none }))).toMatch(
      /^Invalid label name/,
    );
  });

  it("keeps its own words where prom-client throws nothing, and the server's reason on the error", () => {
    const long = "x".repeat(DEFAULT_LIMITS.maxNameLength + 1);
    expect(() => new prom.Gauge({ name: long, help: "G.", ...none })).not.toThrow();
    expect(thrown(() => new Gauge({ name: long, help: "G.", ...none }))).toMatch(/over the limit of/);
    expect(() => new prom.Gauge({ name: "g", help: "G.", labelNames: ["__x"], ...none })).not.toThrow();
    expect(thrown(() => new Gauge({ name: "g", help: "G.", labelNames: ["__x"], ...none }))).toMatch(
      /starts with "__"/,
    );
    try {
      new Gauge({ name: "my-gauge", help: "G.", ...none });
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidMetricError);
      expect(refusalText((error as InvalidMetricError).refusal)).toMatch(
        /^name: "my-gauge" is not a valid metric name/,
      );
    }
    expect.assertions(6);
  });

  it("new Registry(contentType) and clear() as prom-client's: clear() forgets the default labels too", async () => {
    const registry = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(registry.contentType).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(() => new Registry("text/html" as never)).toThrow("Content type text/html is unsupported");
    registry.setDefaultLabels({ env: "prod" });
    registry.clear();
    new Gauge({ name: "after_clear", help: "A.", registers: [registry] }).set(1);
    expect(await registry.metrics()).toContain("after_clear 1\n");
  });
});
