// The client's retry policy: Durable Object errors are retried only when marked retryable and never when
// overloaded, each time on a fresh stub, and only for batches with an id (so a retry cannot count twice).

import { describe, expect, it } from "vitest";
import { DurableObjectTransport, type FamilyNamespace } from "../../../lib/client/transports/durable-object.ts";
import { isRetryableObjectError, withRetries } from "../../../lib/protocol/retry.ts";
import type { FamilyOutcome, FamilyPush } from "../../../lib/protocol/wire.ts";

const objectError = (flags: { retryable?: boolean; overloaded?: boolean }) =>
  Object.assign(new Error("object error"), flags);
const family: FamilyPush = {
  name: "f",
  type: "counter",
  help: "F.",
  labelNames: [],
  series: [{ labels: {}, inc: 1 }],
};

/** A namespace whose stubs fail with the queued errors, then succeed; it records every stub it hands out. */
function namespaceFailingWith(errors: Error[]) {
  const stubs: number[] = [];
  const namespace: FamilyNamespace = {
    getByName(name) {
      stubs.push(stubs.length);
      return {
        async push(): Promise<FamilyOutcome> {
          const error = errors.shift();
          if (error) throw error;
          return { name, status: "applied", series: 1 };
        },
      };
    },
  };
  return { namespace, stubs };
}

describe("retry policy", () => {
  it.each([
    [{ retryable: true }, true],
    [{ retryable: true, overloaded: true }, false],
    [{ overloaded: true }, false],
    [{}, false],
  ])("isRetryableObjectError(%j) = %s", (flags, expected) => {
    expect(isRetryableObjectError(objectError(flags))).toBe(expected);
  });

  it("withRetries stops after `retries` attempts and rethrows the last error", async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw objectError({ retryable: true });
        },
        isRetryableObjectError,
        { retries: 3, backoffMs: 1 },
      ),
    ).rejects.toThrow("object error");
    expect(calls).toBe(4);
  });

  it("retries a retryable error on a fresh stub and delivers", async () => {
    const { namespace, stubs } = namespaceFailingWith([
      objectError({ retryable: true }),
      objectError({ retryable: true }),
    ]);
    const outcomes = await new DurableObjectTransport(namespace, { retries: 2, backoffMs: 1 }).push({
      pushId: "b",
      families: [family],
    });
    expect(outcomes).toEqual([{ name: "f", status: "applied", series: 1 }]);
    expect(stubs).toHaveLength(3);
  });

  it("never retries an overloaded object: the family fails at once and stays pending", async () => {
    const { namespace, stubs } = namespaceFailingWith([objectError({ retryable: true, overloaded: true })]);
    const outcomes = await new DurableObjectTransport(namespace, { retries: 5, backoffMs: 1 }).push({
      pushId: "b",
      families: [family],
    });
    expect(outcomes).toEqual([{ name: "f", status: "failed", error: "object error" }]);
    expect(stubs).toHaveLength(1);
  });

  it("never retries a batch without an id", async () => {
    const { namespace, stubs } = namespaceFailingWith([objectError({ retryable: true })]);
    const outcomes = await new DurableObjectTransport(namespace, { retries: 5, backoffMs: 1 }).push({
      families: [family],
    });
    expect(outcomes[0]?.status).toBe("failed");
    expect(stubs).toHaveLength(1);
  });
});
