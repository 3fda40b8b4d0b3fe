// One remote-write export: every stored family read as the scrape reads it (collectFamilies), as the samples
// Prometheus stores from text 0.0.4 (lib/protocol/exposition.ts), sent in requests of at most BATCH_SAMPLES series
// with the export's time. A request answered 5xx or 429 (or not answered) is sent again, up to ATTEMPTS times with
// a doubling pause; a 4xx is not (the receiver refuses it as it is). What it sent and what failed is counted.

import { seriesSamples } from "../../lib/protocol/exposition.ts";
import type { Env } from "../config/env.ts";
import { REMOTE_WRITE_HEADERS, writeRequest } from "../protobuf/remote-write.ts";
import { collectFamilies } from "../scrape/scrape.ts";

/** Series per request: about 0.5 MB before compression, well within receivers' usual limits (Mimir: 10 MB). */
export const BATCH_SAMPLES = 2_000;
/** Tries per request, and the first pause between them. */
const ATTEMPTS = 3;
const FIRST_PAUSE_MS = 500;

export interface ExportResult {
  sent: number;
  failed: number;
  /** The last problem, when a request failed for good. */
  error?: string;
}

/** The credential headers of the receiver, from the Worker's settings. */
function authorization(env: Env): Record<string, string> {
  if (env.REMOTE_WRITE_BEARER_TOKEN) return { authorization: `Bearer ${env.REMOTE_WRITE_BEARER_TOKEN}` };
  if (env.REMOTE_WRITE_USERNAME !== undefined)
    return { authorization: `Basic ${btoa(`${env.REMOTE_WRITE_USERNAME}:${env.REMOTE_WRITE_PASSWORD ?? ""}`)}` };
  return {};
}

/** Sends one request, again on 5xx, 429 or a network error; the problem when it failed for good. */
async function send(url: string, body: Uint8Array, headers: Record<string, string>): Promise<string | undefined> {
  let problem = "";
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, FIRST_PAUSE_MS * 2 ** (attempt - 1)));
    try {
      const res = await fetch(url, { method: "POST", body, headers: { ...REMOTE_WRITE_HEADERS, ...headers } });
      if (res.ok) return undefined;
      problem = `the receiver answered ${res.status}: ${(await res.text()).slice(0, 200)}`;
      if (res.status < 500 && res.status !== 429) return problem;
    } catch (error) {
      problem = `the receiver could not be reached: ${String(error)}`;
    }
  }
  return problem;
}

/** Sends every family to the receiver at `REMOTE_WRITE_URL`, now. */
export async function remoteWrite(env: Env): Promise<ExportResult> {
  const url = env.REMOTE_WRITE_URL as string;
  const now = Date.now();
  const families = await collectFamilies(env, (family, error) =>
    console.error(`prometheus-distributed-client: remote-write could not read family ${JSON.stringify(family)}`, error),
  );
  const samples = families.flatMap((family) => seriesSamples(family, family.series));
  const result: ExportResult = { sent: 0, failed: 0 };
  for (let i = 0; i < samples.length; i += BATCH_SAMPLES) {
    const batch = samples.slice(i, i + BATCH_SAMPLES);
    const problem = await send(url, writeRequest(batch, now), authorization(env));
    if (problem === undefined) result.sent += batch.length;
    else {
      result.failed += batch.length;
      result.error = problem;
    }
  }
  return result;
}
