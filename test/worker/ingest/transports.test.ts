// The three transports against the real Worker inside workerd: a registry flushed through each lands in
// the same scrape; HTTP retries 5xx and network errors with the same batch id and never retries a 4xx.

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { DurableObjectTransport, type FamilyNamespace } from "../../../lib/client/transports/durable-object.ts";
import { HttpTransport } from "../../../lib/client/transports/http.ts";
import { type MetricsServiceBinding, ServiceTransport } from "../../../lib/client/transports/service.ts";

const worker = (url: string | URL | Request, init?: RequestInit) => exports.default.fetch(new Request(url, init));
const scrape = async () => (await worker("http://metrics.test/metrics")).text();

/** Fetch that fails the first `n` calls (as a 503 or a dropped connection), then reaches the real Worker. */
function failingFirst(n: number, mode: "503" | "network" | "applied-then-503" | "timeout") {
  const calls: string[] = [];
  const fn = async (url: string | URL | Request, init?: RequestInit) => {
    calls.push(JSON.parse(String(init?.body)).batch);
    if (calls.length <= n) {
      if (mode === "network") throw new TypeError("connection reset");
      if (mode === "timeout") {
        const signal = init?.signal as AbortSignal;
        return new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      }
      if (mode === "applied-then-503") await worker(url, init);
      return new Response('{"error":"unavailable"}', { status: 503 });
    }
    return worker(url, init);
  };
  return { fn: fn as typeof fetch, calls };
}

describe("transports", () => {
  it("DO, service and HTTP transports all land in the same scrape", async () => {
    const transports = [
      new DurableObjectTransport(env.METRICS_FAMILY as unknown as FamilyNamespace),
      new ServiceTransport(exports.MetricsService as unknown as MetricsServiceBinding),
      new HttpTransport({ url: "http://metrics.test/push", token: "test-push-token", fetch: worker as typeof fetch }),
    ];
    for (const transport of transports) {
      const r = new Registry({ transport });
      const c = new Counter({ name: "via_total", help: "Via.", labelNames: ["k"] as const, registers: [r] });
      const h = new Histogram({ name: "via_seconds", help: "Via.", buckets: [1], registers: [r] });
      c.inc({ k: "a" }, 2);
      h.observe(0.5);
      expect(await r.flush()).toEqual({ delivered: 2, rejected: 0, retained: 0, dropped: 0 });
    }
    const text = await scrape();
    expect(text).toContain('via_total{k="a"} 6\n');
    expect(text).toContain("via_seconds_count 3\n");
  });

  it.each(["503", "network", "applied-then-503", "timeout"] as const)(
    "HTTP retries a %s with the same batch id and counts once",
    async (mode) => {
      const { fn, calls } = failingFirst(2, mode);
      const r = new Registry({
        transport: new HttpTransport({
          url: "http://metrics.test/push",
          token: "test-push-token",
          fetch: fn,
          backoffMs: 1,
          timeoutMs: 100,
        }),
      });
      const c = new Counter({ name: `retry_${mode.replace(/-/g, "_")}`, help: "R.", registers: [r] });
      c.inc(4);
      expect(await r.flush()).toMatchObject({ delivered: 1 });
      expect(calls).toHaveLength(3);
      expect(new Set(calls).size).toBe(1);
      // Declared without _total, so text 0.0.4 shows it so.
      expect(await scrape()).toContain(`retry_${mode.replace(/-/g, "_")} 4\n`);
    },
  );

  it("HTTP keeps the batch for the next flush when every retry fails", async () => {
    const { fn, calls } = failingFirst(3, "applied-then-503");
    const r = new Registry({
      transport: new HttpTransport({
        url: "http://metrics.test/push",
        token: "test-push-token",
        fetch: fn,
        retries: 2,
        backoffMs: 1,
      }),
    });
    new Counter({ name: "later_total", help: "L.", registers: [r] }).inc(9);
    expect(await r.flush()).toMatchObject({ retained: 1 });
    expect(await r.flush()).toMatchObject({ delivered: 1 });
    expect(new Set(calls).size).toBe(1);
    expect(await scrape()).toContain("later_total 9\n");
  });

  it("HTTP takes per-family outcomes from a 413: the family over its cap is refused, the other one applied", async () => {
    const errors: string[] = [];
    const r = new Registry({
      transport: new HttpTransport({
        url: "http://metrics.test/push",
        token: "test-push-token",
        fetch: worker as typeof fetch,
      }),
      onError: (m) => errors.push(m),
    });
    const wide = new Counter({ name: "wide_total", help: "W.", labelNames: ["i"] as const, registers: [r] });
    const fine = new Counter({ name: "fine_total", help: "F.", registers: [r] });
    for (let i = 0; i < 1001; i++) wide.inc({ i });
    fine.inc();
    expect(await r.flush()).toMatchObject({ delivered: 1, rejected: 1, retained: 0 });
    expect(errors.join()).toMatch(/refused \(413\).*over the limit of 1000 per family/);
    expect(await scrape()).toContain("fine_total 1\n");
  });

  it("HTTP never retries a 4xx: a wrong token is refused once and counted", async () => {
    const calls: number[] = [];
    const fn = (async (url: string, init?: RequestInit) => {
      calls.push(1);
      return worker(url, init);
    }) as typeof fetch;
    const errors: string[] = [];
    const r = new Registry({
      transport: new HttpTransport({ url: "http://metrics.test/push", token: "wrong", fetch: fn }),
      onError: (m) => errors.push(m),
    });
    new Counter({ name: "denied_total", help: "D.", registers: [r] }).inc();
    expect(await r.flush()).toMatchObject({ rejected: 1, retained: 0 });
    expect(calls).toHaveLength(1);
    expect(errors[0]).toMatch(/refused \(401\).*invalid credentials/);
    expect(await scrape()).not.toContain("denied_total");
  });
});
