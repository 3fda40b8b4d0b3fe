// splitIntoPushes: every push within the limits (bytes counted exactly as JSON in UTF-8), one family at most once
// per push, removals before deltas, nothing lost, nothing repeated.

import { describe, expect, it } from "vitest";
import { splitIntoPushes, utf8Length } from "../../../lib/client/delivery/split-into-pushes.ts";
import type { FamilyPush, Push } from "../../../lib/protocol/wire.ts";

let id = 0;
const newId = () => `push-${++id}`;
const bytes = (push: Push) => new TextEncoder().encode(JSON.stringify(push)).byteLength;

function family(name: string, series: number, removals = 0, valueLength = 5): FamilyPush {
  return {
    name,
    type: "counter",
    help: "Split me ✓.",
    labelNames: ["k"],
    ...(removals > 0 ? { remove: Array.from({ length: removals }, (_, i) => ({ k: `gone-${i}` })) } : {}),
    series: Array.from({ length: series }, (_, i) => ({ labels: { k: `${i}-${"é".repeat(valueLength)}` }, inc: i })),
  };
}

describe("splitIntoPushes", () => {
  it.each([
    [{ maxBodyBytes: 2_000, maxFamiliesPerPush: 100, maxSeriesPerPush: 5_000 }],
    [{ maxBodyBytes: 1_048_576, maxFamiliesPerPush: 2, maxSeriesPerPush: 7 }],
    [{ maxBodyBytes: 900, maxFamiliesPerPush: 3, maxSeriesPerPush: 11 }],
  ])("keeps every push within %j and loses nothing", (limits) => {
    const families = [family("a", 50, 5), family("b", 1), family("c", 0, 3), family("d", 37, 0, 40)];
    const pushes = splitIntoPushes(families, limits, newId);
    expect(pushes.length).toBeGreaterThan(1);
    for (const push of pushes) {
      expect(bytes(push)).toBeLessThanOrEqual(limits.maxBodyBytes);
      expect(push.families.length).toBeLessThanOrEqual(limits.maxFamiliesPerPush);
      const items = push.families.reduce((n, f) => n + f.series.length + (f.remove?.length ?? 0), 0);
      expect(items).toBeLessThanOrEqual(limits.maxSeriesPerPush);
      expect(new Set(push.families.map((f) => f.name)).size).toBe(push.families.length);
    }
    for (const original of families) {
      const parts = pushes.flatMap((p) => p.families.filter((f) => f.name === original.name));
      expect(parts.flatMap((p) => p.series)).toEqual(original.series);
      expect(parts.flatMap((p) => p.remove ?? [])).toEqual(original.remove ?? []);
      // Removals travel before any delta of the family.
      const firstDelta = parts.findIndex((p) => p.series.length > 0);
      const lastRemoval = parts.findLastIndex((p) => (p.remove?.length ?? 0) > 0);
      if (firstDelta >= 0 && lastRemoval >= 0) expect(lastRemoval).toBeLessThanOrEqual(firstDelta);
    }
    expect(new Set(pushes.map((p) => p.pushId)).size).toBe(pushes.length);
  });

  it("fills pushes close to the byte limit, not far below it", () => {
    const limits = { maxBodyBytes: 10_000, maxFamiliesPerPush: 100, maxSeriesPerPush: 5_000 };
    const pushes = splitIntoPushes([family("a", 500)], limits, newId);
    for (const push of pushes.slice(0, -1)) expect(bytes(push)).toBeGreaterThan(limits.maxBodyBytes - 200);
  });

  it("gives an oversized series a push of its own, and carries a reset in the first part only", () => {
    const limits = { maxBodyBytes: 500, maxFamiliesPerPush: 100, maxSeriesPerPush: 5_000 };
    const big = { ...family("big", 3, 0, 400), reset: true };
    const pushes = splitIntoPushes([big], limits, newId);
    expect(pushes.map((p) => p.families[0]?.series.length)).toEqual([1, 1, 1]);
    expect(pushes.map((p) => p.families[0]?.reset === true)).toEqual([true, false, false]);
  });

  it("caps the series of one part when asked (a second split after a 413)", () => {
    const limits = { maxBodyBytes: 1_048_576, maxFamiliesPerPush: 100, maxSeriesPerPush: 5_000 };
    const pushes = splitIntoPushes([family("a", 10), family("b", 3)], limits, newId, 4);
    expect(pushes.map((p) => p.families.map((f) => `${f.name}:${f.series.length}`))).toEqual([
      ["a:4"],
      ["a:4"],
      ["a:2", "b:3"],
    ]);
  });

  it("counts UTF-8 bytes as TextEncoder does", () => {
    for (const text of ["plain", "é", "漢字", "😀 and 𝄞", "\u{10FFFF}"]) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength);
    }
  });
});
