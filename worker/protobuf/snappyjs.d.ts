// Types for snappyjs (it ships none): the Snappy block format, as remote-write sends it.
declare module "snappyjs" {
  export function compress(input: Uint8Array): Uint8Array;
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
