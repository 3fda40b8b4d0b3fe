// Counts the Durable Object requests the Worker made: the catalog's, the ingest object's and every listed family
// object's. The probe's own
// catalog calls are left out, so two counts differ by exactly what the Worker did in between.

import { env } from "cloudflare:workers";

let probes = 0;
let ingestProbes = 0;

/** The ingest object (the Worker's default: one). */
const ingest = () => env.METRICS_INGEST?.getByName("ingest#0");

/**
 * Folds what the ingest object acknowledged into the family objects (a probe: its own request is not counted; the
 * fold's requests to the family objects are the Worker's).
 */
export async function foldIngest(): Promise<void> {
  ingestProbes++;
  await ingest()?.drain();
}

/** Object requests the Worker made so far (within this test file's storage). */
export async function objectRequests(): Promise<number> {
  const catalog = env.METRICS_CATALOG.getByName("catalog");
  const families = await catalog.list();
  probes++;
  let total = (await catalog.stats()).requests - probes;
  for (const { name } of families) total += (await env.METRICS_FAMILY.getByName(name).stats()).requests;
  total += ((await ingest()?.stats())?.requests ?? ingestProbes) - ingestProbes;
  return total;
}

/** The families the catalog lists (a probe: not counted as the Worker's request). */
export async function listedFamilies(): Promise<number> {
  probes++;
  return (await env.METRICS_CATALOG.getByName("catalog").list()).length;
}
