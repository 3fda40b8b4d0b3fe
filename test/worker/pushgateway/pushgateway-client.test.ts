// The Pushgateway client (prom-client's method names) against the real endpoint in workerd: pushAdd adds what was
// counted since the last push, push replaces with this process's totals, delete deletes the group; a reply lost on
// the way is resent with the same Idempotency-Key and counts once.

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Pushgateway } from "../../../lib/client/pushgateway.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";

const URL_BASE = "http://metrics.test";
const TOKEN = "test-push-token";
const worker: typeof fetch = (input, init) => exports.default.fetch(new Request(input, init));

async function seriesOf(family: string, match: Record<string, string>) {
  const stored = (await collectFamilies(env)).find((f) => f.name === family);
  return (stored?.series ?? []).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

describe("Pushgateway client", () => {
  it("pushAdd from two short-lived registries adds up under the grouping key", async () => {
    for (const n of [2, 5]) {
      const registry = new Registry();
      const jobs = new Counter({ name: "pgc_jobs_total", help: "Jobs.", labelNames: ["kind"], registers: [registry] });
      const latency = new Histogram({ name: "pgc_seconds", help: "Latency.", buckets: [1, 10], registers: [registry] });
      jobs.inc({ kind: "a" }, n);
      latency.observe(n);
      const gateway = new Pushgateway(URL_BASE, { token: TOKEN, fetch: worker }, registry);
      const reply = await gateway.pushAdd({ jobName: "pgc-add", groupings: { region: "eu/west" } });
      expect(reply.resp?.status).toBe(200);
    }
    const group = { job: "pgc-add", region: "eu/west" };
    expect((await seriesOf("pgc_jobs", group)).map((s) => [s.labels.kind, s.value])).toEqual([["a", 7]]);
    expect((await seriesOf("pgc_seconds", group))[0]).toMatchObject({ counts: [0, 2, 0], sum: 7 });
  });

  it("pushAdd sends a gauge's current value, as prom-client does: inc(5), push, inc(2), push → 7", async () => {
    const registry = new Registry();
    const depth = new Gauge({ name: "pgc_depth", help: "Depth.", labelNames: ["q"], registers: [registry] });
    const gateway = new Pushgateway(URL_BASE, { token: TOKEN, fetch: worker }, registry);
    depth.inc({ q: "a" }, 5);
    depth.set({ q: "b" }, 1);
    await gateway.pushAdd({ jobName: "pgc-gauge" });
    depth.inc({ q: "a" }, 2);
    await gateway.pushAdd({ jobName: "pgc-gauge" });
    const values = (await seriesOf("pgc_depth", { job: "pgc-gauge" })).map((s) => [s.labels.q, s.value]);
    expect(values).toEqual([
      ["a", 7],
      ["b", 1],
    ]);
  });

  it("push replaces with this process's totals: 5, then 5 + 3 = 8 (not 13, not 3)", async () => {
    const registry = new Registry();
    const done = new Counter({ name: "pgc_done_total", help: "Done.", registers: [registry] });
    const gateway = new Pushgateway(URL_BASE, { token: TOKEN, fetch: worker }, registry);
    done.inc(5);
    await gateway.push({ jobName: "pgc-put" });
    done.inc(3);
    await gateway.push({ jobName: "pgc-put" });
    expect((await seriesOf("pgc_done", { job: "pgc-put" }))[0]?.value).toBe(8);
    // Nothing new: the totals are sent again and still replace, so the value stays.
    await gateway.push({ jobName: "pgc-put" });
    expect((await seriesOf("pgc_done", { job: "pgc-put" }))[0]?.value).toBe(8);
  });

  it("runs collect callbacks before it takes the values", async () => {
    const registry = new Registry();
    new Gauge({
      name: "pgc_queue_depth",
      help: "Depth.",
      registers: [registry],
      collect() {
        this.set(42);
      },
    });
    await new Pushgateway(URL_BASE, { token: TOKEN, fetch: worker }, registry).pushAdd({ jobName: "pgc-collect" });
    expect((await seriesOf("pgc_queue_depth", { job: "pgc-collect" }))[0]?.value).toBe(42);
  });

  it("resends a push whose reply was lost with the same Idempotency-Key: it counts once", async () => {
    const registry = new Registry();
    const sent = new Counter({ name: "pgc_lost_total", help: "Lost replies.", registers: [registry] });
    const keys: string[] = [];
    let failures = 3;
    // The request reaches the Worker and is applied, but the reply never arrives: three times.
    const lossy: typeof fetch = async (input, init) => {
      keys.push(new Headers(init?.headers).get("idempotency-key") ?? "");
      const reply = await worker(input, init);
      if (failures-- > 0) throw new TypeError("connection reset");
      return reply;
    };
    const gateway = new Pushgateway(URL_BASE, { token: TOKEN, fetch: lossy, retries: 1, backoffMs: 1 }, registry);
    sent.inc(4);
    await expect(gateway.pushAdd({ jobName: "pgc-lost" })).rejects.toThrow(/connection reset/);
    sent.inc(1);
    const reply = await gateway.pushAdd({ jobName: "pgc-lost" });
    expect(reply.resp?.status).toBe(200);
    expect((await seriesOf("pgc_lost", { job: "pgc-lost" }))[0]?.value).toBe(5);
    // The lost push: two attempts in the first call, two in the second (one more lost reply), one key throughout;
    // then the new increment, under a key of its own.
    expect(keys).toHaveLength(5);
    expect(new Set(keys.slice(0, 4)).size).toBe(1);
    expect(keys[4]).not.toBe(keys[0]);
  });

  it("rejects a refused push with the Worker's message, and delete removes the group", async () => {
    const registry = new Registry();
    const clash = new Counter({ name: "pgc_clash_total", help: "Clash.", registers: [registry] });
    await worker(`${URL_BASE}/metrics/job/pgc-clash`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: "# TYPE pgc_clash gauge\npgc_clash 1\n",
    });
    clash.inc();
    const gateway = new Pushgateway(URL_BASE, { token: TOKEN, fetch: worker }, registry);
    await expect(gateway.pushAdd({ jobName: "pgc-clash" })).rejects.toThrow(/status 409.*different type/);
    expect((await gateway.delete({ jobName: "pgc-clash" })).resp?.status).toBe(202);
    expect(await seriesOf("pgc_clash", { job: "pgc-clash" })).toEqual([]);
    await expect(gateway.pushAdd({ jobName: "" })).rejects.toThrow("Missing jobName parameter");
  });
});
