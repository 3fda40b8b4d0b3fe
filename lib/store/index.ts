// The store entry (`prometheus-distributed-client/store`): the Durable Objects' rules in memory — validation, caps,
// replays, conflicts, merging, expiry — as a transport, for tests and single-process use. The store's modules are
// pure: the metrics Worker's objects run the same rules on SQLite.

export type { MemoryStoreOptions } from "./memory-store.ts";
export { MemoryStore } from "./memory-store.ts";
