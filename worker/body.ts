// Reads a request body as text, refusing (413) past a byte limit without keeping more than the limit. A body
// somewhat over the limit is read to its end and dropped, so the client sees the 413 instead of a reset
// connection; a far larger one is cut off at once.

import { HttpError } from "./http-error.ts";

/** Past this many bytes an oversized body is not drained: the connection is closed on the client. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

/** What a body is read from: a request, or a response wrapping a decompressed stream. */
type Body = Pick<Request, "headers" | "body" | "arrayBuffer">;

/**
 * The request body as text, at most `maxBytes` once decompressed: identity, or `Content-Encoding: gzip` (which
 * Pushgateway clients may send). Refuses another encoding (415), bad gzip (400) and a body over the limit (413).
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<string> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return readLimited(request, maxBytes);
  if (encoding !== "gzip")
    throw new HttpError(415, `content-encoding ${JSON.stringify(encoding)} is not accepted (identity or gzip)`);
  if (!request.body) return "";
  const inflated = new Response(request.body.pipeThrough(new DecompressionStream("gzip")));
  try {
    return await readLimited(inflated, maxBytes);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, "body is not valid gzip");
  }
}

async function readLimited(request: Body, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  const tooLarge = (size: string) =>
    new HttpError(
      413,
      `body is ${size} bytes, over the limit of ${maxBytes}`,
      {},
      { name: "maxBodyBytes", value: maxBytes },
    );
  if (declared > MAX_DRAIN_BYTES) throw tooLarge(String(declared));
  if (!request.body) return "";
  // A declared length within the limit bounds what can arrive (HTTP framing): read it in one native call.
  if (Number.isSafeInteger(declared) && declared <= maxBytes)
    return decode(new Uint8Array(await request.arrayBuffer()));
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
  if (total > maxBytes) throw tooLarge(Number.isFinite(declared) ? String(declared) : `over ${total}`);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return decode(bytes);
}

function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError(400, "body is not valid UTF-8");
  }
}
