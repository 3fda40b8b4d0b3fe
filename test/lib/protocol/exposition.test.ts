// Golden exposition text for every metric type, in both formats, and the escaping rules.

import { describe, expect, it } from "vitest";
import {
  encodeOpenMetrics,
  encodeText,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  seriesLines,
  seriesSamples,
} from "../../../lib/protocol/exposition.ts";
import type { FamilySnapshot } from "../../../lib/protocol/wire.ts";

const families: FamilySnapshot[] = [
  {
    name: "http_requests",
    type: "counter",
    help: "Requests served.",
    labelNames: ["route", "code"],
    series: [
      { labels: { route: "/", code: "200" }, created: 1700000000.5, value: 3 },
      { labels: { route: "/x", code: "500" }, created: 1700000001, value: 1.5 },
    ],
  },
  {
    name: "queue_depth",
    type: "gauge",
    help: "Queue depth.",
    labelNames: [],
    series: [{ labels: {}, created: 1700000000, value: -12 }],
  },
  {
    name: "job_seconds",
    type: "histogram",
    help: "Job time.",
    labelNames: ["kind"],
    buckets: [0.1, 0.5, 1],
    series: [{ labels: { kind: "a" }, created: 1700000002, counts: [1, 0, 2, 1], sum: 4.7 }],
  },
  {
    name: "payload_bytes",
    type: "summary",
    help: "Payload size.",
    labelNames: [],
    series: [{ labels: {}, created: 1700000003, count: 3, sum: 900 }],
  },
];

describe("encodeText (0.0.4)", () => {
  it("renders every type, families sorted by name, one HELP/TYPE block each", () => {
    expect(encodeText(families)).toBe(
      [
        "# HELP http_requests_total Requests served.",
        "# TYPE http_requests_total counter",
        'http_requests_total{route="/",code="200"} 3',
        'http_requests_total{route="/x",code="500"} 1.5',
        "# HELP job_seconds Job time.",
        "# TYPE job_seconds histogram",
        'job_seconds_bucket{kind="a",le="0.1"} 1',
        'job_seconds_bucket{kind="a",le="0.5"} 1',
        'job_seconds_bucket{kind="a",le="1"} 3',
        'job_seconds_bucket{kind="a",le="+Inf"} 4',
        'job_seconds_sum{kind="a"} 4.7',
        'job_seconds_count{kind="a"} 4',
        "# HELP payload_bytes Payload size.",
        "# TYPE payload_bytes summary",
        "payload_bytes_sum 900",
        "payload_bytes_count 3",
        "# HELP queue_depth Queue depth.",
        "# TYPE queue_depth gauge",
        "queue_depth -12",
        "",
      ].join("\n"),
    );
  });

  it("renders an unlabelled histogram", () => {
    const h: FamilySnapshot = {
      name: "h",
      type: "histogram",
      help: "H.",
      labelNames: [],
      buckets: [1],
      series: [{ labels: {}, created: 1, counts: [0, 2], sum: 5 }],
    };
    expect(encodeText([h])).toBe(
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 2\nh_sum 5\nh_count 2\n',
    );
  });

  it("is empty for no families", () => {
    expect(encodeText([])).toBe("");
  });
});

describe("encodeOpenMetrics (1.0)", () => {
  it("renders HELP before TYPE, _total, no _created (Prometheus 2 would store each as a series), and ends with # EOF", () => {
    expect(encodeOpenMetrics(families)).toBe(
      [
        "# HELP http_requests Requests served.",
        "# TYPE http_requests counter",
        'http_requests_total{route="/",code="200"} 3',
        'http_requests_total{route="/x",code="500"} 1.5',
        "# HELP job_seconds Job time.",
        "# TYPE job_seconds histogram",
        'job_seconds_bucket{kind="a",le="0.1"} 1',
        'job_seconds_bucket{kind="a",le="0.5"} 1',
        'job_seconds_bucket{kind="a",le="1"} 3',
        'job_seconds_bucket{kind="a",le="+Inf"} 4',
        'job_seconds_sum{kind="a"} 4.7',
        'job_seconds_count{kind="a"} 4',
        "# HELP payload_bytes Payload size.",
        "# TYPE payload_bytes summary",
        "payload_bytes_sum 900",
        "payload_bytes_count 3",
        "# HELP queue_depth Queue depth.",
        "# TYPE queue_depth gauge",
        "queue_depth -12",
        "# EOF",
        "",
      ].join("\n"),
    );
  });

  it("omits _sum and _count together for negative bucket thresholds and negative summary sums", () => {
    const h: FamilySnapshot = {
      name: "h",
      type: "histogram",
      help: "H.",
      labelNames: [],
      buckets: [-1, 0],
      series: [{ labels: {}, created: 2, counts: [1, 0, 1], sum: 3 }],
    };
    expect(encodeOpenMetrics([h])).toBe(
      '# HELP h H.\n# TYPE h histogram\nh_bucket{le="-1"} 1\nh_bucket{le="0"} 1\nh_bucket{le="+Inf"} 2\n# EOF\n',
    );
    const s: FamilySnapshot = {
      name: "s",
      type: "summary",
      help: "S.",
      labelNames: [],
      series: [{ labels: {}, created: 2, count: 2, sum: -3 }],
    };
    expect(encodeOpenMetrics([s])).toBe("# HELP s S.\n# TYPE s summary\n# EOF\n");
    expect(encodeText([s])).toContain("s_sum -3\ns_count 2\n");
  });

  it("writes a counter kept bare unknown, under its bare name, when a family holds its _total name", () => {
    const pair: FamilySnapshot[] = [
      {
        name: "x",
        type: "counter",
        help: "X.",
        labelNames: [],
        withoutTotal: true,
        series: [{ labels: {}, created: 1, value: 4 }],
      },
      { name: "x_total", type: "gauge", help: "T.", labelNames: [], series: [{ labels: {}, created: 1, value: 9 }] },
    ];
    expect(encodeOpenMetrics(pair)).toBe(
      "# HELP x X.\n# TYPE x unknown\nx 4\n# HELP x_total T.\n# TYPE x_total gauge\nx_total 9\n# EOF\n",
    );
    expect(encodeText(pair)).toBe(
      "# HELP x X.\n# TYPE x counter\nx 4\n# HELP x_total T.\n# TYPE x_total gauge\nx_total 9\n",
    );
    // Alone, it is a counter as OpenMetrics writes one; beside a histogram x_total (whose samples are x_total_bucket,
    // x_total_sum, x_total_count) too.
    expect(encodeOpenMetrics(pair.slice(0, 1))).toBe("# HELP x X.\n# TYPE x counter\nx_total 4\n# EOF\n");
    const histogram: FamilySnapshot = {
      name: "x_total",
      type: "histogram",
      help: "H.",
      labelNames: [],
      buckets: [],
      series: [{ labels: {}, created: 1, counts: [1], sum: 2 }],
    };
    expect(encodeOpenMetrics([pair[0] as FamilySnapshot, histogram])).toContain("# TYPE x counter\nx_total 4\n");
  });

  it("is just # EOF for no families", () => {
    expect(encodeOpenMetrics([])).toBe("# EOF\n");
  });
});

describe("escaping", () => {
  it.each([
    ['a"b', 'a\\"b'],
    ["a\\b", "a\\\\b"],
    ["a\nb", "a\\nb"],
    ["ünï✓ 😀", "ünï✓ 😀"],
    ['\\"\n', '\\\\\\"\\n'],
  ])("label value %j → %j", (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  it("HELP escapes backslash and newline but keeps quotes in 0.0.4", () => {
    expect(escapeHelp('say "hi"\\\nbye')).toBe('say "hi"\\\\\\nbye');
  });

  it("applies inside a rendered family", () => {
    const f: FamilySnapshot = {
      name: "g",
      type: "gauge",
      help: "Line1\nLine2 \\ é",
      labelNames: ["v"],
      series: [{ labels: { v: 'q"\\\nü' }, created: 0, value: 1 }],
    };
    expect(encodeText([f])).toBe('# HELP g Line1\\nLine2 \\\\ é\n# TYPE g gauge\ng{v="q\\"\\\\\\nü"} 1\n');
  });
});

describe("formatValue", () => {
  it.each([
    [Number.NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [0, "0"],
    [-0.25, "-0.25"],
    [1e21, "1e+21"],
    [1.5e-7, "1.5e-7"],
    [123456789, "123456789"],
  ])("%d → %s", (v, s) => {
    expect(formatValue(v)).toBe(s);
  });
});

describe("seriesSamples (what remote-write sends)", () => {
  it("holds the samples text 0.0.4 shows, name for name, label for label, value for value", () => {
    for (const family of families) {
      const lines = seriesLines(family, family.series, "text").trimEnd().split("\n");
      const samples = seriesSamples(family, family.series).map((s) => {
        const labels = s.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
        return `${s.name}${labels === "" ? "" : `{${labels}}`} ${formatValue(s.value)}`;
      });
      expect(samples, family.name).toEqual(lines);
    }
  });
});
