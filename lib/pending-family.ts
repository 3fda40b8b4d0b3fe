// The deltas recorded for one family since its last flush, keyed by series. Taking them is synchronous,
// so requests sharing an isolate never lose or double-count an update.

import type { FamilyBatch, FamilyDefinition, SeriesDelta } from "./wire.ts";

export class PendingFamily {
  series = new Map<string, SeriesDelta>();

  constructor(readonly definition: FamilyDefinition) {}

  /** Takes every pending delta and clears them; undefined when nothing is pending. */
  take(): FamilyBatch | undefined {
    if (this.series.size === 0) return undefined;
    const series = [...this.series.values()];
    this.series = new Map();
    return { ...this.definition, labelNames: [...this.definition.labelNames], series };
  }
}
