// The in-memory store passes the same conformance suite as the Durable Objects.

import { MemoryStore } from "../../../lib/store/memory-store.ts";
import { describeStoreConformance } from "./store-conformance.ts";

describeStoreConformance("MemoryStore", () => {
  let now = Date.now();
  const store = new MemoryStore({ now: () => now, maxSeriesPerFamily: 1000 });
  return {
    transport: store,
    maxSeriesPerFamily: 1000,
    snapshot: async () => store.snapshot(),
    setClock: async (_family, ms) => {
      now = ms;
    },
    expire: async () => {
      store.expire();
    },
  };
});
