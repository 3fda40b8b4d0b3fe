// The streamed scrape inside workerd: families larger than a page arrive whole and exactly once, sharded ones merged
// page by page; a family that fails part-way aborts the scrape visibly (a family that cannot be read at all is left
// out and named: self-metrics.test.ts).

import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardObjectName } from "../../../lib/protocol/names.ts";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";
import { ABORTED_TAIL } from "../../../worker/scrape/scrape-flight.ts";

const OM = "application/openmetrics-text; version=1.0.0";
const scrape = async (accept?: string) =>
  (
    await exports.default.fetch(new Request("http://metrics.test/metrics", accept ? { headers: { accept } } : {}))
  ).text();
const stub = (family: string, shard = 0) => env.METRICS_FAMILY.getByName(shardObjectName(family, shard));
/** 1,000 series whose labels take about 900 bytes each: more than one 512 KB page. */
const bigSeries = (tag: string, inc: number) =>
  Array.from({ length: 1000 }, (_, i) => ({
    labels: { k: `${tag}-${String(i).padStart(4, "0")}-${"x".repeat(880)}` },
    inc,
  }));
/** A scrape's body as far as it goes, and the error that ended it, if one did. */
async function readAll(accept?: string): Promise<{ text: string; error?: string }> {
  const response = await exports.default.fetch(
    new Request("http://metrics.test/metrics", accept ? { headers: { accept } } : {}),
  );
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error: (error as Error).message };
  }
}
const samples = (text: string, name: string) => text.split("\n").filter((l) => l.startsWith(`${name}{`));

describe("the streamed scrape", () => {
  it("spans pages: 1,000 large series arrive once each, under one HELP/TYPE, in both formats", async () => {
    const name = "stream_paged";
    const part: FamilyPush = { name, type: "counter", help: "P.", labelNames: ["k"], series: bigSeries("p", 2) };
    expect(await stub(name).push("paged-1", part)).toMatchObject({ status: "applied" });
    const before = (await stub(name).stats()).requests;
    for (const accept of [undefined, OM]) {
      const text = await scrape(accept);
      const lines = samples(text, `${name}_total`);
      expect(lines).toHaveLength(1000);
      expect(new Set(lines).size).toBe(1000);
      expect(lines.every((l) => l.endsWith(" 2"))).toBe(true);
      expect(text.split("\n").filter((l) => l.startsWith(`# TYPE ${name}`))).toHaveLength(1);
    }
    // At least two pages per scrape.
    expect((await stub(name).stats()).requests - before).toBeGreaterThanOrEqual(4);
  });

  it("merges a sharded family page by page across its shards", async () => {
    const name = "stream_sharded";
    const def = { name, type: "counter" as const, help: "S.", labelNames: ["k"], shards: 2 };
    expect(await stub(name, 0).push("sharded-0", { ...def, series: bigSeries("s", 1) })).toMatchObject({
      status: "applied",
    });
    expect(await stub(name, 1).push("sharded-1", { ...def, series: bigSeries("s", 3) })).toMatchObject({
      status: "applied",
    });
    const lines = samples(await scrape(OM), `${name}_total`);
    expect(lines).toHaveLength(1000);
    expect(lines.every((l) => l.endsWith(" 4"))).toBe(true);
  });

  it("aborts a scrape whose family fails part-way: the body ends with a line no parser takes, never cleanly", async () => {
    const name = "stream_broken";
    const part: FamilyPush = { name, type: "counter", help: "B.", labelNames: ["k"], series: bigSeries("b", 1) };
    expect(await stub(name).push("broken-1", part)).toMatchObject({ status: "applied" });
    // Corrupt the last series, which lives on the family's second page.
    await runInDurableObject(stub(name), (instance, state) => {
      state.storage.sql.exec(`UPDATE series SET state = 'not json' WHERE key = (SELECT MAX(key) FROM series)`);
      // The object keeps what it wrote in memory too; make it read storage again.
      instance.reload();
    });
    for (const accept of [undefined, OM]) {
      // Two scrapes at once: the one that joins the collection fails as promptly as the one that runs it.
      const started = Date.now();
      const bodies = await Promise.all([readAll(accept), readAll(accept)]);
      expect(Date.now() - started).toBeLessThan(20_000);
      for (const { text, error } of bodies) {
        // Inside workerd the stream's error reaches the reader; over HTTP the tail is what a scraper sees.
        expect(error).toMatch(/could not be completed/);
        expect(samples(text, `${name}_total`).length).toBeGreaterThan(0);
        expect(text.endsWith(new TextDecoder().decode(ABORTED_TAIL))).toBe(true);
        expect(text).not.toContain("# EOF");
        expect(text).not.toContain("pdc_families");
      }
    }
  });
});
