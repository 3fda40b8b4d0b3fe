// Every way a producer pushes into the metrics Worker, behind one shape, so that a rule about data (names, limits,
// merge policy, auth scope) is proven by one table run through all of them: the client library with the Durable
// Object transport, JSON over HTTP (POST /push), the MetricsService RPC, and the Pushgateway API (text bodies and
// protobuf bodies) and OTLP/HTTP. An entry added later joins ENTRIES; it gets no test of its own.

import { env, exports } from "cloudflare:workers";
import { Counter } from "../../../lib/client/metrics/counter.ts";
import { Gauge } from "../../../lib/client/metrics/gauge.ts";
import { Histogram } from "../../../lib/client/metrics/histogram.ts";
import { Summary } from "../../../lib/client/metrics/summary.ts";
import { Registry } from "../../../lib/client/registry.ts";
import { DurableObjectTransport, type FamilyNamespace } from "../../../lib/client/transports/durable-object.ts";
import { bucketOf } from "../../../lib/protocol/exemplars.ts";
import { formatValue } from "../../../lib/protocol/exposition.ts";
import { addToSketch, emptySketch, sketchData } from "../../../lib/protocol/sketch.ts";
import { type DeliveryOutcome, REFUSED_WITH_PUSH } from "../../../lib/protocol/transport.ts";
import {
  type Exemplar,
  type FamilyPush,
  type Labels,
  type Push,
  type SeriesDelta,
  toJson,
} from "../../../lib/protocol/wire.ts";
import { DelimitedWriter, type ProtoMetric } from "../../../worker/protobuf/messages.ts";
import { bucketByDefinition } from "../../fixtures/native-buckets.ts";

export const PUSH_TOKEN = "test-push-token";

/** One series as a producer records it: a counter's increment, a gauge's value, a histogram's observations. */
export interface ProducedSeries {
  labels?: Labels;
  value?: number;
  observations?: number[];
  /** A trace's labels beside the increment (a counter) or each observation (a histogram): an exemplar. */
  exemplarLabels?: Labels;
  /** A counter's `value` is the total of this cumulative stream since its start (times in nanoseconds). */
  cumulative?: { stream: string; start: string; time: string };
}

/** A metric as a producer declares and records it, in any entry's terms. */
export interface ProducedMetric {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  labelNames?: string[];
  buckets?: number[];
  /** A histogram's native buckets: their resolution (default 3) and zero threshold (default 2^-128). */
  native?: { schema?: number; zeroThreshold?: number };
  /**
   * A Pushgateway group named on the wire (`grouping`), and whether the part replaces it (`replace`): what the
   * Pushgateway API makes of a path and a method, sent as JSON or over the RPC.
   */
  grouping?: Labels;
  replace?: boolean;
  /** A summary's quantiles. */
  percentiles?: number[];
  ttlSeconds?: number;
  shards?: number;
  series: ProducedSeries[];
}

/** What the producer was told: accepted (everything applied), or the status and error of the refusal. */
export interface EntryReply {
  accepted: boolean;
  status: number;
  error: string;
}

export interface Entry {
  name: string;
  /** Labels the entry adds to every series it pushes (the Pushgateway's grouping key, and `instance`). */
  labels: Labels;
  /**
   * A counter it creates from a name without `_total` keeps that name in text 0.0.4: the client's metrics (declared
   * so, as prom-client showed them) and the Pushgateway API (samples named so, as the Pushgateway showed them). JSON
   * and the RPC carry the choice as `withoutTotal`, which the table's producers do not set.
   */
  keepsBareCounterNames?: boolean;
  /**
   * True when a push is applied or refused whole. The Durable Object transport sends each family to its own object
   * (one request each, in parallel), so a family refused there does not hold back the others (README, "Limits").
   */
  wholePush: boolean;
  /** True when the entry is a Worker bound to the metrics Worker, trusted to declare `shards`. */
  bound: boolean;
  /** Why the entry cannot carry `metric` (a text body has no TTL), or undefined when it can. */
  cannotCarry(metric: ProducedMetric): string | undefined;
  /** Pushes `metrics` as one push (one flush, one request, one RPC). */
  push(metrics: ProducedMetric[], options?: { token?: string; pushId?: string }): Promise<EntryReply>;
}

const help = (m: ProducedMetric) => m.help ?? "Help.";

/** A histogram series' per-bucket counts (+Inf last) and sum from its observations. */
function histogramDelta(buckets: readonly number[], observations: readonly number[]) {
  const counts = [...buckets, Number.POSITIVE_INFINITY].map(() => 0);
  for (const v of observations) {
    const i = buckets.findIndex((b) => v <= b);
    counts[i < 0 ? buckets.length : i] = (counts[i < 0 ? buckets.length : i] ?? 0) + 1;
  }
  return { counts, sum: observations.reduce((a, b) => a + b, 0) };
}

/**
 * A native histogram series' buckets from its observations, by the definition of the buckets (bucket i of schema s
 * holds magnitudes in (2^((i-1)·2^-s), 2^(i·2^-s)]), not by the library's code.
 */
export function nativeOf(native: NonNullable<ProducedMetric["native"]>, observations: readonly number[]) {
  const schema = native.schema ?? 3;
  const zeroThreshold = native.zeroThreshold ?? 2 ** -128;
  const sides = { positive: new Map<number, number>(), negative: new Map<number, number>() };
  let zeroCount = 0;
  for (const v of observations) {
    if (Math.abs(v) <= zeroThreshold) {
      zeroCount++;
      continue;
    }
    const i = bucketByDefinition(Math.abs(v), schema);
    const side = v > 0 ? sides.positive : sides.negative;
    side.set(i, (side.get(i) ?? 0) + 1);
  }
  const pairs = (side: Map<number, number>) => [...side].sort((a, b) => a[0] - b[0]);
  return { schema, zeroThreshold, zeroCount, positive: pairs(sides.positive), negative: pairs(sides.negative) };
}

/** A summary series' count, sum and sketch (its observations kept exactly while few) from its observations. */
function summaryDelta(observations: readonly number[]) {
  const sketch = emptySketch();
  for (const v of observations) addToSketch(sketch, v);
  return { count: observations.length, sum: observations.reduce((a, b) => a + b, 0), sketch: sketchData(sketch) };
}

/** The wire form of `metrics`: what JSON producers and bound Workers send. */
export function wirePush(metrics: ProducedMetric[], pushId?: string): Push {
  const families: FamilyPush[] = metrics.map((m) => ({
    name: m.name,
    type: m.type,
    help: help(m),
    labelNames: m.labelNames ?? [],
    ...(m.buckets || m.type === "histogram" ? { buckets: m.buckets ?? [] } : {}),
    ...(m.native
      ? {
          native: {
            schema: m.native.schema ?? 3,
            zeroThreshold: m.native.zeroThreshold ?? 2 ** -128,
            maxBuckets: 160,
          },
        }
      : {}),
    ...(m.percentiles ? { percentiles: m.percentiles } : {}),
    ...(m.ttlSeconds !== undefined ? { ttlSeconds: m.ttlSeconds } : {}),
    ...(m.shards !== undefined ? { shards: m.shards } : {}),
    ...(m.grouping ? { grouping: m.grouping } : {}),
    ...(m.replace ? { replace: true } : {}),
    series: m.series.map((s): SeriesDelta => {
      const labels = s.labels ?? {};
      const now = Date.now() / 1000;
      const traced = (value: number) => (s.exemplarLabels ? { labels: s.exemplarLabels, value, timestamp: now } : null);
      if (m.type === "counter" && s.cumulative)
        return { labels, inc: 0, cumulative: [{ ...s.cumulative, total: s.value ?? 0 }] };
      if (m.type === "counter")
        return { labels, inc: s.value ?? 0, ...(s.exemplarLabels ? { exemplars: [traced(s.value ?? 0)] } : {}) };
      if (m.type === "histogram") {
        const classic = histogramDelta(m.buckets ?? [], s.observations ?? []);
        const delta = m.native ? { ...classic, native: nativeOf(m.native, s.observations ?? []) } : classic;
        if (!s.exemplarLabels) return { labels, ...delta };
        const exemplars: (Exemplar | null)[] = delta.counts.map(() => null);
        for (const v of s.observations ?? []) exemplars[bucketOf(m.buckets ?? [], v)] = traced(v);
        return { labels, ...delta, exemplars };
      }
      if (m.type === "summary") return { labels, ...summaryDelta(s.observations ?? []) };
      return { labels, set: s.value ?? 0 };
    }),
  }));
  return { ...(pushId !== undefined ? { batch: pushId } : {}), families };
}

/** Label pairs between braces, as the text format writes them (values are plain in these tables). */
const braces = (labels: Labels) => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
};

/** The text-format 0.0.4 body a Prometheus client would push for `metrics`. */
export function textBody(metrics: ProducedMetric[]): string {
  let out = "";
  for (const m of metrics) {
    if (m.type !== "untyped") out += `# HELP ${m.name} ${help(m)}\n# TYPE ${m.name} ${m.type}\n`;
    for (const s of m.series) {
      const labels = s.labels ?? {};
      if (m.type !== "histogram") {
        out += `${m.name}${braces(labels)} ${formatValue(s.value ?? 0)}\n`;
        continue;
      }
      const { counts, sum } = histogramDelta(m.buckets ?? [], s.observations ?? []);
      let cumulative = 0;
      counts.forEach((c, i) => {
        cumulative += c;
        const le = i < (m.buckets ?? []).length ? String(m.buckets?.[i]) : "+Inf";
        out += `${m.name}_bucket${braces({ ...labels, le })} ${cumulative}\n`;
      });
      out += `${m.name}_sum${braces(labels)} ${sum}\n${m.name}_count${braces(labels)} ${cumulative}\n`;
    }
  }
  return out;
}

/** A reply from per-family outcomes: accepted when every family applied (or was a replay). */
function fromOutcomes(outcomes: readonly DeliveryOutcome[]): EntryReply {
  // The family that was refused, rather than those refused with it (REFUSED_WITH_PUSH).
  const refusals = outcomes.filter((o) => o.status === "rejected" || o.status === "failed");
  const refused = refusals.find((o) => o.status !== "rejected" || o.code !== REFUSED_WITH_PUSH) ?? refusals[0];
  if (!refused) return { accepted: true, status: 200, error: "" };
  return refused.status === "rejected"
    ? { accepted: false, status: refused.code, error: refused.error }
    : { accepted: false, status: 503, error: refused.error };
}

async function httpReply(response: Response): Promise<EntryReply> {
  const body = (await response.json()) as { error?: string; families?: DeliveryOutcome[] };
  if (response.status === 200) return { accepted: true, status: 200, error: "" };
  const outcome = body.families ? fromOutcomes(body.families).error : "";
  return { accepted: false, status: response.status, error: body.error ?? outcome };
}

const post = (path: string, body: string, headers: Record<string, string>) =>
  exports.default.fetch(new Request(`http://metrics.test${path}`, { method: "POST", body, headers }));

/**
 * The client library: metrics declared as prom-client users do, flushed through the Durable Object transport: to the
 * family objects (one request per family), or with the ingest objects' namespace (one request per push).
 */
const clientEntry = (name: string, transport: () => DurableObjectTransport): Entry => ({
  name,
  labels: {},
  // A counter declared without `_total` keeps that name in text 0.0.4, as prom-client showed it.
  keepsBareCounterNames: true,
  // The client's delivery sends the families a whole-push refusal held back (424) again without the refused one.
  wholePush: false,
  bound: true,
  cannotCarry: (m) => {
    if (m.series.some((s) => s.cumulative)) return "the client sends deltas, not a stream's totals";
    if (m.grouping || m.replace) return "the client names no Pushgateway group and replaces nothing";
    return m.type === "untyped" ? "the client has no untyped metric" : undefined;
  },
  async push(metrics) {
    const errors: string[] = [];
    const registry = new Registry({ onError: (message) => errors.push(message) });
    try {
      for (const m of metrics) {
        const common = {
          name: m.name,
          help: help(m),
          labelNames: m.labelNames ?? [],
          registers: [registry],
          ...(m.ttlSeconds !== undefined ? { ttlSeconds: m.ttlSeconds } : {}),
          ...(m.shards !== undefined ? { shards: m.shards } : {}),
        };
        if (m.type === "counter") {
          const c = new Counter({ ...common, enableExemplars: true });
          for (const s of m.series)
            c.inc({
              labels: s.labels ?? {},
              value: s.value ?? 0,
              ...(s.exemplarLabels ? { exemplarLabels: s.exemplarLabels } : {}),
            });
        } else if (m.type === "gauge") {
          const g = new Gauge(common);
          for (const s of m.series) g.set(s.labels ?? {}, s.value ?? 0);
        } else if (m.type === "summary") {
          const summary = new Summary({ ...common, percentiles: m.percentiles ?? [] });
          for (const s of m.series) for (const v of s.observations ?? []) summary.observe(s.labels ?? {}, v);
        } else {
          const native = m.native ? { native: m.native } : {};
          const h = new Histogram({ ...common, buckets: m.buckets ?? [], ...native, enableExemplars: true });
          for (const s of m.series)
            for (const v of s.observations ?? [])
              h.observe({
                labels: s.labels ?? {},
                value: v,
                ...(s.exemplarLabels ? { exemplarLabels: s.exemplarLabels } : {}),
              });
        }
      }
    } catch (error) {
      // A definition the server would refuse throws where it is declared.
      return { accepted: false, status: 400, error: (error as Error).message };
    }
    const result = await registry.flush(transport());
    if (result.rejected === 0 && result.retained === 0) return { accepted: true, status: 200, error: "" };
    const message = errors.join("\n");
    const code = Number(/refused \((\d{3})\)/.exec(message)?.[1] ?? 503);
    return { accepted: false, status: code, error: message };
  },
});

const family = env.METRICS_FAMILY as unknown as FamilyNamespace;
const client = clientEntry("client + Durable Object transport", () => new DurableObjectTransport(family));
const clientViaIngest = clientEntry(
  "client + Durable Object transport via the ingest objects",
  () => new DurableObjectTransport(family, { ingest: env.METRICS_INGEST as unknown as FamilyNamespace }),
);

/** JSON over HTTP: POST /push with a bearer token. */
const json: Entry = {
  name: "JSON over HTTP",
  labels: {},
  wholePush: true,
  bound: false,
  cannotCarry: () => undefined,
  async push(metrics, { token = PUSH_TOKEN, pushId } = {}) {
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    // NaN and ±Inf as JSON spells them ("NaN", "+Inf", "-Inf").
    return httpReply(await post("/push", toJson(wirePush(metrics, pushId)), headers));
  },
};

/** The MetricsService RPC entrypoint, as a bound Worker calls it. */
const rpc: Entry = {
  name: "MetricsService RPC",
  labels: {},
  wholePush: true,
  bound: true,
  cannotCarry: () => undefined,
  async push(metrics, { pushId } = {}) {
    const service = exports.MetricsService as unknown as { push(push: Push): Promise<DeliveryOutcome[]> };
    return fromOutcomes(await service.push(wirePush(metrics, pushId)));
  },
};

/** The Pushgateway API: POST /metrics/job/<job> with a text-format body. */
const pushgateway: Entry = {
  name: "Pushgateway API",
  labels: { instance: "", job: "entry" },
  keepsBareCounterNames: true,
  wholePush: true,
  bound: false,
  cannotCarry: (m) => {
    if (m.ttlSeconds !== undefined || m.shards !== undefined) return "a text body carries no TTL or shards";
    if (m.grouping || m.replace) return "a Pushgateway push's group is its path, and PUT replaces all of it";
    if (m.type === "summary") return "a text body carries quantiles its pusher computed, not observations";
    if (m.series.some((s) => s.exemplarLabels)) return "a text 0.0.4 body carries no exemplars";
    if (m.native) return "the text format has no native buckets";
    if (m.series.some((s) => s.cumulative)) return "a Pushgateway push carries no stream";
    return undefined;
  },
  async push(metrics, { token = PUSH_TOKEN, pushId } = {}) {
    const headers: Record<string, string> = {
      "content-type": "text/plain; version=0.0.4",
      authorization: `Bearer ${token}`,
      ...(pushId !== undefined ? { "idempotency-key": pushId } : {}),
    };
    return httpReply(await post("/metrics/job/entry", textBody(metrics), headers));
  },
};

/** The protobuf body client_golang's push helper would send for `metrics` (native buckets as spans and deltas). */
export function protobufBody(metrics: ProducedMetric[]): Uint8Array {
  const writer = new DelimitedWriter();
  for (const m of metrics) {
    const type = m.type;
    const metricsOf = m.series.map((s): ProtoMetric => {
      const labels = Object.entries(s.labels ?? {});
      if (type === "counter") return { labels, counter: { value: s.value ?? 0 } };
      if (type === "gauge") return { labels, gauge: s.value ?? 0 };
      if (type === "untyped") return { labels, untyped: s.value ?? 0 };
      const observations = s.observations ?? [];
      const { counts, sum } = histogramDelta(m.buckets ?? [], observations);
      let cumulative = 0;
      const buckets = (m.buckets ?? []).map((upperBound, i) => {
        cumulative += counts[i] ?? 0;
        return { cumulativeCount: cumulative, upperBound };
      });
      const native = m.native && nativeOf(m.native, observations);
      const side = (pairs: number[][]) => {
        const spans: number[][] = [];
        let next = 0;
        for (const [index = 0] of pairs) {
          const last = spans.at(-1);
          if (last && index === next) last[1] = (last[1] ?? 0) + 1;
          else spans.push([index - next, 1]);
          next = index + 1;
        }
        return { spans, counts: pairs.map(([, c]) => c as number) };
      };
      const [positive, negative] = native ? [side(native.positive), side(native.negative)] : [];
      return {
        labels,
        histogram: {
          sampleCount: observations.length,
          sampleSum: sum,
          buckets,
          ...(native && positive && negative
            ? {
                native: {
                  schema: native.schema,
                  zeroThreshold: native.zeroThreshold,
                  zeroCount: native.zeroCount,
                  positiveSpans: positive.spans,
                  positiveCounts: positive.counts,
                  negativeSpans: negative.spans,
                  negativeCounts: negative.counts,
                },
              }
            : {}),
        },
      };
    });
    writer.family({ name: m.name, help: help(m), type: type === "summary" ? "summary" : type, metrics: metricsOf });
  }
  return writer.finish();
}

/** The Pushgateway API with a protobuf body, as client_golang's push helper sends it. */
const pushgatewayProtobuf: Entry = {
  name: "Pushgateway API (protobuf)",
  labels: { instance: "", job: "entry-protobuf" },
  keepsBareCounterNames: true,
  wholePush: true,
  bound: false,
  cannotCarry: (m) => {
    if (m.ttlSeconds !== undefined || m.shards !== undefined) return "a protobuf body carries no TTL or shards";
    if (m.grouping || m.replace) return "a Pushgateway push's group is its path, and PUT replaces all of it";
    if (m.type === "summary") return "a protobuf body carries quantiles its pusher computed, not observations";
    if (m.series.some((s) => s.exemplarLabels)) return "a pushed protobuf body's exemplars are left out";
    if (m.series.some((s) => s.cumulative)) return "a Pushgateway push carries no stream";
    return undefined;
  },
  async push(metrics, { token = PUSH_TOKEN, pushId } = {}) {
    const headers: Record<string, string> = {
      "content-type": "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
      authorization: `Bearer ${token}`,
      ...(pushId !== undefined ? { "idempotency-key": pushId } : {}),
    };
    const request = new Request("http://metrics.test/metrics/job/entry-protobuf", {
      method: "POST",
      body: protobufBody(metrics),
      headers,
    });
    return httpReply(await exports.default.fetch(request));
  },
};

let exports_ = 0;

/** The OTLP/JSON export an OpenTelemetry SDK would send for `metrics` (delta temporality, one resource). */
export function otlpBody(metrics: ProducedMetric[]): string {
  // Each export has its own time, as a real exporter's: the same body sent again is a retry.
  const time = String(1_800_000_000_000_000_000n + BigInt(++exports_));
  const attributes = (labels: Labels = {}) =>
    Object.entries(labels).map(([key, value]) => ({ key, value: { stringValue: value } }));
  const otlpMetrics = metrics.map((m) => {
    const base = { name: m.name, description: help(m) };
    const points = <T>(point: (s: ProducedSeries) => T) =>
      m.series.map((s) => ({ attributes: attributes(s.labels), timeUnixNano: time, ...point(s) }));
    const cumulative = m.series.find((s) => s.cumulative)?.cumulative;
    if (m.type === "counter" && cumulative) {
      const dataPoints = m.series.map((s) => ({
        attributes: attributes(s.labels),
        startTimeUnixNano: s.cumulative?.start,
        timeUnixNano: s.cumulative?.time,
        asDouble: s.value ?? 0,
      }));
      return { ...base, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints } };
    }
    if (m.type === "counter")
      return {
        ...base,
        sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points((s) => ({ asDouble: s.value ?? 0 })) },
      };
    if (m.type === "histogram" && m.native) {
      return {
        ...base,
        exponentialHistogram: {
          aggregationTemporality: 1,
          dataPoints: points((s) => {
            const n = nativeOf(m.native ?? {}, s.observations ?? []);
            // OTLP's bucket i is this project's i + 1; offsets and counts per side.
            const side = (pairs: number[][]) => {
              const first = pairs[0]?.[0] ?? 1;
              const last = pairs.at(-1)?.[0] ?? 0;
              const counts = Array.from({ length: Math.max(0, last - first + 1) }, () => 0);
              for (const [i = 0, c = 0] of pairs) counts[i - first] = c;
              return { offset: first - 1, bucketCounts: counts };
            };
            const observations = s.observations ?? [];
            return {
              count: observations.length,
              sum: observations.reduce((a, b) => a + b, 0),
              scale: n.schema,
              zeroCount: n.zeroCount,
              zeroThreshold: n.zeroThreshold,
              positive: side(n.positive),
              negative: side(n.negative),
            };
          }),
        },
      };
    }
    if (m.type === "histogram")
      return {
        ...base,
        histogram: {
          aggregationTemporality: 1,
          dataPoints: points((s) => {
            const { counts, sum } = histogramDelta(m.buckets ?? [], s.observations ?? []);
            return { count: (s.observations ?? []).length, sum, bucketCounts: counts, explicitBounds: m.buckets ?? [] };
          }),
        },
      };
    return { ...base, gauge: { dataPoints: points((s) => ({ asDouble: s.value ?? 0 })) } };
  });
  return JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: otlpMetrics }] }] });
}

/** OTLP/HTTP (JSON), as an OpenTelemetry SDK's exporter sends it. */
const otlp: Entry = {
  name: "OTLP/HTTP (JSON)",
  labels: {},
  wholePush: true,
  bound: false,
  cannotCarry: (m) => {
    if (m.ttlSeconds !== undefined || m.shards !== undefined) return "an OTLP export carries no TTL or shards";
    if (m.grouping || m.replace) return "an OTLP export names no Pushgateway group";
    if (m.type === "summary" || m.type === "untyped") return "OTLP summaries are refused; OTLP has no untyped metric";
    if (m.series.some((s) => s.exemplarLabels)) return "an OTLP export's exemplars are left out";
    if (m.native && (m.buckets ?? []).length > 0) return "an OTLP histogram is explicit or exponential, not both";
    return undefined;
  },
  async push(metrics, { token = PUSH_TOKEN } = {}) {
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const response = await post("/v1/metrics", otlpBody(metrics), headers);
    const body = (await response.json()) as { message?: string; partialSuccess?: { errorMessage?: string } };
    if (response.status === 200 && !body.partialSuccess) return { accepted: true, status: 200, error: "" };
    return { accepted: false, status: response.status, error: body.message ?? body.partialSuccess?.errorMessage ?? "" };
  },
};

/** Every way in, in the order the README lists them. */
export const ENTRIES: readonly Entry[] = [client, clientViaIngest, json, rpc, pushgateway, pushgatewayProtobuf, otlp];

/** The scrape in `format`, as Prometheus asks for it. */
export async function scrape(format: "text" | "openmetrics"): Promise<string> {
  const accept = format === "openmetrics" ? "application/openmetrics-text; version=1.0.0" : "text/plain; version=0.0.4";
  const response = await exports.default.fetch(new Request("http://metrics.test/metrics", { headers: { accept } }));
  if (response.status !== 200) throw new Error(`the scrape answered ${response.status}`);
  return response.text();
}

/** A sample line as the scrape writes it, the entry's own labels first. */
export function sampleLine(entry: Entry, name: string, value: number | string, labels: Labels = {}): string {
  return `${name}${braces({ ...entry.labels, ...labels })} ${value}`;
}
