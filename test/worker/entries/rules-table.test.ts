// The rules about data a producer meets, one table through every way in (test/worker/entries/entries.ts): each rule is
// decided in one module, and each row runs through every entry that can carry it. (Names: naming-table.test.ts; the
// cap on families: configured/family-cap-table.test.ts, on a Worker with a small cap.)

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GROUP_TIME_FAMILIES } from "../../../lib/protocol/names.ts";
import { catalog } from "../../../worker/objects/catalog-object.ts";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";
import { prom } from "../../lib/client/prom-client.ts";
import { ENTRIES, type Entry, nativeOf, type ProducedMetric, scrape } from "./entries.ts";

const stored = async (name: string) => (await collectFamilies(env)).find((f) => f.name === name);
const labelNames = (n: number) => Array.from({ length: n }, (_, i) => `l${i}`);
const labelsOf = (names: string[], value: (i: number) => string) =>
  Object.fromEntries(names.map((name, i) => [name, value(i)]));

interface Rule {
  rule: string;
  /** Runs the rule's case through `entry`, its names under `base`. */
  run(entry: Entry, base: string): Promise<void>;
  /** Entries the rule cannot be carried by, with why (none: every entry). */
  skip?: (entry: Entry) => boolean;
}

/** prom-client's quantiles of `observations` (a Summary of its own, in no registry). */
async function promClientQuantiles(observations: number[], percentiles: number[]): Promise<number[]> {
  const summary = new prom.Summary({ name: "reference", help: "R.", percentiles, registers: [] });
  for (const v of observations) summary.observe(v);
  return (await summary.get()).values.filter((v) => v.labels.quantile !== undefined).map((v) => v.value);
}

const RULES: Rule[] = [
  {
    rule: "a counter keeps its latest exemplar per series, a histogram one per bucket; shown in OpenMetrics only; labels over 128 characters are refused",
    skip: (entry) =>
      entry.cannotCarry({ name: "x", type: "counter", series: [{ value: 1, exemplarLabels: { t: "a" } }] }) !==
      undefined,
    async run(entry, base) {
      const counter = (value: number, trace: string): ProducedMetric => ({
        name: `${base}_c`,
        type: "counter",
        series: [{ value, exemplarLabels: { trace_id: trace } }],
      });
      const histogram = (observations: number[], trace: string): ProducedMetric => ({
        name: `${base}_h`,
        type: "histogram",
        buckets: [0.1, 1],
        series: [{ observations, exemplarLabels: { trace_id: trace } }],
      });
      expect(await entry.push([counter(2, "first"), histogram([0.05], "fast")])).toMatchObject({ accepted: true });
      expect(await entry.push([counter(3, "second"), histogram([5], "slow")])).toMatchObject({ accepted: true });
      const om = await scrape("openmetrics");
      const line = (start: string) => om.split("\n").find((l) => l.startsWith(start)) ?? "";
      expect(line(`${base}_c_total`)).toMatch(/^\S+ 5 # \{trace_id="second"\} 3 \d+(\.\d+)?$/);
      expect(line(`${base}_h_bucket{le="0.1"}`)).toMatch(/ 1 # \{trace_id="fast"\} 0\.05 \d/);
      expect(line(`${base}_h_bucket{le="1"}`)).toMatch(/ 1$/);
      expect(line(`${base}_h_bucket{le="+Inf"}`)).toMatch(/ 2 # \{trace_id="slow"\} 5 \d/);
      expect(await scrape("text")).not.toContain("trace_id");
      // "trace_id" and 121 characters: 129, one over.
      const long = await entry.push([counter(1, "x".repeat(121))]);
      expect(long).toMatchObject({ accepted: false, status: 400 });
      expect(long.error).toMatch(/over the limit of 128/);
      expect((await stored(`${base}_c`))?.series).toMatchObject([{ value: 5 }]);
    },
  },
  {
    rule: "a summary of at most 100 observations reports exact quantiles, as prom-client does, merged across pushes",
    skip: (entry) => entry.cannotCarry({ name: "x", type: "summary", series: [] }) !== undefined,
    async run(entry, base) {
      const summary = (observations: number[]): ProducedMetric => ({
        name: base,
        type: "summary",
        percentiles: [0.5, 0.9],
        series: [{ observations }],
      });
      expect(await entry.push([summary([1, 2, 3])])).toMatchObject({ accepted: true });
      expect(await entry.push([summary([4, 5, 10])])).toMatchObject({ accepted: true });
      const expected = await promClientQuantiles([1, 2, 3, 4, 5, 10], [0.5, 0.9]);
      const series = (await stored(base))?.series[0];
      expect(series).toMatchObject({ count: 6, sum: 25 });
      expect(series?.quantiles?.map(([, v]) => v)).toEqual(expected.map((v) => expect.closeTo(v, 12)));
      // Past 100 observations only the buckets speak: within 1% of the observation of rank ⌊0.5 · 105⌋ (1046).
      expect(await entry.push([summary(Array.from({ length: 100 }, (_, i) => 1000 + i))])).toMatchObject({
        accepted: true,
      });
      const [[, median] = []] = (await stored(base))?.series[0]?.quantiles ?? [];
      expect(Math.abs((median as number) - 1046) / 1046).toBeLessThanOrEqual(0.01);
    },
  },
  {
    rule: "a native histogram merges exactly (producers' resolutions meet at the coarser); schema past 8: 400; a classic push to it: 409",
    skip: (entry) =>
      entry.cannotCarry({ name: "x", type: "histogram", buckets: [1], native: {}, series: [] }) !== undefined,
    async run(entry, base) {
      const histogram = (observations: number[], native?: { schema: number }): ProducedMetric => ({
        name: base,
        type: "histogram",
        buckets: [1],
        ...(native ? { native } : {}),
        series: [{ observations }],
      });
      const a = [0.003, 0.5, 1, 1.5, 40, -2, 0];
      const b = [0.004, 7, 7.5, 1000];
      expect(await entry.push([histogram(a, { schema: 3 })])).toMatchObject({ accepted: true });
      expect(await entry.push([histogram(b, { schema: 1 })])).toMatchObject({ accepted: true });
      const series = (await stored(base))?.series[0];
      expect(series?.native).toEqual(nativeOf({ schema: 1 }, [...a, ...b]));
      expect(series?.counts).toEqual([6, 5]);
      expect(series?.sum).toBeCloseTo(1055.507, 9);
      const coarse = await entry.push([histogram([1], { schema: 9 })]);
      expect(coarse).toMatchObject({ accepted: false, status: 400 });
      expect(coarse.error).toMatch(/schema.*must be an integer from -4 to 8, got 9/);
      const classic = await entry.push([histogram([1])]);
      expect(classic).toMatchObject({ accepted: false, status: 409 });
      expect(classic.error).toMatch(/native buckets \(kept vs none\)/);
      expect((await stored(base))?.series[0]?.native).toEqual(nativeOf({ schema: 1 }, [...a, ...b]));
    },
  },
  {
    rule: "a native-only histogram merges exactly across resolutions; a schema past 8 is refused (OTLP's scales, which reach 20, are reduced)",
    skip: (entry) => entry.cannotCarry({ name: "x", type: "histogram", native: {}, series: [] }) !== undefined,
    async run(entry, base) {
      const histogram = (observations: number[], schema: number): ProducedMetric => ({
        name: base,
        type: "histogram",
        native: { schema },
        series: [{ observations }],
      });
      const a = [0.003, 0.5, 1, 1.5, 40, -2, 0];
      const b = [0.004, 7, 7.5, 1000];
      expect(await entry.push([histogram(a, 4)])).toMatchObject({ accepted: true });
      expect(await entry.push([histogram(b, 2)])).toMatchObject({ accepted: true });
      const series = (await stored(base))?.series[0];
      expect(series?.native).toEqual(nativeOf({ schema: 2 }, [...a, ...b]));
      expect(series?.counts).toEqual([11]);
      const fine = await entry.push([histogram([3], 9)]);
      if (entry.name.startsWith("OTLP")) {
        expect(fine).toMatchObject({ accepted: true });
        expect((await stored(base))?.series[0]?.native).toEqual(nativeOf({ schema: 2 }, [...a, ...b, 3]));
      } else {
        expect(fine).toMatchObject({ accepted: false, status: 400 });
        expect(fine.error).toMatch(/schema.*must be an integer from -4 to 8, got 9/);
      }
    },
  },
  {
    rule: "a cumulative stream adds what its total grew: a stale point adds nothing, a new start counts anew",
    skip: (entry) =>
      entry.cannotCarry({
        name: "x",
        type: "counter",
        series: [{ value: 1, cumulative: { stream: "s", start: "1", time: "1" } }],
      }) !== undefined,
    async run(entry, base) {
      const total = (value: number, start: string, time: string): ProducedMetric => ({
        name: base,
        type: "counter",
        series: [{ labels: {}, value, cumulative: { stream: `${base}-stream`, start, time } }],
      });
      for (const [value, start, time, expected] of [
        [5, "100", "200", 5],
        [8, "100", "300", 8],
        [6, "100", "250", 8],
        [2, "400", "500", 10],
      ] as const) {
        expect(await entry.push([total(value, start, time)])).toMatchObject({ accepted: true });
        expect((await stored(base))?.series[0]?.value).toBe(expected);
      }
      const bad = await entry.push([total(1, "soon", "600")]);
      expect(bad).toMatchObject({ accepted: false, status: 400 });
      expect(bad.error).toMatch(/start(TimeUnixNano)?: must be a time in nanoseconds/);
      expect((await stored(base))?.series[0]?.value).toBe(10);
    },
  },
  {
    rule: "a family has at most 32 label names: 33 are refused with 400 naming the limit, and nothing is stored",
    async run(entry, base) {
      const names = labelNames(33);
      const metric: ProducedMetric = {
        name: base,
        type: "gauge",
        labelNames: names,
        series: [{ labels: labelsOf(names, () => "v"), value: 1 }],
      };
      const reply = await entry.push([metric]);
      expect(reply).toMatchObject({ accepted: false, status: 400 });
      expect(reply.error).toMatch(/33|over the limit of 32/);
      expect(await stored(base)).toBeUndefined();
    },
  },
  {
    rule: "a series' label names and values are at most 8,192 characters together",
    async run(entry, base) {
      const names = labelNames(9);
      const metric: ProducedMetric = {
        name: base,
        type: "gauge",
        labelNames: names,
        series: [{ labels: labelsOf(names, () => "v".repeat(1000)), value: 1 }],
      };
      const reply = await entry.push([metric]);
      expect(reply).toMatchObject({ accepted: false, status: 400 });
      expect(reply.error).toMatch(/over the limit of 8192 per series/);
      expect(await stored(base)).toBeUndefined();
    },
  },
  {
    rule: "the time to live is part of a family's definition: another one is refused with 409",
    skip: (entry) => entry.cannotCarry({ name: "x", type: "counter", ttlSeconds: 1, series: [] }) !== undefined,
    async run(entry, base) {
      const ttl = (ttlSeconds: number, value: number): ProducedMetric => ({
        name: base,
        type: "counter",
        ttlSeconds,
        series: [{ value }],
      });
      expect(await entry.push([ttl(600, 1)])).toMatchObject({ accepted: true });
      const reply = await entry.push([ttl(1, 1)]);
      expect(reply).toMatchObject({ accepted: false, status: 409 });
      expect(reply.error).toMatch(/different time to live \(ttlSeconds 600 vs 1\)/);
      expect(await stored(base)).toMatchObject({ ttlSeconds: 600, series: [{ value: 1 }] });
    },
  },
  {
    rule: "a push one of whose families is refused applies nothing (the Durable Object transport: each family alone)",
    async run(entry, base) {
      const histogram = (buckets: number[]): ProducedMetric => ({
        name: `${base}_h`,
        type: "histogram",
        buckets,
        series: [{ observations: [0.5] }],
      });
      expect(await entry.push([histogram([1])])).toMatchObject({ accepted: true });
      const fresh: ProducedMetric = { name: `${base}_new`, type: "counter", series: [{ value: 1 }] };
      const reply = await entry.push([fresh, histogram([1, 2])]);
      expect(reply).toMatchObject({ accepted: false, status: 409 });
      expect(reply.error).toMatch(/different buckets/);
      expect(await stored(`${base}_new`)).toEqual(entry.wholePush ? undefined : expect.anything());
      expect((await stored(`${base}_h`))?.series).toMatchObject([{ counts: [1, 0] }]);
    },
  },
  {
    rule: "only an operator shards a family: a bound Worker's declaration counts, an HTTP push's does not",
    skip: (entry) => entry.cannotCarry({ name: "x", type: "counter", shards: 4, series: [] }) !== undefined,
    async run(entry, base) {
      const metric: ProducedMetric = { name: base, type: "counter", shards: 4, series: [{ value: 1 }] };
      expect(await entry.push([metric])).toMatchObject({ accepted: true });
      const listed = (await catalog(env).list()).find((e) => e.name === base);
      expect(listed?.shards).toBe(entry.bound ? 4 : 1);
    },
  },
  {
    rule: "a part's Pushgateway group: its series carry its labels (400 otherwise); replacing it drops the group's other series in the family, not another group's",
    skip: (entry) =>
      entry.cannotCarry({ name: "x", type: "gauge", grouping: { job: "a" }, replace: true, series: [] }) !== undefined,
    async run(entry, base) {
      const gauge = (job: string, values: Record<string, number>, replace = false): ProducedMetric => ({
        name: base,
        type: "gauge",
        labelNames: ["job", "k"],
        grouping: { job },
        replace,
        series: Object.entries(values).map(([k, value]) => ({ labels: { job, k }, value })),
      });
      expect(await entry.push([gauge("a", { "1": 1, "2": 2 })])).toMatchObject({ accepted: true });
      expect(await entry.push([gauge("b", { "1": 3 })])).toMatchObject({ accepted: true });
      expect(await entry.push([gauge("a", { "2": 5 }, true)])).toMatchObject({ accepted: true });
      const values = async () =>
        ((await stored(base))?.series ?? []).map((s) => `${s.labels.job}${s.labels.k}=${s.value}`).sort();
      expect(await values()).toEqual(["a2=5", "b1=3"]);
      const outside = await entry.push([{ ...gauge("a", {}), series: [{ labels: { job: "b", k: "9" }, value: 1 }] }]);
      expect(outside).toMatchObject({ accepted: false, status: 400 });
      expect(outside.error).toContain('is in group {"job":"a"}, so its label "job" must be "a"');
      expect(await values()).toEqual(["a2=5", "b1=3"]);
    },
  },
  {
    rule: "a gauge's or an untyped sample's value may be NaN, +Inf or -Inf (the text format allows it), stored and scraped as such; a counter's increment may not",
    // OpenTelemetry gauges are doubles, but its JSON encoding is another mapping (lib/protocol/otlp).
    skip: (entry) => entry.name.startsWith("OTLP"),
    async run(entry, base) {
      const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      const gauge = (type: "gauge" | "untyped"): ProducedMetric => ({
        name: `${base}_${type}`,
        type,
        labelNames: ["k"],
        series: values.map((value, i) => ({ labels: { k: String(i) }, value })),
      });
      const types =
        entry.cannotCarry(gauge("untyped")) === undefined ? (["gauge", "untyped"] as const) : (["gauge"] as const);
      expect(await entry.push(types.map(gauge))).toMatchObject({ accepted: true });
      for (const type of types) {
        expect((await stored(`${base}_${type}`))?.series.map((s) => s.value)).toEqual(values);
        const text = await scrape("text");
        for (const [i, shown] of ["NaN", "+Inf", "-Inf"].entries())
          expect(text).toMatch(
            new RegExp(`^${base}_${type}\\{[^}]*k="${i}"[^}]*\\} ${shown.replace("+", "\\+")}$`, "m"),
          );
      }
      // A second push reads them back from storage (a set replaces them, as any value).
      expect(await entry.push([{ ...gauge("gauge"), series: [{ labels: { k: "0" }, value: 1 }] }])).toMatchObject({
        accepted: true,
      });
      expect((await stored(`${base}_gauge`))?.series.map((s) => s.value)).toEqual([1, values[1], values[2]]);
      const counter = await entry.push([
        { name: `${base}_c`, type: "counter", series: [{ value: Number.POSITIVE_INFINITY }] },
      ]);
      expect(counter).toMatchObject({ accepted: false, status: 400 });
    },
  },
  {
    rule: "a metric name may start with __ (the text format allows it); a label name may not (Prometheus's own)",
    // OpenTelemetry's names are translated: runs of underscores become one (lib/protocol/otlp/to-push.ts).
    skip: (entry) => entry.name.startsWith("OTLP"),
    async run(entry, base) {
      const metric = (labelNames: string[]): ProducedMetric => ({
        name: `__${base}`,
        type: "gauge",
        labelNames,
        series: [{ labels: Object.fromEntries(labelNames.map((l) => [l, "v"])), value: 2 }],
      });
      expect(await entry.push([metric([])])).toMatchObject({ accepted: true });
      expect((await stored(`__${base}`))?.series.map((s) => s.value)).toEqual([2]);
      const label = await entry.push([metric(["__x"])]);
      expect(label).toMatchObject({ accepted: false, status: 400 });
      expect(label.error).toContain('"__x" starts with "__", which is reserved');
    },
  },
  {
    rule: "push_time_seconds and push_failure_time_seconds are the Worker's, per Pushgateway group: refused (400) from every entry, left out of a Pushgateway body (as the Pushgateway leaves them out)",
    async run(entry, base) {
      const own: ProducedMetric = { name: `${base}_g`, type: "gauge", series: [{ value: 1 }] };
      for (const name of GROUP_TIME_FAMILIES) {
        const reply = await entry.push([{ name, type: "gauge", series: [{ value: 5 }] }, own]);
        const times = (await stored(name))?.series.filter((s) => s.labels.job === entry.labels.job) ?? [];
        if (entry.name.startsWith("Pushgateway API")) {
          expect(reply).toMatchObject({ accepted: true });
          // The group's times are the Worker's (the push time this push's), never the pushed 5. (Its failure time
          // exists when another row's push to the same group was refused.)
          if (name === "push_time_seconds") expect(times).toHaveLength(1);
          for (const s of times) expect(s.value).toBeGreaterThan(Date.now() / 1000 - 3600);
        } else {
          expect(reply).toMatchObject({ accepted: false, status: 400 });
          expect(reply.error).toContain(`"${name}" is kept by the Worker for each Pushgateway group`);
          if (entry.wholePush) expect(await stored(own.name)).toBeUndefined();
        }
      }
    },
  },
];

describe("rules about data, through every way in", () => {
  RULES.forEach((rule, r) => {
    describe(rule.rule, () => {
      ENTRIES.forEach((entry, e) => {
        if (rule.skip?.(entry)) return;
        it(entry.name, () => rule.run(entry, `rules_r${r}_e${e}`));
      });
    });
  });
});
