// The series key, the one encoding every series is keyed by: label values in labelNames order, trailing empty values
// left out. Distinct label sets get distinct keys whatever the values hold; keys survive label names growing at the
// end; and a key reads back as its labels.

import { describe, expect, it } from "vitest";
import { canonicalKey, keyOf, labelsOfKey, seriesKey } from "../../../lib/protocol/series-key.ts";

describe("series key", () => {
  it("is the values in labelNames order, trailing empty values left out", () => {
    expect(keyOf(["/", "200"])).toBe('["/","200"]');
    expect(keyOf(["/", "200", "", ""])).toBe('["/","200"]');
    expect(keyOf(["", "200"])).toBe('["","200"]');
    expect(keyOf([])).toBe("[]");
    expect(seriesKey(["code", "route"], { route: "/", code: "200" })).toBe('["200","/"]');
  });

  it("gives distinct label sets distinct keys, whatever characters the values hold", () => {
    const hostile = ["", "a", "a,b", 'a"b', "a\\b", "a\u0000b", "a\u0001b", "a\nb", "[", "]", '","', "ä", "🙂", " "];
    const keys = new Set<string>();
    let sets = 0;
    for (const x of hostile)
      for (const y of hostile) {
        // Two values ending in "" stand for the same series as one value: that is the rule, not a collision.
        if (y === "") continue;
        keys.add(seriesKey(["x", "y"], { x, y }));
        sets++;
      }
    expect(keys.size).toBe(sets);
  });

  it("keeps every key when label names grow at the end (a missing label is the empty string)", () => {
    const before = seriesKey(["route"], { route: "/" });
    expect(seriesKey(["route", "code"], { route: "/" })).toBe(before);
    expect(seriesKey(["route", "code"], { route: "/", code: "" })).toBe(before);
    expect(seriesKey(["route", "code"], { route: "/", code: "500" })).not.toBe(before);
  });

  it("reads back as its labels, a label it lacks as the empty string", () => {
    const labels = { route: 'a,"b"\n', code: "🙂" };
    expect(labelsOfKey(["route", "code"], seriesKey(["route", "code"], labels))).toEqual(labels);
    expect(labelsOfKey(["route", "code", "new"], seriesKey(["route", "code"], labels))).toEqual({ ...labels, new: "" });
  });

  it("turns a key stored by an older version (trailing empty values kept) into today's form", () => {
    expect(canonicalKey('["/","",""]')).toBe('["/"]');
    expect(canonicalKey('["/","200"]')).toBe('["/","200"]');
    expect(canonicalKey('[""]')).toBe("[]");
  });
});
