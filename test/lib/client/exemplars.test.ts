// The client's exemplars, as prom-client takes them: with `enableExemplars`, `inc({ labels, value, exemplarLabels })`
// and `observe({ labels, value, exemplarLabels })`; the latest per series (per bucket) is pushed and rendered in
// OpenMetrics by the registry itself; a bad exemplar throws where it is recorded.

import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { MemoryStore } from "../../../lib/store/memory-store.ts";

describe("client exemplars", () => {
  it("are pushed, latest per series and per bucket, and shown by the registry's OpenMetrics", async () => {
    const store = new MemoryStore();
    const registry = new Registry({ transport: store });
    const jobs = new Counter({
      name: "jobs_total",
      help: "J.",
      labelNames: ["kind"],
      enableExemplars: true,
      registers: [registry],
    });
    const latency = new Histogram({
      name: "job_seconds",
      help: "L.",
      buckets: [1],
      enableExemplars: true,
      registers: [registry],
    });
    jobs.inc({ labels: { kind: "a" }, value: 2, exemplarLabels: { trace_id: "one" } });
    jobs.inc({ labels: { kind: "a" }, exemplarLabels: { trace_id: "two" } });
    jobs.inc({ labels: { kind: "b" } });
    latency.observe({ value: 0.5, exemplarLabels: { trace_id: "fast" } });
    latency.observe({ value: 3, exemplarLabels: { trace_id: "slow" } });
    await registry.flush();
    const stored = Object.fromEntries(store.snapshot().map((f) => [f.name, f.series]));
    expect(stored.jobs?.find((s) => s.labels.kind === "a")).toMatchObject({
      value: 3,
      exemplars: [{ labels: { trace_id: "two" }, value: 1 }],
    });
    expect(stored.jobs?.find((s) => s.labels.kind === "b")?.exemplars).toBeUndefined();
    expect(stored.job_seconds?.[0]?.exemplars?.map((e) => e?.labels.trace_id ?? null)).toEqual(["fast", "slow"]);
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const om = await registry.metrics();
    expect(om).toMatch(/^jobs_total\{kind="a"\} 3 # \{trace_id="two"\} 1 \d+(\.\d+)?$/m);
    expect(om).toMatch(/^job_seconds_bucket\{le="\+Inf"\} 2 # \{trace_id="slow"\} 3 \d/m);
    // get() shows each bucket's exemplar as prom-client does (labelSet, value, timestamp).
    const buckets = (await latency.get()).values.filter((v) => v.metricName === "job_seconds_bucket");
    expect(buckets.map((v) => v.exemplar && { labelSet: v.exemplar.labelSet, value: v.exemplar.value })).toEqual([
      { labelSet: { trace_id: "fast" }, value: 0.5 },
      { labelSet: { trace_id: "slow" }, value: 3 },
    ]);
  });

  it("take the object form only when enabled: otherwise it names labels, as before", () => {
    const registry = new Registry();
    const plain = new Counter({ name: "plain_total", help: "P.", labelNames: ["value"], registers: [registry] });
    plain.inc({ value: "x" });
    expect(registry.take()[0]?.families[0]?.series).toEqual([{ labels: { value: "x" }, inc: 1 }]);
  });

  it("throw where an exemplar is recorded when it breaks a rule, and record nothing", () => {
    const registry = new Registry();
    const jobs = new Counter({ name: "jobs_total", help: "J.", enableExemplars: true, registers: [registry] });
    expect(() => jobs.inc({ value: 1, exemplarLabels: { trace_id: "x".repeat(200) } })).toThrow(
      /exemplar label "trace_id": value is 200 characters, over the limit of 128/,
    );
    expect(() => jobs.inc({ value: 1, exemplarLabels: { "bad name": "x" } })).toThrow(/"bad name"/);
    expect(registry.take()).toEqual([]);
  });
});
