// The remote-write exporter: one object whose alarm sends every family out each REMOTE_WRITE_INTERVAL_SECONDS (a
// cron trigger, every minute, makes sure the alarm is set; POST /remote-write runs an export at once). It keeps its
// counts (samples sent and failed, the last success) for the Worker's own metrics. One export runs at a time.

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config/env.ts";
import { remoteWriteIntervalMs } from "../config/settings.ts";
import { type ExportResult, remoteWrite } from "./remote-write.ts";

/** What the exporter has done since it was first set going. */
export interface ExportStats {
  /** Samples the receiver took, and samples it did not (after retries). */
  sent: number;
  failed: number;
  /** The last export that sent everything, in seconds since the epoch. */
  lastSuccess?: number;
  /** The last failure's problem. */
  lastError?: string;
}

export class ExportObject extends DurableObject<Env> {
  private running: Promise<ExportStats> | undefined;

  /** Sets the alarm going when remote-write is configured and no alarm is set (the cron trigger calls this). */
  async ensureScheduled(): Promise<void> {
    if (!this.env.REMOTE_WRITE_URL) return;
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  /** Runs an export now (or joins the one running) and answers the counts after it. */
  async exportNow(): Promise<ExportStats> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The counts so far. */
  async stats(): Promise<ExportStats> {
    return (await this.ctx.storage.get<ExportStats>("stats")) ?? { sent: 0, failed: 0 };
  }

  override async alarm(): Promise<void> {
    if (!this.env.REMOTE_WRITE_URL) return;
    // The next export is due an interval after this one started, whatever this one meets.
    await this.ctx.storage.setAlarm(Date.now() + remoteWriteIntervalMs(this.env));
    await this.exportNow();
  }

  private async run(): Promise<ExportStats> {
    const result: ExportResult = this.env.REMOTE_WRITE_URL
      ? await remoteWrite(this.env)
      : { sent: 0, failed: 0, error: "REMOTE_WRITE_URL is not set" };
    const before = await this.stats();
    const stats: ExportStats = {
      sent: before.sent + result.sent,
      failed: before.failed + result.failed,
      ...(result.error === undefined
        ? { lastSuccess: Date.now() / 1000 }
        : before.lastSuccess !== undefined
          ? { lastSuccess: before.lastSuccess }
          : {}),
      ...(result.error !== undefined
        ? { lastError: result.error }
        : before.lastError !== undefined
          ? { lastError: before.lastError }
          : {}),
    };
    await this.ctx.storage.put("stats", stats);
    return stats;
  }
}
