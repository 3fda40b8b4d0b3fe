// The in-memory store passes the same conformance suite as the Durable Objects.

import { MemoryStore } from "../../lib/transports/memory.ts";
import { describeStoreConformance } from "./store-conformance.ts";

describeStoreConformance("MemoryStore", () => {
  const store = new MemoryStore();
  return { transport: store, snapshot: async () => store.snapshot() };
});
