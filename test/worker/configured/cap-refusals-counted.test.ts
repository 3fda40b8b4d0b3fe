// The count of refusals for the cap on families is stored even when the deployment is at its cap (the Worker's own
// families are not held to it). A file of its own: it needs the Worker's own counts from a fresh start.

import { describe, expect, it } from "vitest";
import { ENTRIES, type ProducedMetric, scrape } from "../entries/entries.ts";

const gauges = (base: string, from: number, count: number): ProducedMetric[] =>
  Array.from({ length: count }, (_, i) => ({ name: `${base}_${from + i}`, type: "gauge", series: [{ value: 1 }] }));

describe("the cap on families, counted", () => {
  it("counts a refusal in pdc_family_cap_refusals_total even when the deployment is at its cap", async () => {
    const [json] = ENTRIES.filter((entry) => entry.name === "JSON over HTTP");
    // Fill the cap (the Worker's own pdc_pushes family takes one place).
    await json?.push(gauges("full", 0, 19));
    expect(await json?.push(gauges("full_more", 0, 3))).toMatchObject({ status: 413 });
    // The count is flushed after the reply (SELF_METRICS_FLUSH_MS is 0 here).
    let text = "";
    for (let i = 0; i < 100 && !text.includes("pdc_family_cap_refusals_total{"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      text = await scrape("text");
    }
    expect(text).toMatch(/\npdc_family_cap_refusals_total\{cap="deployment"\} 1\n/);
  });
});
