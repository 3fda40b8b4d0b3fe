// The hostile corpus inside workerd, over HTTP and over the RPC entrypoint: every case gets its 4xx with a JSON
// error naming the problem, none gets a 5xx or leaks internals, and the stored data is byte-identical after.

import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { MetricsServiceBinding } from "../../../lib/client/transports/service.ts";
import type { Push } from "../../../lib/protocol/wire.ts";
import { type HostileCase, hostilePushes, seed } from "../../corpus/hostile-pushes.ts";
import { withoutSelfMetrics } from "../self-metrics/self-metrics-filter.ts";

const TOKEN = "test-push-token";
const corpus = hostilePushes();
const scrape = async () =>
  withoutSelfMetrics(await (await exports.default.fetch(new Request("http://metrics.test/metrics"))).text());

function send(c: HostileCase): Promise<Response> {
  const headers: Record<string, string> = { authorization: c.authorization ?? `Bearer ${TOKEN}` };
  if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
  return exports.default.fetch(new Request("http://metrics.test/push", { method: "POST", headers, body: c.body }));
}

describe("hostile pushes (workerd)", () => {
  let before = "";
  beforeAll(async () => {
    const res = await send({ name: "seed", body: JSON.stringify(seed), status: 400, message: /./ });
    expect(res.status).toBe(200);
    before = await scrape();
    expect(before).toContain('corpus_requests_total{route="/",code="200"} 5');
  });

  it("holds at least 200 cases", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  it.each(corpus.map((c) => [c.name, c] as const))("HTTP: %s", async (_, c) => {
    const res = await send(c);
    const text = await res.text();
    expect(res.status, text).toBe(c.status);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = JSON.parse(text) as { error?: string; families?: { status: string; error?: string }[] };
    const message =
      body.error ??
      body.families
        ?.filter((f) => f.status === "rejected")
        .map((f) => f.error)
        .join("; ");
    expect(message).toMatch(c.message);
    expect(text).not.toMatch(/\n\s+at |Error:|\.ts:\d+/);
    expect(text).not.toContain(TOKEN);
  });

  it("left the stored data byte-identical", async () => {
    expect(await scrape()).toBe(before);
  });

  it("refuses every JSON case over the RPC entrypoint too, with the same code and message", async () => {
    const service = exports.MetricsService as unknown as MetricsServiceBinding;
    let checked = 0;
    for (const c of corpus) {
      if (c.status === 401 || c.status === 415 || c.contentType !== undefined) continue; // HTTP-only concerns
      let input: unknown;
      try {
        input = JSON.parse(c.body);
      } catch {
        continue; // not JSON: cannot even be sent over RPC
      }
      if (c.body.length > 1_048_576) continue; // the body limit is HTTP's; RPC arguments are bounded by the platform
      if (/nested [\d,]+ deep/.test(c.name)) continue; // structured clone overflows in the caller: it cannot be sent
      const outcomes = await service.push(input as Push);
      const rejected = outcomes.filter((o) => o.status === "rejected");
      expect(rejected.length, c.name).toBeGreaterThan(0);
      expect(rejected.map((o) => (o.status === "rejected" ? `${o.code} ${o.error}` : "")).join("; "), c.name).toMatch(
        new RegExp(`^${c.status} .*${c.message.source.replace(/^\^/, "")}`),
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
    expect(await scrape()).toBe(before);
  });
});
