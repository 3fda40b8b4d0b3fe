// The router inside workerd: push and scrape over HTTP, negotiation, auth, errors, and the RPC entrypoint.

import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type MetricsServiceBinding, ServiceTransport } from "../../../lib/client/transports/service.ts";
import type { Push } from "../../../lib/protocol/wire.ts";
import type { Env } from "../../../worker/config/env.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import { decodeDelimited } from "../../../worker/protobuf/messages.ts";
import { objectRequests } from "../object-requests.ts";
import { withoutSelfMetrics } from "../self-metrics/self-metrics-filter.ts";

const TOKEN = "test-push-token";
const fetchWorker = (path: string, init?: RequestInit) =>
  exports.default.fetch(new Request(`http://metrics.test${path}`, init));
const push = (body: unknown, headers: Record<string, string> = {}) =>
  fetchWorker("/push", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const scrape = async (accept?: string) => {
  const res = await fetchWorker("/metrics", accept ? { headers: { accept } } : {});
  return { res, text: withoutSelfMetrics(await res.text()) };
};
/** The router with some variables changed, against the same real bindings. */
const withVars = (vars: Partial<Env>) => (path: string, init?: RequestInit) =>
  createMetricsRouter().fetch(
    new Request(`http://metrics.test${path}`, init),
    { ...env, ...vars } as Env,
    createExecutionContext(),
  );

const example: Push = {
  pushId: "example-1",
  families: [
    {
      name: "http_requests",
      type: "counter",
      help: "Requests served.",
      labelNames: ["route", "code"],
      series: [{ labels: { route: "/", code: "200" }, inc: 3 }],
    },
    { name: "queue_depth", type: "gauge", help: "Queue depth.", labelNames: [], series: [{ labels: {}, set: 12 }] },
    {
      name: "job_seconds",
      type: "histogram",
      help: "Job time.",
      labelNames: ["kind"],
      buckets: [0.1, 0.5, 1],
      series: [{ labels: { kind: "a" }, counts: [1, 0, 2, 0], sum: 1.7 }],
    },
    {
      name: "payload_bytes",
      type: "summary",
      help: "Payload size.",
      labelNames: [],
      series: [{ labels: {}, count: 3, sum: 900 }],
    },
  ],
};

describe("POST /push and GET /metrics", () => {
  it("applies the README example and serves it as text 0.0.4", async () => {
    const res = await push(example);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      batch: "example-1",
      families: [
        { name: "http_requests", status: "applied", series: 1 },
        { name: "queue_depth", status: "applied", series: 1 },
        { name: "job_seconds", status: "applied", series: 1 },
        { name: "payload_bytes", status: "applied", series: 1 },
      ],
    });
    const { res: s, text } = await scrape();
    expect(s.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(text).toBe(
      [
        "# HELP http_requests_total Requests served.",
        "# TYPE http_requests_total counter",
        'http_requests_total{route="/",code="200"} 3',
        "# HELP job_seconds Job time.",
        "# TYPE job_seconds histogram",
        'job_seconds_bucket{kind="a",le="0.1"} 1',
        'job_seconds_bucket{kind="a",le="0.5"} 1',
        'job_seconds_bucket{kind="a",le="1"} 3',
        'job_seconds_bucket{kind="a",le="+Inf"} 3',
        'job_seconds_sum{kind="a"} 1.7',
        'job_seconds_count{kind="a"} 3',
        "# HELP payload_bytes Payload size.",
        "# TYPE payload_bytes summary",
        "payload_bytes_sum 900",
        "payload_bytes_count 3",
        "# HELP queue_depth Queue depth.",
        "# TYPE queue_depth gauge",
        "queue_depth 12",
        "",
      ].join("\n"),
    );
  });

  it("never counts a replayed batch twice", async () => {
    const res = await push(example);
    expect(res.status).toBe(200);
    expect(
      ((await res.json()) as { families: { status: string }[] }).families.every((f) => f.status === "duplicate"),
    ).toBe(true);
    expect((await scrape()).text).toContain('http_requests_total{route="/",code="200"} 3\n');
  });

  it.each([
    [
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      "openmetrics",
    ],
    ["application/openmetrics-text; version=1.0.0", "openmetrics"],
    ["text/plain;version=0.0.4", "text"],
    ["application/openmetrics-text;q=0.2,text/plain;q=0.9", "text"],
    ["application/openmetrics-text;version=2.0.0", "text"],
    ["*/*", "text"],
    [undefined, "text"],
    // What Prometheus sends with native histograms enabled: protobuf first.
    [
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
      "protobuf",
    ],
    [
      "application/openmetrics-text;version=1.0.0;q=0.9,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5",
      "openmetrics",
    ],
    ["application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", "text"],
    ["application/vnd.google.protobuf;proto=io.prometheus.client.Metric;encoding=delimited", "text"],
  ])("negotiates Accept %j → %s", async (accept, format) => {
    if (format === "protobuf") {
      const res = await fetchWorker("/metrics", { headers: { accept: accept as string } });
      expect(res.headers.get("content-type")).toBe(
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
      );
      const families = decodeDelimited(new Uint8Array(await res.arrayBuffer()));
      const counter = families.find((f) => f.name === "http_requests_total");
      expect(counter?.type).toBe("counter");
      const ok = counter?.metrics.find((m) => m.labels.some(([, v]) => v === "200"))?.counter;
      expect(ok?.value).toBe(3);
      // The creation time travels here, not as _created series.
      expect(ok?.created).toBeGreaterThan(1_700_000_000);
      return;
    }
    const { res, text } = await scrape(accept);
    if (format === "openmetrics") {
      expect(res.headers.get("content-type")).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
      expect(text.endsWith("# EOF\n")).toBe(true);
      expect(text).toMatch(/^http_requests_total\{route="\/",code="200"\} 3$/m);
      expect(text).not.toContain("_created");
    } else {
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(text).not.toContain("# EOF");
    }
  });

  it.each([
    ["not json", "{", 400, /not valid JSON/],
    [
      "a bad field",
      { families: [{ name: "x", type: "counter", help: "X.", series: [{ labels: {}, inc: "1" }] }] },
      400,
      /families\[0\]\.series\[0\]\.inc: must be a finite number, got "1"/,
    ],
    [
      "an unknown type",
      { families: [{ name: "x", type: "meter", help: "X.", series: [] }] },
      400,
      /families\[0\]\.type: .*got "meter"/,
    ],
    [
      "a type change",
      { families: [{ name: "queue_depth", type: "counter", help: "Q.", series: [{ labels: {}, inc: 1 }] }] },
      409,
      /different type \(gauge vs counter\)/,
    ],
  ])("refuses %s and changes nothing", async (_, body, status, message) => {
    const before = (await scrape()).text;
    const res = await push(body);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const reply = (await res.json()) as { error?: string; families?: { error?: string }[] };
    expect(reply.error ?? reply.families?.map((f) => f.error ?? "").join(" ")).toMatch(message);
    expect((await scrape()).text).toBe(before);
  });

  it("refuses a wrong content type (415) and an oversized body (413)", async () => {
    expect((await push(example, { "content-type": "text/plain" })).status).toBe(415);
    const big = await push(JSON.stringify({ families: [], pad: "x".repeat(1_100_000) }));
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      error: expect.stringMatching(/over the limit of 1048576/),
      limit: { name: "maxBodyBytes", value: 1048576 },
    });
  });
});

describe("auth", () => {
  it("requires the push token: missing and wrong credentials get 401 with WWW-Authenticate", async () => {
    for (const authorization of ["", "Bearer wrong-token", "Basic !!!", "Token abc"]) {
      const res = await push(example, { authorization });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await res.text()).not.toContain(TOKEN);
    }
  });

  it("refuses pushes when no token is configured, unless anonymous pushes are enabled", async () => {
    const closed = withVars({ PUSH_TOKEN: undefined, ALLOW_ANONYMOUS_PUSH: "false" });
    const init = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ families: [] }),
    };
    const refused = await closed("/push", init);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: expect.stringMatching(/PUSH_TOKEN.*ALLOW_ANONYMOUS_PUSH/) });
    const open = withVars({ PUSH_TOKEN: undefined, ALLOW_ANONYMOUS_PUSH: "true" });
    expect((await open("/push", init)).status).toBe(200);
  });

  it("protects the scrape with SCRAPE_TOKEN, as Bearer or as the Basic password", async () => {
    const guarded = withVars({ SCRAPE_TOKEN: "scrape-secret" });
    const missing = await guarded("/metrics");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toContain("Basic");
    expect((await guarded("/metrics", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await guarded("/metrics", { headers: { authorization: "Bearer scrape-secret" } })).status).toBe(200);
    expect(
      (await guarded("/metrics", { headers: { authorization: `Basic ${btoa("prometheus:scrape-secret")}` } })).status,
    ).toBe(200);
    expect(
      (await guarded("/metrics", { headers: { authorization: `Basic ${btoa("prometheus:wrong")}` } })).status,
    ).toBe(401);
  });
});

describe("other routes and errors", () => {
  it("answers /healthz and 404s unknown routes as JSON", async () => {
    expect(await (await fetchWorker("/healthz")).json()).toEqual({ ok: true });
    const res = await fetchWorker("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no route for GET /nope" });
    expect((await fetchWorker("/push")).status).toBe(404);
  });

  it("answers HEAD /healthz and HEAD /metrics as GET would, without a body and without asking any object", async () => {
    const health = await fetchWorker("/healthz", { method: "HEAD" });
    expect([health.status, await health.text()]).toEqual([200, ""]);
    const before = await objectRequests();
    const head = await fetchWorker("/metrics", {
      method: "HEAD",
      headers: { accept: "application/openmetrics-text; version=1.0.0" },
    });
    expect([head.status, head.headers.get("content-type"), await head.text()]).toEqual([
      200,
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
      "",
    ]);
    const protobuf = await fetchWorker("/metrics", {
      method: "HEAD",
      headers: { accept: "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited" },
    });
    expect(protobuf.headers.get("content-type")).toBe(
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
    );
    expect(await objectRequests()).toBe(before);
    // The scrape credential holds for HEAD too.
    const guarded = withVars({ SCRAPE_TOKEN: "scrape-secret" });
    expect((await guarded("/metrics", { method: "HEAD" })).status).toBe(401);
  });

  it("answers an unexpected failure with a bare 500, no internals", async () => {
    const broken = withVars({ METRICS_CATALOG: undefined as unknown as Env["METRICS_CATALOG"] });
    const res = await broken("/metrics");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('{"error":"internal error"}');
  });

  it("mounts under a base path when embedded", async () => {
    const res = await createMetricsRouter({ base: "/_metrics" }).fetch(
      new Request("http://x/_metrics/healthz"),
      env,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
  });
});

describe("MetricsService RPC entrypoint", () => {
  it("ingests like POST /push, and works as the ServiceTransport's binding", async () => {
    const binding = exports.MetricsService as unknown as MetricsServiceBinding;
    const transport = new ServiceTransport(binding);
    const batch: Push = {
      pushId: "svc-1",
      families: [
        { name: "svc_jobs", type: "counter", help: "Jobs.", labelNames: [], series: [{ labels: {}, inc: 2 }] },
      ],
    };
    expect(await transport.push(batch)).toEqual([{ name: "svc_jobs", status: "applied", series: 1 }]);
    expect(await transport.push(batch)).toEqual([{ name: "svc_jobs", status: "duplicate" }]);
    expect(
      await transport.push({
        families: [{ name: "svc_bad", type: "counter", help: "J.", labelNames: [], series: [{ labels: {}, inc: -2 }] }],
      }),
    ).toEqual([{ name: "svc_bad", status: "rejected", code: 400, error: expect.stringMatching(/cannot decrease/) }]);
    expect((await scrape()).text).toContain("svc_jobs_total 2\n");
  });

  it("refuses arrays with holes, which structured clone keeps and JSON cannot carry", async () => {
    const binding = exports.MetricsService as unknown as MetricsServiceBinding;
    const family = { name: "holes", type: "counter", help: "H.", labelNames: [], series: [{ labels: {}, inc: 1 }] };
    // biome-ignore lint/suspicious/noSparseArray: the hole is what this test sends
    const sparseFamilies = [, family] as unknown as Push["families"];
    // biome-ignore lint/suspicious/noSparseArray: the hole is what this test sends
    const sparseSeries = { ...family, series: [, { labels: {}, inc: 1 }] } as unknown as Push["families"][number];
    for (const families of [sparseFamilies, [sparseSeries]]) {
      const outcomes = await binding.push({ batch: `holes-${families.length}`, families });
      expect(
        outcomes.every(
          (o) => o.status === "rejected" && o.code === 400 && /is missing \(a hole in the array\)/.test(o.error),
        ),
      ).toBe(true);
    }
    expect((await scrape()).text).not.toContain("holes_total");
  });
});
