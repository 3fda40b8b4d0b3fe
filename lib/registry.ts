// The registry: the metric definitions, their pending deltas, and flush — take everything pending
// synchronously, send it through a transport, keep what failed (with its batch id) for the next flush.

import { DEFAULT_PUSH_LIMITS } from "./limits.ts";
import type { Metric } from "./metric.ts";
import { PendingFamily } from "./pending-family.ts";
import { errorMessage } from "./transports/retry.ts";
import { allFailed, type DeliveryOutcome, type Transport } from "./transports/transport.ts";
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

/** How long a flush waits for the previous one before sending anyway. */
const MAX_WAIT_FOR_PREVIOUS_SEND_MS = 15_000;
/** Resolves when `promise` settles or after `ms`, whichever is first; never leaves a timer behind. */
function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/** A transport's outcomes, or every family failed (kept for retry) if the transport throws. */
async function pushSafely(transport: Transport, batch: PushBatch): Promise<DeliveryOutcome[]> {
  try {
    return await transport.push(batch);
  } catch (error) {
    return allFailed(batch, errorMessage(error));
  }
}

/** Bytes a string takes in UTF-8 (what the server's body limit counts). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

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
  /** Batches that could not be delivered, oldest first, with their batch ids: the next send starts with them. */
  private retained: PushBatch[] = [];
  /** The send in progress; sends run one after another so batches land in order. */
  private sending: Promise<unknown> = Promise.resolve();
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
    if (this.prefix !== "" && metricNameProblem(`${this.prefix}x`))
      throw new TypeError(`registry prefix ${show(this.prefix)} does not start a valid metric name`);
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

  /**
   * Adds a metric. The same family registered again must have the same definition (then both share one state).
   * A metric belongs to one registry: its deltas must be flushed exactly once.
   */
  registerMetric(metric: Metric): void {
    const definition = metric.definition();
    if (metric.registry !== undefined && metric.registry !== this)
      throw new Error(
        `metric ${show(metric.name)} already belongs to another registry: a metric records into one registry, so its deltas are flushed once`,
      );
    const entry = this.entries.get(definition.name);
    if (entry) {
      const difference = definitionDifference(entry.store.definition, definition);
      if (difference)
        throw new Error(`a metric named ${show(metric.name)} is already registered with a different ${difference}`);
      if (!entry.metrics.includes(metric)) entry.metrics.push(metric);
      metric.attach(this, entry.store);
      return;
    }
    const store = new PendingFamily(definition);
    this.entries.set(definition.name, { store, metrics: [metric] });
    metric.attach(this, store);
  }

  /** The metric registered under `name` (with or without a counter's `_total`). */
  getSingleMetric(name: string): Metric | undefined {
    return (this.entries.get(name) ?? this.entries.get(name.replace(/_total$/, "")))?.metrics.find(
      (m) => m.name === name || m.definition().name === name,
    );
  }

  getMetricsAsArray(): Metric[] {
    return [...this.entries.values()].flatMap((e) => e.metrics);
  }

  /** Forgets a metric and its pending deltas. */
  removeSingleMetric(name: string): void {
    const metric = this.getSingleMetric(name);
    if (!metric) return;
    const entry = this.entries.get(metric.definition().name) as Entry;
    for (const m of entry.metrics) m.detach();
    this.entries.delete(metric.definition().name);
  }

  /** Forgets every metric and every pending delta (not what is already stored). */
  clear(): void {
    for (const name of [...this.entries.keys()]) this.removeSingleMetric(name);
    this.retained = [];
  }

  setTransport(transport: Transport): void {
    this.transport = transport;
  }

  get stats(): RegistryStats {
    return { ...this.counters, retainedSeries: this.retained.reduce((n, b) => n + seriesIn(b.families), 0) };
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
    const mine = this.take();
    if (mine.length === 0 && this.retained.length === 0) return { delivered: 0, rejected: 0, retained: 0, dropped: 0 };
    // Wait for the send in progress (bounded: a send stuck in a cancelled request must not stall every later flush).
    const previous = this.sending;
    const run = (async () => {
      await waitAtMost(previous, MAX_WAIT_FOR_PREVIOUS_SEND_MS);
      return this.send([...this.retained.splice(0), ...mine], transport);
    })();
    this.sending = run.catch(() => undefined);
    return run;
  }

  /**
   * Sends batches in order: what earlier flushes could not deliver first, then this flush's own. Once a family
   * fails, its later parts wait too, so an old delta never lands after a newer one.
   */
  private async send(batches: PushBatch[], transport: Transport): Promise<FlushResult> {
    const result: FlushResult = { delivered: 0, rejected: 0, retained: 0, dropped: 0 };
    if (batches.length === 0) return result;
    this.counters.flushes++;
    const kept: PushBatch[] = [];
    const blocked = new Set<string>();
    for (const batch of batches) {
      const sendable = batch.families.filter((f) => !blocked.has(f.name));
      const failed = batch.families.filter((f) => blocked.has(f.name));
      const outcomes = sendable.length > 0 ? await pushSafely(transport, { ...batch, families: sendable }) : [];
      sendable.forEach((family, i) => {
        const outcome = outcomes[i];
        if (outcome?.status === "applied" || outcome?.status === "duplicate") result.delivered++;
        else if (outcome?.status === "rejected") {
          result.rejected++;
          this.counters.rejectedSeries += family.series.length;
          this.onError(`family ${show(family.name)} refused (${outcome.code}): ${outcome.error}`);
        } else {
          failed.push(family);
          blocked.add(family.name);
        }
      });
      if (failed.length > 0) {
        result.retained += failed.length;
        kept.push({ ...batch, families: failed });
      }
    }
    this.retained = [...kept, ...this.retained];
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
    while (retained > this.maxRetainedSeries && this.retained.length > 0) {
      const n = seriesIn((this.retained.shift() as PushBatch).families);
      retained -= n;
      dropped += n;
    }
    if (dropped > 0) {
      this.counters.droppedSeries += dropped;
      this.onError(
        `retry buffer full: dropped ${dropped} undelivered series (maxRetainedSeries ${this.maxRetainedSeries})`,
      );
    }
    return dropped;
  }
}

/** Bytes one push may take on the wire: under the server's default body limit (1 MiB) with room to spare. */
const MAX_PUSH_BYTES = 900_000;

/**
 * Splits families so each push stays within the server's default limits: families, series (deletions count
 * as series) and bytes. A family's reset and removals travel in its first parts, before its deltas; flush sends
 * the parts in order.
 */
function chunk(families: FamilyBatch[]): FamilyBatch[][] {
  const { maxFamilies, maxSeriesPerPush } = DEFAULT_PUSH_LIMITS;
  const out: FamilyBatch[][] = [];
  let current: FamilyBatch[] = [];
  let room = maxSeriesPerPush;
  let bytes = MAX_PUSH_BYTES;
  const close = () => {
    if (current.length > 0) out.push(current);
    current = [];
    room = maxSeriesPerPush;
    bytes = MAX_PUSH_BYTES;
  };
  for (const family of families) {
    const { reset, remove = [], series, ...definition } = family;
    const header = utf8Length(JSON.stringify(definition)) + 64;
    const items: { kind: "remove" | "series"; value: unknown; size: number }[] = [
      ...remove.map((value) => ({ kind: "remove" as const, value, size: utf8Length(JSON.stringify(value)) + 1 })),
      ...series.map((value) => ({ kind: "series" as const, value, size: utf8Length(JSON.stringify(value)) + 1 })),
    ];
    let i = 0;
    for (let first = true; first || i < items.length; first = false) {
      if (current.length === maxFamilies || room === 0 || bytes < header + (items[i]?.size ?? 0)) close();
      const removals: Labels[] = [];
      const part: FamilyBatch = { ...definition, series: [], ...(first && reset ? { reset: true } : {}) };
      let partBytes = header;
      while (
        i < items.length &&
        room > 0 &&
        (partBytes + (items[i] as { size: number }).size <= bytes || part.series.length + removals.length === 0)
      ) {
        const item = items[i++] as { kind: "remove" | "series"; value: unknown; size: number };
        if (item.kind === "remove") removals.push(item.value as Labels);
        else part.series.push(item.value as FamilyBatch["series"][number]);
        partBytes += item.size;
        room--;
      }
      current.push(removals.length > 0 ? { ...part, remove: removals } : part);
      bytes -= partBytes;
    }
  }
  close();
  return out;
}

/** The default registry, as prom-client's `register`. */
export const register = new Registry();
