// Counts the Durable Object requests the Worker made: the catalog's and every listed family object's. The probe's own
// catalog calls are left out, so two counts differ by exactly what the Worker did in between.

import { env } from "cloudflare:workers";

let probes = 0;

/** Object requests the Worker made so far (within this test file's storage). */
export async function objectRequests(): Promise<number> {
  const catalog = env.METRICS_CATALOG.getByName("catalog");
  const families = await catalog.list();
  probes++;
  let total = (await catalog.stats()).requests - probes;
  for (const { name } of families) total += (await env.METRICS_FAMILY.getByName(name).stats()).requests;
  return total;
}

/** The families the catalog lists (a probe: not counted as the Worker's request). */
export async function listedFamilies(): Promise<number> {
  probes++;
  return (await env.METRICS_CATALOG.getByName("catalog").list()).length;
}
