// Exemplars' rules in one module: slots per type, the 128-character label limit (characters, not bytes), a
// histogram exemplar inside its bucket, and the later exemplar of a slot kept.

import { describe, expect, it } from "vitest";
import {
  bucketOf,
  exemplarLabelsProblem,
  exemplarProblem,
  exemplarSlots,
  laterExemplars,
} from "../../../lib/protocol/exemplars.ts";
import type { Exemplar } from "../../../lib/protocol/wire.ts";

const at = (timestamp: number, trace = "t"): Exemplar => ({ labels: { trace }, value: 1, timestamp });

describe("exemplars", () => {
  it("have one slot per counter series and one per histogram bucket (+Inf last), none elsewhere", () => {
    expect(exemplarSlots({ type: "counter" })).toBe(1);
    expect(exemplarSlots({ type: "histogram", buckets: [1, 2] })).toBe(3);
    expect(exemplarSlots({ type: "gauge" })).toBe(0);
    expect([0.5, 1, 1.5, 2, 9].map((v) => bucketOf([1, 2], v))).toEqual([0, 0, 1, 1, 2]);
  });

  it("hold at most 128 characters of label names and values together, counted as characters", () => {
    expect(exemplarLabelsProblem({ trace_id: "x".repeat(120) })).toBeUndefined();
    expect(exemplarLabelsProblem({ trace_id: "x".repeat(121) })).toMatch(/129 characters, over the limit of 128/);
    expect(exemplarLabelsProblem({ trace_id: "✓".repeat(120) })).toBeUndefined();
    expect(exemplarLabelsProblem({ "1bad": "x" })).toMatch(/"1bad"/);
    expect(exemplarLabelsProblem({ t: 1 })).toMatch(/value must be a string/);
    expect(exemplarLabelsProblem([])).toMatch(/must be an object/);
  });

  it("sit inside their bucket, with a finite value and time", () => {
    const histogram = { type: "histogram" as const, buckets: [1, 2] };
    expect(exemplarProblem({ ...at(1), value: 1.5 }, histogram, 1)).toBeUndefined();
    expect(exemplarProblem({ ...at(1), value: 1.5 }, histogram, 2)).toMatch(/does not fall into bucket 2/);
    expect(exemplarProblem({ ...at(1), value: Number.NaN }, { type: "counter" }, 0)).toMatch(/finite/);
    expect(exemplarProblem({ ...at(1), value: -1 }, { type: "counter" }, 0)).toMatch(/not be negative/);
    expect(exemplarProblem(at(Number.POSITIVE_INFINITY), { type: "counter" }, 0)).toMatch(/timestamp/);
  });

  it("keep the later of each slot, the newer one on a tie", () => {
    expect(laterExemplars([at(5, "a"), null, at(1, "c")], [at(4, "x"), at(2, "y"), at(1, "z")])).toEqual([
      at(5, "a"),
      at(2, "y"),
      at(1, "z"),
    ]);
    expect(laterExemplars(undefined, [null])).toEqual([null]);
    expect(laterExemplars(undefined, undefined)).toBeUndefined();
  });
});
