// The flush coalescer on its own: callers within one window share one flush at its end; a caller after it opens a new
// window; a failed flush fails every caller of its window; no caller, no timer.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FlushResult } from "../../../lib/client/delivery/delivery-pipeline.ts";
import { FlushCoalescer } from "../../../lib/client/delivery/flush-coalescer.ts";

const result = (delivered: number): FlushResult => ({ delivered, rejected: 0, retained: 0, dropped: 0 });

describe("flush coalescer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("gives every caller of a window the one flush that ends it", async () => {
    const coalescer = new FlushCoalescer();
    let flushes = 0;
    const flush = async () => result(++flushes);
    const calls = [coalescer.schedule(flush, 100), coalescer.schedule(flush, 100), coalescer.schedule(flush, 100)];
    await vi.advanceTimersByTimeAsync(99);
    expect(flushes).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await Promise.all(calls)).toEqual([result(1), result(1), result(1)]);

    // After the window ended, the next caller opens a new one.
    const later = coalescer.schedule(flush, 100);
    await vi.advanceTimersByTimeAsync(100);
    expect(await later).toEqual(result(2));
  });

  it("fails every caller of a window whose flush fails", async () => {
    const coalescer = new FlushCoalescer();
    const flush = async (): Promise<FlushResult> => {
      throw new Error("boom");
    };
    const calls = [coalescer.schedule(flush, 10), coalescer.schedule(flush, 10)].map((p) =>
      p.catch((e: Error) => e.message),
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(await Promise.all(calls)).toEqual(["boom", "boom"]);
  });

  it("arms no timer until someone asks", () => {
    new FlushCoalescer();
    expect(vi.getTimerCount()).toBe(0);
  });
});
