// Between MetricFamily messages and this project's families. In: a pushed message becomes the samples a text body
// would have carried (text-format/parse.ts's ParsedFamily), a native histogram's buckets riding on its `_count`
// sample, so a protobuf push takes the one path text pushes take (text-format/to-push.ts). Out: a family's series,
// as the scrape reads them, become one MetricFamily message.

import { exemplarSlots } from "../../lib/protocol/exemplars.ts";
import { textName } from "../../lib/protocol/names.ts";
import { fromSpans, type NativeBuckets, toSpans } from "../../lib/protocol/native-histogram.ts";
import type { ParsedFamily, ParsedSample } from "../../lib/protocol/text-format/parse.ts";
import type { Exemplar, FamilyDefinition, SeriesSnapshot } from "../../lib/protocol/wire.ts";
import {
  ProtobufError,
  type ProtoExemplar,
  type ProtoFamily,
  type ProtoHistogram,
  type ProtoMetric,
} from "./messages.ts";

const VALUE_FIELDS = ["counter", "gauge", "untyped", "summary", "histogram"] as const;

/** Which field of a Metric carries each type's value. */
const VALUE_FIELD: Record<ProtoFamily["type"], (typeof VALUE_FIELDS)[number]> = {
  counter: "counter",
  gauge: "gauge",
  untyped: "untyped",
  summary: "summary",
  histogram: "histogram",
  gauge_histogram: "histogram",
};

/** A metric's labels as an object of own properties, refusing a label twice or one the type reserves. */
function labelsOf(metric: ProtoMetric, family: ProtoFamily, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const reserved = family.type === "histogram" ? "le" : family.type === "summary" ? "quantile" : undefined;
  for (const [name, value] of metric.labels) {
    if (Object.hasOwn(labels, name)) throw new ProtobufError(`${where}: the label "${name}" appears twice`);
    if (name === reserved) throw new ProtobufError(`${where}: a ${family.type} cannot have a label "${name}"`);
    Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return labels;
}

/** A histogram's native buckets in canonical form (pairs), or a refusal when spans and counts disagree. */
function nativeOf(h: ProtoHistogram, where: string): NativeBuckets | undefined {
  const n = h.native;
  if (!n) return undefined;
  try {
    return {
      schema: n.schema,
      zeroThreshold: n.zeroThreshold,
      zeroCount: n.zeroCount,
      positive: fromSpans(n.positiveSpans, n.positiveCounts),
      negative: fromSpans(n.negativeSpans, n.negativeCounts),
    };
  } catch (error) {
    throw new ProtobufError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The samples a text body would carry for `metric`, all on line `line` (the message's number). */
function samplesOf(family: ProtoFamily, metric: ProtoMetric, line: number, where: string): ParsedSample[] {
  const labels = labelsOf(metric, family, where);
  const sample = (suffix: string, value: number, extra?: Record<string, string>): ParsedSample => ({
    name: family.name + suffix,
    labels: extra ? { ...labels, ...extra } : labels,
    value,
    line,
  });
  switch (family.type) {
    case "counter":
      return [sample("", metric.counter?.value ?? 0)];
    case "gauge":
      return [sample("", metric.gauge ?? 0)];
    case "untyped":
      return [sample("", metric.untyped ?? 0)];
    case "summary": {
      const s = metric.summary ?? { sampleCount: 0, sampleSum: 0, quantiles: [] };
      return [sample("_sum", s.sampleSum), sample("_count", s.sampleCount)];
    }
    default: {
      const h = metric.histogram ?? { sampleCount: 0, sampleSum: 0, buckets: [] };
      const buckets = h.buckets.map((b) => sample("_bucket", b.cumulativeCount, { le: String(b.upperBound) }));
      // The +Inf bucket is optional in this format (client_golang leaves it out): it is the count.
      if (h.buckets.at(-1)?.upperBound !== Number.POSITIVE_INFINITY)
        buckets.push(sample("_bucket", h.sampleCount, { le: "+Inf" }));
      const count = sample("_count", h.sampleCount);
      const native = nativeOf(h, where);
      if (native) count.native = native;
      return [...buckets, sample("_sum", h.sampleSum), count];
    }
  }
}

/**
 * Decoded messages as the families a text body would have carried, or a ProtobufError naming the message: a
 * family named twice, a gauge histogram, a metric of another type than its family, a timestamp (refused on pushes,
 * as in the text format). Exemplars are left out, as from a text push.
 */
export function parsedFamilies(families: readonly ProtoFamily[]): ParsedFamily[] {
  const seen = new Set<string>();
  return families.map((family, i) => {
    const line = i + 1;
    const where = `message ${line} (family "${family.name}")`;
    if (seen.has(family.name)) throw new ProtobufError(`${where}: the family appears twice in this push`);
    seen.add(family.name);
    if (family.type === "gauge_histogram")
      throw new ProtobufError(
        `${where}: gauge histograms are not accepted (counters, gauges, histograms, summaries and untyped are)`,
      );
    const field = VALUE_FIELD[family.type];
    const samples = family.metrics.flatMap((metric, j) => {
      const at = `${where} metric ${j + 1}`;
      if (metric.timestampMs !== undefined)
        throw new ProtobufError(`${at}: timestamps are not accepted on pushed samples`);
      const other = VALUE_FIELDS.find((f) => f !== field && metric[f] !== undefined);
      if (other) throw new ProtobufError(`${at}: carries a ${other} value in a ${family.type} family`);
      return samplesOf(family, metric, line, at);
    });
    return { name: family.name, type: family.type, help: family.help, samples, line };
  });
}

/** An exemplar as the format carries it. */
function protoExemplar(e: Exemplar | null | undefined): ProtoExemplar | undefined {
  if (!e) return undefined;
  return { labels: Object.entries(e.labels), value: e.value, timestamp: e.timestamp };
}

/**
 * `series` of `family` as one MetricFamily message (a family streamed in pages is several messages of one name,
 * which the format allows). A counter `jobs` is named `jobs_total`, as in text 0.0.4; classic buckets leave out
 * +Inf (the count is it); native buckets travel as spans and deltas.
 */
export function familyMessage(family: FamilyDefinition, series: readonly SeriesSnapshot[]): ProtoFamily {
  const { labelNames } = family;
  const bounds = family.buckets ?? [];
  const slots = family.type === "histogram" ? exemplarSlots(family) : 1;
  const metrics = series.map((s): ProtoMetric => {
    const labels = labelNames.map((name): [string, string] => [name, s.labels[name] ?? ""]);
    // Where the creation time travels (Prometheus 2.50+ reads it with --enable-feature=created-timestamp-zero-ingestion);
    // the text formats leave it out.
    const created = s.created > 0 ? { created: s.created } : {};
    switch (family.type) {
      case "counter": {
        const exemplar = protoExemplar(s.exemplars?.[0]);
        return { labels, counter: { value: s.value ?? 0, ...(exemplar ? { exemplar } : {}), ...created } };
      }
      case "gauge":
        return { labels, gauge: s.value ?? 0 };
      case "untyped":
        return { labels, untyped: s.value ?? 0 };
      case "summary":
        return {
          labels,
          summary: { sampleCount: s.count ?? 0, sampleSum: s.sum ?? 0, quantiles: s.quantiles ?? [], ...created },
        };
      default: {
        const counts = s.counts ?? [];
        let cumulative = 0;
        const buckets = bounds.map((upperBound, i) => {
          cumulative += counts[i] ?? 0;
          const exemplar = i < slots ? protoExemplar(s.exemplars?.[i]) : undefined;
          return { cumulativeCount: cumulative, upperBound, ...(exemplar ? { exemplar } : {}) };
        });
        const sampleCount = counts.reduce((a, b) => a + b, 0);
        const histogram: ProtoHistogram = { ...created, sampleCount, sampleSum: s.sum ?? 0, buckets };
        const n = s.native;
        if (n) {
          const positive = toSpans(n.positive);
          const negative = toSpans(n.negative);
          // An empty native histogram says it is one with an empty span (else a zero threshold of 0 looks classic).
          if (n.positive.length + n.negative.length === 0 && n.zeroCount === 0) positive.spans.push([0, 0]);
          histogram.native = {
            schema: n.schema,
            zeroThreshold: n.zeroThreshold,
            zeroCount: n.zeroCount,
            positiveSpans: positive.spans,
            positiveCounts: positive.counts,
            negativeSpans: negative.spans,
            negativeCounts: negative.counts,
          };
        }
        return { labels, histogram };
      }
    }
  });
  const name = textName(family);
  return { name, help: family.help, type: family.type, metrics };
}
