// What one family recorded since its last flush: deltas keyed by series, series to remove, and whether the
// whole family was reset. Taking them is synchronous, so requests sharing an isolate never lose or
// double-count an update.

import { type Sketch, sketchData } from "../../protocol/sketch.ts";
import type { FamilyDefinition, FamilyPush, Labels, SeriesDelta, SummaryDelta } from "../../protocol/wire.ts";

/** A summary delta while it is being recorded: its sketch is still the mutable form. */
export type PendingSummary = Omit<SummaryDelta, "sketch"> & { sketch?: Sketch };

export class PendingFamily {
  series = new Map<string, SeriesDelta | PendingSummary>();
  removals = new Map<string, Labels>();
  resetAll = false;

  constructor(readonly definition: FamilyDefinition) {}

  /** Takes everything pending and clears it; undefined when nothing is pending. */
  take(): FamilyPush | undefined {
    if (this.series.size === 0 && this.removals.size === 0 && !this.resetAll) return undefined;
    const summary = this.definition.type === "summary";
    const series = [...this.series.values()].map((d) =>
      summary ? finishSummary(d as PendingSummary) : (d as SeriesDelta),
    );
    const remove = [...this.removals.values()];
    const reset = this.resetAll;
    this.series = new Map();
    this.removals = new Map();
    this.resetAll = false;
    return {
      ...this.definition,
      labelNames: [...this.definition.labelNames],
      ...(reset ? { reset: true } : {}),
      ...(remove.length > 0 ? { remove } : {}),
      series,
    };
  }
}

/** A summary delta in wire form: its sketch as plain data. */
function finishSummary({ sketch, ...rest }: PendingSummary): SummaryDelta {
  return sketch ? { ...rest, sketch: sketchData(sketch) } : rest;
}
