// Reads a request body as text, refusing (413) past a byte limit without keeping more than the limit. A body
// somewhat over the limit is read to its end and dropped, so the client sees the 413 instead of a reset
// connection; a far larger one is cut off at once. A gzip body is limited while it inflates.

import { Gunzip } from "fflate";
import { HttpError } from "./http-error.ts";

/** Past this many bytes an oversized body is not drained: the connection is closed on the client. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

/** Compressed bytes inflated at a time: gzip inflates at most about 1,032:1, so one step yields at most ~1 MiB. */
const INFLATE_STEP_BYTES = 1024;

/**
 * The request body as text, at most `maxBytes` once decompressed: identity, or `Content-Encoding: gzip` (which
 * Pushgateway clients may send). Refuses another encoding (415), bad gzip (400) and a body over the limit (413).
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<string> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return decode(await readLimited(request, maxBytes));
  if (encoding !== "gzip")
    throw new HttpError(415, `content-encoding ${JSON.stringify(encoding)} is not accepted (identity or gzip)`);
  if (!request.body) return "";
  return decode(await inflateLimited(request.body, maxBytes));
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > MAX_DRAIN_BYTES) throw tooLarge(`${declared} bytes`, maxBytes);
  if (!request.body) return new Uint8Array(0);
  // A declared length within the limit bounds what can arrive (HTTP framing): read it in one native call.
  if (Number.isSafeInteger(declared) && declared <= maxBytes) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_DRAIN_BYTES) {
      await reader.cancel();
      break;
    }
    if (total <= maxBytes) chunks.push(value);
  }
  if (total > maxBytes) throw tooLarge(`${Number.isFinite(declared) ? declared : `over ${total}`} bytes`, maxBytes);
  return concat(chunks, total);
}

/**
 * Inflates a gzip body, stopping as soon as the output passes `maxBytes` (413): a small body that inflates to
 * gigabytes costs about a megabyte of work, not the whole bomb. The rest of the compressed input is drained (within
 * MAX_DRAIN_BYTES, never inflated) so the client reads the refusal. (The runtime's DecompressionStream inflates
 * whatever it is given without waiting for its output to be read, so a bomb cannot be stopped part-way with it.)
 */
async function inflateLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let failure: HttpError | undefined;
  const inflater = new Gunzip((chunk) => {
    total += chunk.byteLength;
    if (total > maxBytes) failure ??= tooLarge(`over ${maxBytes} bytes once inflated`, maxBytes);
    else chunks.push(chunk);
  });
  const input = body.getReader();
  let drained = 0;
  for (;;) {
    const { done, value } = await input.read();
    if (failure) {
      // Refused already: read the rest without inflating it, so the client sees the reply.
      drained += value?.byteLength ?? 0;
      if (done) break;
      if (drained > MAX_DRAIN_BYTES) {
        await input.cancel();
        break;
      }
      continue;
    }
    try {
      if (done) {
        inflater.push(new Uint8Array(0), true);
        break;
      }
      for (let at = 0; at < value.byteLength && !failure; at += INFLATE_STEP_BYTES)
        inflater.push(value.subarray(at, at + INFLATE_STEP_BYTES));
    } catch {
      failure = new HttpError(400, "body is not valid gzip");
    }
  }
  if (failure) throw failure;
  return concat(chunks, total);
}

function tooLarge(size: string, maxBytes: number): HttpError {
  const limit = { name: "maxBodyBytes" as const, value: maxBytes };
  return new HttpError(413, `body is ${size}, over the limit of ${maxBytes}`, {}, limit);
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError(400, "body is not valid UTF-8");
  }
}
