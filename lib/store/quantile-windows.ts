// A summary series' sketches by time window: observations land in the window of their arrival; quantiles
// merge the windows of the last maxAgeSeconds (ageBuckets windows). Without maxAgeSeconds one window holds all.

import { mergeSketchData, type SketchData, sketchQuantile } from "../protocol/sketch.ts";
import type { FamilyDefinition } from "../protocol/wire.ts";

/** Sketches by window index (a string key, as JSON objects have). */
export type SketchWindows = Record<string, SketchData>;

function windowIndex(definition: FamilyDefinition, nowMs: number): number {
  const maxAge = definition.maxAgeSeconds ?? 0;
  if (maxAge <= 0) return 0;
  return Math.floor(nowMs / ((maxAge * 1000) / (definition.ageBuckets ?? 1)));
}

/** The windows still inside maxAgeSeconds at `nowMs`. */
function live(windows: SketchWindows, definition: FamilyDefinition, nowMs: number): SketchWindows {
  const current = windowIndex(definition, nowMs);
  const oldest = current - (definition.ageBuckets ?? 1) + 1;
  return Object.fromEntries(Object.entries(windows).filter(([w]) => Number(w) >= oldest && Number(w) <= current));
}

/** Adds a sketch to the window of `nowMs`, dropping windows that aged out. */
export function addToWindows(
  windows: SketchWindows | undefined,
  definition: FamilyDefinition,
  sketch: SketchData,
  nowMs: number,
): SketchWindows {
  const kept = live(windows ?? {}, definition, nowMs);
  const key = String(windowIndex(definition, nowMs));
  return { ...kept, [key]: mergeSketchData(kept[key], sketch) };
}

/** The configured quantiles over the live windows; NaN where no observation is live. */
export function windowQuantiles(
  windows: SketchWindows | undefined,
  definition: FamilyDefinition,
  nowMs: number,
): number[][] {
  const merged = Object.values(live(windows ?? {}, definition, nowMs)).reduce<SketchData | undefined>(
    (acc, s) => mergeSketchData(acc, s),
    undefined,
  );
  return (definition.percentiles ?? []).map((q) => [q, merged ? sketchQuantile(merged, q) : Number.NaN]);
}
