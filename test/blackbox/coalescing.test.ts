// Coalesced flushes from real Worker isolates: a user Worker that flushes the recommended way (flushSoon) under a
// burst of concurrent requests sends a handful of pushes per isolate instead of one per request, and every
// increment lands exactly once.

import { afterAll, describe, expect, it } from "vitest";
import {
  bundle,
  familyStats,
  type RunningWorker,
  sampleValue,
  startMetricsWorker,
  tempDir,
  userWorkers,
  waitFor,
} from "./harness.ts";

const FAMILIES = ["anchor_events", "anchor_step_seconds", "anchor_last_request"];

describe("coalesced flushes from Worker isolates (black box)", () => {
  let worker: RunningWorker | undefined;
  afterAll(async () => worker?.stop());

  it("400 requests over 4 isolates: a few pushes per isolate, totals exact", async () => {
    const script = await bundle("test/fixtures/anchor-worker.ts");
    const isolates = 4;
    const running = await startMetricsWorker({
      persistDir: tempDir("pdc-coalesce-"),
      others: userWorkers(script, isolates, "anchor", { FLUSH_DELAY_MS: "200" }),
    });
    worker = running;
    const users = await Promise.all(Array.from({ length: isolates }, (_, i) => running.mf.getWorker(`anchor-${i}`)));
    const REQUESTS = 400;
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const res = await (users[i % isolates] as (typeof users)[number]).fetch(
            `http://anchor.test/?flush=soon&i=${i}`,
          );
          expect(await res.text()).toBe("ok\n");
        }
      }),
    );
    const elapsed = Date.now() - started;
    await waitFor(
      async () => sampleValue(await running.scrape(), 'anchor_events_total{kind="k0"}') === REQUESTS * 10,
      30_000,
      "every flush",
    );
    const text = await running.scrape();
    for (let k = 0; k < 10; k++) {
      expect(sampleValue(text, `anchor_events_total{kind="k${k}"}`)).toBe(REQUESTS * 10);
      expect(sampleValue(text, `anchor_step_seconds_count{kind="k${k}"}`)).toBe(REQUESTS * 2);
    }
    const stats = await familyStats(running, FAMILIES);
    // Without coalescing: 3 pushes per request (1,200). With it: 3 per isolate per 200 ms window, at most.
    const windows = Math.ceil(elapsed / 200) + 1;
    expect(stats.pushes).toBeLessThanOrEqual(FAMILIES.length * isolates * windows);
    expect(stats.pushes).toBeLessThan(REQUESTS);
  });
});
