// Reads a request body as text, refusing (413) past a byte limit without keeping more than the limit. A body
// somewhat over the limit is read to its end and dropped, so the client sees the 413 instead of a reset
// connection; a far larger one is cut off at once. A gzip body is limited while it inflates.

import { Gunzip } from "fflate";
import { HttpError } from "./errors.ts";

/** Past this many bytes an oversized body is not drained: the connection is closed on the client. */
const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * The request body as text, at most `maxBytes` once decompressed: identity, or `Content-Encoding: gzip` (which
 * Pushgateway clients may send). Refuses another encoding (415), bad gzip (400) and a body over the limit (413).
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<string> {
  return decode(await readBytesLimited(request, maxBytes));
}

/** The request body as bytes, under the same limits and encodings as `readBodyLimited` (a binary body's). */
export async function readBytesLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return readLimited(request, maxBytes);
  if (encoding !== "gzip")
    throw new HttpError(415, `content-encoding ${JSON.stringify(encoding)} is not accepted (identity or gzip)`);
  if (!request.body) return new Uint8Array(0);
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > MAX_DRAIN_BYTES) throw tooLarge(`${declared} bytes before inflating`, maxBytes);
  return inflateLimited(request.body, maxBytes);
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

/** Compressed bytes inflated at a time: gzip inflates at most about 1,032:1, so one step yields at most ~1 MiB. */
const INFLATE_STEP_BYTES = 1024;
/** A gzip header (name, comment, extra field) longer than this is refused: real ones are a few bytes. */
const MAX_GZIP_HEADER_BYTES = 4096;
/** Compressed input past the inflated limit plus this much cannot be a body within the limit (gzip adds little). */
const GZIP_OVERHEAD_BYTES = 64 * 1024;

/**
 * Inflates a gzip body, stopping as soon as the output passes `maxBytes` (413): a small body that inflates to
 * gigabytes costs about a megabyte of work, not the whole bomb. The work on the compressed side is bounded too: its
 * header (4 KiB), its size (the limit plus 64 KiB), one member only; and the trailer's CRC-32 and size must match
 * what was inflated (a cut-off body is refused). Whatever follows a refusal is drained (within MAX_DRAIN_BYTES, never
 * inflated) so the client reads the reply. (The runtime's DecompressionStream inflates whatever it is given without
 * waiting for its output to be read, so a bomb cannot be stopped part-way with it.)
 */
async function inflateLimited(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let crc = CRC_START;
  let failure: HttpError | undefined;
  const invalid = (why: string) => new HttpError(400, `body is not valid gzip: ${why}`);
  const inflater = new Gunzip((chunk) => {
    total += chunk.byteLength;
    if (total > maxBytes) failure ??= tooLarge(`over ${maxBytes} bytes once inflated`, maxBytes);
    else {
      chunks.push(chunk);
      crc = crc32(crc, chunk);
    }
  });
  let members = 0;
  inflater.onmember = () => {
    if (++members > 1) failure ??= invalid("only one gzip member is accepted");
  };
  const input = body.getReader();
  const head = new Uint8Array(MAX_GZIP_HEADER_BYTES);
  let compressed = 0;
  /** The last 8 bytes of input: the trailer, once the input ends. */
  let tail: Uint8Array = new Uint8Array(0);
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
    if (done) {
      try {
        inflater.push(new Uint8Array(0), true);
      } catch {
        failure = invalid("it ends before its data does");
      }
      break;
    }
    if (compressed < MAX_GZIP_HEADER_BYTES) head.set(value.subarray(0, MAX_GZIP_HEADER_BYTES - compressed), compressed);
    compressed += value.byteLength;
    tail = lastBytes(tail, value, 8);
    if (compressed > maxBytes + GZIP_OVERHEAD_BYTES) {
      failure = tooLarge(`over ${maxBytes + GZIP_OVERHEAD_BYTES} bytes before inflating`, maxBytes);
      continue;
    }
    const headerProblem = gzipHeaderProblem(head.subarray(0, Math.min(compressed, MAX_GZIP_HEADER_BYTES)));
    if (headerProblem) {
      failure = invalid(headerProblem);
      continue;
    }
    try {
      for (let at = 0; at < value.byteLength && !failure; at += INFLATE_STEP_BYTES)
        inflater.push(value.subarray(at, at + INFLATE_STEP_BYTES));
    } catch {
      failure = invalid("its data is corrupt");
    }
  }
  if (failure) throw failure;
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const trailerOk = tail.byteLength === 8 && view.getUint32(0, true) === (crc ^ CRC_START) >>> 0;
  if (!trailerOk || view.getUint32(4, true) !== total >>> 0)
    throw invalid("its trailer does not match its data (cut off or corrupt)");
  return concat(chunks, total);
}

/**
 * Why the start of a gzip body is refused, or undefined (also while too little has arrived to tell): not gzip, or a
 * header (optional extra field, name and comment) longer than MAX_GZIP_HEADER_BYTES.
 */
function gzipHeaderProblem(head: Uint8Array): string | undefined {
  if (head.byteLength >= 2 && (head[0] !== 0x1f || head[1] !== 0x8b)) return "it does not start as gzip does";
  if (head.byteLength < 10) return undefined;
  const flags = head[3] as number;
  let at = 10;
  if (flags & 0x04) {
    if (head.byteLength < at + 2) return undefined;
    at += 2 + ((head[at] as number) | ((head[at + 1] as number) << 8));
  }
  for (const flag of [0x08, 0x10]) {
    if (!(flags & flag) || at >= MAX_GZIP_HEADER_BYTES) continue;
    const end = head.indexOf(0, at);
    if (end < 0) return head.byteLength >= MAX_GZIP_HEADER_BYTES ? "its header is over 4 KiB" : undefined;
    at = end + 1;
  }
  return at > MAX_GZIP_HEADER_BYTES ? "its header is over 4 KiB" : undefined;
}

/** The last `n` bytes of `before` followed by `chunk`. */
function lastBytes(before: Uint8Array, chunk: Uint8Array, n: number): Uint8Array {
  if (chunk.byteLength >= n) return chunk.slice(chunk.byteLength - n);
  const joined = new Uint8Array(before.byteLength + chunk.byteLength);
  joined.set(before);
  joined.set(chunk, before.byteLength);
  return joined.slice(Math.max(0, joined.byteLength - n));
}

/** CRC-32 (IEEE, as gzip's trailer), updated over `bytes`: start from CRC_START, XOR the result with it. */
const CRC_START = 0xffffffff;
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.byteLength; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c >>> 0;
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
