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
