// The registry: the metric definitions, their pending deltas, and flush — take everything pending
// synchronously, send it through a transport, keep what failed (with its batch id) for the next flush.

import { DEFAULT_PUSH_LIMITS } from "./limits.ts";
import type { Metric } from "./metric.ts";
import { PendingFamily } from "./pending-family.ts";
import type { Transport } from "./transports/transport.ts";
import { definitionDifference, labelNameProblem, metricNameProblem, show } from "./validation.ts";
import type { FamilyBatch, Labels, PushBatch } from "./wire.ts";

export interface RegistryOptions {
  /** Used by `flush()` when no transport is passed. */
  transport?: Transport;
  /**
   * Series kept for retry after failed deliveries. Past it the oldest undelivered batches are dropped and
   * counted in `stats.droppedSeries`. Default 10,000.
   */
  maxRetainedSeries?: number;
  /** Told about every rejected or dropped delivery. Default: console.error. */
  onError?: (message: string) => void;
  /** A namespace put before every family name this registry sends, e.g. "myapp_". */
  prefix?: string;
  /** Labels added to every series this registry sends (a metric's own label of the same name wins). */
  defaultLabels?: Record<string, string | number>;
}

/** What one flush did, counted in families (one family of one batch = one delivery). */
export interface FlushResult {
  /** Families stored (or recognised as already stored: a replay). */
  delivered: number;
  /** Families the server refused (4xx); their deltas are gone and counted in stats.rejectedSeries. */
  rejected: number;
  /** Families that could not be delivered; kept for the next flush with the same batch id. */
  retained: number;
  /** Series dropped because the retry buffer was full. */
  dropped: number;
}

export interface RegistryStats {
  flushes: number;
  rejectedSeries: number;
  droppedSeries: number;
  /** Series currently waiting for a retry. */
  retainedSeries: number;
}

interface Entry {
  store: PendingFamily;
  metrics: Metric[];
}

const seriesIn = (families: FamilyBatch[]) => families.reduce((n, f) => n + f.series.length, 0);

/**
 * Holds metrics and their pending deltas; `flush()` sends them. Like prom-client's Registry, plus `flush`.
 * @example
 * const registry = new Registry();
 * const jobs = new Counter({ name: "jobs_total", help: "Jobs.", registers: [registry] });
 * jobs.inc();
 * ctx.waitUntil(registry.flush(new DurableObjectTransport(env.METRICS_FAMILY)));
 */
export class Registry {
  private readonly entries = new Map<string, Entry>();
  private retry: PushBatch[] = [];
  private transport: Transport | undefined;
  private readonly maxRetainedSeries: number;
  private readonly onError: (message: string) => void;
  private counters = { flushes: 0, rejectedSeries: 0, droppedSeries: 0 };
  private readonly prefix: string;
  private defaultLabels: Labels = {};

  constructor(options: RegistryOptions = {}) {
    this.transport = options.transport;
    this.maxRetainedSeries = options.maxRetainedSeries ?? 10_000;
    this.onError = options.onError ?? ((m) => console.error(`prometheus-distributed-client: ${m}`));
    this.prefix = options.prefix ?? "";
    if (this.prefix !== "" && metricNameProblem(`${this.prefix}x`)) throw new TypeError(`registry prefix ${show(this.prefix)} does not start a valid metric name`);
    if (options.defaultLabels) this.setDefaultLabels(options.defaultLabels);
  }

  /**
   * Labels added to every series this registry sends, as prom-client's setDefaultLabels. A metric that declares a
   * label of the same name keeps its own. Changing them changes every family's labelNames (a 409 for families
   * already stored with other labels): set them once, at startup.
   * @example register.setDefaultLabels({ service: "checkout", region: "eu" });
   */
  setDefaultLabels(labels: Record<string, string | number>): void {
    const out: Labels = {};
    for (const [name, value] of Object.entries(labels)) {
      const problem = labelNameProblem(name, "histogram") ?? labelNameProblem(name, "summary");
      if (problem) throw new TypeError(`default label ${problem}`);
      out[name] = String(value);
    }
    this.defaultLabels = out;
  }

  /** Deletes every series of every metric from the store on the next flush, as prom-client's resetMetrics. */
  resetMetrics(): void {
    for (const metric of this.getMetricsAsArray()) metric.reset();
  }

  /** Adds a metric. The same family registered again must have the same definition (then both share one state). */
  registerMetric(metric: Metric): void {
    const definition = metric.definition();
    const entry = this.entries.get(definition.name);
    if (entry) {
      const difference = definitionDifference(entry.store.definition, definition);
      if (difference) throw new Error(`a metric named ${show(metric.name)} is already registered with a different ${difference}`);
      if (!entry.metrics.includes(metric)) entry.metrics.push(metric);
      metric.attach(entry.store);
      return;
    }
    const store = new PendingFamily(definition);
    this.entries.set(definition.name, { store, metrics: [metric] });
    metric.attach(store);
  }

  /** The metric registered under `name` (with or without a counter's `_total`). */
  getSingleMetric(name: string): Metric | undefined {
    return (this.entries.get(name) ?? this.entries.get(name.replace(/_total$/, "")))?.metrics.find((m) => m.name === name || m.definition().name === name);
  }

  getMetricsAsArray(): Metric[] {
    return [...this.entries.values()].flatMap((e) => e.metrics);
  }

  /** Forgets a metric and its pending deltas. */
  removeSingleMetric(name: string): void {
    const metric = this.getSingleMetric(name);
    if (!metric) return;
    const entry = this.entries.get(metric.definition().name) as Entry;
    for (const m of entry.metrics) m.detach(entry.store);
    this.entries.delete(metric.definition().name);
  }

  /** Forgets every metric and every pending delta (not what is already stored). */
  clear(): void {
    for (const name of [...this.entries.keys()]) this.removeSingleMetric(name);
    this.retry = [];
  }

  setTransport(transport: Transport): void {
    this.transport = transport;
  }

  get stats(): RegistryStats {
    return { ...this.counters, retainedSeries: this.retry.reduce((n, b) => n + seriesIn(b.families), 0) };
  }

  /**
   * Takes every pending delta, clearing them, as batches that each fit the server's default limits,
   * each with a fresh batch id. Synchronous: no update can slip between taking and clearing.
   */
  take(): PushBatch[] {
    const families: FamilyBatch[] = [];
    for (const { store } of this.entries.values()) {
      const family = store.take();
      if (family) families.push(this.decorate(family));
    }
    return chunk(families).map((f) => ({ batch: crypto.randomUUID(), families: f }));
  }

  /**
   * Sends everything pending, and retries what earlier flushes could not deliver. Never throws for delivery
   * problems: they are retained (bounded), or counted when refused. Does nothing at all when nothing is pending.
   * @example
   * ctx.waitUntil(register.flush(new DurableObjectTransport(env.METRICS_FAMILY)));
   */
  async flush(transport: Transport | undefined = this.transport): Promise<FlushResult> {
    if (!transport) throw new TypeError("flush: no transport given and none set on the registry");
    const batches = [...this.retry.splice(0), ...this.take()];
    const result: FlushResult = { delivered: 0, rejected: 0, retained: 0, dropped: 0 };
    if (batches.length === 0) return result;
    this.counters.flushes++;
    // Batches go out in order, and once a family fails, its later parts wait too: a retried old delta never
    // lands after a newer one (a gauge set, a reset) of the same family.
    const blocked = new Set<string>();
    for (const batch of batches) {
      const sendable = batch.families.filter((f) => !blocked.has(f.name));
      const failed = batch.families.filter((f) => blocked.has(f.name));
      const outcomes = sendable.length > 0 ? await transport.push({ ...batch, families: sendable }) : [];
      const byName = new Map(outcomes.map((o) => [o.name, o]));
      for (const family of sendable) {
        const outcome = byName.get(family.name);
        if (outcome?.status === "applied" || outcome?.status === "duplicate") result.delivered++;
        else if (outcome?.status === "rejected") {
          result.rejected++;
          this.counters.rejectedSeries += family.series.length;
          this.onError(`family ${show(family.name)} refused (${outcome.code}): ${outcome.error}`);
        } else {
          failed.push(family);
          blocked.add(family.name);
        }
      }
      if (failed.length > 0) {
        result.retained += failed.length;
        this.retry.push({ ...batch, families: failed });
      }
    }
    result.dropped = this.enforceRetryBound();
    return result;
  }

  /** The family as this registry sends it: prefixed name, default labels added. */
  private decorate(family: FamilyBatch): FamilyBatch {
    const extra = Object.entries(this.defaultLabels).filter(([name]) => !family.labelNames.includes(name));
    if (extra.length === 0 && this.prefix === "") return family;
    const add = (labels: Labels): Labels => ({ ...labels, ...Object.fromEntries(extra) });
    return {
      ...family,
      name: `${this.prefix}${family.name}`,
      labelNames: [...family.labelNames, ...extra.map(([name]) => name)],
      series: family.series.map((s) => ({ ...s, labels: add(s.labels) })),
      ...(family.remove ? { remove: family.remove.map(add) } : {}),
    };
  }

  /** Drops the oldest retained batches until the bound holds; returns the series dropped. */
  private enforceRetryBound(): number {
    let retained = this.stats.retainedSeries;
    let dropped = 0;
    while (retained > this.maxRetainedSeries && this.retry.length > 0) {
      const n = seriesIn((this.retry.shift() as PushBatch).families);
      retained -= n;
      dropped += n;
    }
    if (dropped > 0) {
      this.counters.droppedSeries += dropped;
      this.onError(`retry buffer full: dropped ${dropped} undelivered series (maxRetainedSeries ${this.maxRetainedSeries})`);
    }
    return dropped;
  }
}

/**
 * Splits families (and a family's series) so each push stays within the default limits. A family's deletions
 * travel with its first part; flush sends the parts in order.
 */
function chunk(families: FamilyBatch[]): FamilyBatch[][] {
  const { maxFamilies, maxSeriesPerPush } = DEFAULT_PUSH_LIMITS;
  const out: FamilyBatch[][] = [];
  let current: FamilyBatch[] = [];
  let room = maxSeriesPerPush;
  const close = () => {
    if (current.length > 0) out.push(current);
    current = [];
    room = maxSeriesPerPush;
  };
  for (const family of families) {
    const { reset, remove, ...later } = family;
    let rest = family.series;
    for (let first = true; first || rest.length > 0; first = false) {
      const deletions = first ? (remove?.length ?? 0) : 0;
      if (current.length === maxFamilies || room < deletions + Math.min(1, rest.length)) close();
      const part = rest.slice(0, Math.max(0, room - deletions));
      rest = rest.slice(part.length);
      current.push(first ? { ...family, series: part } : { ...later, series: part });
      room -= deletions + part.length;
    }
  }
  close();
  return out;
}

/** The default registry, as prom-client's `register`. */
export const register = new Registry();
