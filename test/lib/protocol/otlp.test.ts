// How OTLP metrics map onto Prometheus families (lib/protocol/otlp/to-push.ts): names and units as Prometheus
// translates them, attributes as labels, the resource as `job`, points of one series added up (a gauge's latest
// kept), exponential histograms as native ones (scales above 8 reduced exactly), and the points left out.

import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../../lib/protocol/limits.ts";
import { emptyNative, nativeData, observeNative } from "../../../lib/protocol/native-histogram.ts";
import { parseOtlpJson } from "../../../lib/protocol/otlp/model.ts";
import { otlpLabelName, otlpMetricName, otlpToPush } from "../../../lib/protocol/otlp/to-push.ts";

const convert = (request: unknown, resourceLabels: string[] = []) =>
  otlpToPush(parseOtlpJson(request), { resourceLabels, limits: DEFAULT_LIMITS });
const attrs = (o: Record<string, string>) => Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));
const export_ = (resource: Record<string, string>, metrics: unknown[]) => ({
  resourceMetrics: [{ resource: { attributes: attrs(resource) }, scopeMetrics: [{ metrics }] }],
});
const delta = (name: string, points: unknown[], unit = "") => ({
  name,
  unit,
  sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points },
});

describe("OTLP names", () => {
  it.each([
    ["http.server.duration", "s", "histogram", "http_server_duration_seconds"],
    ["http.server.request.size", "By", "histogram", "http_server_request_size_bytes"],
    ["system.cpu.utilization", "1", "gauge", "system_cpu_utilization_ratio"],
    ["requests", "{requests}", "counter", "requests"],
    ["network.io", "By/s", "gauge", "network_io_bytes_per_second"],
    ["jobs_total", "s", "counter", "jobs_seconds_total"],
    ["latency_seconds", "s", "histogram", "latency_seconds"],
    ["2xx.count", "", "gauge", "_2xx_count"],
    ["weird..name--x", "", "gauge", "weird_name_x"],
  ] as const)("%s [%s] as a %s → %s", (name, unit, type, expected) => {
    expect(otlpMetricName({ name, unit }, type)).toBe(expected);
  });

  it.each([
    ["http.method", "http_method"],
    ["1st", "key_1st"],
    ["_private", "key_private"],
    ["ok_name", "ok_name"],
  ])("attribute %s → label %s", (key, label) => expect(otlpLabelName(key)).toBe(label));
});

describe("otlpToPush", () => {
  it("makes job of the resource's namespace and name, drops its other attributes unless kept", () => {
    const request = export_({ "service.name": "api", "service.namespace": "shop", "host.name": "h1" }, [
      delta("hits", [{ asInt: "2", attributes: attrs({ "http.route": "/" }) }]),
    ]);
    expect(convert(request).push.families[0]).toMatchObject({
      name: "hits",
      type: "counter",
      labelNames: ["http_route", "job"],
      series: [{ labels: { http_route: "/", job: "shop/api" }, inc: 2 }],
      inferred: true,
    });
    expect(convert(request, ["host.name"]).push.families[0]?.labelNames).toEqual(["host_name", "http_route", "job"]);
  });

  it("adds the points of one series (instances of one service add up), keeps a gauge's latest, joins colliding keys", () => {
    const request = {
      resourceMetrics: ["a", "b"].map((instance) => ({
        resource: { attributes: attrs({ "service.name": "api", "service.instance.id": instance }) },
        scopeMetrics: [
          {
            metrics: [
              delta("hits", [{ asDouble: 1.5, attributes: attrs({ "a.b": "1", a_b: "2" }) }]),
              {
                name: "depth",
                gauge: {
                  dataPoints: [{ asInt: instance === "a" ? "7" : "3", timeUnixNano: instance === "a" ? "200" : "100" }],
                },
              },
            ],
          },
        ],
      })),
    };
    const [hits, depth] = convert(request).push.families;
    expect(hits?.series).toEqual([{ labels: { a_b: "1;2", job: "api" }, inc: 3 }]);
    expect(depth?.series).toEqual([{ labels: { job: "api" }, set: 7 }]);
  });

  it("takes an exponential histogram as a native one, a scale above 8 reduced to 8 exactly", () => {
    // Scale 10: bucket i (OTLP) holds (2^(i/1024), 2^((i+1)/1024)]; 1.001 → 1, 1.01 → 14.
    const request = export_({}, [
      {
        name: "sizes",
        exponentialHistogram: {
          aggregationTemporality: 1,
          dataPoints: [
            { count: "2", sum: 2.011, scale: 10, positive: { offset: 1, bucketCounts: [1, ...Array(12).fill(0), 1] } },
          ],
        },
      },
    ]);
    const histogram = convert(request).push.families[0];
    expect(histogram?.native).toMatchObject({ schema: 8 });
    const expected = emptyNative({ schema: 8, zeroThreshold: 0, maxBuckets: 4096 });
    for (const v of [1.001, 1.01]) observeNative(expected, v);
    expect(histogram?.series[0]).toMatchObject({ counts: [2], native: { ...nativeData(expected), zeroCount: 0 } });
  });

  it("leaves out, and counts, what it cannot take; applies the rest", () => {
    const request = export_({}, [
      delta("good", [{ asInt: "1" }]),
      delta("bad", [{ asDouble: "NaN" }, { asInt: "-2" }]),
      { name: "cum", sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ asInt: "1" }] } },
      { name: "inflight", sum: { aggregationTemporality: 2, isMonotonic: false, dataPoints: [{ asInt: "4" }] } },
    ]);
    const { push, rejected, reasons } = convert(request);
    expect(push.families.map((f) => [f.name, f.type])).toEqual([
      ["good", "counter"],
      ["cum", "counter"],
      ["inflight", "gauge"],
    ]);
    expect(rejected).toBe(2);
    expect(reasons.join("\n")).toMatch(/finite number, got NaN[\s\S]*cannot add -2/);
  });

  it("gives each point of a cumulative stream its stream (resource, scope, metric, attributes) and start", () => {
    const request = {
      resourceMetrics: ["i-1", "i-2"].map((instance) => ({
        resource: { attributes: attrs({ "service.name": "api", "service.instance.id": instance }) },
        scopeMetrics: [
          {
            scope: { name: "lib" },
            metrics: [
              {
                name: "hits",
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [{ asInt: "4", startTimeUnixNano: "10", timeUnixNano: "20" }],
                },
              },
            ],
          },
        ],
      })),
    };
    const series = convert(request).push.families[0]?.series[0];
    // Two instances, one series: two streams, each with its total; nothing added outright.
    expect(series).toMatchObject({ labels: { job: "api" }, inc: 0 });
    const points = (series as { cumulative?: { stream: string; start: string; time: string; total: number }[] })
      .cumulative;
    expect(points?.map((p) => [p.start, p.time, p.total])).toEqual([
      ["10", "20", 4],
      ["10", "20", 4],
    ]);
    expect(new Set(points?.map((p) => p.stream)).size).toBe(2);
  });
});
