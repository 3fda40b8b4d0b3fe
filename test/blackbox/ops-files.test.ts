// The operations files in deploy/ stay true to the Worker: the Grafana dashboard queries only metrics the Worker
// really exposes (read from worker/self-metrics/self-metrics.ts), and the alerting rules pass `promtool check rules` and their
// unit tests (`promtool test rules`). The promtool checks are skipped, visibly, where promtool is not installed.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasPromtool && process.env.PDC_REQUIRE_PROMETHEUS === "1") {
  throw new Error("PDC_REQUIRE_PROMETHEUS=1 but promtool is not installed (apt-get install -y prometheus)");
}
if (!hasPromtool) {
  console.warn(
    "\n*** SKIPPING promtool checks of deploy/: promtool not installed (apt-get install -y prometheus) ***\n",
  );
}

/** The metric names the Worker exposes about itself: every gauge it builds and the counter it registers. */
function exposedNames(): Set<string> {
  const source = read("worker/self-metrics/self-metrics.ts");
  const names = [...source.matchAll(/(?:gauge\(\s*|name:\s*)"(pdc_[a-z_]+)"/g)].map((m) => m[1] as string);
  return new Set(names);
}

interface Target {
  expr?: unknown;
}
interface Panel {
  title?: string;
  type?: string;
  targets?: Target[];
  panels?: Panel[];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const metricNames = (text: string) => [...text.matchAll(/pdc_[a-z_]+/g)].map((m) => m[0]);

function promtool(...args: string[]) {
  const run = spawnSync("promtool", args, { cwd: root, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("operations files (deploy/)", () => {
  const dashboard = JSON.parse(read("deploy/grafana-dashboard.json")) as {
    panels?: Panel[];
    templating?: { list?: { name?: string; type?: string; query?: unknown; definition?: string }[] };
  };
  const panels = allPanels(dashboard.panels ?? []);
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it("reads the Worker's own metric names from its source", () => {
    expect([...exposedNames()].sort()).toEqual([
      "pdc_families",
      "pdc_families_limit",
      "pdc_family_cap_refusals_total",
      "pdc_family_last_push_timestamp_seconds",
      "pdc_family_series",
      "pdc_pushes_total",
      "pdc_scrape_collect_seconds",
      "pdc_scrape_collector_errors",
      "pdc_scrape_family_errors",
      "pdc_scrape_object_requests",
    ]);
  });

  it("has a Grafana dashboard whose panels all query", () => {
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      const targets = (panel.targets ?? []).filter((t) => typeof t.expr === "string" && t.expr.trim() !== "");
      expect(targets.length, `panel "${panel.title}" has no target with an expr`).toBeGreaterThan(0);
    }
    const variables = dashboard.templating?.list ?? [];
    expect(variables.find((v) => v.name === "datasource")).toMatchObject({ type: "datasource", query: "prometheus" });
    const job = variables.find((v) => v.name === "job");
    expect(JSON.stringify(job?.query)).toContain("label_values(pdc_families, job)");
  });

  it("queries only metrics the Worker exposes", () => {
    const exposed = exposedNames();
    for (const expr of exprs) {
      const used = metricNames(String(expr));
      expect(used.length, `expr ${expr} uses no pdc_ metric`).toBeGreaterThan(0);
      for (const name of used) expect(exposed, `expr ${expr}`).toContain(name);
    }
  });

  it("alerts on, and tests with, only metrics the Worker exposes", () => {
    const exposed = exposedNames();
    for (const file of ["deploy/prometheus-alerts.yml", "deploy/prometheus-alerts.test.yml"]) {
      const used = metricNames(read(file));
      expect(used.length, file).toBeGreaterThan(0);
      for (const name of used) expect(exposed, file).toContain(name);
    }
  });

  it.skipIf(!hasPromtool)("has dashboard queries that are valid PromQL", () => {
    // Grafana's variables replaced by plausible values, each query checked as a recording rule.
    const rules = exprs.map((expr, i) => ({
      record: `pdc_dashboard_query_${i}`,
      expr: String(expr).replaceAll("$__rate_interval", "1m").replaceAll("$job", "metrics"),
    }));
    const dir = mkdtempSync(join(tmpdir(), "pdc-ops-"));
    const file = join(dir, "dashboard-rules.yml");
    writeFileSync(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
    const check = promtool("check", "rules", file);
    rmSync(dir, { recursive: true, force: true });
    expect(check.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(check.status).toBe(0);
  });

  it.skipIf(!hasPromtool)("has alerting rules that pass promtool check rules", () => {
    const check = promtool("check", "rules", "deploy/prometheus-alerts.yml");
    expect(check.output).toContain("SUCCESS");
    expect(check.status).toBe(0);
  });

  it.skipIf(!hasPromtool)("has alerting rules that pass their promtool unit tests", () => {
    const test = promtool("test", "rules", "deploy/prometheus-alerts.test.yml");
    expect(test.output).toContain("SUCCESS");
    expect(test.status).toBe(0);
  });
});
