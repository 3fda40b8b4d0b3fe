// The identity of a series inside its family: its label values in labelNames order, as one string. Storage keys
// series by it and reads labels back from it; this module is the only one that knows its format.

import type { Labels } from "./wire.ts";

/**
 * The key of the series with `labels` (a missing label is the empty string, as Prometheus treats it).
 * @example seriesKey(["route", "code"], { route: "/", code: "200" }); // '["/","200"]'
 */
export function seriesKey(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((n) => labels[n] ?? ""));
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
