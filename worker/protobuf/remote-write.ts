/// <reference path="./snappyjs.d.ts" />
// Prometheus remote-write 1.0, the sending side: samples as a prometheus.WriteRequest (TimeSeries of labels, the
// metric name as `__name__`, and one sample each), Snappy-compressed (block format) as receivers expect it.

import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { compress } from "snappyjs";
import type { Sample } from "../../lib/protocol/exposition.ts";

/** The headers a remote-write 1.0 request carries. */
export const REMOTE_WRITE_HEADERS = {
  "content-type": "application/x-protobuf",
  "content-encoding": "snappy",
  "x-prometheus-remote-write-version": "0.1.0",
};

/** `samples` at `timestampMs` as one WriteRequest, Snappy-compressed; each series' labels sorted by name, as receivers require. */
export function writeRequest(samples: readonly Sample[], timestampMs: number): Uint8Array {
  const w = new BinaryWriter();
  for (const s of samples) {
    const labels = [["__name__", s.name] as [string, string], ...s.labels].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    w.tag(1, WireType.LengthDelimited).fork();
    for (const [name, value] of labels) {
      w.tag(1, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(name);
      w.tag(2, WireType.LengthDelimited).string(value);
      w.join();
    }
    w.tag(2, WireType.LengthDelimited).fork();
    w.tag(1, WireType.Bit64).double(s.value);
    w.tag(2, WireType.Varint).int64(timestampMs);
    w.join();
    w.join();
  }
  return compress(w.finish());
}
