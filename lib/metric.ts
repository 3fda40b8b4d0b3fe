// The base every metric type shares: options, definition-time validation, label resolution,
// and recording into the pending deltas of the registry the metric belongs to.

import type { PendingFamily, PendingSummary } from "./pending-family.ts";
import type { Registry } from "./registry.ts";
import { familyName, labelNameProblem, metricNameProblem, show } from "./validation.ts";
import type { FamilyDefinition, Labels, MetricType, SeriesDelta } from "./wire.ts";
import { labelKey } from "./wire-check.ts";

/** Label values by name, as prom-client takes them: numbers are turned into strings. */
export type LabelValues<T extends string> = Partial<Record<T, string | number>>;

/** Options shared by every metric type, as in prom-client. */
export interface MetricConfiguration<T extends string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** Registries to record into; defaults to the global `register`. `[]` records nowhere until registered. */
  registers?: Registry[];
  /** Series not updated for this long disappear from the store (0 = never; default: the Worker's default). */
  ttlSeconds?: number;
}

/** A resolved series: its key among the pending deltas and the label values it was named with. */
export interface SeriesRef {
  key: string;
  values: LabelValues<string> | undefined;
}

export abstract class Metric<T extends string = string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  readonly ttlSeconds: number | undefined;
  abstract readonly type: MetricType;
  /** The pending deltas of the registry this metric records into; none until registered. */
  protected store: PendingFamily | undefined;
  /** The registry this metric belongs to, if any. */
  registry: Registry | undefined;
  private readonly labelSet: ReadonlySet<string>;

  protected constructor(config: MetricConfiguration<T>, type: MetricType) {
    if (typeof config !== "object" || config === null) throw new TypeError("metric options must be an object");
    const nameProblem = metricNameProblem(config.name);
    if (nameProblem) throw new TypeError(`metric name ${nameProblem}`);
    if (typeof config.help !== "string" || config.help === "")
      throw new TypeError(`metric ${show(config.name)}: help must be a non-empty string`);
    const labelNames = [...(config.labelNames ?? [])];
    labelNames.forEach((l, i) => {
      const problem = labelNameProblem(l, type);
      if (problem) throw new TypeError(`metric ${show(config.name)}: label name ${problem}`);
      if (labelNames.indexOf(l) !== i)
        throw new TypeError(`metric ${show(config.name)}: label name ${show(l)} appears twice`);
    });
    this.name = config.name;
    this.help = config.help;
    this.labelNames = labelNames;
    this.labelSet = new Set(labelNames);
    if (config.ttlSeconds !== undefined && !(Number.isInteger(config.ttlSeconds) && config.ttlSeconds >= 0)) {
      throw new TypeError(
        `metric ${show(config.name)}: ttlSeconds must be a non-negative integer, got ${show(config.ttlSeconds)}`,
      );
    }
    this.ttlSeconds = config.ttlSeconds;
    if (metricNameProblem(familyName(type, config.name)))
      throw new TypeError(`metric name ${show(config.name)} leaves no valid family name once "_total" is removed`);
  }

  /** Registers with the configured registries; called by subclasses once fully constructed. */
  protected registerWith(config: MetricConfiguration<T>, defaultRegistry: Registry): void {
    for (const registry of config.registers ?? [defaultRegistry]) registry.registerMetric(this);
  }

  /** What identifies this metric's family in the store. */
  definition(): FamilyDefinition {
    return {
      name: familyName(this.type, this.name),
      type: this.type,
      help: this.help,
      labelNames: [...this.labelNames],
      ...(this.ttlSeconds !== undefined ? { ttlSeconds: this.ttlSeconds } : {}),
    };
  }

  /** Deletes the series with these labels from the store on the next flush (and drops what is pending for it). */
  remove(labels?: LabelValues<T>): void;
  remove(...values: (string | number)[]): void;
  remove(...args: [LabelValues<T>?] | (string | number)[]): void {
    const ref =
      args.length === 0 || args[0] === undefined ? this.series(undefined) : this.childRef(args as [LabelValues<T>]);
    this.store?.series.delete(ref.key);
    this.store?.removals.set(ref.key, this.labelsOf(ref.values));
  }

  /** Deletes every series of this metric from the store on the next flush (and drops everything pending). */
  reset(): void {
    if (!this.store) return;
    this.store.series.clear();
    this.store.removals.clear();
    this.store.resetAll = true;
  }

  /** @internal Called by a registry: from now on record into `store`. */
  attach(registry: Registry, store: PendingFamily): void {
    this.registry = registry;
    this.store = store;
  }

  /** @internal Called by a registry on removal: record nowhere. */
  detach(): void {
    this.registry = undefined;
    this.store = undefined;
  }

  /**
   * Resolves label values to a series; throws on unknown names. The key is cheap to build (values joined by
   * U+0001, prefixed "|"); a value that itself holds U+0001 falls back to a JSON key (prefixed "["), so keys
   * never collide. Labels are materialised only when a series is first recorded.
   */
  protected series(values: LabelValues<T> | undefined): SeriesRef {
    if (values !== undefined) {
      for (const name in values) {
        if (!this.labelSet.has(name))
          throw new TypeError(
            `metric ${show(this.name)}: unknown label ${show(name)} (declared: ${show(this.labelNames)})`,
          );
      }
    }
    const names = this.labelNames;
    let key = "|";
    for (let i = 0; i < names.length; i++) {
      const v = values?.[names[i] as T];
      const text = v === undefined ? "" : typeof v === "string" ? v : String(v);
      if (text.includes("\u0001")) return { key: labelKey(names, this.labelsOf(values)), values };
      key += i === 0 ? text : `\u0001${text}`;
    }
    return { key, values };
  }

  /** The complete label set of a series: every declared name, "" where no value was given. */
  protected labelsOf(values: LabelValues<T> | undefined): Labels {
    const labels: Labels = {};
    for (const name of this.labelNames) {
      const v = values?.[name];
      labels[name] = v === undefined ? "" : String(v);
    }
    return labels;
  }

  protected positional(values: (string | number)[]): LabelValues<T> {
    if (values.length > this.labelNames.length)
      throw new TypeError(
        `metric ${show(this.name)}: ${values.length} label values for ${this.labelNames.length} label names`,
      );
    const out: LabelValues<T> = {};
    values.forEach((v, i) => {
      out[this.labelNames[i] as T] = v;
    });
    return out;
  }

  /** Resolves the arguments of `labels(...)`: one object, or values in labelNames order. */
  protected childRef(args: [LabelValues<T>] | (string | number)[]): SeriesRef {
    const first = args[0];
    return this.series(
      typeof first === "object" && first !== null ? first : this.positional(args as (string | number)[]),
    );
  }

  /** Applies `update` to the pending delta of `ref`, creating it with `create` first; nothing when unregistered. */
  protected record<D extends SeriesDelta | PendingSummary>(
    ref: SeriesRef,
    create: (labels: Labels) => D,
    update: (delta: D) => void,
  ): void {
    const store = this.store;
    if (!store) return;
    let delta = store.series.get(ref.key) as D | undefined;
    if (delta === undefined) {
      delta = create(this.labelsOf(ref.values));
      store.series.set(ref.key, delta);
    }
    update(delta);
  }
}

/** Splits prom-client style arguments `(labels?, value?)` or `(value?)`. */
export function splitArgs<T extends string>(
  a: LabelValues<T> | number | undefined,
  b: number | undefined,
  fallback: number,
): [LabelValues<T> | undefined, number] {
  if (typeof a === "object" && a !== null) return [a, b ?? fallback];
  return [undefined, a ?? fallback];
}

/** Throws a TypeError naming the metric unless `value` is a finite number. */
export function assertFinite(metric: string, what: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new TypeError(`metric ${show(metric)}: ${what} must be a finite number, got ${show(value)}`);
}

/** Starts a timer; the returned function hands the elapsed seconds (and any end labels) to `stop` and returns them. */
export function timer<L>(stop: (seconds: number, endLabels?: L) => void): (endLabels?: L) => number {
  const start = performance.now();
  return (endLabels) => {
    const seconds = (performance.now() - start) / 1000;
    stop(seconds, endLabels);
    return seconds;
  };
}
