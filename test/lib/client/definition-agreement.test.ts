// Generated: every metric definition (and series) the client accepts, the server's push check accepts too, so a
// client can never build something whose every flush is refused. Seeded, so a failure replays exactly.

import { describe, expect, it } from "vitest";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { checkPush } from "../../../lib/protocol/check-push.ts";

/** A small deterministic PRNG (mulberry32). */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  return { next, int, pick };
}

type Rng = ReturnType<typeof random>;

const name = (rng: Rng, length: number) =>
  Array.from({ length }, (_, i) =>
    i === 0 ? rng.pick(["a", "b", "_", "z"]) : rng.pick(["a", "b", "1", "_", "x"]),
  ).join("");

/** One dimension of a definition pushed to (and past) its limit per case; the others stay ordinary. */
const DIMENSIONS = [
  "name",
  "help",
  "labelCount",
  "labelLength",
  "ttl",
  "buckets",
  "percentiles",
  "maxAge",
  "ageBuckets",
  "value",
] as const;
type Dimension = (typeof DIMENSIONS)[number];

function definition(rng: Rng, stress: Dimension) {
  const near = (dimension: Dimension, limit: number, ordinary: number) =>
    dimension === stress ? rng.pick([limit - 1, limit, limit + 1, limit * 2]) : ordinary;
  const type = rng.pick(["counter", "gauge", "histogram", "summary"] as const);
  const labelLength = near("labelLength", 200, 8);
  const labelNames = Array.from({ length: near("labelCount", 32, rng.int(0, 4)) }, (_, i) =>
    `l${i}_${name(rng, labelLength)}`.slice(0, labelLength),
  );
  const options: Record<string, unknown> = {
    name: `${name(rng, near("name", 200, rng.int(1, 30)) - 6)}${rng.pick(["", "_total", "_total_total"])}`,
    help: "h".repeat(near("help", 1024, rng.int(1, 50))),
    labelNames,
  };
  if (stress === "ttl" || rng.next() < 0.3) options.ttlSeconds = near("ttl", 315_360_000, rng.int(0, 3600));
  if (type === "histogram")
    options.buckets = Array.from({ length: near("buckets", 64, rng.int(1, 12)) }, (_, i) => i + 1);
  if (type === "gauge") options.merge = rng.pick(["set", "sum", "max", "min"]);
  if (type === "summary") {
    const quantiles = near("percentiles", 20, rng.int(0, 5));
    options.percentiles = Array.from({ length: quantiles }, (_, i) => (i + 1) / (quantiles + 1));
    if (stress === "maxAge" || rng.next() < 0.5) options.maxAgeSeconds = near("maxAge", 31_536_000, 600);
    if (stress === "ageBuckets" || rng.next() < 0.5) options.ageBuckets = near("ageBuckets", 10, 5);
  }
  return { type, options, valueLength: near("value", 1024, rng.int(0, 20)) };
}

function construct(type: string, options: Record<string, unknown>, registry: Registry) {
  const config = { ...options, registers: [registry] } as never;
  switch (type) {
    case "counter":
      return new Counter(config);
    case "gauge":
      return new Gauge(config);
    case "histogram":
      return new Histogram(config);
    default:
      return new Summary(config);
  }
}

/** Records one update with label values of the given length into `metric`. */
function record(metric: ReturnType<typeof construct>, labelNames: string[], valueLength: number): void {
  const labels = Object.fromEntries(labelNames.map((l) => [l, "v".repeat(valueLength)]));
  if (metric instanceof Counter) metric.inc(labels, 1);
  else if (metric instanceof Gauge) metric.merge === "sum" ? metric.inc(labels, 1) : metric.set(labels, 1);
  else (metric as Histogram).observe(labels, 0.5);
}

describe("client and server agree on what is valid", () => {
  it("every generated definition and series the client accepts passes the server's push check", () => {
    const rng = random(20261126);
    const tally = { refusedByClient: 0, accepted: 0 };
    for (let i = 0; i < 600; i++) {
      const { type, options, valueLength } = definition(rng, rng.pick(DIMENSIONS));
      const registry = new Registry({
        ...(rng.next() < 0.3 ? { prefix: `p${"x".repeat(rng.pick([1, 10]))}_` } : {}),
        ...(rng.next() < 0.3 ? { defaultLabels: { region: "eu" } } : {}),
      });
      let metric: ReturnType<typeof construct>;
      try {
        metric = construct(type, options, registry);
        record(metric, options.labelNames as string[], valueLength);
      } catch {
        tally.refusedByClient++;
        continue;
      }
      tally.accepted++;
      for (const push of registry.take()) {
        const checked = checkPush(push);
        expect(checked.ok ? "ok" : checked.refusal, `${type} ${JSON.stringify(options).slice(0, 300)}`).toBe("ok");
      }
    }
    // The generator must exercise both sides of the limits, or this test could not fail.
    expect(tally.accepted).toBeGreaterThan(150);
    expect(tally.refusedByClient).toBeGreaterThan(150);
  });
});
