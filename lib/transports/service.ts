// Transport (b): through a service binding to the metrics Worker's RPC entrypoint (MetricsService).

import type { PushBatch } from "../wire.ts";
import { errorMessage, isRetryableObjectError, type RetryOptions, withRetries } from "./retry.ts";
import { allFailed, type DeliveryOutcome, type Transport } from "./transport.ts";

/** The RPC surface of the metrics Worker's entrypoint, as this transport needs it. */
export interface MetricsServiceBinding {
  push(batch: PushBatch): Promise<DeliveryOutcome[]>;
}

/**
 * Sends the whole batch in one RPC; the metrics Worker validates it and fans it out to the family objects.
 * @example
 * ctx.waitUntil(register.flush(new ServiceTransport(env.METRICS)));
 */
export class ServiceTransport implements Transport {
  constructor(
    private readonly binding: MetricsServiceBinding,
    private readonly options: RetryOptions = {},
  ) {}

  async push(batch: PushBatch): Promise<DeliveryOutcome[]> {
    try {
      const retry = batch.batch === undefined ? () => false : isRetryableObjectError;
      return await withRetries(() => this.binding.push(batch), retry, this.options);
    } catch (error) {
      return allFailed(batch, errorMessage(error));
    }
  }
}
