// A generated corpus of malformed and hostile pushes, each with the 4xx status and the message it must get.
// Run over HTTP inside workerd, over the RPC entrypoint, and against the real Worker with promtool.
// `seed` holds the families the conflict cases change; push it first.

export interface HostileCase {
  name: string;
  /** The raw request body. */
  body: string;
  /** Content-Type header; default application/json. null sends none. */
  contentType?: string | null;
  /** Authorization header; default the valid push token. */
  authorization?: string;
  status: 400 | 401 | 409 | 413 | 415;
  /** What the error message must say: the field and the problem. */
  message: RegExp;
}

type Json = unknown;
type Family = Record<string, Json>;

/** Families stored before the corpus runs; conflict cases change their definitions. */
export const seed = {
  batch: "hostile-seed",
  families: [
    {
      name: "corpus_requests",
      type: "counter",
      help: "Requests.",
      labelNames: ["route", "code"],
      series: [{ labels: { route: "/", code: "200" }, inc: 5 }],
    },
    {
      name: "corpus_depth",
      type: "gauge",
      help: "Depth.",
      labelNames: ["queue"],
      series: [{ labels: { queue: "a" }, set: 3 }],
    },
    {
      name: "corpus_seconds",
      type: "histogram",
      help: "Time.",
      labelNames: ["kind"],
      buckets: [0.1, 1],
      series: [{ labels: { kind: "x" }, counts: [1, 2, 3], sum: 4.5 }],
    },
    {
      name: "corpus_bytes",
      type: "summary",
      help: "Bytes.",
      labelNames: [],
      series: [{ labels: {}, count: 2, sum: 10 }],
    },
  ],
};

const counter = (over: Family = {}): Family => ({
  name: "hostile_counter",
  type: "counter",
  help: "C.",
  labelNames: ["k"],
  series: [{ labels: { k: "a" }, inc: 1 }],
  ...over,
});
const gauge = (over: Family = {}): Family => ({
  name: "hostile_gauge",
  type: "gauge",
  help: "G.",
  labelNames: [],
  series: [{ labels: {}, set: 1 }],
  ...over,
});
const histogram = (over: Family = {}): Family => ({
  name: "hostile_seconds",
  type: "histogram",
  help: "H.",
  labelNames: [],
  buckets: [1, 2],
  series: [{ labels: {}, counts: [0, 1, 0], sum: 1.5 }],
  ...over,
});
const summary = (over: Family = {}): Family => ({
  name: "hostile_bytes",
  type: "summary",
  help: "S.",
  labelNames: [],
  series: [{ labels: {}, count: 1, sum: 2 }],
  ...over,
});
const omit = (f: Family, key: string): Family => Object.fromEntries(Object.entries(f).filter(([k]) => k !== key));
const push = (...families: Json[]) =>
  JSON.stringify({ batch: `hostile-${Math.random().toString(36).slice(2)}`, families });
const withoutLabels = (f: Family) => ({ ...f, series: (f.series as Family[]).map((s) => omit(s, "labels")) });

export function hostilePushes(): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (
    name: string,
    body: string,
    status: HostileCase["status"],
    message: RegExp,
    extra: Partial<HostileCase> = {},
  ) => cases.push({ name, body, status, message, ...extra });

  // Not JSON at all.
  for (const body of [
    "",
    " ",
    "{",
    "}",
    "[",
    "{families:[]}",
    "{'families':[]}",
    '{"families":[],}',
    '{"families":[1,]}',
    "nul",
    "NaN",
    "Infinity",
    '{"families": [] } trailing',
    "\u0000",
    '{"a":"\\x41"}',
    "<xml/>",
    "families=[]",
  ]) {
    add(`not JSON: ${JSON.stringify(body)}`, body, 400, /body is not valid JSON/);
  }
  // Deep nesting must not overflow the validator's stack (a 500) while describing the value.
  const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  add(
    "families nested 10,000 deep",
    `{"families":[${deep(10_000)}]}`,
    400,
    /^families\[0\]: must be an object, got \[\[\[/,
  );
  add("batch nested 10,000 deep", `{"batch":${deep(10_000)},"families":[]}`, 400, /^batch: must be a non-empty string/);
  add(
    "a label value nested 5,000 deep",
    `{"families":[{"name":"x","type":"gauge","help":"X.","labelNames":["k"],"series":[{"labels":{"k":${deep(5_000)}},"set":1}]}]}`,
    400,
    /labels\.k: must be a string/,
  );

  // Valid JSON, wrong top-level shape.
  for (const body of ["null", "1", '"push"', "true", "[]", "[{}]", '[{"families":[]}]'])
    add(`top level ${body}`, body, 400, /^push: must be an object/);
  add("missing families", JSON.stringify({ batch: "x" }), 400, /push: missing field "families"/);
  for (const v of [null, {}, "x", 1, true])
    add(`families = ${JSON.stringify(v)}`, JSON.stringify({ families: v }), 400, /^families: must be an array/);
  for (const key of ["extra", "Families", "family", "__proto__x", "labels"])
    add(
      `extra top-level field ${key}`,
      JSON.stringify({ families: [], [key]: 1 }),
      400,
      new RegExp(`push: unknown field "${key}"`),
    );
  for (const v of [1, null, {}, [], true])
    add(
      `batch = ${JSON.stringify(v)}`,
      JSON.stringify({ batch: v, families: [] }),
      400,
      /^batch: must be a non-empty string/,
    );
  add("empty batch id", JSON.stringify({ batch: "", families: [] }), 400, /^batch: must be a non-empty string/);
  for (const length of [129, 1000, 100_000])
    add(
      `batch id of ${length} characters`,
      JSON.stringify({ batch: "b".repeat(length), families: [] }),
      400,
      new RegExp(`^batch: is ${length} characters, over the limit of 128`),
    );
  for (const id of ["a b", "tab\there", "new\nline", "ünïcode", "emoji😀", "\u0000nul"])
    add(
      `batch id ${JSON.stringify(id)}`,
      JSON.stringify({ batch: id, families: [] }),
      400,
      /^batch: must be printable ASCII/,
    );

  // Family-level shape.
  for (const v of [null, 1, "family", [], true])
    add(`family = ${JSON.stringify(v)}`, push(v), 400, /^families\[0\]: must be an object/);
  for (const [make, label] of [
    [counter, "counter"],
    [gauge, "gauge"],
    [histogram, "histogram"],
    [summary, "summary"],
  ] as const) {
    for (const key of ["name", "type", "help", "series"])
      add(
        `${label} missing ${key}`,
        push(omit(make(), key)),
        400,
        new RegExp(`families\\[0\\]: missing field "${key}"`),
      );
    for (const key of ["unit", "Labels", "value"])
      add(
        `${label} with extra field ${key}`,
        push({ ...make(), [key]: 1 }),
        400,
        new RegExp(`families\\[0\\]: unknown field "${key}"`),
      );
    add(`${label} series not an array`, push(make({ series: {} })), 400, /families\[0\]\.series: must be an array/);
    add(
      `${label} series entry not an object`,
      push(make({ series: [7] })),
      400,
      /families\[0\]\.series\[0\]: must be an object/,
    );
    add(`${label} series without labels`, push(withoutLabels(make())), 400, /series\[0\]: missing field "labels"/);
    add(
      `${label} series with an extra field`,
      push(make({ series: [{ ...(make().series as Family[])[0], extra: 1 }] })),
      400,
      /series\[0\]: unknown field "extra"/,
    );
    add(
      `${label} reserved prefix pdc_`,
      push(make({ name: label === "counter" ? "pdc_fake" : "pdc_fake" })),
      400,
      /uses the prefix "pdc_", reserved/,
    );
  }
  for (const v of [1, null, [], {}, true])
    add(`name = ${JSON.stringify(v)}`, push(counter({ name: v })), 400, /families\[0\]\.name: must be a string/);
  for (const name of ["", "1abc", "a-b", "a b", "a.b", "äbc", "a\nb", "a{b}", 'a"b', "a/b", "a=b"]) {
    add(
      `metric name ${JSON.stringify(name)}`,
      push(gauge({ name })),
      400,
      /families\[0\]\.name: .*(not a valid metric name|reserved)/,
    );
  }
  for (const length of [201, 5000])
    add(
      `metric name of ${length} characters`,
      push(gauge({ name: "m".repeat(length) })),
      400,
      new RegExp(`name: is ${length} characters, over the limit of 200`),
    );
  for (const type of ["Counter", "histo", "", "unknown", "info", "stateset", 1, null])
    add(
      `type ${JSON.stringify(type)}`,
      push(gauge({ type })),
      400,
      /families\[0\]\.type: must be one of counter, gauge, histogram, summary/,
    );
  for (const help of [1, null, [], {}, false])
    add(`help = ${JSON.stringify(help)}`, push(gauge({ help })), 400, /families\[0\]\.help: must be a string/);
  add(
    "help over the limit",
    push(gauge({ help: "h".repeat(1025) })),
    400,
    /help: is 1025 characters, over the limit of 1024/,
  );
  add("help with a lone surrogate", push(gauge({ help: "bad \ud800 help" })), 400, /help: is not well-formed Unicode/);

  // Label names.
  for (const v of [null, "k", {}, 1])
    add(
      `labelNames = ${JSON.stringify(v)}`,
      push(counter({ labelNames: v })),
      400,
      /families\[0\]\.labelNames: must be an array/,
    );
  for (const l of [1, null, "", "a-b", "1a", "a b", "ä", "__a", "__"]) {
    add(
      `label name ${JSON.stringify(l)}`,
      push(gauge({ labelNames: [l], series: [] })),
      400,
      /labelNames\[0\]: .*(must be a string|not a valid label name|reserved)/,
    );
  }
  add(
    "le on a histogram",
    push(histogram({ labelNames: ["le"], series: [] })),
    400,
    /"le" is reserved for histogram buckets/,
  );
  add(
    "quantile on a summary",
    push(summary({ labelNames: ["quantile"], series: [] })),
    400,
    /"quantile" is reserved for summary quantiles/,
  );
  add(
    "duplicate label names",
    push(gauge({ labelNames: ["a", "a"], series: [] })),
    400,
    /labelNames\[1\]: "a" appears twice/,
  );
  add(
    "33 label names",
    push(gauge({ labelNames: Array.from({ length: 33 }, (_, i) => `l${i}`), series: [] })),
    400,
    /has 33 names, over the limit of 32/,
  );
  add(
    "a label name of 201 characters",
    push(gauge({ labelNames: ["l".repeat(201)], series: [] })),
    400,
    /labelNames\[0\]: is 201 characters/,
  );

  // Labels of a series.
  for (const v of [null, "a", [], 1])
    add(
      `labels = ${JSON.stringify(v)}`,
      push(counter({ series: [{ labels: v, inc: 1 }] })),
      400,
      /series\[0\]\.labels: must be an object/,
    );
  add(
    "labels missing a declared key",
    push(counter({ series: [{ labels: {}, inc: 1 }] })),
    400,
    /series\[0\]\.labels: missing field "k"/,
  );
  add(
    "labels with an undeclared key",
    push(counter({ series: [{ labels: { k: "a", j: "b" }, inc: 1 }] })),
    400,
    /series\[0\]\.labels: unknown field "j"/,
  );
  add(
    "labels for a family without labels",
    push(gauge({ series: [{ labels: { k: "a" }, set: 1 }] })),
    400,
    /series\[0\]\.labels: unknown field "k"/,
  );
  for (const v of [1, null, true, {}, ["a"]])
    add(
      `label value ${JSON.stringify(v)}`,
      push(counter({ series: [{ labels: { k: v }, inc: 1 }] })),
      400,
      /labels\.k: must be a string/,
    );
  for (const length of [1025, 100_000])
    add(
      `label value of ${length} characters`,
      push(counter({ series: [{ labels: { k: "v".repeat(length) }, inc: 1 }] })),
      400,
      new RegExp(`labels\\.k: is ${length} characters, over the limit of 1024`),
    );
  for (const v of ["\ud800", "x\udc00y", "\udbff"])
    add(
      `label value with lone surrogate ${JSON.stringify(v)}`,
      push(counter({ series: [{ labels: { k: v }, inc: 1 }] })),
      400,
      /labels\.k: is not well-formed Unicode/,
    );
  add(
    "duplicate series",
    push(
      counter({
        series: [
          { labels: { k: "a" }, inc: 1 },
          { labels: { k: "a" }, inc: 2 },
        ],
      }),
    ),
    400,
    /series\[1\]\.labels: the series .* appears twice/,
  );
  add(
    "the same family twice",
    push(gauge(), gauge()),
    400,
    /families\[1\]\.name: the family "hostile_gauge" appears twice/,
  );
  add(
    "one counter family twice in one push",
    push(counter(), counter({ help: "Again." })),
    400,
    /the family "hostile_counter" appears twice/,
  );

  // Values.
  for (const v of [-1, -0.001, -1e308, "1", null, true, [], {}])
    add(
      `counter inc ${JSON.stringify(v)}`,
      push(counter({ series: [{ labels: { k: "a" }, inc: v }] })),
      400,
      /series\[0\]\.inc: (a counter cannot decrease|must be a finite number)/,
    );
  add(
    "counter inc 1e400 (Infinity)",
    push(counter()).replace('"inc":1', '"inc":1e400'),
    400,
    /series\[0\]\.inc: must be a finite number, got Infinity/,
  );
  add(
    "counter without inc",
    push(counter({ series: [{ labels: { k: "a" } }] })),
    400,
    /series\[0\]: missing field "inc"/,
  );
  add(
    "counter with set",
    push(counter({ series: [{ labels: { k: "a" }, set: 1 }] })),
    400,
    /series\[0\]: unknown field "set"/,
  );
  add(
    "gauge with set and inc",
    push(gauge({ series: [{ labels: {}, set: 1, inc: 1 }] })),
    400,
    /exactly one of "set" or "inc"/,
  );
  add("gauge with neither", push(gauge({ series: [{ labels: {} }] })), 400, /exactly one of "set" or "inc"/);
  for (const v of ["1", null, true, {}]) {
    add(
      `gauge set ${JSON.stringify(v)}`,
      push(gauge({ series: [{ labels: {}, set: v }] })),
      400,
      /series\[0\]\.set: must be a number \("NaN", "\+Inf" or "-Inf" in JSON\)/,
    );
    add(
      `gauge inc ${JSON.stringify(v)}`,
      push(gauge({ series: [{ labels: {}, inc: v }] })),
      400,
      /series\[0\]\.inc: must be a finite number/,
    );
  }
  // A value may be -Inf (JSON reads -1e400 so); a change may not.
  add(
    "gauge inc -1e400",
    push(gauge({ series: [{ labels: {}, inc: 1 }] })).replace('"inc":1', '"inc":-1e400'),
    400,
    /series\[0\]\.inc: must be a finite number, got -Infinity/,
  );
  add(
    "histogram without buckets",
    push(omit(histogram(), "buckets")),
    400,
    /missing field "buckets" \(required for a histogram\)/,
  );
  for (const make of [counter, gauge, summary])
    add(`buckets on a ${make().type}`, push(make({ buckets: [1] })), 400, /only a histogram has buckets/);
  for (const [buckets, message] of [
    [null, /must be an array/],
    ["1,2", /must be an array/],
    [[], /at least one bucket/],
    [[2, 1], /strictly increasing, got 2 then 1/],
    [[1, 1], /strictly increasing, got 1 then 1/],
    [[1, "2"], /\[1\] must be a finite number/],
    [[null], /\[0\] must be a finite number/],
    [Array.from({ length: 65 }, (_, i) => i), /has 65 buckets, over the limit of 64/],
  ] as const) {
    add(
      `buckets ${JSON.stringify(buckets).slice(0, 40)}`,
      push(histogram({ buckets, series: [] })),
      400,
      message as RegExp,
    );
  }
  add(
    "bucket 1e400",
    push(histogram({ series: [] })).replace('"buckets":[1,2]', '"buckets":[1,1e400]'),
    400,
    /buckets: \[1\] must be a finite number/,
  );
  for (const [counts, message] of [
    [[0, 1], /must hold 3 counts/],
    [[0, 1, 0, 0], /must hold 3 counts/],
    [[], /must hold 3 counts/],
    [[0, -1, 0], /counts\[1\]: must be a non-negative integer, got -1/],
    [[0, 0.5, 0], /counts\[1\]: must be a non-negative integer, got 0.5/],
    [[0, "1", 0], /counts\[1\]: must be a non-negative integer/],
    [[0, null, 0], /counts\[1\]: must be a non-negative integer/],
    [[0, 2 ** 53, 0], /counts\[1\]: must be a non-negative integer/],
    ["3", /counts: must be an array/],
    [{ 0: 1 }, /counts: must be an array/],
  ] as const) {
    add(
      `histogram counts ${JSON.stringify(counts)}`,
      push(histogram({ series: [{ labels: {}, counts, sum: 1 }] })),
      400,
      message as RegExp,
    );
  }
  for (const sum of ["1", null, true])
    add(
      `histogram sum ${JSON.stringify(sum)}`,
      push(histogram({ series: [{ labels: {}, counts: [0, 1, 0], sum }] })),
      400,
      /series\[0\]\.sum: must be a finite number/,
    );
  add(
    "histogram without sum",
    push(histogram({ series: [{ labels: {}, counts: [0, 1, 0] }] })),
    400,
    /missing field "sum"/,
  );
  for (const count of [-1, 1.5, "2", null, 2 ** 53])
    add(
      `summary count ${JSON.stringify(count)}`,
      push(summary({ series: [{ labels: {}, count, sum: 1 }] })),
      400,
      /series\[0\]\.count: must be a non-negative integer/,
    );
  for (const sum of ["1", null, []])
    add(
      `summary sum ${JSON.stringify(sum)}`,
      push(summary({ series: [{ labels: {}, count: 1, sum }] })),
      400,
      /series\[0\]\.sum: must be a finite number/,
    );
  add(
    "summary sum 1e400",
    push(summary()).replace('"sum":2', '"sum":1e400'),
    400,
    /series\[0\]\.sum: must be a finite number, got Infinity/,
  );

  // Lifecycle and semantics fields.
  for (const merge of ["avg", "", 1, null, "SET"])
    add(
      `gauge merge ${JSON.stringify(merge)}`,
      push(gauge({ merge })),
      400,
      /merge: must be one of set, sum, max, min/,
    );
  add("merge on a counter", push(counter({ merge: "sum" })), 400, /only a gauge has merge/);
  add("set on a sum gauge", push(gauge({ merge: "sum" })), 400, /merged by "sum" takes inc\/dec, not set/);
  add(
    "inc on a max gauge",
    push(gauge({ merge: "max", series: [{ labels: {}, inc: 1 }] })),
    400,
    /merged by "max" takes set, not inc/,
  );
  for (const [percentiles, message] of [
    ["0.5", /percentiles: must be an array/],
    [[0.5, 0.5], /strictly increasing/],
    [[0.9, 0.5], /strictly increasing/],
    [[-0.1], /from 0 to 1/],
    [[1.01], /from 0 to 1/],
    [Array.from({ length: 21 }, (_, i) => i / 21), /over the limit of 20/],
  ] as const) {
    add(
      `percentiles ${JSON.stringify(percentiles).slice(0, 30)}`,
      push(summary({ percentiles, series: [] })),
      400,
      message as RegExp,
    );
  }
  add("percentiles on a histogram", push(histogram({ percentiles: [0.5] })), 400, /only a summary has percentiles/);
  for (const [field, value] of [
    ["maxAgeSeconds", -1],
    ["maxAgeSeconds", 1.5],
    ["ageBuckets", 0],
    ["ageBuckets", 11],
    ["ageBuckets", "5"],
  ] as const) {
    add(
      `${field} ${JSON.stringify(value)}`,
      push(summary({ [field]: value, series: [] })),
      400,
      new RegExp(`${field}: must be an integer`),
    );
  }
  const quantiled = (sketch: Json, count = 1) =>
    summary({
      percentiles: [0.5],
      series: [{ labels: {}, count, sum: 1, ...(sketch === undefined ? {} : { sketch }) }],
    });
  add("a quantile summary without a sketch", push(quantiled(undefined)), 400, /missing field "sketch"/);
  add(
    "a sketch on a summary without quantiles",
    push(summary({ series: [{ labels: {}, count: 1, sum: 1, sketch: { zero: 1, pos: [], neg: [] } }] })),
    400,
    /takes no sketch/,
  );
  for (const [sketch, message] of [
    [null, /sketch: must be an object/],
    [{ zero: 1, pos: [] }, /missing field "neg"/],
    [{ zero: 1, pos: [], neg: [], extra: 0 }, /unknown field "extra"/],
    [{ zero: -1, pos: [[0, 2]], neg: [] }, /zero: must be a non-negative integer/],
    [{ zero: 0, pos: [[0.5, 1]], neg: [] }, /must be an integer bucket index/],
    [{ zero: 0, pos: [[1e9, 1]], neg: [] }, /must be an integer bucket index/],
    [{ zero: 0, pos: [[3201, 1]], neg: [] }, /from -3200 to 3200/],
    [{ zero: 0, pos: [[1, 1, 1]], neg: [] }, /must be an \[index, count\] pair/],
    [
      {
        zero: 0,
        pos: [
          [2, 0],
          [1, 1],
        ],
        neg: [],
      },
      /strictly increasing/,
    ],
    [{ zero: 0, pos: [[1, -1]], neg: [] }, /must be a non-negative integer/],
    [{ zero: 0, pos: [[1, 2]], neg: [] }, /holds 2 observations, but the series counts 1/],
    // A sketch's exact observations (a small summary): as many as it counts, finite, each in its bucket (1 → 0).
    [{ zero: 0, pos: [[0, 1]], neg: [], exact: 1 }, /exact: must be an array/],
    [{ zero: 0, pos: [[0, 1]], neg: [], exact: ["1"] }, /exact\[0\]: must be a finite number/],
    [{ zero: 0, pos: [[0, 1]], neg: [], exact: [2] }, /do not fall into the sketch's buckets/],
    [{ zero: 0, pos: [[0, 1]], neg: [], exact: [1, 1] }, /do not fall into the sketch's buckets/],
  ] as const) {
    add(`sketch ${JSON.stringify(sketch)}`, push(quantiled(sketch)), 400, message as RegExp);
  }
  // Exemplars: a counter's one, a histogram's one per bucket (+Inf last), each null or valid; no other type has any.
  const traced = (exemplars: Json) => push(counter({ series: [{ labels: { k: "a" }, inc: 1, exemplars }] }));
  const exemplar = (over: Family = {}) => ({ labels: { trace_id: "t" }, value: 1, timestamp: 1.7e9, ...over });
  for (const [exemplars, message] of [
    [exemplar(), /exemplars: must be an array/],
    [[exemplar(), null], /must hold 1 exemplars or nulls/],
    [[exemplar({ value: "1" })], /exemplars\[0\]: value must be a finite number/],
    [[exemplar({ timestamp: -1 })], /timestamp must be a finite number of seconds/],
    [[exemplar({ labels: { "bad name": "x" } })], /exemplars\[0\]: .*"bad name"/],
    [[exemplar({ labels: { trace_id: "x".repeat(121) } })], /over the limit of 128/],
    [[exemplar({ extra: 1 })], /unknown field "extra"/],
  ] as const) {
    add(`counter exemplars refused: ${(message as RegExp).source}`, traced(exemplars), 400, message as RegExp);
  }
  add(
    "a histogram exemplar outside its bucket",
    push(
      histogram({
        series: [{ labels: {}, counts: [0, 1, 0], sum: 1.5, exemplars: [null, exemplar({ value: 5 }), null] }],
      }),
    ),
    400,
    /exemplars\[1\]: value 5 does not fall into bucket 1/,
  );
  add(
    "an exemplar on a gauge",
    push(gauge({ series: [{ labels: {}, set: 1, exemplars: [exemplar()] }] })),
    400,
    /unknown field "exemplars"/,
  );
  add(
    "a sketch with 101 exact observations",
    push(quantiled({ zero: 0, pos: [[0, 101]], neg: [], exact: Array(101).fill(1) }, 101)),
    400,
    /exact: holds 101 observations, over the 100 a sketch keeps exactly/,
  );
  for (const ttl of [-1, 1.5, "60", null, 1e12])
    add(
      `ttlSeconds ${JSON.stringify(ttl)}`,
      push(gauge({ ttlSeconds: ttl })),
      400,
      /ttlSeconds: must be an integer from 0/,
    );
  for (const reset of ["yes", 1, null])
    add(`reset ${JSON.stringify(reset)}`, push(gauge({ reset })), 400, /reset: must be true or false/);
  for (const flag of ["replace", "inferred"])
    add(`${flag} "yes"`, push(gauge({ [flag]: "yes" })), 400, new RegExp(`${flag}: must be true or false`));
  add("remove not an array", push(counter({ remove: { k: "a" } })), 400, /remove: must be an array/);
  add("remove with a wrong label", push(counter({ remove: [{ j: "a" }] })), 400, /remove\[0\]: unknown field "j"/);
  add("remove with a non-string value", push(counter({ remove: [{ k: 1 }] })), 400, /remove\[0\]\.k: must be a string/);

  // Changes to stored families (409): nothing of that family is applied.
  const [requests, depth, seconds, bytes] = seed.families;
  const change = (base: Family, over: Family) => push({ ...base, ...over });
  add(
    "a gauge named like the counter's samples",
    change(requests as Family, {
      name: "corpus_requests_total",
      type: "gauge",
      series: [{ labels: { route: "/", code: "200" }, set: 1 }],
    }),
    409,
    /would expose "corpus_requests_total", which family "corpus_requests" already exposes/,
  );
  for (const [name, type, sample, owner] of [
    ["corpus_seconds_bucket", "gauge", "corpus_seconds_bucket", "corpus_seconds"],
    ["corpus_seconds_count", "gauge", "corpus_seconds_count", "corpus_seconds"],
    ["corpus_bytes_sum", "gauge", "corpus_bytes_sum", "corpus_bytes"],
    ["corpus_requests_created", "gauge", "corpus_requests_created", "corpus_requests"],
    ["corpus_bytes", "gauge", "", ""],
  ] as const) {
    const message = sample
      ? new RegExp(`would expose "${sample}", which family "${owner}" already exposes`)
      : /stored with a different type \(summary vs gauge\)/;
    add(`a ${type} named ${name} clashing with a stored family`, push(gauge({ name })), 409, message);
  }
  add(
    "gauge becomes a counter",
    change(depth as Family, { type: "counter", series: [{ labels: { queue: "a" }, inc: 1 }] }),
    409,
    /different type \(gauge vs counter\)/,
  );
  add(
    "summary becomes a histogram",
    change(bytes as Family, { type: "histogram", buckets: [1], series: [{ labels: {}, counts: [1, 0], sum: 1 }] }),
    409,
    /different type \(summary vs histogram\)/,
  );
  add(
    "histogram becomes a summary",
    change(seconds as Family, {
      type: "summary",
      buckets: undefined,
      series: [{ labels: { kind: "x" }, count: 1, sum: 1 }],
    }),
    409,
    /different type \(histogram vs summary\)/,
  );
  add(
    "counter gains a label",
    change(requests as Family, {
      labelNames: ["route", "code", "method"],
      series: [{ labels: { route: "/", code: "200", method: "GET" }, inc: 1 }],
    }),
    409,
    /different labelNames/,
  );
  add(
    "counter loses a label",
    change(requests as Family, { labelNames: ["route"], series: [{ labels: { route: "/" }, inc: 1 }] }),
    409,
    /different labelNames/,
  );
  add(
    "counter reorders labels",
    change(requests as Family, {
      labelNames: ["code", "route"],
      series: [{ labels: { route: "/", code: "200" }, inc: 1 }],
    }),
    409,
    /different labelNames/,
  );
  add(
    "gauge renames its label",
    change(depth as Family, { labelNames: ["q"], series: [{ labels: { q: "a" }, set: 1 }] }),
    409,
    /different labelNames/,
  );
  add(
    "histogram changes a bucket",
    change(seconds as Family, { buckets: [0.1, 2], series: [{ labels: { kind: "x" }, counts: [1, 0, 0], sum: 1 }] }),
    409,
    /different buckets/,
  );
  add(
    "histogram adds a bucket",
    change(seconds as Family, {
      buckets: [0.1, 1, 10],
      series: [{ labels: { kind: "x" }, counts: [1, 0, 0, 0], sum: 1 }],
    }),
    409,
    /different buckets/,
  );
  add(
    "histogram drops a bucket",
    change(seconds as Family, { buckets: [0.1], series: [{ labels: { kind: "x" }, counts: [1, 0], sum: 1 }] }),
    409,
    /different buckets/,
  );
  add(
    "a counter family changes type",
    push({
      ...(requests as Family),
      name: "corpus_requests",
      type: "gauge",
      series: [{ labels: { route: "/", code: "200" }, set: 1 }],
    }),
    409,
    /different type/,
  );

  // Limits (413).
  add(
    "101 families",
    push(...Array.from({ length: 101 }, (_, i) => gauge({ name: `many_${i}` }))),
    413,
    /holds 101 families, over the limit of 100/,
  );
  add(
    "5001 series in one push",
    push(counter({ series: Array.from({ length: 5001 }, (_, i) => ({ labels: { k: String(i) }, inc: 1 })) })),
    413,
    /more than 5000 series/,
  );
  add(
    "2 families over the series budget",
    push(
      counter({ series: Array.from({ length: 3000 }, (_, i) => ({ labels: { k: String(i) }, inc: 1 })) }),
      gauge({
        name: "g2",
        labelNames: ["k"],
        series: Array.from({ length: 2001 }, (_, i) => ({ labels: { k: String(i) }, set: 1 })),
      }),
    ),
    413,
    /more than 5000 series/,
  );
  add(
    "1001 series for a family capped at 1000",
    push(
      counter({
        name: "cap_counter",
        series: Array.from({ length: 1001 }, (_, i) => ({ labels: { k: String(i) }, inc: 1 })),
      }),
    ),
    413,
    /would hold 1001 series, over the limit of 1000 per family/,
  );
  add(
    "a body over 1 MiB",
    JSON.stringify({ families: [gauge({ help: "x".repeat(1_100_000) })] }),
    413,
    /over the limit of 1048576/,
  );

  // Wrong content types (415).
  for (const contentType of [
    null,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonx",
    "application/json-patch+json",
    "text/json",
    "application/xml",
  ]) {
    add(`content type ${JSON.stringify(contentType)}`, push(gauge()), 415, /content-type must be application\/json/, {
      contentType,
    });
  }

  // Credentials (401).
  for (const authorization of [
    "",
    "Bearer",
    "Bearer ",
    "Bearer wrong",
    "bearer wrong",
    "Basic",
    `Basic ${btoa("user")}`,
    `Basic ${btoa("user:wrong")}`,
    "Token x",
    "Bearer test-push-token-extra",
  ]) {
    add(
      `credentials ${JSON.stringify(authorization)}`,
      push(gauge()),
      401,
      /(missing or malformed|invalid) credentials/,
      { authorization },
    );
  }
  return cases;
}
