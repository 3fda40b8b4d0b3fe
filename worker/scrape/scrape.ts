// The scrape, streamed: the catalog lists the families; each family is read page by page from its object(s) and
// encoded as soon as a page arrives, in family-name order, a few families ahead fetched in parallel; memory holds a
// few pages, never the whole body. A family in one object renders its own pages; a family spread over shards is read
// from every shard it ever had and merged series by series (lib/store/merge-shards.ts). The Worker's scrape-time
// gauges come last, then OpenMetrics' `# EOF`. A scrape holds every readable family or fails visibly: a family that
// cannot be read is left out and named in pdc_scrape_family_errors; one that fails after some of its lines went out
// aborts the scrape (scrape-flight.ts ends the body so that no parser takes it for a whole scrape). Scrape-time
// collectors (collectors.ts) run beside the reading and render after the stored families.

import { expositionEnd, familyHeader, seriesLines, shownDefinition } from "../../lib/protocol/exposition.ts";
import { openMetricsUntyped, writtenSampleNames } from "../../lib/protocol/names.ts";
import { isRetryableObjectError, withRetries } from "../../lib/protocol/retry.ts";
import type {
  FamilyDefinition,
  FamilyPage,
  FamilySnapshot,
  MetricType,
  SeriesSnapshot,
} from "../../lib/protocol/wire.ts";
import { PAGE_BYTES, PAGE_SERIES, ttlMs } from "../../lib/store/family-store.ts";
import { firstPages, mergedShards } from "../../lib/store/merge-shards.ts";
import type { Env } from "../config/env.ts";
import { defaultTtlSeconds, limits, maxFamilies, scrapeCacheMs } from "../config/settings.ts";
import type { ExportStats } from "../export/export-object.ts";
import { contentTypeOf, type ScrapeFormat, scrapeFormat } from "../http/negotiate.ts";
import { type CatalogEntry, catalog } from "../objects/catalog-object.ts";
import type { ScrapePageRequest } from "../objects/family/reads.ts";
import { drainIngest, everyIngestStub, familyStub } from "../objects/stubs.ts";
import { familyMessage } from "../protobuf/families.ts";
import { DelimitedWriter } from "../protobuf/messages.ts";
import { remoteWriteFamilies } from "../self-metrics/remote-write-metrics.ts";
import { type FamilySeen, scrapeGauges } from "../self-metrics/self-metrics.ts";
import { type Collected, runCollectors, type ScrapeCollector } from "./collectors.ts";
import { ABORTED_BINARY_TAIL, ScrapeFlight } from "./scrape-flight.ts";

/**
 * One router's scrapes: its scrape-time collectors, the time each may take, and the flight each format's scrapes
 * join in this isolate (see scrape-flight.ts; per router, so a scrape never joins one with other collectors).
 */
export interface ScrapeOptions {
  collectors: readonly ScrapeCollector<never>[];
  collectorTimeoutMs: number;
  flights: Map<ScrapeFormat, ScrapeFlight>;
}

/** Families whose first pages are fetched ahead of the one being streamed. */
const READ_AHEAD = 4;

/** One piece of a family as the scrape streams it: a page of its series, rendered or as snapshots. */
type Chunk = Extract<FamilyPage, { kind: "text" | "protobuf" | "snapshots" }>;

/** Counts the object requests of one scrape. */
interface Tally {
  requests: number;
}

function page(env: Env, tally: Tally, family: string, shard: number, request: ScrapePageRequest): Promise<FamilyPage> {
  return withRetries<FamilyPage>(() => {
    tally.requests++;
    return familyStub(env, family, shard).scrapePage(request);
  }, isRetryableObjectError);
}

/** About the memory a series snapshot takes: its labels, its numbers, its native buckets (pairs of numbers). */
function snapshotBytes(s: SeriesSnapshot): number {
  let labels = 0;
  for (const [k, v] of Object.entries(s.labels)) labels += k.length + v.length;
  const buckets = (s.native?.positive.length ?? 0) + (s.native?.negative.length ?? 0);
  return 64 + 2 * labels + 16 * ((s.counts?.length ?? 0) + (s.quantiles?.length ?? 0) * 2) + 48 * buckets;
}

/** Reads one family as chunks; starts fetching its first page(s) at once. */
class FamilyReader {
  private readonly first: Promise<FamilyPage[]>;
  /** True when OpenMetrics writes this counter `unknown` under its bare name (names.ts `openMetricsUntyped`). */
  private readonly untyped: boolean;

  constructor(
    private readonly env: Env,
    private readonly tally: Tally,
    readonly entry: CatalogEntry,
    private readonly format: ScrapeFormat | undefined,
    /** Every family the scrape lists, by name: what a counter's OpenMetrics name may clash with (`shownDefinition`). */
    private readonly names: ReadonlyMap<string, MetricType>,
  ) {
    this.untyped = format === "openmetrics" && openMetricsUntyped(entry.name, entry.type, names);
    const request = this.request(undefined);
    const read = (shard: number) => page(env, tally, entry.name, shard, request);
    this.first = entry.shards === 1 ? read(0).then((p) => [p]) : firstPages(entry.shards, read);
    // A first page nobody reads (the scrape ended early) must not surface as an unhandled rejection.
    this.first.catch(() => {});
  }

  /** The definition this family is written with: its own, or the one a name clash in OpenMetrics asks for. */
  private shown(definition: FamilyDefinition): FamilyDefinition {
    return this.untyped ? shownDefinition(definition, "openmetrics", this.names) : definition;
  }

  /** A page as the scrape writes it: rendered here when its object would write it otherwise (`untyped`). */
  private written(page: Chunk): Chunk {
    if (page.kind !== "snapshots" || !this.untyped) return page;
    const { snapshots, kind: _, ...of } = page;
    const definition = this.shown(page.definition);
    return { ...of, definition, kind: "text", text: seriesLines(definition, snapshots, "openmetrics") };
  }

  /** The page after `after`, at the snapshot the page before came with (the family as it was at the first page). */
  private request(after: string | undefined, snapshot?: string): ScrapePageRequest {
    // A family in one object renders its own pages (or hands out snapshots); shards hand out raw parts to merge. A
    // family written otherwise than its object would write it comes as snapshots, rendered here.
    const { format } = this;
    const single = this.entry.shards === 1;
    const as = !single
      ? { as: "parts" as const }
      : format === "protobuf"
        ? { as: "protobuf" as const }
        : format && !this.untyped
          ? { as: "text" as const, format }
          : { as: "snapshots" as const };
    const at = { ...(after !== undefined ? { after } : {}), ...(snapshot !== undefined ? { snapshot } : {}) };
    return { ...at, ...as, limit: PAGE_SERIES, maxBytes: PAGE_BYTES };
  }

  async *chunks(): AsyncGenerator<Chunk> {
    if (this.entry.shards === 1) yield* this.rendered();
    else yield* this.merged();
  }

  /** An unsharded family: its object's pages, rendered by the object (or as snapshots, when no format was asked). */
  private async *rendered(): AsyncGenerator<Chunk> {
    let current = (await this.first)[0] as FamilyPage;
    for (;;) {
      if (current.kind === "empty" || current.kind === "parts") return;
      yield this.written(current);
      if (current.next === undefined) return;
      current = await page(this.env, this.tally, this.entry.name, 0, this.request(current.next, current.snapshot));
    }
  }

  /** A sharded family: every shard's parts, merged by key (each shard pages in key order), then rendered here. */
  private async *merged(): AsyncGenerator<Chunk> {
    const read = (shard: number, after: string | undefined, snapshot?: string) =>
      page(this.env, this.tally, this.entry.name, shard, this.request(after, snapshot));
    const ttlOf = (definition: FamilyDefinition) => ttlMs(definition, defaultTtlSeconds(this.env));
    const merged = mergedShards(await this.first, read, Date.now(), ttlOf);
    if (!merged) return;
    const definition = this.shown(merged.definition);
    // Merged series are rendered here in a text format; for protobuf they go out as snapshots, one message a chunk.
    const format = this.format === "protobuf" ? undefined : this.format;
    let batch: SeriesSnapshot[] = [];
    let text = "";
    /** About the bytes the batch holds when it is not rendered here (protobuf: snapshots, native buckets and all). */
    let held = 0;
    let lastUpdated: number | undefined;
    const chunk = (): Chunk => {
      const of = { definition, seriesCount: batch.length, ...(lastUpdated !== undefined ? { lastUpdated } : {}) };
      return format ? { kind: "text", text, ...of } : { kind: "snapshots", snapshots: batch, ...of };
    };
    for await (const { series } of merged.series) {
      if (series) {
        batch.push(series);
        if (format) text += seriesLines(definition, [series], format);
        else held += snapshotBytes(series);
        lastUpdated = Math.max(lastUpdated ?? 0, series.updated ?? 0);
      }
      // As an object's own pages: a chunk ends at a series count, or once its text holds about a page of bytes.
      if (batch.length >= PAGE_SERIES || text.length >= PAGE_BYTES || held >= PAGE_BYTES) {
        yield chunk();
        batch = [];
        text = "";
        held = 0;
      }
    }
    yield chunk();
  }
}

/**
 * The catalog's families, with retries, after the ingest objects folded what they acknowledged (read your writes; a
 * fold that fails is logged and the scrape reads what is folded).
 */
async function listFamilies(env: Env, tally: Tally): Promise<CatalogEntry[]> {
  tally.requests += everyIngestStub(env).length;
  await drainIngest(env).catch((error) =>
    console.error(`prometheus-distributed-client: the scrape could not fold the ingest objects: ${String(error)}`),
  );
  return withRetries(() => {
    tally.requests++;
    return catalog(env).list();
  }, isRetryableObjectError);
}

/** Readers for `entries`, each started only when at most READ_AHEAD families ahead of the one being streamed. */
function* readers(
  env: Env,
  tally: Tally,
  entries: CatalogEntry[],
  format: ScrapeFormat | undefined,
): Generator<FamilyReader> {
  const started: FamilyReader[] = [];
  const names = new Map(entries.map((entry) => [entry.name, entry.type]));
  let next = 0;
  const fill = () => {
    while (started.length < READ_AHEAD + 1 && next < entries.length)
      started.push(new FamilyReader(env, tally, entries[next++] as CatalogEntry, format, names));
  };
  fill();
  while (started.length > 0) {
    yield started.shift() as FamilyReader;
    fill();
  }
}

function reportFailure(family: string, error: unknown): void {
  console.error(`prometheus-distributed-client: could not read family ${JSON.stringify(family)} for the scrape`, error);
}

/** What the scrape streams: text, or bytes (the protobuf format). */
type Piece = string | Uint8Array;

/** How a scrape format renders: a family's chunks as they arrive, a whole family, and the end. */
interface Renderer {
  chunk(chunk: Chunk, first: boolean): Piece;
  family(family: FamilySnapshot): Piece;
  end(): Piece;
}

function renderer(format: ScrapeFormat): Renderer {
  if (format === "protobuf") {
    // Each chunk of a family is one MetricFamily message: a family streamed in pages is several of one name.
    const message = (definition: FamilyDefinition, series: readonly SeriesSnapshot[]) => {
      const writer = new DelimitedWriter();
      writer.family(familyMessage(definition, series));
      return writer.finish();
    };
    return {
      chunk: (chunk) =>
        chunk.kind === "protobuf"
          ? chunk.bytes
          : message(chunk.definition, chunk.kind === "snapshots" ? chunk.snapshots : []),
      family: (family) => message(family, family.series),
      end: () => "",
    };
  }
  return {
    chunk: (chunk, first) =>
      (first ? familyHeader(chunk.definition, format) : "") + (chunk.kind === "text" ? chunk.text : ""),
    family: (family) => familyHeader(family, format) + seriesLines(family, family.series, format),
    end: () => expositionEnd(format),
  };
}

/** The whole exposition in `format`, piece by piece. */
async function* exposition(
  env: Env,
  entries: CatalogEntry[],
  tally: Tally,
  format: ScrapeFormat,
  started: number,
  collecting: Promise<Collected>,
  exporting: Promise<ExportStats | undefined>,
): AsyncGenerator<Piece> {
  const render = renderer(format);
  const seen: FamilySeen[] = [];
  const unreadable: string[] = [];
  for (const reader of readers(env, tally, entries, format)) {
    const family: FamilySeen = { name: reader.entry.name, seriesCount: 0 };
    let opened = false;
    try {
      for await (const chunk of reader.chunks()) {
        const piece = render.chunk(chunk, !opened);
        opened = true;
        family.seriesCount += chunk.seriesCount;
        if (chunk.lastUpdated !== undefined) family.lastUpdated = Math.max(family.lastUpdated ?? 0, chunk.lastUpdated);
        yield piece;
      }
    } catch (error) {
      reportFailure(reader.entry.name, error);
      // Part of the family is out already: the scrape cannot leave it out any more, so it fails as a whole.
      if (opened) throw new Error(`family ${JSON.stringify(reader.entry.name)} failed part-way through the scrape`);
      unreadable.push(reader.entry.name);
    }
    if (opened) seen.push(family);
  }
  const collectSeconds = (Date.now() - started) / 1000;
  const collected = await collecting;
  for (const family of collected.families) yield render.family(family);
  const gauges = scrapeGauges(
    {
      families: seen,
      collectSeconds,
      objectRequests: tally.requests,
      unreadable,
      collectorProblems: collected.problems,
      familiesListed: entries.length,
      familiesLimit: maxFamilies(env),
    },
    Date.now() / 1000,
  );
  for (const gauge of gauges) yield render.family(gauge);
  const exported = await exporting;
  if (exported) for (const family of remoteWriteFamilies(exported, Date.now() / 1000)) yield render.family(family);
  yield render.end();
}

/**
 * GET /metrics: the negotiated format, streamed, with a versioned Content-Type. Concurrent scrapes of a format share
 * one collection (and, with SCRAPE_CACHE_SECONDS, repeats within that time share a finished one); the collection runs
 * in the request that started it, kept alive by its `waitUntil`.
 */
export async function scrapeResponse(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  options: ScrapeOptions,
): Promise<Response> {
  const { flights } = options;
  const format = scrapeFormat(request, env);
  const headers = { "content-type": contentTypeOf(format), "cache-control": "no-store" };
  const joinable = flights.get(format);
  if (joinable?.joinable(Date.now())) {
    await joinable.whenStarted();
    // Still whole after the wait (nothing awaited from here on): read it from its first byte. Otherwise start anew.
    if (joinable.joinable(Date.now())) return new Response(joinable.reader(false), { headers });
  }
  const started = Date.now();
  const tally: Tally = { requests: 0 };
  const flight = new ScrapeFlight(scrapeCacheMs(env));
  if (format === "protobuf") flight.abortedTail = ABORTED_BINARY_TAIL;
  flights.set(format, flight);
  let entries: CatalogEntry[];
  try {
    entries = await listFamilies(env, tally);
  } catch (error) {
    // The catalog could not be listed: this scrape and those waiting to join fail (500); the next one starts afresh.
    flight.abandon(error);
    if (flights.get(format) === flight) flights.delete(format);
    throw error;
  }
  // A stored counter may be kept bare: both its names are taken.
  const storedSamples = new Set(entries.flatMap((entry) => writtenSampleNames(entry.name, entry.type, true)));
  const collecting = runCollectors(options.collectors, env as never, {
    timeoutMs: options.collectorTimeoutMs,
    limits: limits(env),
    stored: (sample) => storedSamples.has(sample),
  });
  // With remote-write configured, the exporter's counts join the Worker's own metrics (one object request).
  const exporting =
    env.REMOTE_WRITE_URL && env.METRICS_EXPORT
      ? env.METRICS_EXPORT.getByName("remote-write")
          .stats()
          .catch(() => undefined)
      : Promise.resolve(undefined);
  if (env.REMOTE_WRITE_URL && env.METRICS_EXPORT) tally.requests++;
  ctx.waitUntil(flight.run(exposition(env, entries, tally, format, started, collecting, exporting)));
  return new Response(flight.reader(true), { headers });
}

/**
 * Every stored family (or those named in `only`), sorted by name, with its shards merged, as snapshots (for tests, the
 * Pushgateway's read API and code that embeds the metrics Worker). A family that cannot be read is left out and
 * handed to `onFailure`.
 */
export async function collectFamilies(
  env: Env,
  onFailure: (family: string, error: unknown) => void = () => {},
  only?: ReadonlySet<string>,
): Promise<FamilySnapshot[]> {
  const tally: Tally = { requests: 0 };
  const families: FamilySnapshot[] = [];
  const listed = (await listFamilies(env, tally)).filter((entry) => !only || only.has(entry.name));
  for (const reader of readers(env, tally, listed, undefined)) {
    try {
      let family: FamilySnapshot | undefined;
      for await (const chunk of reader.chunks()) {
        family ??= { ...chunk.definition, series: [] };
        if (chunk.kind === "snapshots") family.series.push(...chunk.snapshots);
      }
      if (family) families.push(family);
    } catch (error) {
      onFailure(reader.entry.name, error);
    }
  }
  return families;
}
