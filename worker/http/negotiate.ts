// Picks the exposition format from an Accept header, honouring q-values: OpenMetrics 1.0 or text 0.0.4 (default).

import type { ExpositionFormat } from "../../lib/protocol/exposition.ts";

interface Offer {
  format: ExpositionFormat | undefined;
  q: number;
  order: number;
}

function parseOffer(part: string, order: number): Offer {
  const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
  const param = (name: string) => params.find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1);
  const q = param("q") === undefined ? 1 : Number(param("q"));
  const version = param("version");
  let format: ExpositionFormat | undefined;
  if (type === "application/openmetrics-text" && (version === undefined || version === "1.0.0" || version === "0.0.1"))
    format = "openmetrics";
  else if (type === "text/plain" && (version === undefined || version === "0.0.4")) format = "text";
  else if (type === "*/*" || type === "text/*") format = "text";
  return { format, q: Number.isFinite(q) ? q : 0, order };
}

/**
 * The best format the client accepts; text 0.0.4 when it names none we serve.
 * @example negotiate("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"); // "openmetrics"
 */
export function negotiate(accept: string | null): ExpositionFormat {
  if (!accept) return "text";
  const offers = accept
    .split(",")
    .map(parseOffer)
    .filter((o) => o.format !== undefined && o.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return offers[0]?.format ?? "text";
}
