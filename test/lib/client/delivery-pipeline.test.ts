// The delivery pipeline on its own, against a scripted transport: sends go one after another; a part that fails is
// kept with its push id and sent first next time; a family's newer parts wait behind its failed one; a refusal is
// counted and reported, not retried; a 413 naming a split limit lowers it and the part is split and sent again; a
// part refused only because its push was (424) goes again without the refused family; the retry buffer is bounded.

import { describe, expect, it } from "vitest";
import { type DeliveryOptions, DeliveryPipeline } from "../../../lib/client/delivery/delivery-pipeline.ts";
import { type DeliveryOutcome, REFUSED_WITH_PUSH, type Transport } from "../../../lib/protocol/transport.ts";
import type { FamilyPush, Push } from "../../../lib/protocol/wire.ts";

const family = (name: string, series = 1): FamilyPush => ({
  name,
  type: "counter",
  help: "H.",
  labelNames: ["i"],
  series: Array.from({ length: series }, (_, i) => ({ labels: { i: String(i) }, inc: 1 })),
});

/** A transport that answers each family with what `answer` says and records every push it saw. */
function scripted(answer: (family: FamilyPush, push: Push) => DeliveryOutcome) {
  const seen: Push[] = [];
  const transport: Transport = {
    async push(push) {
      seen.push(structuredClone(push));
      return push.families.map((f) => answer(f, push));
    },
  };
  return { transport, seen };
}
const applied = (f: FamilyPush): DeliveryOutcome => ({ name: f.name, status: "applied", series: f.series.length });
const failed = (f: FamilyPush): DeliveryOutcome => ({ name: f.name, status: "failed", error: "down" });

function pipeline(over: Partial<DeliveryOptions> = {}) {
  const errors: string[] = [];
  const options: DeliveryOptions = {
    maxRetainedSeries: 1000,
    maxRetainedAgeMs: 60_000,
    onError: (m) => errors.push(m),
    limits: { maxBodyBytes: 1_000_000, maxFamiliesPerPush: 100, maxSeriesPerPush: 10_000 },
    ...over,
  };
  return { pipeline: new DeliveryPipeline(options), errors, options };
}

describe("delivery pipeline", () => {
  it("keeps a failed part with its push id, sends it first next time, and holds the family's newer parts behind it", async () => {
    const { pipeline: p } = pipeline();
    let down = true;
    const { transport, seen } = scripted((f) => (down && f.name === "a" ? failed(f) : applied(f)));
    const first = await p.deliver([{ pushId: "p1", families: [family("a"), family("b")] }], transport);
    expect(first).toEqual({ delivered: 1, rejected: 0, retained: 1, dropped: 0 });
    expect(p.stats.retainedSeries).toBe(1);

    // Still down: the retained part goes first and fails; the newer part of "a" is not sent past it.
    const second = await p.deliver([{ pushId: "p2", families: [family("a"), family("c")] }], transport);
    expect(second).toMatchObject({ delivered: 1, retained: 2 });
    expect(seen.slice(1).map((s) => [s.pushId, s.families.map((f) => f.name)])).toEqual([
      ["p1", ["a"]],
      ["p2", ["c"]],
    ]);

    down = false;
    const third = await p.deliver([], transport);
    expect(third).toMatchObject({ delivered: 2, retained: 0 });
    expect(seen.slice(3).map((s) => s.pushId)).toEqual(["p1", "p2"]);
    expect(p.stats.retainedSeries).toBe(0);
  });

  it("counts and reports a refusal and does not send it again", async () => {
    const { pipeline: p, errors } = pipeline();
    const { transport, seen } = scripted((f) =>
      f.name === "bad" ? { name: f.name, status: "rejected", code: 400, error: "no" } : applied(f),
    );
    const result = await p.deliver([{ pushId: "p", families: [family("bad", 3), family("ok")] }], transport);
    expect(result).toEqual({ delivered: 1, rejected: 1, retained: 0, dropped: 0 });
    expect(p.stats.rejectedSeries).toBe(3);
    expect(errors).toEqual(['family "bad" refused (400): no']);
    await p.deliver([], transport);
    expect(seen).toHaveLength(1);
  });

  it("treats a 5xx answer as a failure to retry, not a refusal", async () => {
    const { pipeline: p } = pipeline();
    const { transport } = scripted((f) => ({ name: f.name, status: "rejected", code: 503, error: "busy" }));
    expect(await p.deliver([{ pushId: "p", families: [family("a")] }], transport)).toMatchObject({ retained: 1 });
  });

  it("lowers a split limit a 413 names, splits the part by it and sends the pieces at once", async () => {
    const { pipeline: p, options } = pipeline();
    const { transport, seen } = scripted((f) =>
      f.series.length > 2
        ? { name: f.name, status: "rejected", code: 413, error: "big", limit: { name: "maxSeriesPerPush", value: 2 } }
        : applied(f),
    );
    const result = await p.deliver([{ pushId: "p", families: [family("a", 5)] }], transport);
    expect(result).toMatchObject({ delivered: 3, rejected: 0 });
    expect(options.limits.maxSeriesPerPush).toBe(2);
    const pieces = seen.slice(1);
    expect(pieces.map((s) => s.families[0]?.series.length)).toEqual([2, 2, 1]);
    // New pushes, each with its own id (nothing of the refused part was applied).
    expect(new Set(pieces.map((s) => s.pushId)).size).toBe(3);
  });

  it("sends the families refused only with their push (424) again at once, under the same push id", async () => {
    const { pipeline: p } = pipeline();
    const { transport, seen } = scripted((f, push) => {
      if (f.name === "bad") return { name: f.name, status: "rejected", code: 400, error: "no" };
      if (push.families.some((x) => x.name === "bad"))
        return { name: f.name, status: "rejected", code: REFUSED_WITH_PUSH, error: "refused with its push" };
      return applied(f);
    });
    const result = await p.deliver([{ pushId: "p", families: [family("good"), family("bad")] }], transport);
    expect(result).toMatchObject({ delivered: 1, rejected: 1 });
    expect(seen.map((s) => [s.pushId, s.families.map((f) => f.name)])).toEqual([
      ["p", ["good", "bad"]],
      ["p", ["good"]],
    ]);
  });

  it("drops the oldest kept parts past maxRetainedSeries and says so", async () => {
    const { pipeline: p, errors } = pipeline({ maxRetainedSeries: 4 });
    const { transport } = scripted(failed);
    await p.deliver([{ pushId: "p1", families: [family("a", 3)] }], transport);
    const result = await p.deliver([{ pushId: "p2", families: [family("b", 3)] }], transport);
    expect(result.dropped).toBe(3);
    expect(p.stats).toMatchObject({ retainedSeries: 3, droppedSeries: 3 });
    expect(errors.at(-1)).toMatch(/retry buffer full: dropped 3/);
  });

  it("runs sends one after another: a second deliver starts after the first has finished", async () => {
    const { pipeline: p } = pipeline();
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const transport: Transport = {
      async push(push) {
        order.push(`start ${push.pushId}`);
        if (push.pushId === "p1") await gate;
        order.push(`end ${push.pushId}`);
        return push.families.map(applied);
      },
    };
    const one = p.deliver([{ pushId: "p1", families: [family("a")] }], transport);
    const two = p.deliver([{ pushId: "p2", families: [family("a")] }], transport);
    await Promise.resolve();
    release();
    await Promise.all([one, two]);
    expect(order).toEqual(["start p1", "end p1", "start p2", "end p2"]);
  });
});
