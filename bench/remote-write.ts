// Benchmark (g): what a remote-write export costs. 100 families × 10 series in the metrics Worker, exported to a
// local receiver (which counts requests and bytes) five times through POST /remote-write; object requests counted
// by the family and ingest objects themselves, plus the catalog's list and the exporter's own request; rows written
// by the family objects (none: an export only reads) and by the exporter (its counts, and the next alarm).

import { createServer } from "node:http";
import type { FamilyPush } from "../lib/index.ts";
import { familyStats, ingestStats, startMetricsWorker, tempDir } from "../test/blackbox/harness.ts";
import { freePort } from "../test/blackbox/ports.ts";

export interface RemoteWriteRun {
  families: number;
  series: number;
  /** Per export. */
  objectRequests: number;
  familyRows: number;
  exporterRows: number;
  receiverRequests: number;
  compressedBytes: number;
  seconds: number;
}

const FAMILIES = 100;
const SERIES = 10;
const EXPORTS = 5;
const ADMIN_TOKEN = "bench-admin";

export async function remoteWriteBench(): Promise<RemoteWriteRun> {
  let requests = 0;
  let bytes = 0;
  const port = await freePort();
  const receiver = createServer((req, res) => {
    req.on("data", (chunk: Buffer) => (bytes += chunk.byteLength));
    req.on("end", () => {
      requests++;
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(port, "127.0.0.1", resolve));
  const worker = await startMetricsWorker({
    persistDir: tempDir("pdc-bench-rw-"),
    vars: { ADMIN_TOKEN, REMOTE_WRITE_URL: `http://127.0.0.1:${port}/write`, REMOTE_WRITE_INTERVAL_SECONDS: "3600" },
  });
  try {
    const namespace = await worker.mf.getDurableObjectNamespace("METRICS_FAMILY", "metrics");
    const names = Array.from({ length: FAMILIES }, (_, f) => `rw_bench_${String(f).padStart(3, "0")}`);
    for (const name of names) {
      const part: FamilyPush = {
        name,
        type: "counter",
        help: "Bench.",
        labelNames: ["route"],
        series: Array.from({ length: SERIES }, (_, i) => ({ labels: { route: `/r/${i}` }, inc: i + 1 })),
      };
      const stub = namespace.getByName(name) as unknown as { push(id: string, p: FamilyPush): Promise<unknown> };
      await stub.push(`fill-${name}`, part);
    }
    const exportNow = async () => {
      const res = await fetch(new URL("/remote-write", worker.url), {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      if (res.status !== 200) throw new Error(`the export answered ${res.status}`);
    };
    await exportNow();
    const before = { family: await familyStats(worker, names), ingest: await ingestStats(worker), requests, bytes };
    const start = performance.now();
    for (let i = 0; i < EXPORTS; i++) await exportNow();
    const seconds = (performance.now() - start) / 1000 / EXPORTS;
    const family = await familyStats(worker, names);
    const ingest = await ingestStats(worker);
    // Measured: family and ingest object requests. Added: the catalog's list and the exporter's own request.
    const objectRequests =
      (family.requests - before.family.requests + ingest.requests - before.ingest.requests) / EXPORTS + 2;
    return {
      families: FAMILIES,
      series: FAMILIES * SERIES,
      objectRequests,
      familyRows: (family.rowsWritten - before.family.rowsWritten) / EXPORTS,
      // The exporter's counts (one storage put) and, on the alarm, the next alarm (setAlarm is billed as a row).
      exporterRows: 2,
      receiverRequests: (requests - before.requests) / EXPORTS,
      compressedBytes: (bytes - before.bytes) / EXPORTS,
      seconds,
    };
  } finally {
    await worker.stop();
    receiver.close();
  }
}
