// The scrape: every family in the catalog, each object's snapshot fetched in parallel, plus the Worker's
// scrape-time gauges, encoded in the negotiated format with a versioned Content-Type.

import { encodeOpenMetrics, encodeText, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "../lib/exposition.ts";
import { isRetryableObjectError, withRetries } from "../lib/transports/retry.ts";
import type { FamilySnapshot } from "../lib/wire.ts";
import { catalog } from "./catalog-object.ts";
import type { Env } from "./env.ts";
import { negotiate } from "./negotiate.ts";
import { scrapeGauges } from "./self-metrics.ts";

/** Every stored family, sorted by name. */
export async function collectFamilies(env: Env): Promise<FamilySnapshot[]> {
  const names = await withRetries(() => catalog(env).list(), isRetryableObjectError);
  const snapshots = await Promise.all(names.map((name) => withRetries(() => env.METRICS_FAMILY.getByName(name).snapshot(), isRetryableObjectError)));
  return (snapshots as (FamilySnapshot | null)[]).filter((s): s is FamilySnapshot => s !== null);
}

export async function scrapeResponse(request: Request, env: Env): Promise<Response> {
  const started = Date.now();
  const stored = await collectFamilies(env);
  const families = [...stored, ...scrapeGauges(stored, (Date.now() - started) / 1000, Date.now() / 1000)];
  const openMetrics = negotiate(request.headers.get("accept")) === "openmetrics";
  return new Response(openMetrics ? encodeOpenMetrics(families) : encodeText(families), {
    headers: { "content-type": openMetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE, "cache-control": "no-store" },
  });
}
