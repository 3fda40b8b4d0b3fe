// The base every metric type shares: options, the definition check, registration, label resolution, recording
// into the pending deltas of the registry the metric belongs to, and prom-client's `collect` and `get()` shapes.

import { checkDefinition } from "../../protocol/definition.ts";
import { DEFAULT_LIMITS } from "../../protocol/limits.ts";
import { Invalid } from "../../protocol/refusal.ts";
import { keyOf } from "../../protocol/series-key.ts";
import { describeValue, labelValueProblem, metricNameProblem, seriesLabelsProblem } from "../../protocol/validation.ts";
import type { FamilyDefinition, Labels, MetricType, SeriesDelta } from "../../protocol/wire.ts";
import { InvalidMetricError } from "../errors.ts";
import { type Registry, register } from "../registry.ts";
import type { PendingFamily, PendingSummary } from "./pending-family.ts";

/** Label values by name, as prom-client takes them: numbers are turned into strings. */
export type LabelValues<T extends string> = Partial<Record<T, string | number>>;

/**
 * prom-client's `collect` callback: `this` is the metric; may return a promise. Runs before every flush of the
 * metric's registry and at the start of `get()`.
 */
export type CollectFunction<M> = (this: M) => void | Promise<void>;

/** prom-client's aggregator names (how a Node cluster combines workers' values), reported by `get()`. */
export type Aggregator = "omit" | "sum" | "first" | "min" | "max" | "average";

/** One value of `get()`, as prom-client's MetricValue. */
export interface MetricValue<T extends string> {
  value: number;
  labels: LabelValues<T>;
}

/** One value of a histogram's or summary's `get()`: `metricName` names the sample (`_bucket`, `_sum`, `_count`). */
export interface MetricValueWithName<T extends string> extends MetricValue<T> {
  metricName?: string;
}

/** What `get()` resolves to, as prom-client's MetricObjectWithValues. */
export interface MetricObjectWithValues<V extends MetricValue<string>> {
  name: string;
  help: string;
  type: MetricType;
  values: V[];
  aggregator: Aggregator;
}

/** Options shared by every metric type, as in prom-client. */
export interface MetricConfiguration<T extends string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** Registries to record into; defaults to the global `register`. `[]` records nowhere until registered. */
  registers?: Registry[];
  /** Series not updated for this long disappear from the store (0 = never; default: the Worker's default). */
  ttlSeconds?: number;
  /**
   * Spread the family's pushes over this many Durable Objects (1–32, default 1), for a family written by more than
   * one object can serve (about 1,000 requests/s each). The scrape merges them.
   */
  shards?: number;
  /**
   * As prom-client's: called with `this` the metric before every flush of its registry, so a value read at flush
   * time (a gauge of queue depth, of memory in use) goes out with it. May be async: a registry runs every metric's
   * callback in parallel and awaits them all before it takes the pending deltas. One that throws or rejects is
   * reported through the registry's `onError` and the flush goes on. `get()` calls it too (as prom-client's does);
   * `take()` does not (it is synchronous). Each metric type narrows `this` to itself.
   * @example
   * new Gauge({ name: "queue_depth", help: "Items waiting.", collect() { this.set(queue.length); } });
   */
  collect?: CollectFunction<never>;
}

/** The type-specific parts of a definition a subclass hands to the base constructor. */
export type TypeOptions = Partial<
  Pick<FamilyDefinition, "buckets" | "merge" | "percentiles" | "maxAgeSeconds" | "ageBuckets">
>;

/** A resolved series: its key among the pending deltas and the label values it was named with. */
export interface SeriesRef {
  key: string;
  values: LabelValues<string> | undefined;
}

export abstract class Metric<T extends string = string> {
  /** The name as declared (a counter may end in `_total`). */
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  readonly ttlSeconds: number | undefined;
  readonly type: MetricType;
  /** The pending deltas of the registry this metric records into; none until registered. */
  protected pending: PendingFamily | undefined;
  /** The registry this metric belongs to, if any. */
  registry: Registry | undefined;
  /** The family definition, checked and canonical. */
  private readonly family: FamilyDefinition;
  private readonly labelSet: ReadonlySet<string>;
  /** Series keys by label values, a level per label name (see `series`). */
  private keys: KeyTree = new Map();
  private keyCount = 0;
  private readonly collector: CollectFunction<unknown> | undefined;

  /**
   * Checks the definition (the same check the server runs on every push) and registers the metric with
   * `config.registers` (default: the global `register`), so every metric records from the moment it exists.
   */
  protected constructor(config: MetricConfiguration<T>, type: MetricType, options: TypeOptions = {}) {
    if (typeof config !== "object" || config === null) throw new TypeError("metric options must be an object");
    const nameProblem = metricNameProblem(config.name, DEFAULT_LIMITS);
    if (nameProblem) throw new TypeError(`metric name ${nameProblem}`);
    if (typeof config.help !== "string" || config.help === "") {
      throw new TypeError(`metric ${describeValue(config.name)}: help must be a non-empty string`);
    }
    if (config.collect !== undefined && typeof config.collect !== "function")
      throw new TypeError(
        `metric ${describeValue(config.name)}: collect must be a function, got ${describeValue(config.collect)}`,
      );
    try {
      this.family = checkDefinition(
        {
          name: config.name,
          type,
          help: config.help,
          labelNames: config.labelNames ?? [],
          ...options,
          ttlSeconds: config.ttlSeconds,
          shards: config.shards,
        },
        DEFAULT_LIMITS,
        [],
      );
    } catch (error) {
      if (error instanceof Invalid) throw new InvalidMetricError(config.name, error.refusal);
      throw error;
    }
    this.type = type;
    this.name = config.name;
    this.help = config.help;
    this.labelNames = this.family.labelNames as T[];
    this.labelSet = new Set(this.labelNames);
    this.ttlSeconds = config.ttlSeconds;
    this.collector = config.collect as CollectFunction<unknown> | undefined;
    for (const registry of config.registers ?? [register]) registry.registerMetric(this);
  }

  /** The family this metric records into: its canonical definition. */
  definition(): FamilyDefinition {
    return structuredClone(this.family);
  }

  /** Deletes the series with these labels from the store on the next flush (and drops what is pending for it). */
  remove(labels?: LabelValues<T>): void;
  remove(...values: (string | number)[]): void;
  remove(...args: [LabelValues<T>?] | (string | number)[]): void {
    const ref =
      args.length === 0 || args[0] === undefined ? this.series(undefined) : this.childRef(args as [LabelValues<T>]);
    const labels = this.labelsOf(ref.values);
    this.checkLabelValues(labels);
    this.pending?.series.delete(ref.key);
    this.pending?.removals.set(ref.key, labels);
  }

  /** Deletes every series of this metric from the store on the next flush (and drops everything pending). */
  reset(): void {
    if (!this.pending) return;
    this.pending.series.clear();
    this.pending.removals.clear();
    this.pending.resetAll = true;
  }

  /** Whether this metric has a `collect` callback. */
  get hasCollect(): boolean {
    return this.collector !== undefined;
  }

  /**
   * Runs the `collect` callback, if any, with `this` the metric; resolves once it settled, rejects if it threw or
   * rejected. A registry calls it before each flush.
   */
  async runCollect(): Promise<void> {
    if (this.collector) await this.collector.call(this);
  }

  /** @internal Called by a registry: from now on record into `pending`. */
  attach(registry: Registry, pending: PendingFamily): void {
    this.registry = registry;
    this.pending = pending;
  }

  /** @internal Called by a registry on removal: record nowhere. */
  detach(): void {
    this.registry = undefined;
    this.pending = undefined;
  }

  /**
   * Resolves label values to a series; throws on unknown names. Its key is the series key the store uses (the one
   * encoding, `keyOf`), made once per label values and found again through a tree of the values (one map lookup per
   * label, no string built on the hot path); labels are materialised only when a series is first recorded.
   */
  protected series(values: LabelValues<T> | undefined): SeriesRef {
    if (values !== undefined) {
      for (const name in values) {
        if (!this.labelSet.has(name))
          throw new TypeError(
            `metric ${describeValue(this.name)}: unknown label ${describeValue(name)} (declared: ${describeValue(this.labelNames)})`,
          );
      }
    }
    const names = this.labelNames;
    if (names.length === 0) return { key: NO_LABELS_KEY, values };
    if (this.keyCount > MAX_CACHED_KEYS) this.forgetKeys();
    let node = this.keys;
    for (let i = 0; ; i++) {
      const v = values?.[names[i] as T];
      const text = v === undefined ? "" : typeof v === "string" ? v : String(v);
      if (i === names.length - 1) {
        let key = node.get(text) as string | undefined;
        if (key === undefined) {
          key = keyOf(names.map((name) => labelText(values?.[name as T])));
          node.set(text, key);
          this.keyCount++;
        }
        return { key, values };
      }
      let next = node.get(text) as KeyTree | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(text, next);
      }
      node = next;
    }
  }

  private forgetKeys(): void {
    this.keys = new Map();
    this.keyCount = 0;
  }

  private checkLabelValues(labels: Labels): void {
    const limits = this.registry?.limits ?? DEFAULT_LIMITS;
    for (const name of this.labelNames) {
      const problem = labelValueProblem(labels[name], limits);
      if (problem) throw new TypeError(`metric ${describeValue(this.name)}: label ${describeValue(name)} ${problem}`);
    }
    const problem = seriesLabelsProblem(this.labelNames, labels, limits);
    if (problem) throw new TypeError(`metric ${describeValue(this.name)}: ${problem}`);
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
        `metric ${describeValue(this.name)}: ${values.length} label values for ${this.labelNames.length} label names`,
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

  /**
   * For `get()`: runs `collect`, then returns the pending deltas. A metric without labels always has its one series
   * (as in prom-client): `empty` makes it when nothing is pending.
   */
  protected async pendingDeltas<D extends SeriesDelta | PendingSummary>(empty: (labels: Labels) => D): Promise<D[]> {
    await this.runCollect();
    const deltas = [...(this.pending?.series.values() ?? [])] as D[];
    if (deltas.length === 0 && this.labelNames.length === 0) return [empty({})];
    return deltas;
  }

  /** The object `get()` resolves to, in prom-client's shape. */
  protected metricObject<V extends MetricValue<string>>(
    values: V[],
    aggregator: Aggregator = "sum",
  ): MetricObjectWithValues<V> {
    return { name: this.name, help: this.help, type: this.type, values, aggregator };
  }

  /**
   * Applies `update` to the pending delta of `ref`, creating it with `create` first; nothing when unregistered.
   * A new series' label values are checked against the registry's limits (throws a TypeError naming the value).
   */
  protected record<D extends SeriesDelta | PendingSummary>(
    ref: SeriesRef,
    create: (labels: Labels) => D,
    update: (delta: D) => void,
  ): void {
    const pending = this.pending;
    if (!pending) return;
    let delta = pending.series.get(ref.key) as D | undefined;
    if (delta === undefined) {
      const labels = this.labelsOf(ref.values);
      this.checkLabelValues(labels);
      delta = create(labels);
      pending.series.set(ref.key, delta);
    }
    update(delta);
  }
}

/** Label values to series keys, one level per label name; the last level holds the keys. */
type KeyTree = Map<string, KeyTree | string>;

/** The key of the one series of a metric without labels. */
const NO_LABELS_KEY = keyOf([]);
/** Past this many cached keys, a metric forgets them (and makes them again as it meets them). */
const MAX_CACHED_KEYS = 10_000;

/** A label value as the series key holds it: a number as its string, a missing value empty. */
function labelText(value: string | number | undefined): string {
  return value === undefined ? "" : String(value);
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
    throw new TypeError(
      `metric ${describeValue(metric)}: ${what} must be a finite number, got ${describeValue(value)}`,
    );
}

/**
 * `a + b`, unless the sum leaves the finite numbers: then a TypeError naming the metric (the server would refuse
 * the whole family's part, unrelated series included).
 */
export function finiteSum(metric: string, a: number, b: number): number {
  const sum = a + b;
  if (!Number.isFinite(sum))
    throw new TypeError(`metric ${describeValue(metric)}: the pending value would overflow (${a} + ${b})`);
  return sum;
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
