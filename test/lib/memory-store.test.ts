// The in-memory store passes the same conformance suite as the Durable Objects.

import { MemoryStore } from "../../lib/transports/memory.ts";
import { describeStoreConformance } from "./store-conformance.ts";

describeStoreConformance("MemoryStore", () => {
  let now = Date.now();
  const store = new MemoryStore(() => now);
  return {
    transport: store,
    snapshot: async () => store.snapshot(),
    setClock: async (_family, ms) => {
      now = ms;
    },
    expire: async () => {
      store.expire();
    },
  };
});
