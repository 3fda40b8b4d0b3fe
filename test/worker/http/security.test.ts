// Credentials inside workerd: the scrape and the status page are closed by default; every credential takes a list
// of tokens (rotation); scoped producer tokens write and delete only their own families, on /push, the Pushgateway
// API and the DELETE routes; a refused credential costs no object request; no token reaches a response.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../../worker/config/env.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";
import { objectRequests } from "../object-requests.ts";

const router = createMetricsRouter();
/** The execution contexts of the requests made so far (their waitUntil work can be awaited). */
const contexts: ExecutionContext[] = [];
const TOKENS = ["rotated-old-token", "rotated-new-token", "scope-a-token", "scope-b-token", "admin-token-1"];

/** The router under `vars` (the scrape's openness from the test pool's bindings left out unless given). */
const worker =
  (vars: Partial<Env>) =>
  async (path: string, init: RequestInit = {}): Promise<Response> =>
    router.fetch(
      new Request(`http://metrics.test${path}`, init),
      { ...env, ALLOW_ANONYMOUS_SCRAPE: undefined, SCRAPE_TOKEN: undefined, ...vars } as Env,
      contexts[contexts.push(createExecutionContext()) - 1] as ExecutionContext,
    );

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const json = (token: string, families: unknown[]): RequestInit => ({
  method: "POST",
  headers: { ...bearer(token), "content-type": "application/json" },
  body: JSON.stringify({ families }),
});
const counter = (name: string, inc = 1, extra: Record<string, unknown> = {}) => ({
  name,
  type: "counter",
  help: "C.",
  series: [{ labels: {}, inc }],
  ...extra,
});
const storedValue = async (family: string) =>
  (await collectFamilies(env)).find((f) => f.name === family)?.series[0]?.value;

describe("security (workerd)", () => {
  it("closes the scrape and the status page by default (403 naming the settings); opens them on request", async () => {
    const closed = worker({});
    for (const path of ["/metrics", "/", "/families/anything"]) {
      const res = await closed(path);
      expect(res.status).toBe(403);
      const { error } = (await res.json()) as { error: string };
      expect(error).toContain("SCRAPE_TOKEN");
      expect(error).toContain('ALLOW_ANONYMOUS_SCRAPE = "true"');
    }
    const open = worker({ ALLOW_ANONYMOUS_SCRAPE: "true" });
    expect((await open("/metrics")).status).toBe(200);
    expect((await open("/")).status).toBe(200);
    // A token configured wins over the open setting.
    const guarded = worker({ ALLOW_ANONYMOUS_SCRAPE: "true", SCRAPE_TOKEN: "scrape-only" });
    expect((await guarded("/metrics")).status).toBe(401);
  });

  it("accepts every token of a rotation list, and no other (scrape, push, admin)", async () => {
    const rotating = worker({
      SCRAPE_TOKEN: "rotated-old-token, rotated-new-token",
      PUSH_TOKEN: "rotated-old-token\nrotated-new-token",
      ADMIN_TOKEN: "admin-token-1,rotated-new-token",
    });
    for (const token of ["rotated-old-token", "rotated-new-token"]) {
      expect((await rotating("/metrics", { headers: bearer(token) })).status).toBe(200);
      const basic = { authorization: `Basic ${btoa(`prometheus:${token}`)}` };
      expect((await rotating("/metrics", { headers: basic })).status).toBe(200);
      expect((await rotating("/push", json(token, [counter("rotation_pushes")]))).status).toBe(200);
    }
    expect(await storedValue("rotation_pushes")).toBe(2);
    for (const wrong of ["rotated-old", "rotated-old-token,rotated-new-token", "admin-token-2", ""]) {
      expect((await rotating("/metrics", { headers: bearer(wrong) })).status).toBe(401);
      expect((await rotating("/push", json(wrong, [counter("rotation_pushes")]))).status).toBe(401);
    }
    // Deletion takes the admin list (the push tokens no longer, once an admin token is set).
    const del = (token: string) => rotating("/families/rotation_pushes", { method: "DELETE", headers: bearer(token) });
    expect((await del("rotated-old-token")).status).toBe(401);
    expect((await del("admin-token-1")).status).toBe(200);
    expect(await storedValue("rotation_pushes")).toBeUndefined();
  });

  it("limits a scoped token to its prefixes on /push: a family outside refuses the whole push (403), nothing applied", async () => {
    const scoped = worker({
      PUSH_TOKEN: "unscoped-token",
      SCOPED_PUSH_TOKENS: JSON.stringify({ "scope-a-token": ["team_a_"], "scope-b-token": ["team_b_", "shared_b_"] }),
    });
    expect((await scoped("/push", json("scope-a-token", [counter("team_a_jobs", 2)]))).status).toBe(200);
    const mixed = await scoped("/push", json("scope-a-token", [counter("team_a_jobs", 5), counter("team_b_jobs", 1)]));
    expect(mixed.status).toBe(403);
    const error = 'this token may not write family "team_b_jobs": its families start with "team_a_"';
    expect(await mixed.json()).toEqual({
      error,
      families: [
        {
          name: "team_a_jobs",
          status: "rejected",
          code: 424,
          error:
            'not applied: the push was refused whole because of family "team_b_jobs"; send this family again without it',
        },
        { name: "team_b_jobs", status: "rejected", code: 403, error },
      ],
    });
    expect(await storedValue("team_a_jobs")).toBe(2);
    expect(await storedValue("team_b_jobs")).toBeUndefined();
    // Deletions inside a push (reset, remove) are writes too.
    expect((await scoped("/push", json("scope-b-token", [counter("shared_b_x", 1)]))).status).toBe(200);
    const reset = await scoped("/push", json("scope-a-token", [counter("shared_b_x", 0, { reset: true })]));
    expect(reset.status).toBe(403);
    expect(await storedValue("shared_b_x")).toBe(1);
    // The unscoped token writes anything.
    expect((await scoped("/push", json("unscoped-token", [counter("team_b_jobs", 1)]))).status).toBe(200);
  });

  it("limits a scoped token on the Pushgateway API and the DELETE routes", async () => {
    const scoped = worker({
      PUSH_TOKEN: "unscoped-token",
      ADMIN_TOKEN: "admin-token-1",
      SCOPED_PUSH_TOKENS: JSON.stringify({ "scope-a-token": ["gw_a_"] }),
    });
    const gateway = (token: string, body: string, method = "POST") =>
      scoped("/metrics/job/scoped", { method, headers: bearer(token), body });
    expect((await gateway("scope-a-token", "# TYPE gw_a_runs counter\ngw_a_runs 3\n")).status).toBe(200);
    const outside = await gateway("scope-a-token", "# TYPE gw_a_runs counter\ngw_a_runs 3\ngw_b_depth 7\n");
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as { error: string }).error).toContain('family "gw_b_depth"');
    expect(await storedValue("gw_a_runs")).toBe(3);
    expect((await gateway("unscoped-token", "gw_b_depth 7\n")).status).toBe(200);
    // DELETE of a family: its own yes, another's no.
    const del = (token: string, path: string) => scoped(path, { method: "DELETE", headers: bearer(token) });
    const refused = await del("scope-a-token", "/families/gw_b_depth");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toContain('family "gw_b_depth"');
    expect((await del("scope-a-token", "/families/gw_b_depth/series?job=scoped")).status).toBe(403);
    // Outside its prefixes a scoped token learns nothing: a family that does not exist is refused the same way.
    const missing = await del("scope-a-token", "/families/gw_b_missing");
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: string }).error).toContain('family "gw_b_missing"');
    // A group DELETE with a scoped token reaches only its own families.
    const group = await del("scope-a-token", "/metrics/job/scoped");
    expect(group.status).toBe(202);
    expect(((await group.json()) as { families: { family: string }[] }).families).toEqual([
      { family: "gw_a_runs", deleted: 1 },
    ]);
    expect(await storedValue("gw_a_runs")).toBeUndefined();
    expect(await storedValue("gw_b_depth")).toBe(7);
  });

  it("admits no scoped token when SCOPED_PUSH_TOKENS is malformed, and says so in the log without its content", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      for (const bad of ['{"scope-a-token": "team_a_"}', "not json", '["scope-a-token"]', '{"scope-a-token": []}']) {
        const res = await worker({ SCOPED_PUSH_TOKENS: bad })("/push", json("scope-a-token", [counter("team_a_bad")]));
        expect(res.status).toBe(401);
      }
      const logged = errors.mock.calls.flat().map(String).join("\n");
      expect(logged).toContain("SCOPED_PUSH_TOKENS must be a JSON object");
      expect(logged).not.toContain("scope-a-token");
    } finally {
      errors.mockRestore();
    }
  });

  it("refuses a credential before any object request: scrape, status page, push, Pushgateway, deletes", async () => {
    // Refused pushes are counted in pdc_pushes_total, flushed once per window (here 3 s) for all of them.
    const vars = {
      PUSH_TOKEN: "p-token",
      SCRAPE_TOKEN: "s-token",
      ADMIN_TOKEN: "a-token",
      SELF_METRICS_FLUSH_MS: "3000",
    };
    const guarded = worker(vars);
    expect((await guarded("/push", json("p-token", [counter("cost_probe")]))).status).toBe(200);
    await Promise.all(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)));
    const unauthorized = async () => {
      const text = await (await worker({ ALLOW_ANONYMOUS_SCRAPE: "true" })("/metrics")).text();
      return Number(/^pdc_pushes_total\{outcome="unauthorized"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const refusedBefore = await unauthorized();
    const before = await objectRequests();
    const wrong = { headers: bearer("wrong-token") };
    const attempts: [string, RequestInit][] = [
      ["/metrics", wrong],
      ["/", wrong],
      ["/families/cost_probe", wrong],
      ["/push", json("wrong-token", [counter("cost_probe")])],
      ["/metrics/job/x", { method: "POST", body: "cost_probe_total 1\n", ...wrong }],
      ["/metrics/job/x", { method: "PUT", body: "cost_probe_total 1\n" }],
      ["/metrics/job/x", { method: "DELETE", ...wrong }],
      ["/families/cost_probe", { method: "DELETE", ...wrong }],
      ["/families/cost_probe/series?a=b", { method: "DELETE" }],
    ];
    const bodies: string[] = [];
    for (const [path, init] of attempts) {
      const res = await guarded(path, init);
      expect(res.status, `${init.method ?? "GET"} ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
      bodies.push(await res.text());
    }
    expect(await objectRequests(), "during the refusals").toBe(before);
    // The three refused pushes (POST /push, POST and PUT on the Pushgateway API) reach the store in one flush.
    await Promise.all(contexts.splice(0).map((ctx) => waitOnExecutionContext(ctx)));
    expect(await objectRequests(), "after the flush").toBe(before + 1);
    expect(await unauthorized()).toBe(refusedBefore + 3);
    const everything = bodies.join("\n");
    for (const token of ["p-token", "s-token", "a-token", "wrong-token", ...TOKENS])
      expect(everything).not.toContain(token);
  });
});
