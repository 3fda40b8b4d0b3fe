// The JSON text the Worker sends and stores: non-finite numbers spelled as text (JSON has no number for them), read
// back by numberOfJson; whether or not the value also holds nulls, which the fast path of toJson looks for.

import { describe, expect, it } from "vitest";
import { numberOfJson, toJson } from "../../../lib/protocol/wire.ts";

describe("toJson", () => {
  it.each([
    [{ value: 1.5, counts: [1, 2] }, '{"value":1.5,"counts":[1,2]}'],
    [{ value: Number.NaN }, '{"value":"NaN"}'],
    [["k", { value: Number.POSITIVE_INFINITY }, 1, 2], '["k",{"value":"+Inf"},1,2]'],
    [{ set: Number.NEGATIVE_INFINITY, grouping: null }, '{"set":"-Inf","grouping":null}'],
    [{ grouping: null, label: "null" }, '{"grouping":null,"label":"null"}'],
  ])("writes %o as %s", (value, text) => {
    expect(toJson(value)).toBe(text);
  });

  it("reads the spelled numbers back", () => {
    for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2.5])
      expect(numberOfJson(JSON.parse(toJson({ n })).n)).toBe(n);
  });
});
