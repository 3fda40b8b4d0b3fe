// A strict parser for the Prometheus text exposition format 0.0.4, as pushed by untrusted clients: one pass over the
// body, samples grouped into families as the format defines them, and the first problem reported with its line.

import { counterSampleNames } from "../names.ts";
import type { NativeBuckets } from "../native-histogram.ts";
import { keyOf } from "../series-key.ts";
import { describeValue, wellFormed } from "../validation.ts";

/** A family's type as a TYPE line declares it; `untyped` also for a family without one. */
export type ParsedType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

/** One sample line: its full name (`x_bucket`, `x_total`…), its labels in the order written, its value. */
export interface ParsedSample {
  name: string;
  /** Label values by name, as own properties (like JSON.parse makes them: a label `__proto__` is kept as any other). */
  labels: Record<string, string>;
  value: number;
  /** 1-based line number (of a protobuf body: the message's number). */
  line: number;
  /** A histogram's `_count` sample from a protobuf body: the series' native buckets (the text format has none). */
  native?: NativeBuckets;
}

/**
 * One family: the name its HELP/TYPE lines (or, without them, its one sample name) declare, exactly as written. A
 * counter declared `x_total` (prom-client, Python's prometheus_client) keeps that name; `familyName` in names.ts
 * turns it into the canonical family name. A family may have no samples (HELP/TYPE only).
 */
export interface ParsedFamily {
  name: string;
  type: ParsedType;
  help: string;
  samples: ParsedSample[];
  /** 1-based number of the family's first line. */
  line: number;
}

/** The families in the order they appear, or the first problem: its 1-based line and what is wrong there. */
export type ParseResult = { ok: true; families: ParsedFamily[] } | { ok: false; line: number; error: string };

/** Size limits on a body; past either, parsing stops with an error on the first line beyond. */
export interface ParseLimits {
  /** Longest line, in UTF-16 code units, without its line ending. */
  maxLineLength?: number;
  maxLines?: number;
}

/** The limits used where `parseTextFormat` is given none. */
export const DEFAULT_PARSE_LIMITS: Required<ParseLimits> = { maxLineLength: 65_536, maxLines: 200_000 };

const OWN_PROPERTY = { enumerable: true, writable: true, configurable: true } as const;

const TYPES: readonly ParsedType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

const TAB = 9;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const EQUALS = 61;
const BACKSLASH = 92;
const LOWER_E = 101;
const UPPER_E = 69;
const LOWER_N = 110;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/**
 * Parses a text-format 0.0.4 body into families. Refuses, with the 1-based line of the first problem: malformed
 * lines, bad names and escapes, duplicate labels or series, timestamps (the Pushgateway refuses them on pushed
 * samples), a family's lines split or its HELP/TYPE repeated or after its samples, lines over the limits. Values
 * follow Go's float syntax (`NaN`, `+Inf`, `-Inf`, any case); non-finite values are returned for the caller to judge.
 * @example
 * parseTextFormat('# TYPE jobs_total counter\njobs_total{queue="a"} 3\n');
 * // { ok: true, families: [{ name: "jobs_total", type: "counter", help: "", line: 1,
 * //   samples: [{ name: "jobs_total", labels: { queue: "a" }, value: 3, line: 2 }] }] }
 * parseTextFormat("jobs 1 1700000000000\n");
 * // { ok: false, line: 1,
 * //   error: 'timestamps are not accepted on pushed samples: found "1700000000000" after the value' }
 */
export function parseTextFormat(text: string, limits: ParseLimits = {}): ParseResult {
  const maxLineLength = limits.maxLineLength ?? DEFAULT_PARSE_LIMITS.maxLineLength;
  const maxLines = limits.maxLines ?? DEFAULT_PARSE_LIMITS.maxLines;
  const families = new Families();
  let line = 0;
  let start = 0;
  try {
    while (start < text.length) {
      line++;
      if (line > maxLines) throw new Problem(`the body has more than ${maxLines} lines, over the limit`);
      const newline = text.indexOf("\n", start);
      let end = newline === -1 ? text.length : newline;
      if (end > start && text.charCodeAt(end - 1) === CR) end--;
      if (end - start > maxLineLength) {
        throw new Problem(`the line is ${end - start} characters long, over the limit of ${maxLineLength}`);
      }
      parseLine(text.slice(start, end), line, families);
      start = newline === -1 ? text.length : newline + 1;
    }
  } catch (error) {
    if (error instanceof Problem) return { ok: false, line, error: error.message };
    throw error;
  }
  return { ok: true, families: families.list };
}

/** A refusal of the current line; caught by parseTextFormat, which adds the line number. */
class Problem extends Error {}

function parseLine(s: string, line: number, families: Families): void {
  if (s.indexOf("\0") !== -1) throw new Problem(`NUL byte in ${describeValue(s)}`);
  if (!wellFormed(s)) throw new Problem(`lone surrogate (not well-formed Unicode) in ${describeValue(s)}`);
  const i = skipBlanks(s, 0);
  if (i === s.length) return;
  if (s.charCodeAt(i) === HASH) parseComment(s, i + 1, line, families);
  else parseSample(s, i, line, families);
}

/** `# HELP name text`, `# TYPE name type`, or a comment (ignored). `i` is just past the `#`. */
function parseComment(s: string, i: number, line: number, families: Families): void {
  const wordStart = skipBlanks(s, i);
  const wordEnd = tokenEnd(s, wordStart);
  const keyword = s.slice(wordStart, wordEnd);
  if (keyword !== "HELP" && keyword !== "TYPE") return;
  const nameStart = skipBlanks(s, wordEnd);
  const nameEnd = tokenEnd(s, nameStart);
  const name = s.slice(nameStart, nameEnd);
  if (name === "") throw new Problem(`${keyword} line without a metric name: ${describeValue(s)}`);
  if (metricNameEnd(s, nameStart) !== nameEnd)
    throw new Problem(`invalid metric name ${describeValue(name)} in ${keyword} line`);
  const rest = s.slice(skipBlanks(s, nameEnd));
  if (keyword === "HELP") {
    families.help(name, unescapeHelp(rest), line);
    return;
  }
  if (rest === "") throw new Problem(`TYPE line for ${describeValue(name)} has no type`);
  const type = TYPES.find((t) => t === rest);
  if (type === undefined) {
    throw new Problem(
      `unknown metric type ${describeValue(rest)} for ${describeValue(name)} (expected counter, gauge, histogram, summary or untyped)`,
    );
  }
  families.type(name, type, line);
}

/** `name{label="value",...} value`. `i` is at the first character of the name. */
function parseSample(s: string, i: number, line: number, families: Families): void {
  const nameEnd = metricNameEnd(s, i);
  if (
    nameEnd === i ||
    (nameEnd < s.length && !isBlank(s.charCodeAt(nameEnd)) && s.charCodeAt(nameEnd) !== OPEN_BRACE)
  ) {
    let end = nameEnd;
    while (end < s.length && !isBlank(s.charCodeAt(end)) && s.charCodeAt(end) !== OPEN_BRACE) end++;
    if (end === i) throw new Problem(`expected a metric name, found ${describeValue(s.slice(i))}`);
    throw new Problem(`invalid metric name ${describeValue(s.slice(i, end))}`);
  }
  const name = s.slice(i, nameEnd);
  let p = skipBlanks(s, nameEnd);
  let labels: Record<string, string> = {};
  if (s.charCodeAt(p) === OPEN_BRACE) {
    const parsed = parseLabels(s, p + 1);
    labels = parsed.labels;
    p = skipBlanks(s, parsed.end);
  }
  if (p === s.length) throw new Problem(`missing value after ${describeValue(s.slice(i))}`);
  const valueEnd = tokenEnd(s, p);
  const token = s.slice(p, valueEnd);
  const value = parseGoFloat(token);
  if (value === "syntax") {
    throw new Problem(`invalid value ${describeValue(token)} (expected a float such as 1, -2.5e3, NaN, +Inf)`);
  }
  if (value === "range") throw new Problem(`value ${describeValue(token)} is out of range for a 64-bit float`);
  const after = skipBlanks(s, valueEnd);
  if (after < s.length) {
    const extra = s.slice(after, tokenEnd(s, after));
    if (/^[+-]?[0-9]+$/.test(extra)) {
      throw new Problem(`timestamps are not accepted on pushed samples: found ${describeValue(extra)} after the value`);
    }
    throw new Problem(`unexpected text after the value: ${describeValue(s.slice(after))}`);
  }
  families.sample({ name, labels, value, line });
}

/** The label set after `{` at `p`; returns the labels and the position just past `}`. */
function parseLabels(s: string, p: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  for (;;) {
    p = skipBlanks(s, p);
    if (p === s.length) throw new Problem(`unterminated label set: missing "}" in ${describeValue(s)}`);
    if (s.charCodeAt(p) === CLOSE_BRACE) return { labels, end: p + 1 };
    const nameEnd = labelNameEnd(s, p);
    let end = p;
    while (end < s.length && !isLabelNameDelimiter(s.charCodeAt(end))) end++;
    if (end === p) throw new Problem(`expected a label name, found ${describeValue(s.slice(p))}`);
    if (nameEnd !== end) throw new Problem(`invalid label name ${describeValue(s.slice(p, end))}`);
    const name = s.slice(p, nameEnd);
    if (Object.hasOwn(labels, name)) throw new Problem(`duplicate label name ${describeValue(name)}`);
    p = skipBlanks(s, nameEnd);
    if (s.charCodeAt(p) !== EQUALS)
      throw new Problem(`expected "=" after label name ${describeValue(name)}, found ${found(s, p)}`);
    p = skipBlanks(s, p + 1);
    if (s.charCodeAt(p) !== QUOTE) {
      throw new Problem(`expected '"' to open the value of label ${describeValue(name)}, found ${found(s, p)}`);
    }
    const value = parseLabelValue(s, p + 1, name);
    // Assigning `__proto__` would set the prototype instead; define it as an own property, as JSON.parse does.
    if (name === "__proto__") Object.defineProperty(labels, name, { ...OWN_PROPERTY, value: value.text });
    else labels[name] = value.text;
    p = skipBlanks(s, value.end);
    const c = s.charCodeAt(p);
    if (c === COMMA) p++;
    else if (c === CLOSE_BRACE) return { labels, end: p + 1 };
    else if (p === s.length) throw new Problem(`unterminated label set: missing "}" in ${describeValue(s)}`);
    else throw new Problem(`expected "," or "}" after the value of label ${describeValue(name)}, found ${found(s, p)}`);
  }
}

/** A quoted label value starting just past its opening quote; returns the text and the position past the close. */
function parseLabelValue(s: string, p: number, name: string): { text: string; end: number } {
  let text = "";
  let segment = p;
  for (;;) {
    if (p >= s.length) {
      throw new Problem(
        `unterminated value of label ${describeValue(name)}: missing closing '"' in ${describeValue(s.slice(segment))}`,
      );
    }
    const c = s.charCodeAt(p);
    if (c === QUOTE) return { text: text + s.slice(segment, p), end: p + 1 };
    if (c !== BACKSLASH) {
      p++;
      continue;
    }
    const escaped = s.charCodeAt(p + 1);
    if (escaped !== BACKSLASH && escaped !== QUOTE && escaped !== LOWER_N) {
      if (p + 1 >= s.length) {
        throw new Problem(`unterminated value of label ${describeValue(name)}: the line ends in a backslash`);
      }
      throw new Problem(
        `invalid escape sequence ${describeValue(s.slice(p, p + 2))} in the value of label ${describeValue(name)} ` +
          '(only \\\\, \\" and \\n)',
      );
    }
    text += s.slice(segment, p) + (escaped === LOWER_N ? "\n" : String.fromCharCode(escaped));
    p += 2;
    segment = p;
  }
}

/** HELP text: `\\` is a backslash and `\n` a newline; any other backslash stays as written (as Prometheus reads it). */
function unescapeHelp(raw: string): string {
  let at = raw.indexOf("\\");
  if (at === -1) return raw;
  let text = "";
  let segment = 0;
  while (at !== -1 && at + 1 < raw.length) {
    const next = raw.charCodeAt(at + 1);
    if (next === BACKSLASH || next === LOWER_N) {
      text += raw.slice(segment, at) + (next === LOWER_N ? "\n" : "\\");
      segment = at + 2;
      at = raw.indexOf("\\", at + 2);
    } else {
      at = raw.indexOf("\\", at + 1);
    }
  }
  return text + raw.slice(segment);
}

/**
 * A sample value in Go's float syntax (strconv.ParseFloat, less hex floats and `_`, as Prometheus parses it): a
 * decimal with optional sign and exponent, `NaN`, `Inf`/`Infinity` with optional sign, any case. "range" when the
 * decimal overflows a float64.
 */
export function parseGoFloat(token: string): number | "syntax" | "range" {
  const first = token.charCodeAt(0);
  let i = first === PLUS || first === MINUS ? 1 : 0;
  if (token.length - i <= 8) {
    const word = token.slice(i).toLowerCase();
    if (word === "inf" || word === "infinity")
      return first === MINUS ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (word === "nan") return i === 0 ? Number.NaN : "syntax";
  }
  let digits = 0;
  while (isDigit(token.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (token.charCodeAt(i) === DOT) {
    i++;
    while (isDigit(token.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return "syntax";
  const e = token.charCodeAt(i);
  if (e === LOWER_E || e === UPPER_E) {
    i++;
    const sign = token.charCodeAt(i);
    if (sign === PLUS || sign === MINUS) i++;
    const exponentStart = i;
    while (isDigit(token.charCodeAt(i))) i++;
    if (i === exponentStart) return "syntax";
  }
  if (i !== token.length) return "syntax";
  const value = Number(token);
  return Number.isFinite(value) ? value : "range";
}

/**
 * The samples a family of each type owns, by name (text format 0.0.4). A counter `x` may also write `x_total`, unless
 * the body declares a family of that name itself (see `Families.open`).
 */
function sampleNamesOf(name: string, type: ParsedType): string[] {
  switch (type) {
    case "counter":
      return counterSampleNames(name);
    case "histogram":
      return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    case "summary":
      return [name, `${name}_sum`, `${name}_count`];
    default:
      return [name];
  }
}

/** True when `name` is the `_total` sample name of counter `state`, which wrote no sample under it. */
function isAlternate(state: FamilyState, name: string): boolean {
  const { family } = state;
  return isAlternateName(family.name, family.type, name) && !family.samples.some((sample) => sample.name === name);
}

/** True when `sample` is the other name a counter `family` may write its samples under (`x_total` for `x`). */
function isAlternateName(family: string, type: ParsedType, sample: string): boolean {
  return type === "counter" && counterSampleNames(family)[1] === sample;
}

interface FamilyState {
  family: ParsedFamily;
  helpLine?: number;
  typeLine?: number;
  lastLine: number;
  /** Series key → line, to refuse a series written twice. */
  series: Map<string, number>;
}

/** Groups HELP, TYPE and sample lines into families, enforcing that each family's lines are one contiguous block. */
class Families {
  readonly list: ParsedFamily[] = [];
  /** Families by the name they were declared under. */
  private readonly byName = new Map<string, FamilyState>();
  /** Families by the sample names they own (claimed once the type is known: at TYPE, or at the first sample). */
  private readonly owners = new Map<string, FamilyState>();
  private current: FamilyState | undefined;

  help(name: string, help: string, line: number): void {
    const state = this.declare(name, line, "HELP");
    state.helpLine = line;
    state.family.help = help;
  }

  type(name: string, type: ParsedType, line: number): void {
    const state = this.declare(name, line, "TYPE");
    state.typeLine = line;
    state.family.type = type;
    this.claim(state);
  }

  /** The family a HELP or TYPE line declares: a new one, or one declared once before by the other kind of line. */
  private declare(name: string, line: number, what: "HELP" | "TYPE"): FamilyState {
    const known = this.byName.get(name);
    if (known === undefined) return this.open(name, line, what);
    const first = what === "HELP" ? known.helpLine : known.typeLine;
    if (first !== undefined) {
      throw new Problem(`second ${what} line for ${describeValue(name)} (the first is on line ${first})`);
    }
    this.beforeSamples(known, what);
    if (known !== this.current) this.notContiguous(known, `${what} line for ${describeValue(name)}`);
    known.lastLine = line;
    return known;
  }

  sample(sample: ParsedSample): void {
    let state = this.owners.get(sample.name);
    if (state === undefined) {
      // Not owned yet: a family declared by HELP alone gets its first sample, or the sample opens an untyped one.
      state = this.byName.get(sample.name) ?? this.open(sample.name, sample.line, "sample");
      if (state.typeLine !== undefined) {
        const { name, type, line } = state.family;
        throw new Problem(
          `sample ${describeValue(sample.name)} does not belong to ${type} ${describeValue(name)} (line ${line}), whose samples are ` +
            `named ${sampleNamesOf(name, type).join(", ")}`,
        );
      }
      this.claim(state);
    }
    if (state !== this.current) this.notContiguous(state, `sample ${describeValue(sample.name)}`);
    const key = sampleKey(state.family, sample);
    const first = state.series.get(key);
    if (first !== undefined) {
      throw new Problem(`duplicate series ${describeValue(seriesText(sample))} (first on line ${first})`);
    }
    state.series.set(key, sample.line);
    state.family.samples.push(sample);
    state.lastLine = sample.line;
  }

  /** A new family named `name`, now the current one; refused when `name` is a sample name another family owns. */
  private open(name: string, line: number, what: "HELP" | "TYPE" | "sample"): FamilyState {
    const owner = this.owners.get(name);
    // A counter `x` owns `x_total` only while no line declares a family `x_total` and it wrote no sample so named:
    // `# TYPE x_total counter` after `# TYPE x counter` is a family of its own (the naming rule makes them one).
    if (owner !== undefined && what !== "sample" && isAlternate(owner, name)) this.owners.delete(name);
    else if (owner !== undefined) {
      const subject = what === "sample" ? `sample ${describeValue(name)}` : `${what} line for ${describeValue(name)}`;
      throw new Problem(
        `${subject}: ${describeValue(name)} is a sample name of ${owner.family.type} ${describeValue(owner.family.name)} ` +
          `(line ${owner.family.line})`,
      );
    }
    const family: ParsedFamily = { name, type: "untyped", help: "", samples: [], line };
    const state: FamilyState = { family, lastLine: line, series: new Map() };
    this.list.push(family);
    this.byName.set(name, state);
    this.current = state;
    return state;
  }

  /** Records the sample names the family owns by its type; refused when another family declared or owns one. */
  private claim(state: FamilyState): void {
    const { name, type } = state.family;
    for (const sampleName of sampleNamesOf(name, type)) {
      const other = this.owners.get(sampleName) ?? this.byName.get(sampleName);
      if (other === undefined || other === state) {
        this.owners.set(sampleName, state);
        continue;
      }
      // A family declared earlier as `x_total` keeps that name: the counter `x` writes `x` (as `open` does it the
      // other way round).
      const declared = other.typeLine !== undefined || other.helpLine !== undefined;
      if (declared && this.byName.get(sampleName) === other && isAlternateName(name, type, sampleName)) continue;
      const firstSample = other.family.samples[0];
      if (firstSample !== undefined && other.helpLine === undefined && other.typeLine === undefined) {
        throw new Problem(
          `TYPE line for ${describeValue(name)} comes after its samples ${describeValue(sampleName)} ` +
            `(first on line ${firstSample.line}); HELP and TYPE must come first`,
        );
      }
      throw new Problem(
        `${type} ${describeValue(name)} has samples named ${describeValue(sampleName)}, but that name already belongs to ` +
          `${other.family.type} ${describeValue(other.family.name)} (line ${other.family.line})`,
      );
    }
  }

  private beforeSamples(state: FamilyState, keyword: "HELP" | "TYPE"): void {
    const firstSample = state.family.samples[0];
    if (firstSample !== undefined) {
      throw new Problem(
        `${keyword} line for ${describeValue(state.family.name)} comes after its samples (first on line ${firstSample.line}); ` +
          "HELP and TYPE must come first",
      );
    }
  }

  private notContiguous(state: FamilyState, subject: string): never {
    throw new Problem(
      `${subject} belongs to family ${describeValue(state.family.name)}, whose lines ended on line ${state.lastLine}; ` +
        "a family's lines must be contiguous",
    );
  }
}

/**
 * Identifies a series within its family: sample name and label pairs in name order (a counter's `x` and `x_total`
 * are one series), in the one series-key encoding.
 */
function sampleKey(family: ParsedFamily, sample: ParsedSample): string {
  const names = Object.keys(sample.labels);
  if (names.length > 1) names.sort();
  const parts = [family.type === "counter" ? family.name : sample.name];
  for (const name of names) parts.push(name, sample.labels[name] as string);
  return keyOf(parts);
}

/** A sample's name and labels as written in the format, for messages. */
function seriesText(sample: ParsedSample): string {
  const pairs = Object.entries(sample.labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return pairs.length === 0 ? sample.name : `${sample.name}{${pairs.join(",")}}`;
}

function found(s: string, p: number): string {
  return p >= s.length ? "the end of the line" : describeValue(s.slice(p));
}

function skipBlanks(s: string, p: number): number {
  while (p < s.length && isBlank(s.charCodeAt(p))) p++;
  return p;
}

/** The end of the run of non-blank characters starting at `p`. */
function tokenEnd(s: string, p: number): number {
  while (p < s.length && !isBlank(s.charCodeAt(p))) p++;
  return p;
}

/** The end of the valid metric name starting at `p` (`[a-zA-Z_:][a-zA-Z0-9_:]*`); `p` when there is none. */
function metricNameEnd(s: string, p: number): number {
  const first = s.charCodeAt(p);
  if (!isLetter(first) && first !== 95 && first !== 58) return p;
  p++;
  for (let c = s.charCodeAt(p); isLetter(c) || isDigit(c) || c === 95 || c === 58; c = s.charCodeAt(p)) p++;
  return p;
}

/** The end of the valid label name starting at `p` (`[a-zA-Z_][a-zA-Z0-9_]*`); `p` when there is none. */
function labelNameEnd(s: string, p: number): number {
  const first = s.charCodeAt(p);
  if (!isLetter(first) && first !== 95) return p;
  p++;
  for (let c = s.charCodeAt(p); isLetter(c) || isDigit(c) || c === 95; c = s.charCodeAt(p)) p++;
  return p;
}

function isLabelNameDelimiter(c: number): boolean {
  return isBlank(c) || c === EQUALS || c === COMMA || c === OPEN_BRACE || c === CLOSE_BRACE || c === QUOTE;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
