// What one family recorded since its last flush: deltas keyed by series, series to remove, and whether the
// whole family was reset. Taking them is synchronous, so requests sharing an isolate never lose or
// double-count an update. What was taken is added to the family's totals, so the family can be shown locally
// (prom-client's `get()` and `metrics()`): totals plus what is pending.

import { familyName } from "../../protocol/names.ts";
import { type NativeAccumulator, nativeData } from "../../protocol/native-histogram.ts";
import { type Sketch, sketchData } from "../../protocol/sketch.ts";
import type {
  FamilyDefinition,
  FamilyPush,
  HistogramDelta,
  Labels,
  SeriesDelta,
  SeriesSnapshot,
  SummaryDelta,
} from "../../protocol/wire.ts";
import { FamilyTotals } from "../totals.ts";

/** A summary delta while it is being recorded: its sketch is still the mutable form. */
export type PendingSummary = Omit<SummaryDelta, "sketch"> & { sketch?: Sketch };

/** A native histogram's delta while it is being recorded: its buckets are still the mutable form. */
export type PendingHistogram = Omit<HistogramDelta, "native"> & { native?: NativeAccumulator };

/** A delta while it is being recorded. */
export type PendingDelta = SeriesDelta | PendingSummary | PendingHistogram;

/** How a registry sends a family: its definition as sent (prefixed name, default label names), the labels it adds. */
export interface SentAs {
  definition: FamilyDefinition;
  labels: Labels;
}

export class PendingFamily {
  series = new Map<string, PendingDelta>();
  removals = new Map<string, Labels>();
  resetAll = false;
  /** What this family has flushed, added up per series since the registry started (or the series was removed). */
  readonly totals: FamilyTotals;
  /** When each series pending for the first time was first recorded, in seconds (its `created`). */
  readonly #born = new Map<string, number>();

  /** `definition`: the family's, as its metrics declare it. */
  constructor(readonly definition: FamilyDefinition) {
    this.totals = new FamilyTotals({ ...definition, name: familyName(definition.type, definition.name) });
  }

  /** Notes that the series `key` was just recorded into for this flush; the first time ever is its creation. */
  opened(key: string): void {
    if (!this.totals.has(key) && !this.#born.has(key)) this.#born.set(key, Date.now() / 1000);
  }

  /** Drops the series `key`: nothing pending for it, not shown, deleted from the store on the next flush. */
  remove(key: string, labels: Labels): void {
    this.series.delete(key);
    this.totals.remove(key);
    this.#born.delete(key);
    this.removals.set(key, labels);
  }

  /** Drops every series: nothing pending, nothing shown, every series deleted from the store on the next flush. */
  reset(): void {
    this.series.clear();
    this.removals.clear();
    this.totals.clear();
    this.#born.clear();
    this.resetAll = true;
  }

  /** The family's series as shown locally: what was flushed plus what is pending, summaries with quantiles. */
  shown(): SeriesSnapshot[] {
    const view = this.totals.copy();
    for (const [key, pending] of this.series) view.add(key, plain(pending), this.#born.get(key));
    return view.snapshot(undefined, true);
  }

  /** Takes everything pending and clears it, as `sent` says to send it; undefined when nothing is pending. */
  take({ definition, labels }: SentAs): FamilyPush | undefined {
    const { series, removals, resetAll } = this;
    if (series.size + removals.size === 0 && !resetAll) return undefined;
    this.series = new Map();
    this.removals = new Map();
    this.resetAll = false;
    const add = (own: Labels) => ({ ...own, ...labels });
    const remove = [...removals.values()].map(add);
    const deltas: SeriesDelta[] = [];
    for (const [key, pending] of series) {
      const delta = plain(pending);
      this.totals.add(key, delta, this.#born.get(key));
      this.#born.delete(key);
      deltas.push({ ...delta, labels: add(delta.labels) });
    }
    return {
      ...definition,
      ...(resetAll ? { reset: true } : {}),
      ...(remove.length > 0 ? { remove } : {}),
      series: deltas,
    };
  }
}

/** A pending delta as plain data: a summary's sketch and a native histogram's buckets travel so. */
function plain(pending: PendingDelta): SeriesDelta {
  const { sketch, native, ...rest } = pending as PendingSummary & PendingHistogram;
  if (sketch) return { ...rest, sketch: sketchData(sketch) } as SummaryDelta;
  if (native) return { ...rest, native: nativeData(native) } as HistogramDelta;
  return pending as SeriesDelta;
}
