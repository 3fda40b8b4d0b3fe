// The attacks of test/corpus/hostile-producers.ts against the real Worker over real HTTP, each on a Worker of its own
// with the vars it names: every one performed as described, and every one failing harmlessly.

import { describe, expect, it } from "vitest";
import { PRODUCER_ATTACKS } from "../corpus/hostile-producers.ts";
import { startMetricsWorker, tempDir } from "./harness.ts";

describe("one producer cannot harm what the others see (black box)", () => {
  it.each(PRODUCER_ATTACKS.map((attack) => [attack.item, attack] as const))("%s", async (_, attack) => {
    const worker = await startMetricsWorker({ persistDir: tempDir("pdc-attack-"), vars: attack.vars });
    try {
      const target = {
        url: worker.url,
        push: worker.push,
        scrape: (format: "text" | "openmetrics") =>
          worker.scrape(format === "openmetrics" ? "application/openmetrics-text; version=1.0.0" : undefined),
      };
      expect(await attack.run(target)).toEqual([]);
    } finally {
      await worker.stop();
    }
  });
});
