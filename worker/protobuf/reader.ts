// A strict protobuf message reader on @bufbuild/protobuf's wire layer, for bodies a producer sends: each message is
// read by a spec of its fields (number, name, wire type, whether it repeats), and a truncated message, a field with
// the wrong wire type, a length past its message, an unknown field, a singular field sent twice or invalid UTF-8 is
// a ProtobufError naming the message and the field. Used by the MetricFamily decoder and the OTLP one.

import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

export { BinaryReader, WireType };

/** A body that is no valid protobuf of the expected messages: what is wrong, and where. */
export class ProtobufError extends Error {}

const WIRE_NAMES = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit"];

/** How one message's fields are read: by field number, its name, its wire type, whether it repeats, and a reader. */
export interface FieldSpec<T> {
  name: string;
  wire: WireType;
  repeated?: boolean;
  /** Repeated scalars may also come packed (length-delimited). */
  packable?: boolean;
  read: (reader: BinaryReader, into: T) => void;
}

export type Spec<T> = Record<number, FieldSpec<T>>;

/**
 * Reads one message of `spec` from `bytes` into `into`; `where` names it in errors. An unknown field is refused, or,
 * with `skipUnknown` (formats whose receivers must skip them, as OTLP's), skipped once it is well-formed.
 */
export function readMessage<T>(bytes: Uint8Array, spec: Spec<T>, into: T, where: string, skipUnknown = false): T {
  const reader = new BinaryReader(bytes);
  const seen = new Set<number>();
  while (reader.pos < reader.len) {
    let field: number;
    let wire: WireType;
    try {
      [field, wire] = reader.tag();
    } catch (error) {
      throw new ProtobufError(`${where}: ${problemOf(error)}`);
    }
    const f = spec[field];
    if (!f && skipUnknown) {
      try {
        reader.skip(wire, field);
      } catch (error) {
        throw new ProtobufError(`${where}: field ${field}: ${problemOf(error)}`);
      }
      continue;
    }
    if (!f) throw new ProtobufError(`${where}: unknown field ${field} (wire type ${WIRE_NAMES[wire] ?? wire})`);
    const packed = f.packable === true && wire === WireType.LengthDelimited;
    if (wire !== f.wire && !packed)
      throw new ProtobufError(
        `${where}: field ${field} (${f.name}) has wire type ${WIRE_NAMES[wire] ?? wire}, expected ${WIRE_NAMES[f.wire]}`,
      );
    if (!f.repeated && seen.has(field)) throw new ProtobufError(`${where}: field ${field} (${f.name}) appears twice`);
    seen.add(field);
    try {
      if (packed) {
        const inner = new BinaryReader(reader.bytes());
        while (inner.pos < inner.len) f.read(inner, into);
        if (inner.pos !== inner.len) throw new RangeError("premature EOF");
      } else f.read(reader, into);
    } catch (error) {
      if (error instanceof ProtobufError) throw error;
      throw new ProtobufError(`${where}: field ${field} (${f.name}): ${problemOf(error)}`);
    }
    if (reader.pos > reader.len) throw new ProtobufError(`${where}: field ${field} (${f.name}) runs past the message`);
  }
  return into;
}

/** What went wrong in reading, in a producer's terms. */
export function problemOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/premature EOF|out of range|Offset is outside/i.test(message))
    return "truncated (a length or value runs past the end)";
  if (message === NOT_UTF8) return message;
  if (/invalid varint|varint overflows/i.test(message)) return "malformed varint";
  if (/illegal tag/i.test(message)) return "malformed field tag";
  return "malformed";
}

/** A uint64 as a safe whole number, or a refusal. */
export function safe(value: bigint | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new ProtobufError(`the count ${String(value)} is beyond 2^53`);
  return n;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const NOT_UTF8 = "a string is not valid UTF-8";

/** A string field, strictly UTF-8. */
export function str(reader: BinaryReader): string {
  const bytes = reader.bytes();
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TypeError(NOT_UTF8);
  }
}
/** A nested message's bytes. */
export const message = (reader: BinaryReader) => reader.bytes();

/** The length-delimited items of `body` (a varint length, then that many bytes), each read by `read`. */
export function delimitedItems<T>(body: Uint8Array, read: (bytes: Uint8Array, index: number) => T): T[] {
  const items: T[] = [];
  const reader = new BinaryReader(body);
  while (reader.pos < reader.len) {
    let bytes: Uint8Array;
    try {
      bytes = reader.bytes();
    } catch (error) {
      throw new ProtobufError(`message ${items.length + 1}: ${problemOf(error)}`);
    }
    items.push(read(bytes, items.length));
  }
  return items;
}
