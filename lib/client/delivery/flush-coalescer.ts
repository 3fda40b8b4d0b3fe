// Coalesced flushing for code that serves many requests in one isolate (a Worker): every request asks for a flush
// "soon"; the first request of a window arms one timer, later ones join it, and one flush at the end of the window
// carries everyone's deltas. No request, no timer, nothing sent.

import type { FlushResult } from "./delivery-pipeline.ts";

export class FlushCoalescer {
  private window: Promise<FlushResult> | undefined;

  /**
   * A promise of the flush that ends the current window, opening one of `maxDelayMs` if none is open (then `flush`,
   * which takes everything pending and sends it, runs at its end). It settles once that flush has delivered or
   * retained every delta recorded before this call.
   */
  schedule(flush: () => Promise<FlushResult>, maxDelayMs: number): Promise<FlushResult> {
    this.window ??= new Promise<FlushResult>((resolve, reject) => {
      setTimeout(() => {
        // A new window opens for whatever is recorded from now on; this flush takes what was recorded until now.
        this.window = undefined;
        flush().then(resolve, reject);
      }, maxDelayMs);
    });
    return this.window;
  }
}
