// The real Worker over HTTP with persistent storage: concurrent pushes add up exactly, and every
// acknowledged value survives a stop and restart on the same storage.

import { afterAll, describe, expect, it } from "vitest";
import { bundle, type RunningWorker, sampleValue, startMetricsWorker, tempDir } from "./harness.ts";

describe("durability and exactness (black box)", () => {
  const persistDir = tempDir("pdc-durability-");
  let worker: RunningWorker | undefined;
  afterAll(async () => worker?.stop());

  it("adds 200 concurrent pushes to one series exactly", async () => {
    const running = await startMetricsWorker({ persistDir });
    worker = running;
    const pushes = Array.from({ length: 200 }, (_, i) =>
      running.push({
        batch: `concurrent-${i}`,
        families: [
          {
            name: "bb_hits",
            type: "counter",
            help: "Hits.",
            labelNames: ["k"],
            series: [{ labels: { k: "x" }, inc: i + 1 }],
          },
        ],
      }),
    );
    const statuses = (await Promise.all(pushes)).map((r) => r.status);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(sampleValue(await worker.scrape(), 'bb_hits_total{k="x"}')).toBe((200 * 201) / 2);
  });

  it("keeps every acknowledged value across a stop and restart on the same storage", async () => {
    const script = await bundle("worker/index.ts");
    await worker?.stop();
    worker = await startMetricsWorker({ persistDir, script });
    const acknowledged: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await worker.push({
        batch: `restart-${i}`,
        families: [
          { name: "bb_restart", type: "counter", help: "R.", series: [{ labels: {}, inc: 3 }] },
          { name: "bb_restart_last", type: "gauge", help: "Last.", series: [{ labels: {}, set: i }] },
        ],
      });
      if (res.status === 200) acknowledged.push(i);
    }
    expect(acknowledged).toHaveLength(20);
    await worker.stop();
    worker = await startMetricsWorker({ persistDir, script });
    const text = await worker.scrape();
    expect(sampleValue(text, "bb_restart_total")).toBe(60);
    expect(sampleValue(text, "bb_restart_last")).toBe(19);
    expect(sampleValue(text, 'bb_hits_total{k="x"}')).toBe(20_100);
    const replay = await worker.push({
      batch: "restart-3",
      families: [{ name: "bb_restart", type: "counter", help: "R.", series: [{ labels: {}, inc: 3 }] }],
    });
    expect(((await replay.json()) as { families: { status: string }[] }).families[0]?.status).toBe("duplicate");
    expect(sampleValue(await worker.scrape(), "bb_restart_total")).toBe(60);
  });
});
