// The naming rule, one table through every way in (test/worker/entries/entries.ts), each push followed by a real scrape in
// both formats: a counter's family is its name with one trailing `_total` removed, so `x` and `x_total` are one
// family (exposed `x_total`), `x_total_total` is the family `x_total` (exposed `x_total_total`), and a gauge or a
// histogram keeps its name whatever it ends in. A counter the client declares as `x`, or the Pushgateway API creates
// from samples named `x`, keeps `x` in text 0.0.4 (OpenMetrics adds `_total` as it must).

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { catalog } from "../../../worker/objects/catalog-object.ts";
import { ENTRIES, type Entry, type ProducedMetric, PUSH_TOKEN, sampleLine, scrape } from "./entries.ts";

interface NamingCase {
  case: string;
  /** What the producer pushes, `B` standing for the case's own base name. */
  push: ProducedMetric[];
  /** Lines the text 0.0.4 scrape must hold, and the OpenMetrics one. */
  text: (entry: Entry, b: string) => string[];
  openMetrics: (entry: Entry, b: string) => string[];
  /** True for the entries that refuse the push (409, nothing applied). */
  refused?: (entry: Entry) => boolean;
}

const counter = (name: string, value: number): ProducedMetric => ({ name, type: "counter", series: [{ value }] });
const histogram = (name: string): ProducedMetric => ({
  name,
  type: "histogram",
  buckets: [1],
  series: [{ observations: [0.5, 3] }],
});
const histogramLines = (entry: Entry, name: string) => [
  sampleLine(entry, `${name}_bucket`, 1, { le: "1" }),
  sampleLine(entry, `${name}_bucket`, 2, { le: "+Inf" }),
  sampleLine(entry, `${name}_sum`, 3.5),
  sampleLine(entry, `${name}_count`, 2),
];

const CASES: NamingCase[] = [
  {
    case: "counter x",
    push: [counter("B", 1)],
    text: (e, b) => {
      const name = e.keepsBareCounterNames ? b : `${b}_total`;
      return [`# TYPE ${name} counter`, sampleLine(e, name, 1)];
    },
    openMetrics: (e, b) => [`# TYPE ${b} counter`, sampleLine(e, `${b}_total`, 1)],
  },
  {
    case: "counter x_total",
    push: [counter("B_total", 2)],
    text: (e, b) => [`# TYPE ${b}_total counter`, sampleLine(e, `${b}_total`, 2)],
    openMetrics: (e, b) => [`# TYPE ${b} counter`, sampleLine(e, `${b}_total`, 2)],
  },
  {
    case: "counter x_total_total",
    push: [counter("B_total_total", 4)],
    text: (e, b) => [`# TYPE ${b}_total_total counter`, sampleLine(e, `${b}_total_total`, 4)],
    openMetrics: (e, b) => [`# TYPE ${b}_total counter`, sampleLine(e, `${b}_total_total`, 4)],
  },
  {
    case: "gauge x_total",
    push: [{ name: "B_total", type: "gauge", series: [{ value: 3 }] }],
    text: (e, b) => [`# TYPE ${b}_total gauge`, sampleLine(e, `${b}_total`, 3)],
    openMetrics: (e, b) => [`# TYPE ${b}_total gauge`, sampleLine(e, `${b}_total`, 3)],
  },
  {
    case: "histogram x_total",
    push: [histogram("B_total")],
    text: (e, b) => [`# TYPE ${b}_total histogram`, ...histogramLines(e, `${b}_total`)],
    openMetrics: (e, b) => [`# TYPE ${b}_total histogram`, ...histogramLines(e, `${b}_total`)],
  },
  {
    // The Pushgateway takes both (text 0.0.4 tells them apart); OpenMetrics would write x_total twice, so it writes the
    // counter unknown under its bare name. A counter exposed as x_total leaves no room for the gauge: refused.
    case: "counter x beside gauge x_total",
    push: [counter("B", 4), { name: "B_total", type: "gauge", series: [{ value: 9 }] }],
    refused: (e) => !e.keepsBareCounterNames,
    text: (e, b) => [
      `# TYPE ${b} counter`,
      sampleLine(e, b, 4),
      `# TYPE ${b}_total gauge`,
      sampleLine(e, `${b}_total`, 9),
    ],
    openMetrics: (e, b) => [
      `# TYPE ${b} unknown`,
      sampleLine(e, b, 4),
      `# TYPE ${b}_total gauge`,
      sampleLine(e, `${b}_total`, 9),
    ],
  },
  {
    case: "all mixed in one push, one counter named both ways",
    push: [
      counter("B_a", 1),
      counter("B_a_total", 2),
      counter("B_b_total_total", 4),
      { name: "B_c_total", type: "gauge", series: [{ value: 3 }] },
      histogram("B_d_total"),
    ],
    text: (e, b) => [
      // Named first without _total: the client and a Pushgateway body keep that name in text 0.0.4.
      `# TYPE ${e.keepsBareCounterNames ? `${b}_a` : `${b}_a_total`} counter`,
      sampleLine(e, e.keepsBareCounterNames ? `${b}_a` : `${b}_a_total`, 3),
      `# TYPE ${b}_b_total_total counter`,
      sampleLine(e, `${b}_b_total_total`, 4),
      `# TYPE ${b}_c_total gauge`,
      sampleLine(e, `${b}_c_total`, 3),
      `# TYPE ${b}_d_total histogram`,
      ...histogramLines(e, `${b}_d_total`),
    ],
    openMetrics: (e, b) => [
      `# TYPE ${b}_a counter`,
      sampleLine(e, `${b}_a_total`, 3),
      `# TYPE ${b}_b_total counter`,
      sampleLine(e, `${b}_b_total_total`, 4),
      `# TYPE ${b}_c_total gauge`,
      sampleLine(e, `${b}_c_total`, 3),
      `# TYPE ${b}_d_total histogram`,
      ...histogramLines(e, `${b}_d_total`),
    ],
  },
];

/** The lines of a scrape that belong to names starting with `base` (HELP lines aside). */
const linesOf = (body: string, base: string) =>
  body.split("\n").filter((l) => l.startsWith(base) || (l.startsWith("# TYPE ") && l.slice(7).startsWith(base)));

describe("the counter naming rule, through every way in", () => {
  ENTRIES.forEach((entry, e) => {
    describe(entry.name, () => {
      CASES.forEach((c, k) => {
        it(c.case, async () => {
          const base = `naming_e${e}_c${k}`;
          const push = c.push.map((m) => ({ ...m, name: m.name.replace("B", base) }));
          if (c.refused?.(entry)) {
            expect(await entry.push(push)).toMatchObject({ accepted: false, status: 409 });
            expect(linesOf(await scrape("text"), base)).toEqual([]);
            return;
          }
          expect(await entry.push(push)).toEqual({ accepted: true, status: 200, error: "" });
          const text = linesOf(await scrape("text"), base);
          expect(text).toEqual(expect.arrayContaining(c.text(entry, base)));
          const openMetrics = linesOf(await scrape("openmetrics"), base);
          expect(openMetrics).toEqual(expect.arrayContaining(c.openMetrics(entry, base)));
          // Exactly the expected families: nothing left under a wrongly derived name.
          const types = (lines: string[]) => lines.filter((l) => l.startsWith("# TYPE")).sort();
          expect(types(text)).toEqual(types(c.text(entry, base)));
          expect(types(openMetrics)).toEqual(types(c.openMetrics(entry, base)));
        });
      });
    });
  });
});

describe("upgrading from the release that kept _total in JSON counter names", () => {
  it("keeps a family stored as x_total readable and deletable; new pushes of x_total go to x", async () => {
    // What that release did with a JSON push of the counter `upgrade_jobs_total`: the family kept the whole name.
    const legacy = { name: "upgrade_jobs_total", type: "counter" as const, help: "Jobs.", labelNames: [] };
    const stub = env.METRICS_FAMILY.getByName("upgrade_jobs_total");
    expect(await stub.pushChecked("legacy-1", { ...legacy, series: [{ labels: {}, inc: 5 }] })).toMatchObject({
      status: "applied",
    });
    const [json] = ENTRIES.filter((entry) => entry.name === "JSON over HTTP");
    expect(await json?.push([counter("upgrade_jobs_total", 1)])).toMatchObject({ accepted: true });
    const text = await scrape("text");
    expect(text).toContain("\nupgrade_jobs_total_total 5\n");
    expect(text).toContain("\nupgrade_jobs_total 1\n");
    const deleted = await exports.default.fetch(
      new Request("http://metrics.test/families/upgrade_jobs_total", {
        method: "DELETE",
        headers: { authorization: `Bearer ${PUSH_TOKEN}` },
      }),
    );
    expect(await deleted.json()).toEqual({ deleted: "upgrade_jobs_total", series: 1 });
    const after = await scrape("text");
    expect(after).not.toContain("upgrade_jobs_total_total");
    expect(after).toContain("\nupgrade_jobs_total 1\n");
  });
});

describe("the catalog decides whether a counter is kept bare", () => {
  it("every object of the family takes the catalog's word, whatever its own first push said", async () => {
    // Two producers raced: the catalog listed the counter bare (a client that declared it so) …
    const listed = await catalog(env).register({ name: "raced_jobs", type: "counter", withoutTotal: true });
    expect(listed).toEqual({ ok: true, withoutTotal: true });
    // … while the family's object first applies a push that says nothing of it (JSON, `raced_jobs_total`).
    const [json] = ENTRIES.filter((entry) => entry.name === "JSON over HTTP");
    expect(await json?.push([counter("raced_jobs_total", 2)])).toMatchObject({ accepted: true });
    const text = await scrape("text");
    expect(text).toContain("\nraced_jobs 2\n");
    expect(text).not.toContain("raced_jobs_total");
    // And the other way round: listed with _total, a bare declaration does not make the object bare.
    expect(await catalog(env).register({ name: "raced_runs", type: "counter" })).toEqual({ ok: true });
    const bare = {
      name: "raced_runs",
      type: "counter",
      help: "R.",
      withoutTotal: true,
      series: [{ labels: {}, inc: 1 }],
    };
    const res = await exports.default.fetch(
      new Request("http://metrics.test/push", {
        method: "POST",
        headers: { authorization: `Bearer ${PUSH_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ families: [bare] }),
      }),
    );
    expect(res.status).toBe(200);
    expect(await scrape("text")).toContain("\nraced_runs_total 1\n");
  });
});
