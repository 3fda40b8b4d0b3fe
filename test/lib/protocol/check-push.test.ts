// checkPush: the canonical form of a valid push, and one named problem for each kind of invalid one.

import { describe, expect, it } from "vitest";
import { checkPush } from "../../../lib/protocol/check-push.ts";
import { DEFAULT_LIMITS } from "../../../lib/protocol/limits.ts";
import { refusalText } from "../../../lib/protocol/refusal.ts";

const counter = (over: Record<string, unknown> = {}) => ({
  name: "jobs",
  type: "counter",
  help: "Jobs.",
  series: [{ labels: {}, inc: 1 }],
  ...over,
});

describe("checkPush", () => {
  it("takes a part's Pushgateway group: a job and label names of the family, carried by every series", () => {
    const grouped = (grouping: unknown, series = [{ labels: { job: "a", k: "1" }, inc: 1 }]) => {
      const r = checkPush({ families: [counter({ labelNames: ["job", "k"], series, grouping })] });
      return r.ok ? r.value.families[0]?.grouping : refusalText(r.refusal);
    };
    expect(grouped({ job: "a" })).toEqual({ job: "a" });
    expect(grouped({ job: "a", k: "1" })).toEqual({ job: "a", k: "1" });
    expect([
      grouped({ k: "1" }),
      grouped({ job: "" }),
      grouped({ job: "a", other: "x" }),
      grouped({ job: 1 }),
      grouped({ job: "b" }),
      grouped("job/a"),
    ]).toEqual([
      'families[0].grouping: a group needs a "job" label, got {"k":"1"}',
      "families[0].grouping.job: the job name cannot be empty",
      'families[0].grouping: unknown field "other"',
      expect.stringMatching(/^families\[0\]\.grouping\.job: /),
      'families[0].series[0].labels.job: the series is in group {"job":"b"}, so its label "job" must be "b"',
      'families[0].grouping: must be an object, got "job/a"',
    ]);
  });

  it("canonicalises: labelNames defaulted, a counter's one trailing _total taken off its name", () => {
    // The push id's wire name is `batch`; in code it is `pushId` (either is taken).
    expect(checkPush({ batch: "b-1", families: [counter()] })).toEqual({
      ok: true,
      value: {
        pushId: "b-1",
        families: [{ name: "jobs", type: "counter", help: "Jobs.", labelNames: [], series: [{ labels: {}, inc: 1 }] }],
      },
    });
    const names = (name: string, type = "counter") => {
      const r = checkPush({ families: [counter({ name, type, ...(type === "gauge" ? { series: [] } : {}) })] });
      return r.ok ? r.value.families[0]?.name : refusalText(r.refusal);
    };
    expect([names("jobs_total"), names("jobs_total_total"), names("jobs_total", "gauge")]).toEqual([
      "jobs",
      "jobs_total",
      "jobs_total",
    ]);
    expect(names("_total")).toMatch(/families\[0\]\.name: "_total" leaves no family name/);
  });

  it("merges a counter pushed both ways in one push (x and x_total), adding a series found in both", () => {
    const r = checkPush({
      families: [
        counter({ labelNames: ["k"], series: [{ labels: { k: "a" }, inc: 1 }] }),
        counter({
          name: "jobs_total",
          labelNames: ["k"],
          series: [
            { labels: { k: "a" }, inc: 2 },
            { labels: { k: "b" }, inc: 4 },
          ],
        }),
      ],
    });
    expect(r.ok && r.value.families).toEqual([
      {
        name: "jobs",
        type: "counter",
        help: "Jobs.",
        labelNames: ["k"],
        series: [
          { labels: { k: "a" }, inc: 3 },
          { labels: { k: "b" }, inc: 4 },
        ],
      },
    ]);
    const differ = checkPush({
      families: [counter(), counter({ name: "jobs_total", help: "Other.", labelNames: ["k"], series: [] })],
    });
    expect(!differ.ok && refusalText(differ.refusal)).toMatch(/families\[1\]\.name: the family "jobs" appears twice/);
  });

  it("accepts every type with valid data", () => {
    const r = checkPush({
      families: [
        {
          name: "g",
          type: "gauge",
          help: "",
          labelNames: ["a"],
          series: [
            { labels: { a: 'x"\\\n✓' }, inc: -2 },
            { labels: { a: "y" }, set: 0 },
          ],
        },
        {
          name: "h",
          type: "histogram",
          help: "H.",
          buckets: [-1, 0, 2.5],
          series: [{ labels: {}, counts: [0, 1, 2, 3], sum: -0.5 }],
        },
        { name: "s", type: "summary", help: "S.", series: [{ labels: {}, count: 0, sum: 0 }] },
      ],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.refusal));
    const [g, h, s] = r.value.families;
    expect(g?.series).toEqual([
      { labels: { a: 'x"\\\n✓' }, inc: -2 },
      { labels: { a: "y" }, set: 0 },
    ]);
    expect(h).toMatchObject({ buckets: [-1, 0, 2.5], series: [{ labels: {}, counts: [0, 1, 2, 3], sum: -0.5 }] });
    expect(s).toMatchObject({ type: "summary", labelNames: [], series: [{ labels: {}, count: 0, sum: 0 }] });
  });

  it.each([
    ["a non-object push", [], 400, /^push: must be an object/],
    ["an unknown top-level field", { families: [], extra: 1 }, 400, /^push: unknown field "extra"/],
    ["missing families", {}, 400, /missing field "families"/],
    ["an empty batch id", { batch: "", families: [] }, 400, /^batch: must be a non-empty string/],
    ["a batch id with spaces", { batch: "a b", families: [] }, 400, /^batch: must be printable ASCII/],
    [
      "a batch id too long",
      { batch: "x".repeat(129), families: [] },
      400,
      /^batch: is 129 characters, over the limit of 128/,
    ],
    [
      "an invalid metric name",
      { families: [counter({ name: "bad-name" })] },
      400,
      /families\[0\]\.name: "bad-name" is not a valid metric name/,
    ],
    [
      "a reserved label name",
      { families: [counter({ labelNames: ["__x"], series: [{ labels: { __x: "a" }, inc: 1 }] })] },
      400,
      /"__x" starts with "__", which is reserved/,
    ],
    [
      "an unknown type",
      { families: [counter({ type: "meter" })] },
      400,
      /families\[0\]\.type: must be one of counter, gauge, histogram, summary, untyped, got "meter"/,
    ],
    ["help not a string", { families: [counter({ help: 3 })] }, 400, /families\[0\]\.help: must be a string, got 3/],
    [
      "an invalid label name",
      { families: [counter({ labelNames: ["a-b"] })] },
      400,
      /labelNames\[0\]: "a-b" is not a valid label name/,
    ],
    [
      "a reserved label",
      { families: [counter({ labelNames: ["__a"] })] },
      400,
      /labelNames\[0\]: "__a" starts with "__"/,
    ],
    [
      "le on a histogram",
      { families: [{ name: "h", type: "histogram", help: "H.", labelNames: ["le"], buckets: [1], series: [] }] },
      400,
      /"le" is reserved/,
    ],
    [
      "quantile on a summary",
      { families: [{ name: "s", type: "summary", help: "S.", labelNames: ["quantile"], series: [] }] },
      400,
      /"quantile" is reserved/,
    ],
    ["a duplicate label name", { families: [counter({ labelNames: ["a", "a"] })] }, 400, /"a" appears twice/],
    [
      "labels missing a key",
      { families: [counter({ labelNames: ["a"], series: [{ labels: {}, inc: 1 }] })] },
      400,
      /series\[0\]\.labels: missing field "a"/,
    ],
    [
      "labels with an extra key",
      { families: [counter({ series: [{ labels: { b: "1" }, inc: 1 }] })] },
      400,
      /series\[0\]\.labels: unknown field "b"/,
    ],
    [
      "a label value not a string",
      { families: [counter({ labelNames: ["a"], series: [{ labels: { a: 1 }, inc: 1 }] })] },
      400,
      /labels\.a: must be a string, got 1/,
    ],
    [
      "a duplicate series",
      {
        families: [
          counter({
            series: [
              { labels: {}, inc: 1 },
              { labels: {}, inc: 2 },
            ],
          }),
        ],
      },
      400,
      /series\[1\]\.labels: the series \{\} appears twice/,
    ],
    [
      "a negative counter increment",
      { families: [counter({ series: [{ labels: {}, inc: -1 }] })] },
      400,
      /series\[0\]\.inc: a counter cannot decrease, got -1/,
    ],
    [
      "a gauge with set and inc",
      { families: [{ name: "g", type: "gauge", help: "G.", series: [{ labels: {}, set: 1, inc: 1 }] }] },
      400,
      /exactly one of "set" or "inc"/,
    ],
    [
      "a gauge with neither",
      { families: [{ name: "g", type: "gauge", help: "G.", series: [{ labels: {} }] }] },
      400,
      /exactly one of "set" or "inc"/,
    ],
    [
      "a histogram without buckets",
      { families: [{ name: "h", type: "histogram", help: "H.", series: [] }] },
      400,
      /missing field "buckets"/,
    ],
    [
      "buckets on a gauge",
      { families: [{ name: "g", type: "gauge", help: "G.", buckets: [1], series: [] }] },
      400,
      /only a histogram has buckets/,
    ],
    [
      "decreasing buckets",
      { families: [{ name: "h", type: "histogram", help: "H.", buckets: [2, 1], series: [] }] },
      400,
      /buckets: must be strictly increasing, got 2 then 1/,
    ],
    [
      "counts of the wrong length",
      {
        families: [
          { name: "h", type: "histogram", help: "H.", buckets: [1], series: [{ labels: {}, counts: [1], sum: 1 }] },
        ],
      },
      400,
      /counts: must hold 2 counts/,
    ],
    [
      "a negative count",
      {
        families: [
          { name: "h", type: "histogram", help: "H.", buckets: [1], series: [{ labels: {}, counts: [1, -1], sum: 1 }] },
        ],
      },
      400,
      /counts\[1\]: must be a non-negative integer, got -1/,
    ],
    [
      "a fractional summary count",
      { families: [{ name: "s", type: "summary", help: "S.", series: [{ labels: {}, count: 1.5, sum: 1 }] }] },
      400,
      /count: must be a non-negative integer, got 1.5/,
    ],
    [
      "a null sum",
      { families: [{ name: "s", type: "summary", help: "S.", series: [{ labels: {}, count: 1, sum: null }] }] },
      400,
      /sum: must be a finite number, got null/,
    ],
    [
      "the same family twice",
      { families: [counter(), counter({ name: "jobs" })] },
      400,
      /families\[1\]\.name: the family "jobs" appears twice/,
    ],
    [
      "too many families",
      { families: Array.from({ length: 101 }, (_, i) => counter({ name: `c${i}` })) },
      413,
      /holds 101 families, over the limit of 100/,
    ],
    [
      "too many series",
      {
        families: [
          counter({
            labelNames: ["i"],
            series: Array.from({ length: 5001 }, (_, i) => ({ labels: { i: String(i) }, inc: 1 })),
          }),
        ],
      },
      413,
      /more than 5000 series/,
    ],
    [
      "a huge name",
      { families: [counter({ name: "a".repeat(201) })] },
      400,
      /name: is 201 characters, over the limit of 200/,
    ],
    [
      "a huge label value",
      { families: [counter({ labelNames: ["a"], series: [{ labels: { a: "v".repeat(1025) }, inc: 1 }] })] },
      400,
      /labels\.a: is 1025 characters/,
    ],
  ])("refuses %s", (_, input, status, message) => {
    const r = checkPush(input, DEFAULT_LIMITS);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.refusal.status).toBe(status);
      expect(refusalText(r.refusal)).toMatch(message);
    }
  });
});
