// What one family recorded since its last flush: deltas keyed by series, series to remove, and whether the
// whole family was reset. Taking them is synchronous, so requests sharing an isolate never lose or
// double-count an update.

import { type Sketch, sketchData } from "../../protocol/sketch.ts";
import type { FamilyDefinition, FamilyPush, Labels, SeriesDelta, SummaryDelta } from "../../protocol/wire.ts";

/** A summary delta while it is being recorded: its sketch is still the mutable form. */
export type PendingSummary = Omit<SummaryDelta, "sketch"> & { sketch?: Sketch };

/** How a registry sends a family: its definition as sent (prefixed name, default label names), the labels it adds. */
export interface SentAs {
  definition: FamilyDefinition;
  labels: Labels;
}

export class PendingFamily {
  series = new Map<string, SeriesDelta | PendingSummary>();
  removals = new Map<string, Labels>();
  resetAll = false;

  /** `definition`: the family's, as its metrics declare it. */
  constructor(readonly definition: FamilyDefinition) {}

  /** Takes everything pending and clears it, as `sent` says to send it; undefined when nothing is pending. */
  take({ definition, labels }: SentAs): FamilyPush | undefined {
    const { series, removals, resetAll } = this;
    if (series.size + removals.size === 0 && !resetAll) return undefined;
    this.series = new Map();
    this.removals = new Map();
    this.resetAll = false;
    const add = (own: Labels) => ({ ...own, ...labels });
    const remove = [...removals.values()].map(add);
    return {
      ...definition,
      ...(resetAll ? { reset: true } : {}),
      ...(remove.length > 0 ? { remove } : {}),
      series: [...series.values()].map((pending) => {
        // A summary's sketch travels as plain data.
        const { sketch, ...delta } = pending as PendingSummary;
        return { ...delta, labels: add(delta.labels), ...(sketch ? { sketch: sketchData(sketch) } : {}) };
      }),
    };
  }
}
