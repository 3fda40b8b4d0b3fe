// The metrics Worker, deployed from the installed package: its router (the default export), its Durable Object
// classes and its MetricsService entrypoint. Copy this folder, then `npx wrangler deploy`.
export * from "prometheus-distributed-client/worker";
export { default } from "prometheus-distributed-client/worker";
