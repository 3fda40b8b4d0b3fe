// The identity of a series inside its family: its label values in labelNames order, trailing empty values left out,
// as one string. Storage keys series by it and reads labels back from it; this module is the only one that knows its
// format. Leaving trailing empty values out keeps every key when a family's label names grow at the end (a label a
// series lacks is the empty string, as Prometheus reads it).

import type { Labels } from "./wire.ts";

/**
 * The key of a list of values, in the one encoding every series key uses: a JSON array, trailing empty values left
 * out. (The text parser keys a sample by its name and label pairs with it too.)
 * @example keyOf(["/", "200", ""]); // '["/","200"]'
 */
export function keyOf(values: readonly string[]): string {
  let end = values.length;
  while (end > 0 && values[end - 1] === "") end--;
  return JSON.stringify(end === values.length ? values : values.slice(0, end));
}

/**
 * The key of the series with `labels` (a missing label is the empty string, as Prometheus treats it).
 * @example seriesKey(["route", "code"], { route: "/", code: "200" }); // '["/","200"]'
 * seriesKey(["route", "code"], { route: "/" }); // '["/"]'
 */
export function seriesKey(labelNames: readonly string[], labels: Labels): string {
  return keyOf(labelNames.map((n) => labels[n] ?? ""));
}

/**
 * Keys in the order storage keeps them: SQLite compares the UTF-8 bytes, which is code point order. JavaScript's `<`
 * compares UTF-16 code units and puts a character past U+FFFF (a surrogate pair) before U+E000–U+FFFF, so a reader
 * that walks pages in key order compares with this.
 * @example compareKeys('["\u{1F600}"]', '["\uFF01"]') > 0; // true, where '["\u{1F600}"]' < '["\uFF01"]'
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length - b.length;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  // Where both are at or past U+D800, surrogates (a code point past U+FFFF) sort after U+E000–U+FFFF.
  return x >= 0xd800 && y >= 0xd800 ? codePointRank(x) - codePointRank(y) : x - y;
}

function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** The labels a key stands for (the inverse of `seriesKey`). */
export function labelsOfKey(labelNames: readonly string[], key: string): Labels {
  const values = JSON.parse(key) as string[];
  const labels: Labels = {};
  labelNames.forEach((name, i) => {
    labels[name] = values[i] ?? "";
  });
  return labels;
}

/** A key stored by an older version (which kept trailing empty values) in today's form. */
export function canonicalKey(key: string): string {
  return keyOf(JSON.parse(key) as string[]);
}
