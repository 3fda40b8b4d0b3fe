// A generated corpus of malformed and hostile text-format (0.0.4) bodies, each with the line of its first problem and
// what the parser's message must say. Run through parseTextFormat by test/lib/protocol/text-format-parse.test.ts.

export interface HostileText {
  name: string;
  body: string;
  /** 1-based line of the first problem. */
  line: number;
  message: RegExp;
}

/** Three valid lines, so that a case built with `after` fails on line 4. */
const PREAMBLE = "# HELP ok_gauge A fine gauge.\n# TYPE ok_gauge gauge\nok_gauge 1\n";

/** A case whose only bad line is `bad`, first in the body. */
const first = (name: string, bad: string, message: RegExp): HostileText => ({
  name,
  body: `${bad}\n`,
  line: 1,
  message,
});

/** A case whose bad line `bad` follows three valid ones. */
const after = (name: string, bad: string, message: RegExp): HostileText => ({
  name,
  body: `${PREAMBLE}${bad}\n`,
  line: 4,
  message,
});

/** A case made of `lines`, failing on `line`. */
const lines = (name: string, body: string[], line: number, message: RegExp): HostileText => ({
  name,
  body: `${body.join("\n")}\n`,
  line,
  message,
});

/** `text` with regex metacharacters escaped. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** A message that contains each fragment, in order. */
const says = (...fragments: string[]): RegExp => new RegExp(fragments.map(literal).join(".*"), "s");

/** A deterministic byte soup (a linear congruential generator), as a string of code points 0–255. */
function garbage(seed: number, length: number): string {
  let state = seed;
  let out = "";
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += String.fromCharCode(state % 256);
  }
  return out;
}

const badMetricNames: [string, string][] = [
  ["starts with a digit", "9lives"],
  ["hyphen", "http-requests"],
  ["dot", "http.requests"],
  ["slash", "a/b"],
  ["at sign", "a@b"],
  ["non-ASCII letter", "größe"],
  ["emoji", "metric_😀"],
  ["starts with a hyphen", "-x"],
  ["closing bracket", "x]"],
  ["closing brace", "x}"],
  ["backslash", "x\\y"],
  ["quote inside", 'x"y'],
  ["dollar", "$x"],
  ["non-breaking space used as a blank", "x\u00a01"],
  ["vertical tab", "x\u000b"],
];

const nameCases: HostileText[] = badMetricNames.flatMap(([what, name]): HostileText[] => [
  first(`metric name: ${what}`, `${name} 1`, says("invalid metric name")),
  after(`HELP name: ${what}`, `# HELP ${name} Help.`, says("invalid metric name", "in HELP line")),
]);

const nameOnlyCases: HostileText[] = [
  first("sample line starting with a brace (no name)", '{a="b"} 1', says("expected a metric name", '{a=\\"b\\"} 1')),
  first("quoted metric name (UTF-8 names are not 0.0.4)", '{"my.metric"} 1', says("expected a metric name")),
  first("TYPE name with labels", '# TYPE x{a="b"} gauge', says("invalid metric name", "in TYPE line")),
  first("HELP without a name", "# HELP", says("HELP line without a metric name")),
  first("TYPE without a name", "# TYPE   ", says("TYPE line without a metric name")),
  after("TYPE name with a colon-less digit start", "# TYPE 1x counter", says("invalid metric name", '"1x"')),
];

const badLabelNames: [string, string, RegExp][] = [
  ["starts with a digit", '1a="b"', says("invalid label name", '"1a"')],
  ["hyphen", 'a-b="c"', says("invalid label name", '"a-b"')],
  ["dot", 'a.b="c"', says("invalid label name", '"a.b"')],
  ["colon (allowed in metric names only)", 'a:b="c"', says("invalid label name", '"a:b"')],
  ["non-ASCII", 'größe="c"', says("invalid label name")],
  ["quoted", '"a"="b"', says("expected a label name")],
  ["empty", '="b"', says("expected a label name")],
  ["lone comma", ",", says("expected a label name", '",}')],
  ["double comma", 'a="b",,c="d"', says("expected a label name", '",c=')],
  ["blank then equals", ' ="x"', says("expected a label name")],
];

const labelNameCases: HostileText[] = badLabelNames.map(([what, inside, message]) =>
  first(`label name: ${what}`, `x{${inside}} 1`, message),
);

const labelSyntaxCases: HostileText[] = [
  first("label without '='", 'x{a "b"} 1', says('expected "=" after label name "a"')),
  first("unquoted label value", "x{a=b} 1", says('expected \'"\' to open the value of label "a"', '"b} 1"')),
  first("single-quoted label value", "x{a='b'} 1", says('expected \'"\' to open the value of label "a"')),
  first("missing comma between labels", 'x{a="b" c="d"} 1', says('expected "," or "}" after the value of label "a"')),
  first("semicolon between labels", 'x{a="b";c="d"} 1', says('expected "," or "}"', '";c=')),
  first("missing closing brace before the value", 'x{a="b" 1', says('expected "," or "}"', '"1"')),
  first("missing closing brace at the end", 'x{a="b"', says('unterminated label set: missing "}"')),
  first("missing closing brace after a comma", 'x{a="b",', says('unterminated label set: missing "}"')),
  first("open brace only", "x{", says('unterminated label set: missing "}"')),
  first("label name at end of line", "x{a", says('expected "=" after label name "a"', "the end of the line")),
  first("equals at end of line", "x{a=", says("expected '\"' to open the value", "the end of the line")),
  first("two equals", 'x{a=="b"} 1', says('expected \'"\' to open the value of label "a"')),
  first("colon instead of equals", 'x{a:"b"} 1', says("invalid label name", '"a:"')),
  first("extra closing brace", 'x{a="b"}} 1', says("invalid value", '"}"')),
  first("second label set", 'x{a="b"}{c="d"} 1', says("invalid value", "{c=")),
  first("empty second label set", "x{}{} 1", says("invalid value", '"{}"')),
];

const escapeCases: HostileText[] = [
  ["tab", "\\t"],
  ["carriage return", "\\r"],
  ["hex", "\\x41"],
  ["unicode", "\\u0041"],
  ["single quote", "\\'"],
  ["octal zero", "\\0"],
  ["backslash space", "\\ "],
  ["capital N", "\\N"],
  ["slash", "\\/"],
].map(([what, sequence]) =>
  first(
    `label value escape: ${what}`,
    `x{a="v${sequence}w"} 1`,
    says("invalid escape sequence", 'in the value of label "a"'),
  ),
);

const unterminatedCases: HostileText[] = [
  first("unterminated label value", 'x{a="b} 1', says('unterminated value of label "a"')),
  first("closing quote escaped", 'x{a="b\\"} 1', says('unterminated value of label "a"')),
  first("label value at end of line", 'x{a="', says('unterminated value of label "a"')),
  first("line ends in a backslash inside a value", 'x{a="b\\', says("the line ends in a backslash")),
  lines("label value continued on the next line", ['x{a="line one', 'line two"} 1'], 1, says("unterminated value")),
  after("unterminated second label value", 'x{a="1",b="2} 3', says('unterminated value of label "b"')),
];

const missingValueCases: HostileText[] = [
  first("name only", "x", says("missing value after", '"x"')),
  first("name and a blank", "x ", says("missing value")),
  first("name and a tab", "x\t", says("missing value")),
  first("empty labels, no value", "x{}", says("missing value")),
  first("labels, no value", 'x{a="b"}', says("missing value", 'x{a=\\"b\\"}')),
  after("labels and blanks, no value", 'x{a="b"}   ', says("missing value")),
];

const badNumbers: [string, RegExp][] = [
  ["one", says("invalid value", '"one"')],
  ["1,5", says("invalid value", '"1,5"')],
  ["1.2.3", says("invalid value")],
  ["1..2", says("invalid value")],
  ["0x1A", says("invalid value", '"0x1A"')],
  ["0x1p3", says("invalid value")],
  ["0b101", says("invalid value")],
  ["1_000", says("invalid value", '"1_000"')],
  ["1e", says("invalid value")],
  ["1e+", says("invalid value")],
  ["e5", says("invalid value")],
  [".", says("invalid value")],
  ["+", says("invalid value")],
  ["-", says("invalid value")],
  ["--1", says("invalid value")],
  ["+-1", says("invalid value")],
  ["1f", says("invalid value")],
  ["$1", says("invalid value")],
  ["NaNa", says("invalid value")],
  ["+NaN", says("invalid value", '"+NaN"')],
  ["-nan", says("invalid value")],
  ["Infinit", says("invalid value")],
  ["infinityy", says("invalid value")],
  ["++Inf", says("invalid value")],
  ["١", says("invalid value")],
  ["１", says("invalid value")],
  ["true", says("invalid value")],
  ["null", says("invalid value")],
  ["1e400", says("out of range")],
  ["-1e400", says("out of range")],
  ["1.8e308", says("out of range")],
  [`1${"0".repeat(400)}`, says("out of range")],
];

const numberCases: HostileText[] = badNumbers.map(([value, message], i) =>
  i % 2 === 0
    ? first(`value ${JSON.stringify(value)}`, `x ${value}`, message)
    : after(`value ${JSON.stringify(value)}`, `x{a="b"} ${value}`, message),
);

const timestampCases: HostileText[] = [
  first("timestamp in milliseconds", "x 1 1700000000000", says("timestamps are not accepted", '"1700000000000"')),
  first("negative timestamp", 'x{a="b"} 1 -5', says("timestamps are not accepted", '"-5"')),
  first("signed timestamp", "x 1 +17", says("timestamps are not accepted")),
  first("tab before the timestamp", "x 1\t1700000000000", says("timestamps are not accepted")),
  first("timestamp and more", "x 1 1700000000000 extra", says("timestamps are not accepted")),
  lines(
    "timestamp on a typed counter",
    ["# TYPE c_total counter", "c_total 5 1"],
    2,
    says("timestamps are not accepted"),
  ),
  first("float after the value", "x 1 1.5", says("unexpected text after the value", '"1.5"')),
  first(
    "OpenMetrics exemplar",
    'x_total 1 # {trace_id="a"} 1',
    says("unexpected text after the value", '"# {trace_id='),
  ),
  first("word after the value", "x 1 abc", says("unexpected text after the value")),
];

const duplicateLabelCases: HostileText[] = [
  first("same label twice", 'x{a="1",a="2"} 1', says('duplicate label name "a"')),
  first("same label and value twice", 'x{a="1", b="2", a="1"} 1', says('duplicate label name "a"')),
  lines(
    "le twice on a bucket",
    ["# TYPE h histogram", 'h_bucket{le="1",le="2"} 1'],
    2,
    says('duplicate label name "le"'),
  ),
  first("__proto__ twice", 'x{__proto__="a",__proto__="b"} 1', says('duplicate label name "__proto__"')),
  first(
    "constructor twice (inherited names are not duplicates, repeats are)",
    'x{constructor="a",constructor="b"} 1',
    says('duplicate label name "constructor"'),
  ),
];

const duplicateMetadataCases: HostileText[] = [
  lines(
    "TYPE twice, same type",
    ["# TYPE x gauge", "# TYPE x gauge", "x 1"],
    2,
    says('second TYPE line for "x"', "line 1"),
  ),
  lines("TYPE twice, different types", ["# TYPE x gauge", "# TYPE x counter"], 2, says('second TYPE line for "x"')),
  lines("HELP twice", ["# HELP x One.", "# HELP x Two.", "x 1"], 2, says('second HELP line for "x"', "line 1")),
  lines("HELP twice around TYPE", ["# HELP x One.", "# TYPE x gauge", "# HELP x Two."], 3, says("second HELP line")),
  lines("TYPE twice around HELP", ["# TYPE x gauge", "# HELP x One.", "# TYPE x gauge"], 3, says("second TYPE line")),
  lines("HELP twice with a sample between", ["# HELP x One.", "x 1", "# HELP x Two."], 3, says("second HELP line")),
  lines(
    "TYPE repeated for a second block",
    ["# TYPE x gauge", "x 1", "# TYPE y gauge", "y 1", "# TYPE x gauge"],
    5,
    says("second TYPE line"),
  ),
];

const contiguityCases: HostileText[] = [
  lines(
    "untyped samples split",
    ["a 1", "b 1", "a 2"],
    3,
    says('sample "a" belongs to family "a"', "ended on line 1", "contiguous"),
  ),
  lines(
    "gauge samples split",
    ["# TYPE a gauge", 'a{k="1"} 1', "# TYPE b gauge", "b 1", 'a{k="2"} 1'],
    5,
    says("contiguous"),
  ),
  lines(
    "histogram split",
    ["# TYPE h histogram", 'h_bucket{le="+Inf"} 1', "g 1", "h_sum 1"],
    4,
    says('sample "h_sum" belongs to family "h"'),
  ),
  lines(
    "counter split across x and x_total",
    ["# TYPE c counter", "c 1", "d 1", 'c_total{a="b"} 1'],
    4,
    says("contiguous"),
  ),
  lines(
    "HELP-only family, sample later",
    ["# HELP a A.", "b 1", "a 1"],
    3,
    says('sample "a" belongs to family "a"', "ended on line 1"),
  ),
  lines(
    "TYPE after another family's lines",
    ["# HELP a A.", "b 1", "# TYPE a gauge"],
    3,
    says('TYPE line for "a"', "contiguous"),
  ),
  lines(
    "HELP after another family's lines",
    ["# TYPE a gauge", "# TYPE b gauge", "# HELP a A."],
    3,
    says('HELP line for "a"', "contiguous"),
  ),
  lines(
    "summary split",
    ["# TYPE s summary", 's{quantile="0.5"} 1', "# TYPE t gauge", "t 1", "s_count 1"],
    5,
    says("contiguous"),
  ),
];

const orderCases: HostileText[] = [
  lines(
    "TYPE after the samples",
    ["x 1", "# TYPE x gauge"],
    2,
    says('TYPE line for "x" comes after its samples', "line 1"),
  ),
  lines("HELP after the samples", ["x 1", "# HELP x Help."], 2, says('HELP line for "x" comes after its samples')),
  lines(
    "TYPE histogram after bucket samples",
    ['x_bucket{le="1"} 1', "# TYPE x histogram"],
    2,
    says('TYPE line for "x" comes after its samples "x_bucket"'),
  ),
  lines("TYPE summary after its sum", ["x_sum 1", "# TYPE x summary"], 2, says("comes after its samples", '"x_sum"')),
  lines(
    "TYPE counter after its _total samples",
    ["x_total 1", "# TYPE x counter"],
    2,
    says("comes after its samples", '"x_total"'),
  ),
  lines(
    "TYPE after samples and HELP",
    ["# HELP x Help.", "x 1", "# TYPE x counter"],
    3,
    says("comes after its samples"),
  ),
];

const ownershipCases: HostileText[] = [
  lines(
    "plain sample under a histogram's name",
    ["# TYPE h histogram", "h 1"],
    2,
    says('sample "h" does not belong to histogram "h"', "h_bucket, h_sum, h_count"),
  ),
  lines(
    "_total sample under a gauge",
    ["# TYPE g gauge", "g_total 1", "g 1"],
    3,
    says('sample "g" belongs to family "g"'),
  ),
  lines(
    "TYPE for a histogram's bucket name",
    ["# TYPE h histogram", "# TYPE h_bucket gauge"],
    2,
    says('TYPE line for "h_bucket"', 'sample name of histogram "h"'),
  ),
  lines(
    "HELP for a summary's count name",
    ["# TYPE s summary", "# HELP s_count Count."],
    2,
    says('HELP line for "s_count"', "summary"),
  ),
  lines(
    "TYPE x_total after counter x",
    ["# TYPE x counter", "x_total 1", "# TYPE x_total counter"],
    3,
    says('"x_total" is a sample name of counter "x"'),
  ),
  lines(
    "histogram over an earlier gauge's name",
    ["# TYPE h_sum gauge", "h_sum 1", "# TYPE h histogram"],
    3,
    says('histogram "h" has samples named "h_sum"', 'gauge "h_sum"'),
  ),
  lines(
    "sample of a histogram declared before a summary's",
    ["# TYPE s summary", "s_bucket 1", "s_count 1"],
    3,
    says('sample "s_count" belongs to family "s"'),
  ),
];

const duplicateSeriesCases: HostileText[] = [
  lines("same untyped series twice", ["x 1", "x 2"], 2, says('duplicate series "x"', "line 1")),
  lines(
    "same labels in another order",
    ['x{a="1",b="2"} 1', 'x{b="2",a="1"} 2'],
    2,
    says("duplicate series", "line 1"),
  ),
  lines(
    "counter x and x_total, same labels",
    ["# TYPE c counter", 'c{a="1"} 1', 'c_total{a="1"} 2'],
    3,
    says("duplicate series", "c_total"),
  ),
  lines(
    "histogram bucket twice",
    ["# TYPE h histogram", 'h_bucket{le="1"} 1', 'h_bucket{le="1"} 1'],
    3,
    says("duplicate series", "h_bucket"),
  ),
  lines(
    "summary count twice",
    ["# TYPE s summary", "s_count 1", "s_sum 1", "s_count 2"],
    4,
    says('duplicate series "s_count"', "line 2"),
  ),
];

const unknownTypes: string[] = [
  "counters",
  "Counter",
  "COUNTER",
  "gaugehistogram",
  "gauge_histogram",
  "info",
  "stateset",
  "unknown",
  "counter ",
  "gauge gauge",
  "histogram\t",
  "1",
];

const typeCases: HostileText[] = [
  ...unknownTypes.map((type) =>
    first(`unknown type ${JSON.stringify(type)}`, `# TYPE x ${type}`, says("unknown metric type", 'for "x"')),
  ),
  first("TYPE without a type", "# TYPE x", says('TYPE line for "x" has no type')),
  after("TYPE with blanks but no type", "# TYPE x \t ", says("has no type")),
];

const surrogateCases: HostileText[] = [
  first("lone high surrogate in a label value", 'x{a="\ud800"} 1', says("lone surrogate")),
  first("lone low surrogate in a label value", 'x{a="\udc00x"} 1', says("lone surrogate")),
  after("lone surrogate in HELP text", "# HELP x Bad \udbff text.", says("lone surrogate")),
  first("lone surrogate in a comment", "# note \ud83d", says("lone surrogate")),
  first("lone surrogate in a name", "x\udfff 1", says("lone surrogate")),
  first("reversed surrogate pair", 'x{a="\ude00\ud83d"} 1', says("lone surrogate")),
];

const hugeCases: HostileText[] = [
  first("label value over the line limit", `x{a="${"v".repeat(70_000)}"} 1`, says("70009 characters long", "65536")),
  first("a megabyte of open braces", `x${"{".repeat(1_000_000)}`, says("1000001 characters long")),
  after("comment over the line limit", `# ${"c".repeat(65_535)}`, says("65537 characters long")),
  first("long name over the line limit", `${"n".repeat(65_537)} 1`, says("over the limit of 65536")),
  {
    name: "more lines than the limit",
    body: "#\n".repeat(200_001),
    line: 200_001,
    message: says("more than 200000 lines"),
  },
  {
    name: "more blank lines than the limit, then a sample",
    body: `${"\n".repeat(200_000)}x 1\n`,
    line: 200_001,
    message: says("more than 200000 lines"),
  },
];

const nulCases: HostileText[] = [
  first("NUL in a metric name", "x\0y 1", says("NUL byte")),
  first("NUL in a label value", 'x{a="b\0"} 1', says("NUL byte")),
  after("NUL in HELP text", "# HELP x a\0b", says("NUL byte")),
  first("NUL in a comment", "# \0", says("NUL byte")),
  first("NUL between tokens", "x \0 1", says("NUL byte")),
  first("NUL alone", "\0", says("NUL byte")),
];

const binaryCases: HostileText[] = [
  first("PNG header", "\u0089PNG\r\n\u001a", says("invalid metric name", "PNG")),
  first("gzip magic", "\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000", says("NUL byte")),
  first("UTF-8 BOM", "\ufeffx 1", says("invalid metric name")),
  first("JSON push body", '{"families":[]}', says("expected a metric name")),
  first("HTML error page", "<!doctype html><title>502</title>", says("invalid metric name")),
  first("protobuf delimited bytes", "\u0008\u0096\u0001\u0012\u0003abc", says("invalid metric name")),
  first("form-encoded body", "metric=x&value=1", says("invalid metric name", "metric=x&value=1")),
  ...[1, 2, 3, 4, 5, 6].map((seed) =>
    first(
      `byte soup #${seed}`,
      `\u0001${garbage(seed, 200).replace(/\n/g, "")}`,
      /NUL byte|invalid metric name|expected a metric name/,
    ),
  ),
];

const nestingCases: HostileText[] = [
  first("nested braces", 'x{{a="b"}} 1', says("expected a label name", "{a=")),
  first("brace as a label value", 'x{a={b="c"}} 1', says('expected \'"\' to open the value of label "a"')),
  first("brace after a value", 'x{a="b"{c="d"}} 1', says('expected "," or "}"')),
  first("brace inside a value, then an extra brace", 'x{a="{"}} 1', says("invalid value", '"}"')),
  first("deeply nested braces", `x${"{".repeat(1000)}${"}".repeat(1000)} 1`, says("expected a label name")),
  first("brackets instead of braces", 'x[a="b"] 1', says("invalid metric name", "x[a=")),
  first("parentheses instead of braces", 'x(a="b") 1', says("invalid metric name")),
];

const lineEndingCases: HostileText[] = [
  first("CR-only line endings", "x 1\ry 2\r", says("invalid value", '"1\\ry"')),
  first("CR between labels and value", 'x{a="b"}\r1', says("invalid value")),
  first("CR inside a name", "x\ry 1", says("invalid metric name")),
  lines("CRLF body with a bad second line", ["x 1\r", "y{ 2\r"], 2, says("invalid label name", '"2"')),
];

/** Every hostile body the text parser must refuse, with the line and message. */
export const HOSTILE_TEXTS: HostileText[] = [
  ...nameCases,
  ...nameOnlyCases,
  ...labelNameCases,
  ...labelSyntaxCases,
  ...escapeCases,
  ...unterminatedCases,
  ...missingValueCases,
  ...numberCases,
  ...timestampCases,
  ...duplicateLabelCases,
  ...duplicateMetadataCases,
  ...contiguityCases,
  ...orderCases,
  ...ownershipCases,
  ...duplicateSeriesCases,
  ...typeCases,
  ...surrogateCases,
  ...hugeCases,
  ...nulCases,
  ...binaryCases,
  ...nestingCases,
  ...lineEndingCases,
];
