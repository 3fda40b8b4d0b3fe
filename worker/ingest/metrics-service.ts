// The RPC entrypoint for other Workers (service binding): the same ingest as POST /push, no token needed,
// since only Workers you bind can call it.

import { WorkerEntrypoint } from "cloudflare:workers";
import { type Refusal, refusalText } from "../../lib/protocol/refusal.ts";
import { allFailed, allRejected, type DeliveryOutcome } from "../../lib/protocol/transport.ts";
import type { Push } from "../../lib/protocol/wire.ts";
import type { Env } from "../config/env.ts";
import { countPush } from "../self-metrics/self-metrics.ts";
import { ingest } from "./ingest.ts";

export class MetricsService extends WorkerEntrypoint<Env> {
  /** Applies a push; every family gets an outcome (an invalid push: all rejected with the reason). */
  async push(push: Push): Promise<DeliveryOutcome[]> {
    let status = 500;
    try {
      const reply = await ingest(this.env, this.ctx, push);
      status = reply.status;
      if (reply.families) return reply.families;
      const refusal = (reply as { refusal: Refusal }).refusal;
      return allRejected(push, refusal.status, refusalText(refusal), refusal.limit);
    } catch (error) {
      console.error("prometheus-distributed-client: unexpected error in MetricsService.push", error);
      // Nothing says what was applied: the client keeps the push and resends it with the same id.
      return allFailed(push, "internal error");
    } finally {
      countPush(status, this.env, this.ctx);
    }
  }
}
