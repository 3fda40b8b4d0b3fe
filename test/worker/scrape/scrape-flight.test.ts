// Single flight inside workerd: concurrent scrapes share one collection (at most families + 1 object requests for
// 100 of them, every body whole and identical); SCRAPE_CACHE_SECONDS serves repeats; and the flight itself keeps its
// memory bounded, cuts off a reader that falls too far behind, stops collecting when every reader left, and passes a
// failure on.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/config/env.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import { ScrapeFlight, SHARED_BYTES } from "../../../worker/scrape/scrape-flight.ts";
import { foldIngest, listedFamilies, objectRequests } from "../object-requests.ts";

const TOKEN = "test-push-token";

/** The object request count once the pushes' own bookkeeping (pdc_pushes_total, flushed after them) is done. */
async function settled(): Promise<number> {
  let last = await objectRequests();
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await objectRequests();
    if (now === last) return now;
    last = now;
  }
}

async function push(families: unknown[]) {
  const res = await exports.default.fetch(
    new Request("http://metrics.test/push", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ families }),
    }),
  );
  expect(res.status).toBe(200);
}

const gauge = (name: string, value: number) => ({
  name,
  type: "gauge",
  help: "G.",
  labelNames: ["k"],
  series: Array.from({ length: 50 }, (_, i) => ({ labels: { k: `v${i}` }, set: value })),
});

async function* pieces(count: number, size: number, onReturn?: () => void): AsyncGenerator<string> {
  try {
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, 0));
      yield String(i % 10).repeat(size);
    }
  } finally {
    onReturn?.();
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

describe("scrape single flight", () => {
  it("serves 100 concurrent scrapes with at most families + 2 object requests, every body whole and identical", async () => {
    const families = Array.from({ length: 20 }, (_, i) => gauge(`flight_family_${i}`, i));
    await push(families);
    await foldIngest();
    const before = await settled();
    const listed = await listedFamilies();
    const bodies = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const res = await exports.default.fetch(
          new Request("http://metrics.test/metrics", {
            headers: { accept: "application/openmetrics-text; version=1.0.0" },
          }),
        );
        expect(res.status).toBe(200);
        return res.text();
      }),
    );
    const made = (await objectRequests()) - before;
    // The ingest object (asked to fold first: nothing left), the catalog, and each family once.
    expect(made).toBeLessThanOrEqual(listed + 2);
    expect(made).toBeGreaterThan(0);
    expect(new Set(bodies).size).toBe(1);
    const body = bodies[0] as string;
    expect(body.endsWith("# EOF\n")).toBe(true);
    for (let i = 0; i < 20; i++) expect(body).toContain(`flight_family_${i}{k="v49"} ${i}\n`);
  });

  it("starts a new collection for a scrape after the last finished (no cache by default), even while a reader lingers", async () => {
    await push([gauge("flight_fresh", 1)]);
    const get = () => exports.default.fetch(new Request("http://metrics.test/metrics"));
    // A scrape whose body is not read yet: its collection (in its waitUntil) finishes, and must not be handed to
    // later scrapes.
    const ctx = createExecutionContext();
    const lingering = await createMetricsRouter().fetch(new Request("http://metrics.test/metrics"), env, ctx);
    await waitOnExecutionContext(ctx);
    await push([gauge("flight_fresh", 2)]);
    expect(await (await get()).text()).toContain('flight_fresh{k="v0"} 2\n');
    await push([gauge("flight_fresh", 3)]);
    expect(await (await get()).text()).toContain('flight_fresh{k="v0"} 3\n');
    expect(await lingering.text()).toContain('flight_fresh{k="v0"} 1\n');
  });

  it("serves repeats from a finished scrape for SCRAPE_CACHE_SECONDS, then collects afresh", async () => {
    const router = createMetricsRouter();
    const contexts: ExecutionContext[] = [];
    const cached = async () => {
      const ctx = createExecutionContext();
      contexts.push(ctx);
      const vars = { ...env, SCRAPE_CACHE_SECONDS: "1" } as Env;
      return (await router.fetch(new Request("http://metrics.test/metrics"), vars, ctx)).text();
    };
    await push([gauge("flight_cached", 1)]);
    const first = await cached();
    expect(first).toContain('flight_cached{k="v0"} 1\n');
    await push([gauge("flight_cached", 2)]);
    const before = await settled();
    expect(await cached()).toBe(first);
    expect(await objectRequests()).toBe(before);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cached()).toContain('flight_cached{k="v0"} 2\n');
    await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
  });
});

describe("ScrapeFlight", () => {
  it("stops taking new readers past SHARED_BYTES, and every reader that joined reads everything", async () => {
    const flight = new ScrapeFlight(0);
    const size = 256 * 1024;
    const count = Math.ceil((SHARED_BYTES * 1.5) / size);
    const early = [flight.reader(false), flight.reader(false)];
    const run = flight.run(pieces(count, size));
    expect(flight.joinable(Date.now())).toBe(true);
    const totals = await Promise.all(early.map(readAll));
    await run;
    expect(totals).toEqual([count * size, count * size]);
    expect(flight.joinable(Date.now())).toBe(false);
  });

  it("takes new readers only within its join window while it runs, and not at all once finished", async () => {
    const flight = new ScrapeFlight(0);
    const stalled = flight.reader(false).getReader();
    const run = flight.run(pieces(100, 512 * 1024));
    expect((await stalled.read()).done).toBe(false);
    const now = Date.now();
    expect(flight.joinable(now)).toBe(true);
    expect(flight.joinable(now + 1_100), "a running flight past its join window").toBe(false);
    await stalled.cancel();
    await run;
    expect(flight.joinable(Date.now()), "finished, with no cache").toBe(false);
  });

  it("never takes a new reader again once it dropped a chunk, even within its cache time", async () => {
    const flight = new ScrapeFlight(1_000);
    const reader = flight.reader(false);
    const run = flight.run(
      (async function* () {
        yield "before the join window closed\n";
        await new Promise((r) => setTimeout(r, 1_200));
        yield "after it closed\n";
        yield "the end\n";
      })(),
    );
    expect(await readAll(reader)).toBeGreaterThan(0);
    await run;
    // Finished a moment ago with a 1 s cache, but the first chunks were dropped while it ran past its join window.
    expect(flight.joinable(Date.now())).toBe(false);
  });

  it("fails the scrapes that joined a collection that never starts or stops moving (its request went away)", async () => {
    const never = new ScrapeFlight(0, 200);
    await expect(never.whenStarted()).rejects.toThrow("the scrape did not start");
    expect(never.joinable(Date.now())).toBe(false);

    const stuck = new ScrapeFlight(0, 200);
    const joined = stuck.reader(false);
    void stuck.run(
      (async function* () {
        yield "one piece\n";
        await new Promise(() => {});
      })(),
    );
    await expect(readAll(joined)).rejects.toThrow("the scrape could not be completed");
    expect(stuck.joinable(Date.now())).toBe(false);
  });

  it("cuts off a reader that falls more than the limit behind, while the others go on", async () => {
    const flight = new ScrapeFlight(0);
    const size = 512 * 1024;
    const count = Math.ceil((SHARED_BYTES * 2.5) / size);
    const stalled = flight.reader(false).getReader();
    const fast = flight.reader(false);
    const run = flight.run(pieces(count, size));
    expect((await stalled.read()).done).toBe(false);
    expect(await readAll(fast)).toBe(count * size);
    await run;
    await expect(
      (async () => {
        for (;;) if ((await stalled.read()).done) return "complete";
      })(),
    ).rejects.toThrow(/fell too far behind/);
  });

  it("stops collecting when every reader has left, and passes a failure on to its readers", async () => {
    const flight = new ScrapeFlight(0);
    let stopped = false;
    const reader = flight.reader(false).getReader();
    const run = flight.run(pieces(1_000, 1024, () => (stopped = true)));
    await reader.read();
    await reader.cancel();
    await run;
    expect(stopped).toBe(true);
    expect(flight.joinable(Date.now())).toBe(false);

    const failing = new ScrapeFlight(0);
    const victim = failing.reader(false);
    await failing.run(
      (async function* () {
        yield "first piece\n";
        throw new Error("the catalog went away");
      })(),
    );
    await expect(readAll(victim)).rejects.toThrow("the scrape could not be completed");
  });
});
