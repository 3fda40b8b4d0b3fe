// Picks the exposition format from an Accept header, honouring q-values: the protobuf delimited format (what
// Prometheus asks for first when native histograms are enabled), OpenMetrics 1.0, or text 0.0.4 (the default).

import { type ExpositionFormat, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "../../lib/protocol/exposition.ts";
import type { Env } from "../config/env.ts";
import { PROTOBUF_CONTENT_TYPE } from "../protobuf/messages.ts";

/** What a scrape may be served as: a text format, or protobuf MetricFamily messages, length-delimited. */
export type ScrapeFormat = ExpositionFormat | "protobuf";

interface Offer {
  format: ScrapeFormat | undefined;
  q: number;
  order: number;
}

function parseOffer(part: string, order: number): Offer {
  const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
  const param = (name: string) => params.find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1);
  const q = param("q") === undefined ? 1 : Number(param("q"));
  const version = param("version");
  let format: ScrapeFormat | undefined;
  if (type === "application/openmetrics-text" && (version === undefined || version === "1.0.0" || version === "0.0.1"))
    format = "openmetrics";
  else if (type === "text/plain" && (version === undefined || version === "0.0.4")) format = "text";
  else if (
    type === "application/vnd.google.protobuf" &&
    param("proto") === "io.prometheus.client.metricfamily" &&
    param("encoding") === "delimited"
  )
    format = "protobuf";
  else if (type === "*/*" || type === "text/*") format = "text";
  return { format, q: Number.isFinite(q) ? q : 0, order };
}

/**
 * The best format the client accepts; text 0.0.4 when it names none we serve.
 * @example negotiate("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"); // "openmetrics"
 */
export function negotiate(accept: string | null): ScrapeFormat {
  if (!accept) return "text";
  const offers = accept
    .split(",")
    .map(parseOffer)
    .filter((o) => o.format !== undefined && o.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return offers[0]?.format ?? "text";
}

/**
 * The format a scrape request is served in: text 0.0.4 when SCRAPE_FORMAT is `text` (as a Pushgateway serves it),
 * else the best its Accept header names.
 */
export function scrapeFormat(request: Request, env: Pick<Env, "SCRAPE_FORMAT">): ScrapeFormat {
  return env.SCRAPE_FORMAT?.trim().toLowerCase() === "text" ? "text" : negotiate(request.headers.get("accept"));
}

/** The Content-Type a scrape in `format` is served with. */
export function contentTypeOf(format: ScrapeFormat): string {
  if (format === "protobuf") return PROTOBUF_CONTENT_TYPE;
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}
