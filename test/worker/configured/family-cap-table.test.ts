// The cap on families (MAX_FAMILIES, 20 in this project), one table through every way in: a push that would create
// families past it is refused with 413 naming the limit, nothing of it applied (the Durable Object transport: each
// family alone); families that exist keep taking pushes; a push within the cap applies.

import { abortAllDurableObjects, createExecutionContext, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { GROUP_TIME_FAMILIES } from "../../../lib/protocol/names.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import { catalog } from "../../../worker/objects/catalog-object.ts";
import { ENTRIES, type ProducedMetric } from "../entries/entries.ts";

const gauges = (base: string, from: number, count: number): ProducedMetric[] =>
  Array.from({ length: count }, (_, i) => ({ name: `${base}_${from + i}`, type: "gauge", series: [{ value: 1 }] }));
const listed = async () => (await catalog(env).list()).map((e) => e.name);
/**
 * The producers' families (the Worker's own pdc_ families come and go with its self-metrics flushes; a refused
 * Pushgateway push records its group's failure time, the Worker's too).
 */
const produced = async () =>
  (await listed()).filter((name) => !name.startsWith("pdc_") && !GROUP_TIME_FAMILIES.includes(name));

describe("the cap on families, through every way in", () => {
  // A clean slate: empty storage, and no object instance that still remembers what it held.
  beforeEach(async () => {
    await reset();
    await abortAllDurableObjects();
  });

  it.each(ENTRIES.map((entry) => [entry.name, entry] as const))("%s", async (_, entry) => {
    expect(await entry.push(gauges("capped", 0, 15))).toMatchObject({ accepted: true });
    const held = (await produced()).length;
    // Ten more would pass the cap of 20 (the Worker's own families count too).
    const reply = await entry.push(gauges("capped", 15, 10));
    expect(reply).toMatchObject({ accepted: false, status: 413 });
    expect(reply.error).toMatch(/over the limit of 20 \(MAX_FAMILIES\)/);
    if (entry.wholePush) expect((await produced()).length).toBe(held);
    expect((await listed()).length).toBeLessThanOrEqual(20);
    // Existing families keep working, and one more within the cap applies.
    expect(await entry.push([...gauges("capped", 0, 2), ...gauges("capped_more", 0, 1)])).toMatchObject({
      accepted: entry.wholePush ? true : expect.any(Boolean),
    });
    expect(await entry.push(gauges("capped", 0, 15))).toMatchObject({ accepted: true });
  });
});

describe("the cap on families holds exactly", () => {
  // A clean slate: empty storage, and no object instance that still remembers what it held.
  beforeEach(async () => {
    await reset();
    await abortAllDurableObjects();
  });

  it("lets concurrent pushes of a scoped token create no more families than its cap", async () => {
    const router = createMetricsRouter();
    const vars = {
      ...env,
      SCOPED_PUSH_TOKENS: JSON.stringify({ "capped-token": { prefixes: ["tok_"], maxFamilies: 3 } }),
    };
    const push = (i: number) =>
      router.fetch(
        new Request("http://metrics.test/push", {
          method: "POST",
          headers: { authorization: "Bearer capped-token", "content-type": "application/json" },
          body: JSON.stringify({
            families: [{ name: `tok_${i}`, type: "gauge", help: "T.", series: [{ labels: {}, set: 1 }] }],
          }),
        }),
        vars,
        createExecutionContext(),
      );
    const statuses = (await Promise.all(Array.from({ length: 20 }, (_, i) => push(i)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 413)).toHaveLength(17);
    expect((await listed()).filter((name) => name.startsWith("tok_"))).toHaveLength(3);
  });
});
