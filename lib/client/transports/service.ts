// Transport (b): through a service binding to the metrics Worker's RPC entrypoint (MetricsService).

import { errorMessage, isRetryableObjectError, type RetryOptions, withRetries } from "../../protocol/retry.ts";
import { allFailed, type DeliveryOutcome, type Transport } from "../../protocol/transport.ts";
import { type Push, toWire, type WirePush } from "../../protocol/wire.ts";

/** The RPC surface of the metrics Worker's entrypoint, as this transport calls it. */
export interface MetricsServiceBinding {
  push(push: WirePush): Promise<DeliveryOutcome[]>;
}

/**
 * Sends the whole push in one RPC; the metrics Worker validates it and fans it out to the family objects. Takes the
 * service binding as `wrangler types` generates it (typed or not).
 * @example
 * ctx.waitUntil(register.flush(new ServiceTransport(env.METRICS)));
 */
export class ServiceTransport implements Transport {
  private readonly binding: MetricsServiceBinding;

  constructor(
    binding: object,
    private readonly options: RetryOptions = {},
  ) {
    this.binding = binding as MetricsServiceBinding;
  }

  async push(push: Push): Promise<DeliveryOutcome[]> {
    try {
      const retry = push.pushId === undefined ? () => false : isRetryableObjectError;
      return await withRetries(() => this.binding.push(toWire(push)), retry, this.options);
    } catch (error) {
      return allFailed(push, errorMessage(error));
    }
  }
}
