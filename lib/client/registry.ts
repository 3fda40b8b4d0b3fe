// The registry: prom-client's Registry surface (register metrics and custom collectors, look up, remove, reset,
// default labels, render with the server's encoder, merge) over the metrics' pending deltas and totals, plus `flush`,
// which runs the `collect` callbacks and reads the collectors, takes everything pending and hands it to the delivery
// pipeline; prom-client's content-type constants.

import { checkDefinition, definitionDifference } from "../protocol/definition.ts";
import {
  type ExpositionFormat,
  encode,
  familyHeader,
  OPENMETRICS_CONTENT_TYPE,
  seriesLines,
  shownDefinition,
  TEXT_CONTENT_TYPE,
} from "../protocol/exposition.ts";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.ts";
import {
  declaredFamily,
  declaredWithoutTotal,
  familyName,
  pushedName,
  reservedNameProblem,
  sampleNames,
} from "../protocol/names.ts";
import { Invalid } from "../protocol/refusal.ts";
import { errorMessage } from "../protocol/retry.ts";
import { seriesKey } from "../protocol/series-key.ts";
import type { Transport } from "../protocol/transport.ts";
import {
  describeValue,
  labelNameProblem,
  labelValueProblem,
  METRIC_TYPES,
  metricNameProblem,
} from "../protocol/validation.ts";
import type { FamilyDefinition, FamilySnapshot, Labels, MetricType, Push, SeriesSnapshot } from "../protocol/wire.ts";
import { CollectedFamily, type Collector, type Reading } from "./collector.ts";
import { DeliveryPipeline, type DeliveryStats, type FlushResult } from "./delivery/delivery-pipeline.ts";
import { FlushCoalescer } from "./delivery/flush-coalescer.ts";
import { splitIntoPushes } from "./delivery/split-into-pushes.ts";
import { InvalidMetricError } from "./errors.ts";
import type { Metric, MetricObjectWithValues, MetricValue } from "./metrics/metric.ts";
import { PendingFamily, type SentAs } from "./metrics/pending-family.ts";

export type { FlushResult } from "./delivery/delivery-pipeline.ts";

export interface RegistryOptions {
  /** Used by `flush()` when no transport is passed. */
  transport?: Transport;
  /**
   * Series kept for retry after failed deliveries. Past it the oldest undelivered pushes are dropped and
   * counted in `stats.droppedSeries`. Default 10,000.
   */
  maxRetainedSeries?: number;
  /**
   * How long an undelivered push is kept for retry (default 30 minutes). Keep it below the server's
   * PUSH_ID_RETENTION_SECONDS (an hour by default): a replay after the server forgot the push id would count again.
   */
  maxRetainedAgeMs?: number;
  /** Told about every rejected or dropped delivery. Default: console.error. */
  onError?: (message: string) => void;
  /** A namespace put before every family name this registry sends, e.g. "myapp_". */
  prefix?: string;
  /** Labels added to every series this registry sends (a metric's own label of the same name wins). */
  defaultLabels?: Record<string, string | number>;
  /**
   * The server's limits, where its operator changed them (the `MAX_*` Worker vars): definitions are checked and
   * pushes split by them. Default: the server's defaults. A 413 naming a lower size limit lowers it here too.
   */
  limits?: Partial<Limits>;
  /** @internal Family names under the reserved prefix this registry may send (the Worker's own metrics). */
  reservedFamilies?: readonly string[];
}

export interface RegistryStats extends DeliveryStats {}

export interface FlushSoonOptions {
  /** How long the first request of a window waits for others to join its flush. Default 5,000 ms. */
  maxDelayMs?: number;
}

/**
 * The text content type, under prom-client's name (prom-client's `prometheusContentType`): the versioned
 * `text/plain; version=0.0.4; charset=utf-8` that the scrape serves.
 */
export const prometheusContentType = TEXT_CONTENT_TYPE;
/**
 * The OpenMetrics content type, under prom-client's name (prom-client's `openMetricsContentType`): the versioned
 * `application/openmetrics-text; version=1.0.0; charset=utf-8` that the scrape serves.
 */
export const openMetricsContentType = OPENMETRICS_CONTENT_TYPE;
/** Either content type a registry can be told it is exposed in, as prom-client's RegistryContentType. */
export type RegistryContentType = typeof TEXT_CONTENT_TYPE | typeof OPENMETRICS_CONTENT_TYPE;

/** The default window of `flushSoon`: well inside the 30 s a Worker's waitUntil may run after its response. */
export const DEFAULT_FLUSH_DELAY_MS = 5_000;

/**
 * A family this registry records: its pending deltas, its metrics (or the custom collector that fills it), and how
 * this registry sends it.
 */
interface Entry {
  pending: PendingFamily;
  metrics: Metric[];
  sent: SentAs;
  collected?: CollectedFamily;
}

/** A metric or a custom collector, as `registerMetric` takes them and `getMetricsAsArray` lists them. */
export type Registered = Metric | Collector;

/**
 * Holds metrics and their pending deltas; `flush()` sends them. Like prom-client's Registry, plus `flush`.
 * @example
 * const registry = new Registry();
 * const jobs = new Counter({ name: "jobs_total", help: "Jobs.", registers: [registry] });
 * jobs.inc();
 * ctx.waitUntil(registry.flush(new DurableObjectTransport(env.METRICS_FAMILY)));
 */
export class Registry {
  /** The text content type the scrape serves, as prom-client's `Registry.PROMETHEUS_CONTENT_TYPE`. */
  static readonly PROMETHEUS_CONTENT_TYPE = TEXT_CONTENT_TYPE;
  /** The OpenMetrics content type the scrape serves, as prom-client's `Registry.OPENMETRICS_CONTENT_TYPE`. */
  static readonly OPENMETRICS_CONTENT_TYPE = OPENMETRICS_CONTENT_TYPE;

  /** What definitions are checked against and pushes split by (the size limits may be lowered by a 413). */
  readonly limits: Limits;
  /** The families, by family name. */
  readonly #entries = new Map<string, Entry>();
  /** The custom collectors, in the order they were registered (each has an entry once it was first read). */
  #collectors: CollectedFamily[] = [];
  readonly #delivery: DeliveryPipeline;
  readonly #coalescer = new FlushCoalescer();
  #transport: Transport | undefined;
  readonly #prefix: string;
  readonly #reserved: readonly string[];
  #defaultLabels: Labels = {};
  readonly #onError: (message: string) => void;
  #contentType: RegistryContentType = TEXT_CONTENT_TYPE;

  constructor(options: RegistryOptions | RegistryContentType = {}) {
    // prom-client's `new Registry(contentType)`.
    if (typeof options === "string") {
      this.setContentType(options);
      options = {};
    }
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#transport = options.transport;
    this.#prefix = options.prefix ?? "";
    this.#reserved = options.reservedFamilies ?? [];
    if (this.#prefix && metricNameProblem(`${this.#prefix}x`, this.limits))
      throw new TypeError(`registry prefix ${describeValue(this.#prefix)} does not start a valid metric name`);
    this.#onError = options.onError ?? ((m) => console.error(`prometheus-distributed-client: ${m}`));
    this.#delivery = new DeliveryPipeline({
      maxRetainedSeries: options.maxRetainedSeries ?? 10_000,
      maxRetainedAgeMs: options.maxRetainedAgeMs ?? 1_800_000,
      onError: this.#onError,
      limits: this.limits,
    });
    if (options.defaultLabels) this.setDefaultLabels(options.defaultLabels);
  }

  /**
   * Labels added to every series this registry sends, as prom-client's setDefaultLabels. A metric that declares a
   * label of the same name keeps its own. Changing them changes every family's labelNames (a 409 for families
   * already stored with other labels): set them once, at startup.
   * @example register.setDefaultLabels({ service: "checkout", region: "eu" });
   */
  setDefaultLabels(labels: Record<string, string | number>): void {
    const next: Labels = {};
    for (const [name, value] of Object.entries(labels)) {
      // A valid label name for every type (histograms reserve "le", summaries "quantile").
      const problem =
        labelNameProblem(name, "histogram", this.limits) ?? labelNameProblem(name, "summary", this.limits);
      const valueProblem = labelValueProblem(String(value), this.limits);
      if (problem || valueProblem)
        throw new TypeError(`default label ${problem ?? `${describeValue(name)}: value ${valueProblem}`}`);
      next[name] = String(value);
    }
    // Every registered family must stay valid with the new labels.
    const entries = [...this.#entries.values()];
    const sent = entries.map((entry) => this.#sent(entry.pending.definition, next));
    entries.forEach((entry, i) => {
      entry.sent = sent[i] as SentAs;
    });
    this.#defaultLabels = next;
  }

  /**
   * The content type set by `setContentType` (default: the text format), as prom-client's `register.contentType`:
   * the format `metrics()` renders.
   */
  get contentType(): RegistryContentType {
    return this.#contentType;
  }

  /**
   * As prom-client's: `Registry.PROMETHEUS_CONTENT_TYPE` or `Registry.OPENMETRICS_CONTENT_TYPE`; anything else
   * throws a TypeError. Ours are the versioned strings the scrape serves.
   * @example register.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
   */
  setContentType(contentType: RegistryContentType): void {
    if (contentType !== TEXT_CONTENT_TYPE && contentType !== OPENMETRICS_CONTENT_TYPE)
      throw new TypeError(`Content type ${contentType} is unsupported`);
    this.#contentType = contentType;
  }

  /** Deletes every series of every metric from the store on the next flush, as prom-client's resetMetrics. */
  resetMetrics(): void {
    for (const metric of this.#metrics()) metric.reset();
  }

  /**
   * Adds a metric (its constructor does this for the registries in `registers`). The same family registered
   * again must have the same definition; then both share one pending state. A different definition throws an
   * Error naming what differs (type, labelNames, buckets, merge policy, percentiles or quantile window), e.g.
   * `a metric named "jobs" is already registered with a different labelNames (["a"] vs ["b"])`. (prom-client throws
   * "A metric with the name X has already been registered." for any second registration; code that works with
   * prom-client never registers twice, so sharing an identical definition changes nothing for it.) A metric
   * belongs to one registry: its deltas must be flushed exactly once.
   *
   * Anything else with `name`, `help`, `type` and `get()` (sync or async) is a custom collector, as prom-client
   * takes them (prom-client's own metrics included): `metrics()` shows what its `get()` reports, and each flush
   * pushes it as the README's "Custom collectors" says (gauges set, counters and histograms as the difference since
   * the last flush, summaries as count and sum). A name already registered throws, as in prom-client.
   * @example
   * register.registerMetric({ name: "cache_entries", help: "Entries.", type: "gauge", get: () => ({ values: [{ value: cache.size }] }) });
   */
  registerMetric(metric: Registered): void {
    if (isOurs(metric)) this.#registerMetric(metric);
    else this.#registerCollector(metric);
  }

  #registerMetric(metric: Metric): void {
    const definition = metric.definition();
    const named = describeValue(metric.name);
    if (metric.registry && metric.registry !== this)
      throw new Error(`metric ${named} already belongs to another registry`);
    let entry = this.#entries.get(definition.name);
    if (entry) {
      const difference = definitionDifference(entry.pending.definition, definition);
      if (difference) throw new Error(`a metric named ${named} is already registered with a different ${difference}`);
      if (!entry.metrics.includes(metric)) entry.metrics.push(metric);
    } else {
      if (this.#collectors.some((c) => c.family === definition.name))
        throw new Error(`A metric with the name ${metric.name} has already been registered.`);
      this.#clashProblem(named, definition);
      entry = {
        pending: new PendingFamily(definition),
        metrics: [metric],
        sent: this.#sent(definition, this.#defaultLabels),
      };
      this.#entries.set(definition.name, entry);
    }
    metric.attach(this, entry.pending);
  }

  /** Throws when a family `definition` would expose a sample name another family here exposes. */
  #clashProblem(named: string, definition: Pick<FamilyDefinition, "name" | "type" | "withoutTotal">): void {
    // Two families claiming one sample name would be refused by the server on every flush (a counter `x_total` exposes
    // `x_total`, which a gauge `x_total` would too): the server's claims (names.ts `sampleNames`).
    const samples = sampleNames(definition.name, definition.type, definition.withoutTotal);
    const others = [
      ...[...this.#entries.values()].map((e) => ({
        ...e.pending.definition,
        by: e.metrics[0]?.name ?? e.collected?.name,
      })),
      ...this.#collectors.flatMap((c) => {
        const { type } = c.collector;
        const family = c.family;
        return family !== undefined && METRIC_TYPES.includes(type as MetricType)
          ? [
              {
                name: family,
                type: type as MetricType,
                withoutTotal: declaredWithoutTotal(type as MetricType, c.name),
                by: c.name,
              },
            ]
          : [];
      }),
    ];
    for (const other of others) {
      if (other.name === definition.name && other.type === definition.type) continue;
      const clash = sampleNames(other.name, other.type, other.withoutTotal).find((s) => samples.includes(s));
      if (clash)
        throw new Error(`metric ${named} would expose "${clash}", which ${describeValue(other.by)} already exposes`);
    }
  }

  #registerCollector(collector: Collector): void {
    if (typeof collector?.get !== "function") throw new TypeError("a custom collector needs a get() function");
    const collected = new CollectedFamily(collector);
    const { name, type } = collector;
    if (name !== undefined) {
      // As prom-client: one metric or collector per name.
      const family = collected.family;
      const taken = this.#collectors.some((c) => c.name === name || (family !== undefined && c.family === family));
      if (taken || (family !== undefined && this.#entries.has(family)))
        throw new Error(`A metric with the name ${name} has already been registered.`);
      if (family !== undefined && METRIC_TYPES.includes(type as MetricType))
        this.#clashProblem(describeValue(name), declaredFamily(type as MetricType, name));
    }
    this.#collectors.push(collected);
  }

  /** The metric or collector registered under `name`: its declared name, or else its family name. */
  getSingleMetric(name: string): Registered | undefined {
    const declared = [name, familyName("counter", name)].flatMap((n) => this.#entries.get(n)?.metrics ?? []);
    return (
      declared.find((m) => m.name === name) ??
      this.#collectors.find((c) => c.name === name)?.collector ??
      this.#entries.get(name)?.metrics[0] ??
      this.#collectors.find((c) => c.family === name)?.collector
    );
  }

  /** Every metric and custom collector, in the order they were registered (per family). */
  getMetricsAsArray(): Registered[] {
    return [...this.#metrics(), ...this.#collectors.map((c) => c.collector)];
  }

  #metrics(): Metric[] {
    return [...this.#entries.values()].flatMap((e) => e.metrics);
  }

  /** Forgets a metric (or collector) and its pending deltas. */
  removeSingleMetric(name: string): void {
    const found = this.getSingleMetric(name);
    if (!found) return;
    const collected = this.#collectors.find((c) => c.collector === found);
    const family = collected ? collected.family : (found as Metric).definition().name;
    if (family !== undefined) {
      for (const m of this.#entries.get(family)?.metrics ?? []) m.detach();
      this.#entries.delete(family);
    }
    this.#collectors = this.#collectors.filter((c) => c !== collected);
  }

  /** Forgets every metric, collector, pending delta and the default labels (not what is already stored), as prom-client's. */
  clear(): void {
    for (const { metrics } of this.#entries.values()) for (const m of metrics) m.detach();
    this.#entries.clear();
    this.#collectors = [];
    this.#delivery.clear();
    // As prom-client's clear: the default labels go too.
    this.#defaultLabels = {};
  }

  /**
   * This registry's metrics in the format of `contentType`, as prom-client's `metrics()`: what this process recorded
   * since the registry started (flushed or not) and what its collectors report now, prefixed and with the default
   * labels, rendered by the encoder the Worker's scrape uses (families sorted by name). Runs the `collect` callbacks
   * and reads the collectors first; one that fails is reported through `onError` and left out.
   * @example
   * return new Response(await register.metrics(), { headers: { "content-type": register.contentType } });
   */
  async metrics(): Promise<string> {
    await this.#collect();
    const families = [...this.#entries.values()].flatMap((entry) => this.#shown(entry) ?? []);
    return encode(families, this.#format());
  }

  /**
   * One family as `metrics()` renders it, as prom-client's: no `# EOF`, no newline after the last line; "" when no
   * metric or collector has that name.
   */
  async getSingleMetricAsString(name: string): Promise<string> {
    await this.#collect();
    const found = this.getSingleMetric(name);
    const collected = this.#collectors.find((c) => c.collector === found);
    const family = collected ? collected.family : (found as Metric | undefined)?.definition().name;
    const entry = family === undefined ? undefined : this.#entries.get(family);
    const shown = entry && this.#shown(entry);
    if (!shown) return "";
    const format = this.#format();
    // As in metrics(): a counter whose OpenMetrics name another family holds is written `unknown`.
    const names = new Map([...this.#entries].map(([f, e]) => [this.#prefix + f, e.pending.definition.type]));
    const written = shownDefinition(shown, format, names);
    return (familyHeader(written, format) + seriesLines(written, written.series, format)).slice(0, -1);
  }

  /**
   * Every metric's and collector's `get()`, as prom-client's `getMetricsAsJSON()`: names prefixed, the default
   * labels added to each value's labels (a value's own label of the same name wins).
   */
  async getMetricsAsJSON(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    type Shown = MetricObjectWithValues<MetricValue<string>>;
    const decorate = (got: Partial<Shown> | undefined, name: string | undefined, labels: Labels): Shown[] => {
      if (!got) return [];
      const values = (got.values ?? []).map((v) => ({ ...v, labels: { ...labels, ...v.labels } }));
      const { help, type, aggregator = "sum" } = got as Shown;
      return [{ name: this.#prefix + (got.name ?? name), help, type, values, aggregator } as Shown];
    };
    const metrics = [...this.#entries.values()].flatMap((entry) => {
      const metric = entry.metrics[0];
      return metric ? [metric.get().then((got) => decorate(got, metric.name, entry.sent.labels))] : [];
    });
    const collectors = this.#collectors.map(async (c) =>
      decorate((await c.collector.get()) as Partial<Shown>, c.name, this.#defaultLabels),
    );
    return (await Promise.all([...metrics, ...collectors])).flat();
  }

  /**
   * A registry holding the metrics and collectors of every registry in `registers`, as prom-client's
   * `Registry.merge`: its `metrics()` renders them all, each family as its own registry sends it. A family name in
   * two of them throws, as do registries of different content types. Its flush takes the same pending deltas as
   * theirs (each delta is still sent once, by whichever flushes first).
   */
  static merge(registers: Registry[]): Registry {
    const contentTypes = new Set(registers.map((r) => r.contentType));
    if (contentTypes.size > 1) throw new Error("Registers can only be merged if they have the same content type");
    const merged = new Registry();
    const [contentType] = contentTypes;
    if (contentType) merged.setContentType(contentType);
    const taken = (name: string | undefined) => {
      if (name === undefined) return;
      if (merged.#entries.has(name) || merged.#collectors.some((c) => c.name === name || c.family === name))
        throw new Error(`A metric with the name ${name} has already been registered.`);
    };
    for (const registry of registers) {
      for (const [name, entry] of registry.#entries) {
        if (entry.collected) continue;
        taken(name);
        merged.#entries.set(name, entry);
      }
      for (const collected of registry.#collectors) {
        taken(collected.name);
        merged.#collectors.push(collected);
        const family = collected.family;
        const entry = family === undefined ? undefined : registry.#entries.get(family);
        if (family !== undefined && entry) merged.#entries.set(family, entry);
      }
    }
    return merged;
  }

  #format(): ExpositionFormat {
    return this.#contentType === OPENMETRICS_CONTENT_TYPE ? "openmetrics" : "text";
  }

  /** A family as this registry shows it: prefixed name, default labels; undefined for a collector not read. */
  #shown({ pending, sent, collected }: Entry): FamilySnapshot | undefined {
    const definition = sent.definition;
    let series: SeriesSnapshot[];
    if (collected) {
      const reading = collected.latest;
      if (!reading) return undefined;
      series = [...reading.series.values()];
    } else {
      series = pending.shown();
      if (series.length === 0 && pending.definition.labelNames.length === 0) series = [emptySeries(definition)];
    }
    const labels = sent.labels;
    return {
      ...definition,
      name: familyName(definition.type, definition.name),
      series: series.map((s) => ({ ...s, labels: { ...s.labels, ...labels } })),
    };
  }

  setTransport(transport: Transport): void {
    this.#transport = transport;
  }

  get stats(): RegistryStats {
    return this.#delivery.stats;
  }

  /**
   * Takes every pending delta, clearing them, as pushes within the limits, each with a fresh push id.
   * Synchronous: no update can slip between taking and clearing. It does not run the metrics' `collect`
   * callbacks (they may be async); `flush()` does, before it takes.
   */
  take(): Push[] {
    for (const { pending, collected } of this.#entries.values()) {
      if (!collected) continue;
      const { labelNames } = pending.definition;
      const unsent = (labels: Labels) =>
        this.#onError(
          `collector ${describeValue(collected.name)}: series ${describeValue(labels)} is not pushed: the store takes finite values only`,
        );
      for (const delta of collected.takeDeltas(unsent)) pending.series.set(seriesKey(labelNames, delta.labels), delta);
    }
    const families = [...this.#entries.values()].flatMap(({ pending, sent }) => pending.take(sent) ?? []);
    return splitIntoPushes(families, this.limits);
  }

  /**
   * Sends everything pending, and retries what earlier flushes could not deliver. Never throws for delivery
   * problems: they are retained (bounded), or counted when refused. Does nothing at all when nothing is pending.
   *
   * First it runs every metric's `collect` callback, in parallel, and takes the pending deltas once all have
   * settled (so what they record goes out, as do updates recorded meanwhile); a callback that throws or rejects is
   * reported through `onError` and the flush goes on. Without `collect` callbacks the deltas are taken at the call.
   * @example
   * ctx.waitUntil(register.flush(new DurableObjectTransport(env.METRICS_FAMILY)));
   */
  flush(transport = this.#transport): Promise<FlushResult> {
    if (!transport) return noTransport();
    const send = () => this.#delivery.deliver(this.take(), transport);
    const collects = this.#collectors.length > 0 || this.#metrics().some((m) => m.hasCollect);
    return collects ? this.#collect().then(send) : send();
  }

  /**
   * Runs the `collect` callbacks (as `flush` does), then takes every pending delta (as `take` does). For senders
   * that deliver on their own terms, such as the Pushgateway client.
   */
  async takeCollected(): Promise<Push[]> {
    await this.#collect();
    return this.take();
  }

  /**
   * Flushes soon, together with the other requests this isolate serves meanwhile: the first call opens a window of
   * `maxDelayMs`, later calls join it, and one flush at its end carries every delta recorded before those calls.
   * The promise settles once that flush has delivered (or retained for retry) them, so a Worker can hand it to
   * `ctx.waitUntil` and nothing is left pending when the isolate goes away. No calls, no timer, nothing sent. The
   * window's flush goes through the transport of the call that opened it (calls usually pass equivalent ones).
   * Lambda handlers and batch jobs, which end after one request, `await flush()` instead.
   * @example
   * requests.inc({ route: "/" });
   * ctx.waitUntil(register.flushSoon(new DurableObjectTransport(env.METRICS_FAMILY)));
   */
  flushSoon(transport = this.#transport, options: FlushSoonOptions = {}): Promise<FlushResult> {
    if (!transport) return noTransport();
    return this.#coalescer.schedule(() => this.flush(transport), options.maxDelayMs ?? DEFAULT_FLUSH_DELAY_MS);
  }

  /**
   * Runs every `collect` callback and reads every collector, in parallel; reports each that throws, rejects or
   * reports what cannot be pushed through onError (a collector so is left out until it reads well again).
   */
  async #collect(): Promise<void> {
    const metrics = this.#metrics().map((metric) =>
      metric.runCollect().catch((error: unknown) => {
        this.#onError(`collect callback of metric ${describeValue(metric.name)} failed: ${errorMessage(error)}`);
      }),
    );
    const collectors = this.#collectors.map((collected) =>
      collected
        .read(this.limits)
        .then((reading) => this.#adopt(collected, reading))
        .catch((error: unknown) => {
          collected.forget();
          this.#onError(`collector ${describeValue(collected.name)} failed: ${errorMessage(error)}`);
        }),
    );
    await Promise.all([...metrics, ...collectors]);
  }

  /** Gives a collector's family its entry on its first reading; throws when a reading changes the family. */
  #adopt(collected: CollectedFamily, reading: Reading): void {
    const definition = collected.pushed(reading);
    const family = definition.name;
    const entry = this.#entries.get(family);
    if (entry && entry.collected !== collected)
      throw new TypeError(`it reports the family ${describeValue(family)}, which another metric fills`);
    if (entry) {
      const difference = definitionDifference(entry.pending.definition, definition);
      if (difference) throw new TypeError(`it now reports a different ${difference}`);
      return;
    }
    this.#clashProblem(describeValue(reading.name), definition);
    this.#entries.set(family, {
      pending: new PendingFamily(definition),
      metrics: [],
      sent: this.#sent(definition, this.#defaultLabels),
      collected,
    });
  }

  /**
   * How this registry sends the family of `definition`: under its name prefixed (in the form the definition check
   * turns back into the family), with the default labels it lacks after its own; checked as the server will check
   * it (throws an InvalidMetricError).
   */
  #sent(definition: FamilyDefinition, defaultLabels: Labels): SentAs {
    const extra = Object.entries(defaultLabels).filter(([label]) => !definition.labelNames.includes(label));
    const name = pushedName(this.#prefix + definition.name, definition.type);
    const sent = { ...definition, name, labelNames: [...definition.labelNames, ...extra.map(([label]) => label)] };
    try {
      const reserved = reservedNameProblem(checkDefinition(sent, this.limits, []).name, this.#reserved);
      if (reserved) throw new TypeError(`metric family ${reserved}`);
    } catch (error) {
      throw error instanceof Invalid ? new InvalidMetricError(name, error.refusal) : error;
    }
    return { definition: sent, labels: Object.fromEntries(extra) };
  }
}

/** True for this library's metrics (anything else registered is a custom collector). */
function isOurs(registered: Registered): registered is Metric {
  return typeof (registered as Metric).attach === "function";
}

/** The one series of a family without labels before anything was recorded: zeros. */
function emptySeries(definition: FamilyDefinition): SeriesSnapshot {
  const zeros = { labels: {}, created: Date.now() / 1000, sum: 0 };
  switch (definition.type) {
    case "histogram":
      return { ...zeros, counts: new Array<number>((definition.buckets?.length ?? 0) + 1).fill(0) };
    case "summary":
      return { ...zeros, count: 0, quantiles: (definition.percentiles ?? []).map((q) => [q, Number.NaN]) };
    default:
      return { labels: {}, created: zeros.created, value: 0 };
  }
}

const noTransport = () => Promise.reject(new TypeError("no transport given and none set on the registry"));

/** The default registry, as prom-client's `register`. */
export const register = new Registry();
