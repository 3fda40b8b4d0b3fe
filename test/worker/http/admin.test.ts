// Deleting a family: admin credential (or the push token when no admin token is set), never anonymous;
// the family leaves the scrape and the catalog, and comes back fresh when pushed again.

import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/config/env.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import { catalog } from "../../../worker/objects/catalog-object.ts";
import { decodeDelimited, PROTOBUF_CONTENT_TYPE } from "../../../worker/protobuf/messages.ts";

const call = (vars: Partial<Env>, method: string, path: string, token?: string, body?: unknown) =>
  createMetricsRouter().fetch(
    new Request(`http://metrics.test${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
    { ...env, ...vars } as Env,
    createExecutionContext(),
  );
const family = (name: string, batch: string) => ({
  batch,
  families: [{ name, type: "counter", help: "X.", labelNames: ["k"], series: [{ labels: { k: "a" }, inc: 2 }] }],
});

describe("DELETE /families/:name", () => {
  it("needs the admin token when one is set; the push token is then refused", async () => {
    const vars = { ADMIN_TOKEN: "admin-secret" };
    expect((await call(vars, "POST", "/push", "test-push-token", family("doomed", "d-1"))).status).toBe(200);
    for (const token of [undefined, "test-push-token", "wrong"]) {
      const res = await call(vars, "DELETE", "/families/doomed", token);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
    }
    const res = await call(vars, "DELETE", "/families/doomed_total", "admin-secret");
    expect(await res.json()).toEqual({ deleted: "doomed", series: 1 });
    expect((await catalog(env).list()).map((e) => e.name)).not.toContain("doomed");
    expect(await (await call(vars, "GET", "/metrics")).text()).not.toContain("doomed_total");
  });

  it("falls back to the push token, is never anonymous, and 404s unknown families", async () => {
    expect((await call({}, "POST", "/push", "test-push-token", family("doomed2", "d2-1"))).status).toBe(200);
    expect(
      (await call({ PUSH_TOKEN: undefined, ALLOW_ANONYMOUS_PUSH: "true" }, "DELETE", "/families/doomed2")).status,
    ).toBe(403);
    expect((await call({}, "DELETE", "/families/nope", "test-push-token")).status).toBe(404);
    expect((await call({}, "DELETE", "/families/doomed2", "test-push-token")).status).toBe(200);
  });

  it("answers bad percent-encoding with 400, and takes the _total form only for counters", async () => {
    expect((await call({}, "DELETE", "/families/%E0%A4%A", "test-push-token")).status).toBe(400);
    const gauge = {
      batch: "gt-1",
      families: [{ name: "plain_gauge", type: "gauge", help: "G.", series: [{ labels: {}, set: 1 }] }],
    };
    expect((await call({}, "POST", "/push", "test-push-token", gauge)).status).toBe(200);
    expect((await call({}, "DELETE", "/families/plain_gauge_total", "test-push-token")).status).toBe(404);
    expect((await call({}, "DELETE", "/families/plain_gauge", "test-push-token")).status).toBe(200);
  });

  it("does not let a first push refused for the series cap claim the family's name", async () => {
    const wide = {
      batch: "cap-1",
      families: [
        {
          name: "claimed",
          type: "gauge",
          help: "G.",
          labelNames: ["i"],
          series: Array.from({ length: 1001 }, (_, i) => ({ labels: { i: String(i) }, set: 1 })),
        },
      ],
    };
    expect((await call({}, "POST", "/push", "test-push-token", wide)).status).toBe(413);
    expect((await catalog(env).list()).map((e) => e.name)).not.toContain("claimed");
    const asCounter = {
      batch: "cap-2",
      families: [{ name: "claimed", type: "counter", help: "C.", series: [{ labels: {}, inc: 1 }] }],
    };
    expect((await call({}, "POST", "/push", "test-push-token", asCounter)).status).toBe(200);
  });

  it("lets a deleted family start again from zero, with a new creation time and any definition", async () => {
    // The creation time travels in the protobuf scrape.
    const scrape = async () => {
      const res = await exports.default.fetch(
        new Request("http://metrics.test/metrics", { headers: { accept: PROTOBUF_CONTENT_TYPE } }),
      );
      const counter = decodeDelimited(new Uint8Array(await res.arrayBuffer())).find((f) => f.name === "reborn_total")
        ?.metrics[0]?.counter;
      return { value: counter?.value, created: counter?.created };
    };
    expect((await call({}, "POST", "/push", "test-push-token", family("reborn", "r-1"))).status).toBe(200);
    const { created } = await scrape();
    expect(created).toBeGreaterThan(1_700_000_000);
    expect((await call({}, "DELETE", "/families/reborn", "test-push-token")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    expect((await call({}, "POST", "/push", "test-push-token", family("reborn", "r-1"))).status).toBe(200);
    const reborn = await scrape();
    expect(reborn.value).toBe(2);
    expect(reborn.created).toBeGreaterThan(created as number);
    expect((await call({}, "DELETE", "/families/reborn", "test-push-token")).status).toBe(200);
    const asGauge = {
      batch: "r-2",
      families: [{ name: "reborn", type: "gauge", help: "Now a gauge.", series: [{ labels: {}, set: 7 }] }],
    };
    expect((await call({}, "POST", "/push", "test-push-token", asGauge)).status).toBe(200);
    const text = await (await exports.default.fetch(new Request("http://metrics.test/metrics"))).text();
    expect(text).toContain("# TYPE reborn gauge\n");
  });
});
