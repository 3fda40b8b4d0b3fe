// Protobuf built byte by byte, for the hostile corpora: independent of the project's encoder, and able to write
// what no encoder would (truncations, wrong wire types, unknown fields).

export type Bytes = number[];

/** A base-128 varint (non-negative, up to 2^53). */
export function varint(n: number): Bytes {
  const out: Bytes = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A signed integer as sint32/sint64 encode it. */
export const zigzag = (n: number) => (n >= 0 ? 2 * n : -2 * n - 1);
/** A field's tag. */
export const tag = (field: number, wire: number) => varint(field * 8 + wire);
/** A length-delimited field. */
export const ld = (field: number, body: Bytes) => [...tag(field, 2), ...varint(body.length), ...body];
export const str = (field: number, s: string) => ld(field, [...new TextEncoder().encode(s)]);
export const uint = (field: number, n: number) => [...tag(field, 0), ...varint(n)];
export const sint = (field: number, n: number) => [...tag(field, 0), ...varint(zigzag(n))];

/** A 64-bit field (wire type 1) holding `bytes` little-endian, from a DataView writer. */
function bit64(field: number, write: (view: DataView) => void): Bytes {
  const view = new DataView(new ArrayBuffer(8));
  write(view);
  return [...tag(field, 1), ...new Uint8Array(view.buffer)];
}
export const dbl = (field: number, v: number) => bit64(field, (view) => view.setFloat64(0, v, true));
export const fixed64 = (field: number, n: number) => bit64(field, (view) => view.setBigUint64(0, BigInt(n), true));

/** Messages, each preceded by its length. */
export const delimited = (...messages: Bytes[]) => new Uint8Array(messages.flatMap((m) => [...varint(m.length), ...m]));
