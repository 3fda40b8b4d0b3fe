// A metrics Worker in its own process (for tests that kill it): `node serve.mjs PORT PERSIST_DIR [VARS_JSON]`.
// Prints "READY <url>" once listening, then runs until killed.

import { startMetricsWorker } from "./harness.ts";

const [port, persistDir, vars] = process.argv.slice(2);
const worker = await startMetricsWorker({
  persistDir: persistDir as string,
  port: Number(port),
  vars: vars ? (JSON.parse(vars) as Record<string, string>) : {},
});
console.log(`READY ${worker.url.href}`);
