// Scrape-time collectors end to end: a user's Worker embeds the router with collectors (test/fixtures/collectors-
// worker.ts); real scrapes in both formats show their families beside the stored ones, promtool accepts the text,
// Python's OpenMetrics parser reads the OpenMetrics; a collector that throws or never answers is left out, named in
// pdc_scrape_collector_errors, and the scrape still succeeds. Skipped, visibly, where the tools are missing.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle, type RunningWorker, sampleValue, startMetricsWorker, tempDir } from "./harness.ts";

const PYTHON = "/usr/bin/python3";
const hasPython =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ["-c", "import prometheus_client.openmetrics.parser"], { stdio: "ignore" }).status === 0;
const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasPython && process.env.PDC_REQUIRE_PYTHON === "1")
  throw new Error(`PDC_REQUIRE_PYTHON=1 but ${PYTHON} cannot import prometheus_client.openmetrics.parser`);
if (!hasPromtool && process.env.PDC_REQUIRE_PROMETHEUS === "1")
  throw new Error("PDC_REQUIRE_PROMETHEUS=1 but promtool is not installed (apt-get install -y prometheus)");
if (!hasPython)
  console.warn("\n*** SKIPPING the OpenMetrics parse of scrape-time collectors: no python3-prometheus-client ***\n");
if (!hasPromtool) console.warn("\n*** SKIPPING promtool on scrape-time collectors: promtool is not installed ***\n");

/** Python's OpenMetrics parser over `text`: each family's name, type and samples, as JSON. */
const PARSE = `
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = [{"name": f.name, "type": f.type, "samples": [[s.name, s.labels, s.value] for s in f.samples]}
       for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(out))
`;

interface ParsedFamily {
  name: string;
  type: string;
  samples: [string, Record<string, string>, number][];
}

describe("scrape-time collectors (black box)", () => {
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-collectors-"),
      script: await bundle("test/fixtures/collectors-worker.ts"),
      vars: { QUEUE_DEPTH: "17" },
    });
    const pushed = await worker.push({
      families: [
        { name: "jobs_total", type: "counter", help: "Jobs.", labelNames: [], series: [{ labels: {}, inc: 4 }] },
      ],
    });
    expect(pushed.status).toBe(200);
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it("renders the collectors' families beside the stored ones in text 0.0.4, and promtool accepts it", async () => {
    const text = await worker.scrape();
    expect(sampleValue(text, "jobs_total")).toBe(4);
    expect(sampleValue(text, 'app_queue_depth{queue="mail"}')).toBe(17);
    expect(sampleValue(text, 'app_row_bytes_bucket{le="100"}')).toBe(1);
    expect(sampleValue(text, 'app_row_bytes_bucket{le="+Inf"}')).toBe(3);
    expect(sampleValue(text, "app_row_bytes_sum")).toBe(450);
    expect(sampleValue(text, "app_scrapes_seen_total")).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain("app_broken ");
    expect(text).not.toContain("app_stuck ");
    expect(sampleValue(text, 'pdc_scrape_collector_errors{collector="app_broken",problem="error"}')).toBe(1);
    expect(sampleValue(text, 'pdc_scrape_collector_errors{collector="app_stuck",problem="timeout"}')).toBe(1);
    if (!hasPromtool) return;
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it.skipIf(!hasPython)("renders them in OpenMetrics as Python's parser reads them", async () => {
    const text = await worker.scrape("application/openmetrics-text; version=1.0.0");
    const parsed = spawnSync(PYTHON, ["-c", PARSE], { input: text, encoding: "utf8" });
    expect(parsed.stderr).toBe("");
    const families = JSON.parse(parsed.stdout) as ParsedFamily[];
    const family = (name: string) => families.find((f) => f.name === name);
    // No _created samples (Prometheus 2 would store each as a series of its own).
    expect(family("jobs")).toMatchObject({ type: "counter", samples: [["jobs_total", {}, 4]] });
    expect(family("app_queue_depth")).toEqual({
      name: "app_queue_depth",
      type: "gauge",
      samples: [["app_queue_depth", { queue: "mail" }, 17]],
    });
    expect(family("app_row_bytes")).toMatchObject({
      type: "histogram",
      samples: [
        ["app_row_bytes_bucket", { le: "100" }, 1],
        ["app_row_bytes_bucket", { le: "+Inf" }, 3],
        ["app_row_bytes_sum", {}, 450],
        ["app_row_bytes_count", {}, 3],
      ],
    });
    expect(family("app_scrapes_seen")?.type).toBe("counter");
    expect(family("pdc_scrape_collector_errors")?.samples).toEqual([
      ["pdc_scrape_collector_errors", { collector: "app_broken", problem: "error" }, 1],
      ["pdc_scrape_collector_errors", { collector: "app_stuck", problem: "timeout" }, 1],
    ]);
  });
});
