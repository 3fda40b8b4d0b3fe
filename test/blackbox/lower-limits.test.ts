// A server whose operator lowered the size limits: a client that does not know them splits and resends on the
// 413 that names the limit (nothing dropped, nothing doubled); one told the limits splits before sending.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Counter, HttpTransport, Registry } from "../../lib/index.ts";
import { PUSH_TOKEN, type RunningWorker, sampleValue, startMetricsWorker, tempDir } from "./harness.ts";

describe("a server with lower limits (black box)", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-limits-"),
      vars: { MAX_SERIES_PER_PUSH: "40", MAX_BODY_BYTES: "6000", MAX_FAMILIES_PER_PUSH: "2" },
    });
  });
  afterAll(async () => worker?.stop());

  const fill = (registry: Registry, base: string) => {
    for (let f = 0; f < 3; f++) {
      const c = new Counter({
        name: `${base}_${f}_total`,
        help: "Many series.",
        labelNames: ["k"] as const,
        registers: [registry],
      });
      for (let k = 0; k < 100; k++) c.inc({ k: `series-${k}` }, k + 1);
    }
  };
  const total = async (base: string) => {
    const text = await worker.scrape();
    let sum = 0;
    for (let f = 0; f < 3; f++)
      for (let k = 0; k < 100; k++) sum += sampleValue(text, `${base}_${f}_total{k="series-${k}"}`) ?? 0;
    return sum;
  };
  const expected = 3 * ((100 * 101) / 2);

  it("follows the 413s of a server it was not told about: splits and resends, drops nothing", async () => {
    const errors: string[] = [];
    const registry = new Registry({
      transport: new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN }),
      onError: (m) => errors.push(m),
    });
    fill(registry, "unknown_limits");
    const result = await registry.flush();
    expect(result).toMatchObject({ rejected: 0, retained: 0, dropped: 0 });
    expect(registry.stats.rejectedSeries).toBe(0);
    expect(errors).toEqual([]);
    expect(await total("unknown_limits")).toBe(expected);
    // It learned the limit it ran into first (the body size is checked before anything else) and keeps it.
    expect(registry.limits.maxBodyBytes).toBe(6000);
  });

  it("splits by the limits it is given, before sending", async () => {
    const registry = new Registry({
      transport: new HttpTransport({ url: new URL("/push", worker.url).href, token: PUSH_TOKEN }),
      limits: { maxSeriesPerPush: 40, maxBodyBytes: 6000, maxFamiliesPerPush: 2 },
    });
    fill(registry, "known_limits");
    for (const push of registry.take()) {
      expect(push.families.length).toBeLessThanOrEqual(2);
      expect(new Set(push.families.map((f) => f.name)).size).toBe(push.families.length);
      expect(push.families.reduce((n, f) => n + f.series.length, 0)).toBeLessThanOrEqual(40);
      expect(new TextEncoder().encode(JSON.stringify(push)).byteLength).toBeLessThanOrEqual(6000);
    }
  });
});
