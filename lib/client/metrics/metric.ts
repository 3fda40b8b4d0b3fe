// The base every metric type shares: options, the definition check, registration, label resolution, recording
// into the pending deltas of the registry the metric belongs to, and prom-client's `collect` and `get()` shapes.

import { checkDefinition } from "../../protocol/definition.ts";
import { exemplarOf, exemplarProblem } from "../../protocol/exemplars.ts";
import { DEFAULT_LIMITS } from "../../protocol/limits.ts";
import { declaredWithoutTotal } from "../../protocol/names.ts";
import { Invalid } from "../../protocol/refusal.ts";
import { keyOf } from "../../protocol/series-key.ts";
import { describeValue, labelValueProblem, seriesLabelsProblem } from "../../protocol/validation.ts";
import type { Exemplar, FamilyDefinition, Labels, MetricType, SeriesSnapshot } from "../../protocol/wire.ts";
import { definitionError, notANumber, undeclaredLabel } from "../errors.ts";
import { type Registry, register } from "../registry.ts";
import { type PendingDelta, PendingFamily } from "./pending-family.ts";

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
  /** A histogram bucket's latest exemplar, as prom-client's (null when it has none). */
  exemplar?: { labelSet: Labels; value: number; timestamp: number } | null;
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
  /**
   * As prom-client's: counters and histograms then take `inc({ labels, value, exemplarLabels })` and
   * `observe({ labels, value, exemplarLabels })`, and keep the latest exemplar per series (per bucket), which the
   * OpenMetrics scrape shows. Other types ignore it, as prom-client's do.
   */
  enableExemplars?: boolean;
}

/** prom-client's exemplar form of `inc` and `observe`, taken when a metric enables exemplars. */
export interface WithExemplar<T extends string> {
  labels?: LabelValues<T>;
  value?: number;
  exemplarLabels?: Record<string, string | number>;
}

/** The type-specific parts of a definition a subclass hands to the base constructor. */
export type TypeOptions = Partial<
  Pick<FamilyDefinition, "buckets" | "native" | "merge" | "percentiles" | "maxAgeSeconds" | "ageBuckets">
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
  /** Whether `inc`/`observe` take prom-client's exemplar form (counters and histograms). */
  readonly enableExemplars: boolean;
  /** The pending deltas of the registry this metric records into; none until registered. */
  protected pending: PendingFamily | undefined;
  /** The registry this metric belongs to, if any. */
  registry: Registry | undefined;
  /** The family definition, checked and canonical. */
  readonly #family: FamilyDefinition;
  /** Series keys by label values, a level per label name (see `series`). */
  #keys: KeyTree = new Map();
  #keyCount = 0;
  readonly #collect: CollectFunction<unknown> | undefined;

  /**
   * Checks the definition (the same check the server runs on every push) and registers the metric with
   * `config.registers` (default: the global `register`), so every metric records from the moment it exists.
   */
  protected constructor(config: MetricConfiguration<T>, type: MetricType, options: TypeOptions = {}) {
    // prom-client's words where it throws too (see errors.ts).
    if (typeof config !== "object" || config === null) throw new TypeError("constructor expected a config object");
    const { name, help, collect, labelNames = [] } = config;
    if (!help) throw new TypeError("Missing mandatory help parameter");
    if (collect !== undefined && typeof collect !== "function")
      throw new TypeError('Optional "collect" parameter must be a function');
    try {
      const { ttlSeconds, shards } = config;
      this.#family = checkDefinition(
        {
          name,
          type,
          help,
          labelNames,
          ...options,
          ...(declaredWithoutTotal(type, name) ? { withoutTotal: true } : {}),
          ttlSeconds,
          shards,
        },
        DEFAULT_LIMITS,
        [],
      );
    } catch (error) {
      throw error instanceof Invalid ? definitionError({ name, help, labelNames }, type, error.refusal) : error;
    }
    this.type = type;
    this.name = name;
    this.help = help;
    this.labelNames = this.#family.labelNames as T[];
    this.ttlSeconds = config.ttlSeconds;
    this.enableExemplars = config.enableExemplars === true;
    this.#collect = collect as CollectFunction<unknown> | undefined;
    // In no registry a metric records on its own, as prom-client's does: `get()` shows it; nothing pushes it.
    this.pending = new PendingFamily(this.#family);
    for (const registry of config.registers ?? [register]) registry.registerMetric(this);
  }

  /**
   * As prom-client's `get()`: this process's values, in prom-client's shape (each metric type says what they are).
   * By default one value per series, as a counter's or a gauge's.
   */
  get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    return this.collected((s, labels) => [{ labels, value: s.value ?? 0 }]);
  }

  /** The family this metric records into: its canonical definition. */
  definition(): FamilyDefinition {
    return structuredClone(this.#family);
  }

  /** Deletes the series with these labels from the store on the next flush (and drops what is pending for it). */
  remove(labels?: LabelValues<T>): void;
  remove(...values: (string | number)[]): void;
  remove(...args: [LabelValues<T>?] | (string | number)[]): void {
    const { key, values } = this.childRef(args);
    this.pending?.remove(key, this.#labels(values));
  }

  /** Deletes every series of this metric from the store on the next flush (and drops everything pending). */
  reset(): void {
    this.pending?.reset();
  }

  /** Whether this metric has a `collect` callback. */
  get hasCollect(): boolean {
    return this.#collect !== undefined;
  }

  /**
   * Runs the `collect` callback, if any, with `this` the metric; resolves once it settled, rejects if it threw or
   * rejected. A registry calls it before each flush.
   */
  async runCollect(): Promise<void> {
    await this.#collect?.call(this);
  }

  /** @internal Called by a registry: from now on record into `pending` (none: record nowhere). */
  attach(registry: Registry | undefined, pending: PendingFamily | undefined): void {
    this.registry = registry;
    this.pending = pending;
  }

  /** @internal Called by a registry on removal: record on its own again (shown by `get()`, never pushed). */
  detach(): void {
    this.attach(undefined, new PendingFamily(this.#family));
  }

  /**
   * Resolves label values to a series; throws on unknown names. Its key is the series key the store uses (the one
   * encoding, `keyOf`), made once per label values and found again through a tree of the values (one map lookup per
   * label, no string built on the hot path); labels are materialised only when a series is first recorded.
   */
  protected series(values: LabelValues<T> | undefined): SeriesRef {
    const names = this.labelNames;
    for (const name in values) {
      if (!names.includes(name as T)) throw undeclaredLabel(name, names);
    }
    if (this.#keyCount > MAX_CACHED_KEYS) {
      this.#keys = new Map();
      this.#keyCount = 0;
    }
    const last = names.length - 1;
    let node = this.#keys;
    for (let i = 0; i < last; i++) {
      const text = labelText(values?.[names[i] as T]);
      let next = node.get(text) as KeyTree | undefined;
      if (!next) {
        next = new Map();
        node.set(text, next);
      }
      node = next;
    }
    const text = last < 0 ? "" : labelText(values?.[names[last] as T]);
    let key = node.get(text) as string | undefined;
    if (key === undefined) {
      key = keyOf(names.map((name) => labelText(values?.[name])));
      node.set(text, key);
      this.#keyCount++;
    }
    return { key, values };
  }

  /**
   * Splits `inc`/`observe` arguments: prom-client's exemplar form (one object, when exemplars are enabled), or
   * `(labels?, value?)` / `(value?)`.
   */
  protected argsOf(
    a: LabelValues<T> | WithExemplar<T> | number | undefined,
    b: number | undefined,
    fallback: number,
  ): [LabelValues<T> | undefined, number, Record<string, string | number> | undefined] {
    if (this.enableExemplars && typeof a === "object" && a !== null && b === undefined) {
      const { labels, value = fallback, exemplarLabels } = a as WithExemplar<T>;
      return [labels, value, exemplarLabels];
    }
    const [labels, value] = splitArgs(a as LabelValues<T> | number | undefined, b, fallback);
    return [labels, value, undefined];
  }

  /** An exemplar recorded now in `slot` of this metric's series; throws a TypeError naming what is wrong. */
  protected exemplar(labels: Record<string, string | number>, value: number, slot: number): Exemplar {
    const exemplar = exemplarOf(
      Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k, String(v)])),
      value,
    );
    const problem = exemplarProblem(exemplar, this.#family, slot);
    if (problem) throw new TypeError(`metric ${describeValue(this.name)}: exemplar ${problem}`);
    return exemplar;
  }

  /** The complete label set of a series (every declared name, "" where no value was given), checked. */
  #labels(values: LabelValues<T> | undefined): Labels {
    const limits = this.registry?.limits ?? DEFAULT_LIMITS;
    const labels: Labels = {};
    for (const name of this.labelNames) {
      labels[name] = labelText(values?.[name]);
      const problem = labelValueProblem(labels[name], limits);
      if (problem) throw new TypeError(`metric ${describeValue(this.name)}: label ${describeValue(name)} ${problem}`);
    }
    const problem = seriesLabelsProblem(this.labelNames, labels, limits);
    if (problem) throw new TypeError(`metric ${describeValue(this.name)}: ${problem}`);
    return labels;
  }

  /** Resolves the arguments of `labels(...)` (and `remove`): one object, or values in labelNames order. */
  protected childRef(args: [LabelValues<T>?] | (string | number)[]): SeriesRef {
    const [first] = args;
    if (typeof first === "object" || first === undefined) return this.series(first ?? undefined);
    // As prom-client: values in labelNames order are one per label name.
    if (args.length !== this.labelNames.length)
      throw new TypeError(
        `Invalid number of arguments (${args.length}): "${args.join(", ")}" for label names (${this.labelNames.length}): "${this.labelNames.join(", ")}".`,
      );
    return this.series(Object.fromEntries(args.map((v, i) => [this.labelNames[i], v])) as LabelValues<T>);
  }

  /**
   * What `get()` resolves to, in prom-client's shape: runs `collect`, then `values` of each series as shown locally
   * (what this registry flushed since it started plus what is pending). A metric without labels always has its one
   * series (as in prom-client): an empty one when it recorded nothing.
   */
  protected async collected<V extends MetricValue<string>>(
    values: (series: SeriesSnapshot, labels: LabelValues<T>) => V[],
    aggregator: Aggregator = "sum",
  ): Promise<MetricObjectWithValues<V>> {
    await this.runCollect();
    let shown = this.pending?.shown() ?? [];
    if (shown.length === 0 && this.labelNames.length === 0) shown = [{ labels: {}, created: 0 }];
    const { name, help, type } = this;
    return {
      name,
      help,
      type,
      values: shown.flatMap((s) => values(s, { ...s.labels } as LabelValues<T>)),
      aggregator,
    };
  }

  /**
   * Applies `update` to the pending delta of `ref`, creating it with `create` first; nothing when unregistered.
   * A new series' label values are checked against the registry's limits (throws a TypeError naming the value).
   */
  protected record<D extends PendingDelta>(
    ref: SeriesRef,
    create: (labels: Labels) => D,
    update: (delta: D) => void,
  ): void {
    const family = this.pending;
    if (!family) return;
    let delta = family.series.get(ref.key) as D | undefined;
    if (!delta) {
      delta = create(this.#labels(ref.values));
      family.series.set(ref.key, delta);
      family.opened(ref.key);
    }
    update(delta);
  }
}

/** Label values to series keys, one level per label name; the last level holds the keys. */
type KeyTree = Map<string, KeyTree | string>;

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

/** Throws a TypeError in prom-client's words (`error`: of a value, or of a gauge's change) unless `value` is finite. */
export function assertFinite(value: unknown, error = notANumber): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw error(value);
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
