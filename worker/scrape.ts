// The scrape: every family in the catalog, each object's snapshot fetched in parallel, plus the Worker's
// scrape-time gauges, encoded in the negotiated format with a versioned Content-Type.

import { encodeOpenMetrics, encodeText, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "../lib/exposition.ts";
import { isRetryableObjectError, withRetries } from "../lib/transports/retry.ts";
import type { FamilySnapshot } from "../lib/wire.ts";
import { catalog } from "./catalog-object.ts";
import type { Env } from "./env.ts";
import { negotiate } from "./negotiate.ts";
import { scrapeGauges } from "./self-metrics.ts";

/**
 * Every stored family, sorted by name. A family whose snapshot cannot be read (after retries) is left out and
 * handed to `onFailure`, so one family can never break the whole scrape.
 */
export async function collectFamilies(
  env: Env,
  onFailure: (family: string, error: unknown) => void = () => {},
): Promise<FamilySnapshot[]> {
  const names = await withRetries(() => catalog(env).list(), isRetryableObjectError);
  const settled = await Promise.allSettled(
    names.map((name) => withRetries(() => env.METRICS_FAMILY.getByName(name).snapshot(), isRetryableObjectError)),
  );
  const families: FamilySnapshot[] = [];
  settled.forEach((result, i) => {
    if (result.status === "rejected") onFailure(names[i] as string, result.reason);
    else if (result.value !== null) families.push(result.value as FamilySnapshot);
  });
  return families;
}

export async function scrapeResponse(request: Request, env: Env): Promise<Response> {
  const started = Date.now();
  const failed: string[] = [];
  const stored = await collectFamilies(env, (family, error) => {
    failed.push(family);
    console.error(
      `prometheus-distributed-client: could not read family ${JSON.stringify(family)} for the scrape`,
      error,
    );
  });
  const families = [...stored, ...scrapeGauges(stored, (Date.now() - started) / 1000, Date.now() / 1000, failed)];
  const openMetrics = negotiate(request.headers.get("accept")) === "openmetrics";
  return new Response(openMetrics ? encodeOpenMetrics(families) : encodeText(families), {
    headers: {
      "content-type": openMetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE,
      "cache-control": "no-store",
    },
  });
}
