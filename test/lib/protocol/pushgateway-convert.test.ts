// The Pushgateway pieces that need no Worker: the grouping key in both directions, and text-format families turned
// into one push (what adds, what sets, what is left out, and the line each refusal names).

import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../../lib/protocol/limits.ts";
import { groupingKey, groupingPath } from "../../../lib/protocol/pushgateway-path.ts";
import { Invalid } from "../../../lib/protocol/refusal.ts";
import { parseTextFormat } from "../../../lib/protocol/text-format/parse.ts";
import { textToPush } from "../../../lib/protocol/text-format/to-push.ts";
import type { Labels } from "../../../lib/protocol/wire.ts";

function convert(text: string, grouping: Labels = { job: "j" }, replace = false) {
  const parsed = parseTextFormat(text);
  if (!parsed.ok) throw new Error(`fixture does not parse: line ${parsed.line}: ${parsed.error}`);
  return textToPush(parsed.families, { grouping, replace, limits: DEFAULT_LIMITS });
}

function refusal(text: string, grouping: Labels = { job: "j" }): string {
  try {
    convert(text, grouping);
  } catch (error) {
    if (error instanceof Invalid) return error.message;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("grouping key", () => {
  it.each([
    [{ job: "backup" }, "job/backup"],
    [{ job: "backup", path: "/var/tmp" }, "job/backup/path@base64/L3Zhci90bXA"],
    [{ job: "example", first_label: "", second: "foobar" }, "job/example/first_label@base64/=/second/foobar"],
    [{ job: "titan", name: "Προμηθεύς" }, "job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82"],
    [{ job: "a b+c?" }, "job/a%20b%2Bc%3F"],
  ])("writes %j as %s and reads it back", (labels, path) => {
    expect(groupingPath(labels)).toBe(path);
    expect(groupingKey(path.split("/"), DEFAULT_LIMITS)).toEqual(labels);
  });

  it("reads the Pushgateway README's base64 examples, padded or not", () => {
    expect(groupingKey(["job", "titan", "name@base64", "zqDPgc6_zrzOt864zrXPjc-C"], DEFAULT_LIMITS)).toEqual({
      job: "titan",
      name: "Προμηθεύς",
    });
    expect(groupingKey(["job@base64", "YmFja3Vw", "x@base64", "YQ=="], DEFAULT_LIMITS)).toEqual({
      job: "backup",
      x: "a",
    });
  });

  it("reads label names that Object.prototype also has (constructor, toString) as plain labels", () => {
    expect(groupingKey(["job", "x", "constructor", "y", "toString", "z"], DEFAULT_LIMITS)).toEqual({
      job: "x",
      constructor: "y",
      toString: "z",
    });
    const push = convert('# TYPE c counter\nc_total{toString="a"} 1\nc_total 2\n');
    expect(push.families[0]?.series.map((d) => d.labels)).toEqual([
      { instance: "", job: "j", toString: "a" },
      { instance: "", job: "j", toString: "" },
    ]);
  });

  it("refuses base64 that is not UTF-8 and values over the length limit", () => {
    expect(() => groupingKey(["job", "x", "a@base64", "_w"], DEFAULT_LIMITS)).toThrow(/does not decode to UTF-8/);
    const long = "v".repeat(DEFAULT_LIMITS.maxLabelValueLength + 1);
    expect(() => groupingKey(["job", long], DEFAULT_LIMITS)).toThrow(/over the limit/);
  });
});

describe("textToPush", () => {
  it("turns Python's output into adds and sets, grouping labels on every series, _created left out", () => {
    const push = convert(
      `# HELP jobs_total Jobs done
# TYPE jobs_total counter
jobs_total{queue="a"} 3.0
# HELP jobs_created Jobs done
# TYPE jobs_created gauge
jobs_created{queue="a"} 1.7e+09
# TYPE lat histogram
lat_bucket{le="0.1"} 1.0
lat_bucket{le="1.0"} 1.0
lat_bucket{le="+Inf"} 4.0
lat_count 4.0
lat_sum 9.5
# TYPE sz summary
sz{quantile="0.5"} 3.0
sz_count 2.0
sz_sum 5.0
# TYPE t gauge
t 21.5
u{b="1"} -2
`,
      { job: "nightly", instance: "n1" },
    );
    const group = { instance: "n1", job: "nightly" };
    expect(push).toEqual({
      families: [
        {
          // The name as the body declares it; the definition check makes the family `jobs` of it.
          name: "jobs_total",
          type: "counter",
          help: "Jobs done",
          labelNames: ["instance", "job", "queue"],
          series: [{ labels: { ...group, queue: "a" }, inc: 3 }],
          grouping: { job: "nightly", instance: "n1" },
          inferred: true,
        },
        {
          name: "lat",
          type: "histogram",
          help: "",
          labelNames: ["instance", "job"],
          buckets: [0.1, 1],
          series: [{ labels: group, counts: [1, 0, 3], sum: 9.5 }],
          grouping: { job: "nightly", instance: "n1" },
          inferred: true,
        },
        {
          name: "sz",
          type: "summary",
          help: "",
          labelNames: ["instance", "job"],
          series: [{ labels: group, count: 2, sum: 5 }],
          grouping: { job: "nightly", instance: "n1" },
          inferred: true,
        },
        {
          name: "t",
          type: "gauge",
          help: "",
          labelNames: ["instance", "job"],
          series: [{ labels: group, set: 21.5 }],
          grouping: { job: "nightly", instance: "n1" },
          inferred: true,
        },
        {
          // No TYPE line: untyped, as the Pushgateway keeps it.
          name: "u",
          type: "untyped",
          help: "",
          labelNames: ["b", "instance", "job"],
          series: [{ labels: { ...group, b: "1" }, set: -2 }],
          grouping: { job: "nightly", instance: "n1" },
          inferred: true,
        },
      ],
    });
  });

  it("marks a PUT's parts replace, carries the push id, and leaves families without samples out", () => {
    const parsed = parseTextFormat("# TYPE empty counter\n# TYPE c counter\nc 1\n");
    if (!parsed.ok) throw new Error(parsed.error);
    const push = textToPush(parsed.families, {
      grouping: { job: "j" },
      replace: true,
      pushId: "k-1",
      limits: DEFAULT_LIMITS,
    });
    expect(push.pushId).toBe("k-1");
    expect(push.families.map((f) => [f.name, f.replace])).toEqual([["c", true]]);
  });

  it("gives a label a series lacks the empty value, as Prometheus reads a missing label", () => {
    const push = convert('g{a="1"} 1\ng{b="2"} 2\n');
    expect(push.families[0]?.series.map((s) => s.labels)).toEqual([
      { a: "1", b: "", instance: "", job: "j" },
      { a: "", b: "2", instance: "", job: "j" },
    ]);
  });

  it.each([
    ["# TYPE c counter\nc -1\n", "line 2: a counter cannot be negative, got -1"],
    ["# TYPE c counter\nc NaN\n", "line 2: a counter's value must be a finite number, got NaN"],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\n', 'line 2: histogram "h" has no +Inf bucket'],
    ['# TYPE h histogram\nh_bucket{le="x"} 1\n', 'line 2: a histogram bucket needs a numeric "le" label, got "x"'],
    [
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1.5\nh_sum 1\n',
      "line 2: a bucket count must be a whole number ≥ 0, got 1.5",
    ],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\n', 'line 2: the series {"job":"j"} of histogram "h" has no _sum'],
    [
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      "line 4: _count is 3, but the +Inf bucket counts 2",
    ],
    [
      '# TYPE h histogram\nh_bucket{a="1",le="+Inf"} 1\nh_sum{a="1"} 1\nh_bucket{a="2",le="5"} 1\nh_bucket{a="2",le="+Inf"} 1\nh_sum{a="2"} 1\n',
      'line 4: the series {"a":"2","job":"j"} of "h" has other buckets than line 2',
    ],
    ["# TYPE s summary\ns_count 1\n", 'line 2: the series {"job":"j"} of summary "s" needs both _count and _sum'],
    ['g{__proto__="x"} 1\n', 'line 1: label "__proto__" starts with "__", which is reserved'],
    [
      'g{job="a"} 1\ng{job="b"} 2\n',
      'line 2: the series {"job":"j"} of "g" appears twice once the grouping labels apply',
    ],
  ])("refuses %j naming the line", (text, message) => {
    expect(refusal(text)).toBe(message);
  });
});
