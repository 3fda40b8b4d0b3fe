// The streamed scrape inside workerd: families larger than a page arrive whole and exactly once, sharded ones merged
// page by page; a family that fails part-way aborts the scrape visibly (a family that cannot be read at all is left
// out and named: self-metrics.test.ts).

import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shardObjectName } from "../../../lib/protocol/names.ts";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";
import type { FamilyObject } from "../../../worker/objects/family-object.ts";
import { decodeDelimited } from "../../../worker/protobuf/messages.ts";
import { ABORTED_BINARY_TAIL, ABORTED_TAIL } from "../../../worker/scrape/scrape-flight.ts";

const OM = "application/openmetrics-text; version=1.0.0";
const PROTOBUF = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
/** A protobuf scrape's MetricFamily messages. */
const scrapeProtobuf = async () =>
  decodeDelimited(
    new Uint8Array(
      await (
        await exports.default.fetch(new Request("http://metrics.test/metrics", { headers: { accept: PROTOBUF } }))
      ).arrayBuffer(),
    ),
  );
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

  it("reads a family of several pages as it was at its first page: a push between two pages shows in none", async () => {
    const name = "stream_snapshot";
    const part: FamilyPush = { name, type: "counter", help: "P.", labelNames: ["k"], series: bigSeries("n", 2) };
    expect(await stub(name).push("snapshot-1", part)).toMatchObject({ status: "applied" });
    // The object applies a push to every series (+1) just before it serves the scrape's second page (an RPC is
    // dispatched through the class, so the class's method is wrapped for this scrape).
    const methods = Object.getPrototypeOf(await runInDurableObject(stub(name), (o: FamilyObject) => o));
    const page = methods.scrapePage;
    let served = 0;
    methods.scrapePage = async function (this: FamilyObject, request: unknown) {
      const place = (this as unknown as { state: { place?: { family: string } } }).state.place;
      if (place?.family === name && ++served === 2) {
        const outcome = await this.push("snapshot-2", { ...part, series: bigSeries("n", 1) });
        expect(outcome).toMatchObject({ status: "applied" });
      }
      return page.call(this, request);
    };
    let during: string[];
    try {
      during = samples(await scrape(), `${name}_total`);
    } finally {
      methods.scrapePage = page;
    }
    expect(served).toBeGreaterThanOrEqual(2);
    expect(during).toHaveLength(1000);
    expect(during.filter((l) => !l.endsWith(" 2"))).toEqual([]);
    // The next scrape starts after the push: all of it.
    const after = samples(await scrape(), `${name}_total`);
    expect(after).toHaveLength(1000);
    expect(after.filter((l) => !l.endsWith(" 3"))).toEqual([]);
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

  it("streams protobuf by pages: a family of two pages is two messages of one name, every series once", async () => {
    const name = "stream_paged_pb";
    const part: FamilyPush = { name, type: "counter", help: "P.", labelNames: ["k"], series: bigSeries("q", 5) };
    expect(await stub(name).push("paged-pb", part)).toMatchObject({ status: "applied" });
    const messages = (await scrapeProtobuf()).filter((f) => f.name === `${name}_total`);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    const series = messages.flatMap((f) => f.metrics);
    expect(series).toHaveLength(1000);
    expect(new Set(series.map((m) => m.labels[0]?.[1])).size).toBe(1000);
    expect(series.every((m) => m.counter?.value === 5)).toBe(true);
  });

  it("merges a sharded native histogram exactly in protobuf: its shards' resolutions meet at the coarser", async () => {
    const name = "stream_native_sharded";
    const def = {
      name,
      type: "histogram" as const,
      help: "N.",
      labelNames: [],
      buckets: [],
      native: { schema: 3, zeroThreshold: 0, maxBuckets: 160 },
      shards: 2,
    };
    // Shard 0 holds 1 and 1.05 at schema 3 (buckets 0 and 1); shard 1 holds 1.05 and 3 at schema 1 (1 and 4).
    const at = (schema: number, positive: number[][], sum: number) => ({
      labels: {},
      counts: [2],
      sum,
      native: { schema, zeroThreshold: 0, zeroCount: 0, positive, negative: [] },
    });
    const first = {
      ...def,
      series: [
        at(
          3,
          [
            [0, 1],
            [1, 1],
          ],
          2.05,
        ),
      ],
    };
    const second = {
      ...def,
      series: [
        at(
          1,
          [
            [1, 1],
            [4, 1],
          ],
          4.05,
        ),
      ],
    };
    expect(await stub(name, 0).push("native-0", first)).toMatchObject({ status: "applied" });
    expect(await stub(name, 1).push("native-1", second)).toMatchObject({ status: "applied" });
    const h = (await scrapeProtobuf()).find((f) => f.name === name)?.metrics[0]?.histogram;
    // At schema 1 (buckets √2 wide): 1 → bucket 0, 1.05 → 1, 1.05 → 1, 3 → 4.
    expect(h).toMatchObject({ sampleCount: 4, sampleSum: 6.1 });
    expect(h?.native).toMatchObject({
      schema: 1,
      positiveSpans: [
        [0, 2],
        [2, 1],
      ],
      positiveCounts: [1, 2, 1],
    });
  });

  it("bounds a sharded family's protobuf chunks by bytes, not only by series: wide native histograms stay small", async () => {
    const name = "stream_native_wide";
    const def = {
      name,
      type: "histogram" as const,
      help: "W.",
      labelNames: ["k"],
      buckets: [],
      native: { schema: 8, zeroThreshold: 0, maxBuckets: 4096 },
      shards: 2,
    };
    // 20 series of 1,000 buckets each: 20,000 buckets, far past what one chunk of about 512 KB holds.
    const series = (shard: number) =>
      Array.from({ length: 20 }, (_, i) => ({
        labels: { k: `s${String(i).padStart(2, "0")}` },
        counts: [1000],
        sum: 1000,
        native: {
          schema: 8,
          zeroThreshold: 0,
          zeroCount: 0,
          positive: Array.from({ length: 1000 }, (_, b) => [b + shard * 1000, 1]),
          negative: [],
        },
      }));
    for (const shard of [0, 1])
      expect(await stub(name, shard).push(`wide-${shard}`, { ...def, series: series(shard) })).toMatchObject({
        status: "applied",
      });
    const messages = (await scrapeProtobuf()).filter((f) => f.name === name);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    const metrics = messages.flatMap((f) => f.metrics);
    expect(metrics).toHaveLength(20);
    expect(
      metrics.every((m) => m.histogram?.sampleCount === 2000 && m.histogram.native?.positiveCounts.length === 2000),
    ).toBe(true);
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
    // In protobuf, the body ends with a length no message follows.
    const binary = await exports.default.fetch(
      new Request("http://metrics.test/metrics", { headers: { accept: PROTOBUF } }),
    );
    const reader = (binary.body as ReadableStream<Uint8Array>).getReader();
    const received: number[] = [];
    for (;;) {
      const read = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (read.value) received.push(...read.value);
      if (read.done) break;
    }
    const bytes = new Uint8Array(received);
    expect([...bytes.slice(-ABORTED_BINARY_TAIL.length)]).toEqual([...ABORTED_BINARY_TAIL]);
    expect(() => decodeDelimited(bytes)).toThrow(/truncated/);
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
