// The one plain-data seam: what a flush sends (a Push of FamilyPush parts) and what a scrape renders
// (FamilySnapshot). The client, the HTTP protocol, the RPC path, the Durable Object and the encoder all speak these
// types. A `name` a producer sends is the metric's name as it declares it (a counter may end in `_total`); the one
// definition check turns it into the family name (names.ts), and every `name` past it (stored definitions, outcomes,
// snapshots) is a family name: a counter family `jobs` is exposed as `jobs_total`.

import type { LimitExceeded } from "./limits.ts";
import type { NativeBuckets, NativeSettings } from "./native-histogram.ts";
import type { SketchData } from "./sketch.ts";

/**
 * `untyped`: a sample pushed without a type (a text line with no `# TYPE`): stored and merged like a gauge whose
 * merge policy is "set", exposed as `untyped` (text 0.0.4) or `unknown` (OpenMetrics), as the Pushgateway keeps it.
 */
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

/**
 * How concurrent writers of a gauge combine: `set` — last write wins, and inc/dec adjust the stored value;
 * `sum` — every writer's inc/dec adds up (set is refused); `max` / `min` — the largest / smallest value set wins
 * (inc/dec are refused).
 */
export type GaugeMerge = "set" | "sum" | "max" | "min";

/** Label values of one series, keyed by label name. */
export type Labels = Record<string, string>;

/** An exemplar (OpenMetrics): a trace's labels beside one increment or observation, its value, its time in seconds. */
export interface Exemplar {
  labels: Labels;
  value: number;
  timestamp: number;
}

/**
 * A series' exemplars by slot (a counter has one, a histogram one per bucket, +Inf last), null where it has none;
 * the later one of a slot is kept (lib/protocol/exemplars.ts).
 */
export type Exemplars = (Exemplar | null)[];

/**
 * A point of a cumulative stream (a producer that reports totals since its stream started, as an OpenTelemetry
 * exporter with cumulative temporality does): the stream's id, its start and the point's time (nanoseconds since the
 * epoch, as decimal text). The store adds what the totals grew since the stream's last point (lib/store/cumulative.ts).
 */
export interface CumulativePoint {
  stream: string;
  start: string;
  time: string;
}

/**
 * A counter series delta: the sum of increments since the last flush, and its latest exemplar if any; and points of
 * cumulative streams, each with its total, whose growth the store adds too.
 */
export interface CounterDelta {
  labels: Labels;
  inc: number;
  exemplars?: Exemplars;
  cumulative?: (CumulativePoint & { total: number })[];
}

/** A gauge (or untyped) series delta: either an absolute value (`set`) or a relative change (`inc`, may be negative). */
export interface GaugeDelta {
  labels: Labels;
  set?: number;
  inc?: number;
}

/**
 * A histogram series delta: per-bucket (not cumulative) counts, one more than `buckets` (+Inf last), and the sum; a
 * native histogram's also its exponential buckets (holding as many observations as `counts`).
 */
export interface HistogramDelta {
  labels: Labels;
  counts: number[];
  sum: number;
  native?: NativeBuckets;
  /** Each bucket's latest exemplar, if any. */
  exemplars?: Exemplars;
  /** Points of cumulative streams, each with its totals (per-bucket counts, sum, native buckets) since its start. */
  cumulative?: (CumulativePoint & { counts: number[]; sum: number; native?: NativeBuckets })[];
}

/** A summary series delta: observation count and sum, and a mergeable quantile sketch of the observations. */
export interface SummaryDelta {
  labels: Labels;
  count: number;
  sum: number;
  sketch?: SketchData;
}

export type SeriesDelta = CounterDelta | GaugeDelta | HistogramDelta | SummaryDelta;

/** What identifies a family: a second push with a different definition is a conflict. */
export interface FamilyDefinition {
  /**
   * The family name: a counter's without its one trailing `_total`. In what a producer sends, the metric's name as
   * declared (`jobs_total` or `jobs`), which the definition check turns into the family name.
   */
  name: string;
  type: MetricType;
  help: string;
  labelNames: string[];
  /** Histogram upper bounds, strictly increasing, without +Inf (none: a native histogram only). Histograms only. */
  buckets?: number[];
  /** Histograms only: the series also keep native (exponential) buckets, with these settings. */
  native?: NativeSettings;
  /**
   * Counters only: declared without `_total` (a client metric or collector named so, a Pushgateway body's samples, or
   * this flag in JSON), so text 0.0.4 and protobuf show its samples under the family name, as prom-client and the
   * Pushgateway did (names.ts `textName`). Kept from the first push; never a conflict.
   */
  withoutTotal?: boolean;
  /** Gauges only: how concurrent writers combine. Default "set". */
  merge?: GaugeMerge;
  /** Summaries only: the quantiles to report, strictly increasing in [0, 1]. */
  percentiles?: number[];
  /** Summaries only: quantiles cover the last maxAgeSeconds (0 = all time) … */
  maxAgeSeconds?: number;
  /** … in this many rotating windows. */
  ageBuckets?: number;
  /** Series not updated for this long disappear (0 = never; absent = the Worker's default). */
  ttlSeconds?: number;
  /**
   * Objects the family's pushes are spread over (absent = 1). May change at any time: the scrape reads every object
   * the family was ever written to, so nothing is lost or counted twice.
   */
  shards?: number;
  /**
   * Stored definitions only (never on the wire): label names that pushes inferred from samples (the Pushgateway API)
   * added after the declared ones, so the declared label names still identify the declaring producers' pushes.
   */
  addedLabelNames?: string[];
}

/** One family's part of a push: deletions first (`reset` = every series, `remove` = these), then the deltas. */
export interface FamilyPush extends FamilyDefinition {
  series: SeriesDelta[];
  reset?: boolean;
  remove?: Labels[];
  /**
   * The part's series replace the stored ones instead of adding to them (their creation time is kept): what a
   * process that pushes cumulative totals needs (a Pushgateway `PUT`). Series the part does not carry are untouched.
   */
  replace?: boolean;
  /**
   * The Pushgateway group the part's series belong to (its grouping key: job and grouping labels, as pushed in the
   * path). Each series it writes records the group (lib/store/family-store.ts); with `replace`, the group's series in
   * the family become exactly the part's. Its names are label names of the family, and every series carries its values.
   */
  grouping?: Labels;
  /**
   * The definition was inferred from samples (a text-format push): when the family is stored, its label order, merge
   * policy, quantile settings, time to live and shards are kept; type, label names (in any order) and buckets must
   * agree.
   */
  inferred?: boolean;
}

/**
 * One push (a flush sends one or more): its optional push id and the families it touches. On the wire (JSON, RPC) the
 * push id travels as `batch`, the name it had first (`toWire`); the check takes either.
 */
export interface Push {
  /** The push id (idempotency key): a push sent again with the same id is applied at most once per family. */
  pushId?: string;
  families: FamilyPush[];
}

/** The stored state of one series, as the encoder renders it. */
export interface SeriesSnapshot {
  labels: Labels;
  /** Creation time in seconds since the epoch (the protobuf scrape's `created_timestamp`). */
  created: number;
  /** Last update in seconds since the epoch (not exposed per series; feeds the last-push gauge). */
  updated?: number;
  /** Counter total or gauge value. */
  value?: number;
  /** Histogram per-bucket counts (not cumulative), +Inf last. */
  counts?: number[];
  /** A native histogram's exponential buckets. */
  native?: NativeBuckets;
  /** Histogram/summary sum and summary count. */
  sum?: number;
  count?: number;
  /** Summary quantiles over the current window, [quantile, value] pairs in increasing quantile order. */
  quantiles?: number[][];
  /** A counter's or a histogram's exemplars (OpenMetrics shows them). */
  exemplars?: Exemplars;
  /** The Pushgateway group that last wrote the series (its `groupingId`), if one did (not rendered). */
  grouping?: string;
}

/** A whole family as stored: its definition and every series. */
export interface FamilySnapshot extends FamilyDefinition {
  series: SeriesSnapshot[];
}

/**
 * A series as one object stores it: its key and labels, its state, and times in milliseconds since the epoch. A family
 * spread over several objects has one part per object that saw the series; the scrape merges them.
 */
export interface SeriesPart {
  key: string;
  labels: Labels;
  created: number;
  updated: number;
  value?: number;
  counts?: number[];
  native?: NativeBuckets;
  sum?: number;
  count?: number;
  /** Summary sketches by time window. */
  windows?: Record<string, SketchData>;
  exemplars?: Exemplars;
  /** The Pushgateway group that last wrote the series (its `groupingId`), if one did. */
  grouping?: string;
}

/** What every page that holds the family says: its definition, its series count, their latest update, what follows. */
export interface PageOf {
  definition: FamilyDefinition;
  /** Series on the page (a rendered page: those the scrape shows). */
  seriesCount: number;
  /** The latest update among them, in seconds since the epoch. */
  lastUpdated?: number;
  /** Where the next page starts; absent on the last page. */
  next?: string;
  /**
   * With `next`: the snapshot the object holds for the pages that follow (ask them with it, and they show the family
   * as it was at this page). Absent when it could not keep one: the next pages are read as they are then.
   */
  snapshot?: string;
}

/**
 * One page of a family, as one object hands it out: nothing (the object holds no family); its live series rendered
 * in a format (a family in one object); its live series as snapshots; or every stored part, unrendered (a family
 * spread over shards, which the reader merges).
 */
export type FamilyPage =
  /** No family here (a shard asked for raw parts may still carry fences: a group replaced here in a family it never held). */
  | { kind: "empty"; fences?: GroupFence[] }
  | (PageOf & { kind: "text"; text: string })
  /** Its live series as one protobuf MetricFamily message, length-delimited (a family in one object). */
  | (PageOf & { kind: "protobuf"; bytes: Uint8Array })
  | (PageOf & { kind: "snapshots"; snapshots: SeriesSnapshot[] })
  | (PageOf & {
      kind: "parts";
      parts: SeriesPart[];
      /**
       * Shard 0 only: the shards whose series it took in when the family was narrowed (they keep serving their old
       * parts for a while, for readers that read them before): a reader skips their parts.
       */
      absorbed?: number[];
      /** This shard's group replacements whose old parts other shards still hold (on every page of raw parts). */
      fences?: GroupFence[];
    });

/**
 * A Pushgateway group replaced on shard `home` while other shards held some of it (lib/store/group-fences.ts): on
 * shard k, the parts of the group, and of `keys`, updated no later than `before[k]` (ms) are replaced.
 */
export interface GroupFence {
  /** The group (a `groupingId`). */
  grouping: string;
  /** Series outside the group that the replacement took over. */
  keys: string[];
  home: number;
  before: Record<string, number>;
}

/** How one family's part of a push ended. */
export type FamilyOutcome =
  | { name: string; status: "applied" /** Series the part carried. */; series: number }
  | { name: string; status: "duplicate" }
  | {
      name: string;
      status: "rejected";
      code: number;
      error: string;
      /** For a 413 over a size limit a push can be split by: which limit, and its value. */
      limit?: LimitExceeded;
    };

/** A push as it travels over HTTP and RPC: the push id under its wire name, `batch`. */
export interface WirePush {
  batch?: string;
  families: FamilyPush[];
}

/** `push` as it travels: the push id as `batch`. */
export function toWire(push: Push): WirePush {
  return { ...(push.pushId !== undefined ? { batch: push.pushId } : {}), families: push.families };
}

/** How JSON spells the sample values it has no number for (a gauge may be set to them): as Prometheus writes them. */
const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  "+Inf": Number.POSITIVE_INFINITY,
  "-Inf": Number.NEGATIVE_INFINITY,
};

/**
 * A non-finite sample value as text (`NaN`, `+Inf`, `-Inf`), or undefined for a finite one.
 * @example nonFiniteText(-Infinity); // "-Inf"
 */
export function nonFiniteText(value: number): string | undefined {
  if (Number.isNaN(value)) return "NaN";
  if (Number.isFinite(value)) return undefined;
  return value > 0 ? "+Inf" : "-Inf";
}

/** The number a JSON value stands for: a number, or one of `NaN`, `+Inf`, `-Inf`; undefined for anything else. */
export function numberOfJson(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  return typeof value === "string" && Object.hasOwn(NON_FINITE, value) ? NON_FINITE[value] : undefined;
}

/**
 * JSON text of `value` whose non-finite numbers are spelled as text (JSON has no number for them): what a JSON push
 * sends for a gauge set to NaN, and what the Worker stores. Read back with `numberOfJson` where a value may be one.
 */
export function toJson(value: unknown): string {
  // The plain encoder is about three times as fast as one with a replacer, and writes a non-finite number as null:
  // text without "null" held none, and is the answer (the usual case, on every push and every stored row).
  const plain = JSON.stringify(value);
  if (plain === undefined || !plain.includes("null")) return plain;
  return JSON.stringify(value, (_key, v) => (typeof v === "number" ? (nonFiniteText(v) ?? v) : v));
}
