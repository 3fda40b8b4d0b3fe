// The remote-write exporter's counts (worker/export) as the Worker's own metrics, shown in the scrape when remote-write
// is configured.

import type { FamilySnapshot } from "../../lib/protocol/wire.ts";

/** The exporter's counts as the Worker's own metrics: samples sent and failed, and the last success. */
export function remoteWriteFamilies(
  stats: { sent: number; failed: number; lastSuccess?: number },
  nowSeconds: number,
): FamilySnapshot[] {
  const series = (outcome: string, value: number) => ({ labels: { outcome }, created: nowSeconds, value });
  return [
    {
      name: "pdc_remote_write_samples",
      type: "counter",
      help: "Samples sent out with remote-write, by outcome (failed: after retries, or refused by the receiver).",
      labelNames: ["outcome"],
      series: [series("failed", stats.failed), series("sent", stats.sent)],
    },
    {
      name: "pdc_remote_write_last_success_timestamp_seconds",
      type: "gauge",
      help: "When a remote-write export last sent everything (0: never).",
      labelNames: [],
      series: [{ labels: {}, created: nowSeconds, value: stats.lastSuccess ?? 0 }],
    },
  ];
}
