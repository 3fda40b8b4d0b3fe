// One naming rule on every path: a counter declared `x`, `x_total` or `x_total_total` lands in the same family
// (`x`, `x`, `x_total`) whether it travels through the Durable Object transport, the service binding, HTTP, or
// the in-memory store, and is exposed as `x_total`, `x_total`, `x_total_total`.

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeText } from "../../lib/exposition.ts";
import { Counter } from "../../lib/metrics/counter.ts";
import { Registry } from "../../lib/registry.ts";
import { MemoryStore } from "../../lib/store/memory-store.ts";
import { DurableObjectTransport, type FamilyNamespace } from "../../lib/transports/durable-object.ts";
import { HttpTransport } from "../../lib/transports/http.ts";
import { type MetricsServiceBinding, ServiceTransport } from "../../lib/transports/service.ts";
import type { Transport } from "../../lib/transports/transport.ts";
import { catalog } from "../../worker/catalog-object.ts";

const worker = (url: string | URL | Request, init?: RequestInit) => exports.default.fetch(new Request(url, init));
const scrape = async () => (await worker("http://metrics.test/metrics")).text();

const paths: [string, () => Transport][] = [
  ["durable-object", () => new DurableObjectTransport(env.METRICS_FAMILY as unknown as FamilyNamespace)],
  ["service", () => new ServiceTransport(exports.MetricsService as unknown as MetricsServiceBinding)],
  [
    "http",
    () =>
      new HttpTransport({ url: "http://metrics.test/push", token: "test-push-token", fetch: worker as typeof fetch }),
  ],
];

describe("counter names are one rule on every path", () => {
  it.each(paths)("via %s: x → family x, x_total → family x, x_total_total → family x_total", async (path, make) => {
    const base = `named_${path.replace("-", "_")}`;
    const registry = new Registry({ transport: make() });
    for (const [suffix, n] of [
      ["", 1],
      ["_total", 2],
      ["_total_total", 4],
    ] as const) {
      // x and x_total are one family: a registry holds it once, so each declaration gets its own registry.
      const r = suffix === "_total" ? new Registry({ transport: make() }) : registry;
      new Counter({ name: `${base}${suffix}`, help: "Named.", registers: [r] }).inc(n);
      if (r !== registry) expect(await r.flush()).toMatchObject({ delivered: 1, rejected: 0 });
    }
    expect(await registry.flush()).toMatchObject({ delivered: 2, rejected: 0 });
    const families = (await catalog(env).list()).map((e) => e.name);
    expect(families).toContain(base);
    expect(families).toContain(`${base}_total`);
    expect(families).not.toContain(`${base}_total_total`);
    const text = await scrape();
    expect(text).toContain(`\n${base}_total 3\n`);
    expect(text).toContain(`\n${base}_total_total 4\n`);
  });

  it("in the in-memory store", async () => {
    const store = new MemoryStore();
    const base = "named_memory";
    for (const [suffix, n] of [
      ["", 1],
      ["_total", 2],
      ["_total_total", 4],
    ] as const) {
      const r = new Registry({ transport: store });
      new Counter({ name: `${base}${suffix}`, help: "Named.", registers: [r] }).inc(n);
      expect(await r.flush()).toMatchObject({ delivered: 1, rejected: 0 });
    }
    expect(store.snapshot().map((f) => f.name)).toEqual([base, `${base}_total`]);
    const text = encodeText(store.snapshot());
    expect(text).toContain(`\n${base}_total 3\n`);
    expect(text).toContain(`\n${base}_total_total 4\n`);
  });
});
