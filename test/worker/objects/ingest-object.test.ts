// The ingest object inside workerd: a push of several families is one object request when acknowledged; the scrape
// that follows includes it (read your writes); an acknowledged push is in storage (a reload keeps it); a retry is
// never counted twice, before the fold, after it, and after a reload; refusals that depend on what is stored (another
// type, the series cap) come before the acknowledgement and change nothing; the log costs at most a row per push.

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Registry } from "../../../lib/client/registry.ts";
import type { FamilyNamespace } from "../../../lib/client/transports/durable-object.ts";
import { DurableObjectTransport } from "../../../lib/client/transports/durable-object.ts";
import { foldIngest } from "../object-requests.ts";

const ingest = () => env.METRICS_INGEST?.getByName("ingest#0");

/** The anchor shape: a counter over 10 label values, a histogram, a gauge. */
function anchor(prefix: string, batch: string, inc = 1) {
  return {
    batch,
    families: [
      {
        name: `${prefix}_events_total`,
        type: "counter",
        help: "Events.",
        labelNames: ["k"],
        series: Array.from({ length: 10 }, (_, i) => ({ labels: { k: `v${i}` }, inc })),
      },
      {
        name: `${prefix}_seconds`,
        type: "histogram",
        help: "Seconds.",
        buckets: [0.1, 1],
        series: [{ labels: {}, counts: [1, 1, 0], sum: 0.6 }],
      },
      { name: `${prefix}_last`, type: "gauge", help: "Last.", series: [{ labels: {}, set: inc }] },
    ],
  };
}

const post = (body: unknown) =>
  exports.default.fetch(
    new Request("http://metrics.test/push", {
      method: "POST",
      headers: { authorization: "Bearer test-push-token", "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
const scrape = async () => (await exports.default.fetch(new Request("http://metrics.test/metrics"))).text();
const sample = (text: string, line: string) => {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
};

describe("ingest object", () => {
  it("acknowledges a push of three families with one object request, and the next scrape includes it", async () => {
    expect((await post(anchor("ing_one", "one-0"))).status).toBe(200); // admits the families (asks their objects)
    await foldIngest();
    // The requests the push's own objects received: the ingest object's and its three families' (the router's own
    // metrics, flushed at once in this project, are left out).
    const requests = async () => {
      const families = ["ing_one_events", "ing_one_seconds", "ing_one_last"].map((n) =>
        env.METRICS_FAMILY.getByName(n),
      );
      const stats = await Promise.all([ingest()?.stats(), ...families.map((f) => f.stats())]);
      return stats.reduce((n, s) => n + (s?.requests ?? 0), 0);
    };
    const before = await requests();
    const res = await post(anchor("ing_one", "one-1"));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ batch: "one-1", families: [{ status: "applied" }, {}, {}] });
    expect((await requests()) - before).toBe(1);
    const text = await scrape();
    expect(sample(text, 'ing_one_events_total{k="v3"}')).toBe(2);
    expect(sample(text, 'ing_one_seconds_bucket{le="1"}')).toBe(4);
    expect(sample(text, "ing_one_last")).toBe(1);
  });

  it("keeps an acknowledged push in storage: a reload (as after a crash) folds it", async () => {
    expect((await post(anchor("ing_durable", "d-0", 5))).status).toBe(200);
    expect((await post(anchor("ing_durable", "d-1", 7))).status).toBe(200);
    await ingest()?.reload();
    const text = await scrape();
    expect(sample(text, 'ing_durable_events_total{k="v0"}')).toBe(12);
    expect(sample(text, "ing_durable_last")).toBe(7);
  });

  it("keeps a gauge's NaN and ±Inf through its log and the family's storage (JSON spells them as text)", async () => {
    const gauge = (batch: string, values: unknown[]) => ({
      batch,
      families: [
        {
          name: "ing_nan",
          type: "gauge",
          help: "G.",
          labelNames: ["k"],
          series: values.map((set, i) => ({ labels: { k: String(i) }, set })),
        },
      ],
    });
    expect((await post(gauge("nan-1", ["NaN", "+Inf", "-Inf", 2]))).status).toBe(200);
    await ingest()?.reload(); // the log row is what folds
    const values = ["NaN", "+Inf", "-Inf", "2"];
    const lines = async () => (await scrape()).split("\n").filter((l) => l.startsWith("ing_nan{"));
    expect(await lines()).toEqual(values.map((v, i) => `ing_nan{k="${i}"} ${v}`));
    // The family object read again from storage: the same values.
    env.METRICS_FAMILY.getByName("ing_nan").reload();
    expect(await lines()).toEqual(values.map((v, i) => `ing_nan{k="${i}"} ${v}`));
    const bad = await post(gauge("nan-2", ["nan"]));
    expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([
      400,
      'families[0].series[0].set: must be a number ("NaN", "+Inf" or "-Inf" in JSON), got "nan"',
    ]);
  });

  it("remembers how far it folded, so a restart after a pause folds nothing again", async () => {
    expect((await post(anchor("ing_mark", "mark-1"))).status).toBe(200);
    await foldIngest();
    const families = ["ing_mark_events", "ing_mark_seconds", "ing_mark_last"].map((n) =>
      env.METRICS_FAMILY.getByName(n),
    );
    const requests = async () =>
      (await Promise.all(families.map((f) => f.stats()))).reduce((n, s) => n + s.requests, 0);
    const before = await requests();
    await ingest()?.reload();
    await foldIngest();
    // Nothing was sent to the family objects again (they would drop it as a replay, but only for an hour).
    expect((await requests()) - before).toBe(0);
  });

  it("never counts a retry twice: before the fold, after it, and after a reload", async () => {
    expect((await post(anchor("ing_retry", "r-1", 3))).status).toBe(200);
    const early = await post(anchor("ing_retry", "r-1", 3));
    expect(((await early.json()) as { families: { status: string }[] }).families.map((f) => f.status)).toEqual([
      "duplicate",
      "duplicate",
      "duplicate",
    ]);
    expect(sample(await scrape(), 'ing_retry_events_total{k="v9"}')).toBe(3);
    expect((await post(anchor("ing_retry", "r-1", 3))).status).toBe(200);
    await ingest()?.reload(); // forgets the ids it remembered: the family objects still know them
    expect((await post(anchor("ing_retry", "r-1", 3))).status).toBe(200);
    expect(sample(await scrape(), 'ing_retry_events_total{k="v9"}')).toBe(3);
  });

  it("refuses a push against what is stored before acknowledging it, and changes nothing", async () => {
    // Stored as a counter by a Worker through the Durable Object transport.
    const transport = new DurableObjectTransport(env.METRICS_FAMILY as unknown as FamilyNamespace);
    const [stored] = await transport.push({
      pushId: "direct-1",
      families: [{ name: "ing_clash", type: "counter", help: "C.", labelNames: [], series: [{ labels: {}, inc: 4 }] }],
    });
    expect(stored?.status).toBe("applied");
    const before = await scrape();
    const res = await post({
      batch: "clash-1",
      families: [
        { name: "ing_clash", type: "gauge", help: "G.", series: [{ labels: {}, set: 1 }] },
        { name: "ing_clash_other", type: "gauge", help: "G.", series: [{ labels: {}, set: 1 }] },
      ],
    });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: string; families: { name: string; code: number }[] };
    expect(body.error).toMatch(/ing_clash/);
    expect(body.families.map((f) => f.code)).toEqual([409, 424]);
    const after = await scrape();
    expect(sample(after, "ing_clash_total")).toBe(4);
    expect(after).not.toContain("ing_clash_other");
    expect(after.replace(/^pdc_.*\n/gm, "")).toBe(before.replace(/^pdc_.*\n/gm, ""));
  });

  it("holds the series cap exactly over pushes acknowledged and not folded yet", async () => {
    // The cap of this project is 1,000 series a family: 10 pushes of 100 new series reach it, the 11th passes it.
    const part = (from: number) => ({
      name: "ing_cap",
      type: "gauge",
      help: "G.",
      labelNames: ["k"],
      series: Array.from({ length: 100 }, (_, i) => ({ labels: { k: String(from + i) }, set: 1 })),
    });
    for (let p = 0; p < 10; p++)
      expect((await post({ batch: `cap-${p}`, families: [part(p * 100)] })).status).toBe(200);
    const over = await post({ batch: "cap-10", families: [part(1000)] });
    expect(over.status).toBe(413);
    expect(await over.text()).toMatch(/1000/);
    expect((await scrape()).match(/^ing_cap\{/gm)).toHaveLength(1000);
  });

  it("writes at most one log row per push, fewer when pushes arrive together", async () => {
    expect((await post(anchor("ing_rows", "rows-0"))).status).toBe(200);
    await foldIngest();
    const before = await ingest()?.stats();
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => post(anchor("ing_rows", `rows-${i + 1}`))));
    expect(replies.map((r) => r.status)).toEqual(Array(40).fill(200));
    const after = await ingest()?.stats();
    const rows = (after?.rowsWritten ?? 0) - (before?.rowsWritten ?? 0);
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(40);
    expect((after?.pushes ?? 0) - (before?.pushes ?? 0)).toBe(40);
    expect(sample(await scrape(), 'ing_rows_events_total{k="v0"}')).toBe(41);
  });

  it("takes a bound Worker's flush through the Durable Object transport as one request, checked as the router checks", async () => {
    const family = env.METRICS_FAMILY as unknown as FamilyNamespace;
    const transport = new DurableObjectTransport(family, { ingest: env.METRICS_INGEST as unknown as FamilyNamespace });
    const registry = new Registry({ transport });
    const jobs = new Counter({ name: "ing_bound_jobs_total", help: "Jobs.", labelNames: ["k"], registers: [registry] });
    const depth = new Gauge({ name: "ing_bound_depth", help: "Depth.", registers: [registry] });
    jobs.inc({ k: "a" }, 2);
    depth.set(3);
    expect(await registry.flush()).toMatchObject({ delivered: 2, rejected: 0, retained: 0 });
    const before = (await ingest()?.stats())?.requests ?? 0;
    jobs.inc({ k: "a" }, 5);
    depth.set(4);
    expect(await registry.flush()).toMatchObject({ delivered: 2 });
    expect(((await ingest()?.stats())?.requests ?? 0) - before).toBe(1);
    const text = await scrape();
    expect(sample(text, 'ing_bound_jobs_total{k="a"}')).toBe(7);
    expect(sample(text, "ing_bound_depth")).toBe(4);
    // What a bound Worker sends is checked like an HTTP push: an invalid one is refused, naming the field.
    const invalid = await transport.push({
      pushId: "bad-1",
      families: [
        { name: "ing_bound_bad", type: "counter", help: "B.", labelNames: [], series: [{ labels: {}, inc: -1 }] },
      ],
    });
    expect(invalid).toEqual([
      { name: "ing_bound_bad", status: "rejected", code: 400, error: expect.stringMatching(/inc.*-1/) },
    ]);
    expect(await scrape()).not.toContain("ing_bound_bad");
  });
});
