// The scrape is valid for the real tools: `promtool check metrics` accepts it, a real Prometheus server scraping the
// local Worker (it asks for OpenMetrics first) ingests the exact values and the exemplars (exemplar storage on), and
// Python's OpenMetrics parser reads the exemplars. Skipped, visibly, where the tools are not installed (.ci/run
// installs them).

import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Counter, Gauge, Histogram, HttpTransport, Registry, Summary } from "../../lib/index.ts";
import { PUSH_TOKEN, type RunningWorker, startMetricsWorker, startPrometheus, tempDir, waitFor } from "./harness.ts";

const has = (tool: string) => spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
const hasPromtool = has("promtool");
const PYTHON = "/usr/bin/python3";
const hasPython =
  spawnSync(PYTHON, ["-c", "import prometheus_client.openmetrics.parser"], { stdio: "ignore" }).status === 0;
if (!hasPython && process.env.PDC_REQUIRE_PYTHON === "1")
  throw new Error(`PDC_REQUIRE_PYTHON=1 but ${PYTHON} cannot import prometheus_client.openmetrics.parser`);
if (!hasPython) console.warn("\n*** SKIPPING the OpenMetrics parse of exemplars: no python3-prometheus-client ***\n");
const hasPrometheus = has("prometheus");
if ((!hasPromtool || !hasPrometheus) && process.env.PDC_REQUIRE_PROMETHEUS === "1") {
  throw new Error("PDC_REQUIRE_PROMETHEUS=1 but promtool/prometheus are not installed (apt-get install -y prometheus)");
}
if (!hasPromtool || !hasPrometheus) {
  console.warn(
    `\n*** SKIPPING real-Prometheus checks: ${[!hasPromtool && "promtool", !hasPrometheus && "prometheus"].filter(Boolean).join(" and ")} not installed (apt-get install -y prometheus) ***\n`,
  );
}

describe("real Prometheus tools (black box)", () => {
  let worker: RunningWorker;

  beforeAll(async () => {
    // The Worker counts its own pushes and flushes the counts after SELF_METRICS_FLUSH_MS (10 s by default).
    // The operator spreads two families' HTTP pushes over 3 objects (what an HTTP push declares is not used).
    const FAMILY_SHARDS = JSON.stringify({ edge_spread: 3, edge_peak: 3 });
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-prom-"),
      vars: { SELF_METRICS_FLUSH_MS: "100", FAMILY_SHARDS },
    });
    const registry = new Registry({
      transport: new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN }),
    });
    const requests = new Counter({
      name: "edge_requests_total",
      help: "Requests served.\nSecond line with a \\ backslash.",
      labelNames: ["route", "code"] as const,
      registers: [registry],
    });
    const inflight = new Gauge({ name: "edge_inflight", help: "In-flight requests.", registers: [registry] });
    const latency = new Histogram({
      name: "edge_request_seconds",
      help: "Request latency.",
      labelNames: ["route"] as const,
      registers: [registry],
    });
    const plain = new Histogram({
      name: "edge_unlabelled_seconds",
      help: "Unlabelled histogram.",
      buckets: [1, 2],
      registers: [registry],
    });
    const size = new Summary({
      name: "edge_payload_bytes",
      help: "Payload size.",
      labelNames: ["kind"] as const,
      registers: [registry],
    });
    // A family spread over 3 objects, written by several flushes: the scrape merges it into one family.
    const sharded = new Registry({
      transport: new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN }),
    });
    const spread = new Counter({
      name: "edge_spread_total",
      help: "A family spread over shards.",
      labelNames: ["kind"] as const,
      registers: [sharded],
    });
    const peak = new Gauge({
      name: "edge_peak",
      help: "Peak, over shards.",
      merge: "max",
      registers: [sharded],
    });
    for (let i = 1; i <= 12; i++) {
      spread.inc({ kind: i % 2 ? "odd" : "even" }, i);
      peak.set(i * 10);
      expect(await sharded.flush()).toMatchObject({ rejected: 0, retained: 0 });
    }
    // Exemplars: the latest per counter series and per histogram bucket, shown in OpenMetrics.
    const traced = new Counter({
      name: "edge_traced_total",
      help: "Traced.",
      enableExemplars: true,
      registers: [registry],
    });
    const tracedSeconds = new Histogram({
      name: "edge_traced_seconds",
      help: "Traced latency.",
      buckets: [0.1, 1],
      enableExemplars: true,
      registers: [registry],
    });
    traced.inc({ value: 2, exemplarLabels: { trace_id: "0af7651916cd43dd" } });
    traced.inc({ value: 3, exemplarLabels: { trace_id: "b7ad6b7169203331" } });
    tracedSeconds.observe({ value: 0.5, exemplarLabels: { trace_id: "00f067aa0ba902b7" } });
    requests.inc({ route: "/", code: "200" }, 41);
    requests.inc({ route: "/", code: "200" });
    requests.inc({ route: '/q"uote\\d\nnewline ✓', code: "500" }, 2);
    inflight.set(7);
    for (const v of [0.003, 0.02, 0.2, 3, 30]) latency.observe({ route: "/" }, v);
    plain.observe(1.5);
    size.observe({ kind: "json" }, 900);
    const result = await registry.flush();
    expect(result).toMatchObject({ delivered: 7, rejected: 0 });
    // Pushgateway pushes too: a curl line without HELP or TYPE, and a typed family, under grouping labels.
    for (const body of ["cron_last_run_seconds 1.7e9\n", "# TYPE cron_runs counter\ncron_runs_total 3\n"]) {
      const res = await fetch(new URL("/metrics/job/nightly/instance/db-3", worker.url), {
        method: "POST",
        headers: { authorization: `Bearer ${PUSH_TOKEN}` },
        body,
      });
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => worker?.stop());

  it.skipIf(!hasPython)(
    "shows the exemplars in OpenMetrics as Python's parser reads them, and none in text",
    async () => {
      const om = await worker.scrape("application/openmetrics-text; version=1.0.0");
      const parse = `
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        if s.exemplar is not None:
            out[s.name + json.dumps(s.labels, sort_keys=True)] = [s.exemplar.labels, s.exemplar.value]
print(json.dumps(out))
`;
      const parsed = spawnSync(PYTHON, ["-c", parse], { input: om, encoding: "utf8" });
      expect(parsed.stderr).toBe("");
      expect(JSON.parse(parsed.stdout)).toEqual({
        "edge_traced_total{}": [{ trace_id: "b7ad6b7169203331" }, 3],
        'edge_traced_seconds_bucket{"le": "1"}': [{ trace_id: "00f067aa0ba902b7" }, 0.5],
      });
      expect(await worker.scrape()).not.toContain("trace_id");
    },
  );

  it.skipIf(!hasPromtool)("passes promtool check metrics", async () => {
    const text = await worker.scrape();
    expect(text).toContain('edge_requests_total{route="/q\\"uote\\\\d\\nnewline ✓",code="500"} 2');
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
    expect(text.split("\n").filter((l) => l.startsWith("# TYPE edge_spread_total"))).toHaveLength(1);
    expect(text).toContain('edge_spread_total{kind="odd"} 36\n');
    expect(text).toContain("edge_peak 120\n");
    expect(text).toContain('cron_runs_total{instance="db-3",job="nightly"} 3\n');
  });

  it.skipIf(!hasPrometheus)("is scraped and ingested by a real Prometheus server", async () => {
    const prometheus = await startPrometheus(worker.url, ["--enable-feature=exemplar-storage"]);
    const { port, query } = prometheus;
    try {
      await waitFor(
        async () => (await query('edge_requests_total{route="/",code="200"}')) !== undefined,
        60_000,
        "Prometheus to ingest a scrape",
      );
      expect(await query('up{job="pdc"}')).toBe("1");
      expect(await query('edge_requests_total{route="/",code="200"}')).toBe("42");
      expect(await query('edge_requests_total{code="500"}')).toBe("2");
      expect(await query("edge_inflight")).toBe("7");
      expect(await query('edge_request_seconds_bucket{route="/",le="0.25"}')).toBe("3");
      expect(await query('edge_request_seconds_count{route="/"}')).toBe("5");
      expect(await query('edge_unlabelled_seconds_bucket{le="2.0"} or edge_unlabelled_seconds_bucket{le="2"}')).toBe(
        "1",
      );
      expect(await query('edge_payload_bytes_sum{kind="json"}')).toBe("900");
      expect(await query('edge_spread_total{kind="even"}')).toBe("42");
      expect(await query("edge_peak")).toBe("120");
      // With honor_labels, as the README configures it, the pushed job and instance labels stay.
      expect(await query('cron_runs_total{job="nightly",instance="db-3"}')).toBe("3");
      // Two series of edge_requests and nothing more: no _created samples, which Prometheus 2 stores as series too.
      expect(await query('count({__name__=~"edge_requests.*"})')).toBe("2");
      await waitFor(
        // One push for the families above, twelve for the sharded ones, two on the Pushgateway API.
        async () => (await query('pdc_pushes_total{outcome="accepted"}')) === "15",
        30_000,
        "the Worker's own push counter",
      );
      expect(await query('pdc_family_series{family="edge_requests"}')).toBe("2");
      // The exemplars, as Prometheus stored them from the OpenMetrics scrape.
      const exemplars = async (q: string) => {
        const now = Date.now() / 1000;
        const url = `http://127.0.0.1:${port}/api/v1/query_exemplars?query=${encodeURIComponent(q)}&start=${now - 600}&end=${now + 60}`;
        const body = (await (await fetch(url)).json()) as {
          data: { exemplars: { labels: Record<string, string>; value: string }[] }[];
        };
        return body.data.flatMap((series) => series.exemplars.map((e) => [e.labels.trace_id, Number(e.value)]));
      };
      await waitFor(async () => (await exemplars("edge_traced_total")).length > 0, 30_000, "the exemplars");
      expect(await exemplars("edge_traced_total")).toContainEqual(["b7ad6b7169203331", 3]);
      expect(await exemplars("edge_traced_seconds_bucket")).toContainEqual(["00f067aa0ba902b7", 0.5]);
    } finally {
      prometheus.stop();
    }
  });
});
