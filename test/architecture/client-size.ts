// The client's weight, as a user's Worker carries it: bundled with esbuild, minified, gzipped. Two figures: a Worker
// that uses all four metric types with the Durable Object transport, and the whole client entry (everything `.`
// exports). `npm run size` prints them (bench/size.ts); `npm test` holds them to the budget (bundle-size.test.ts).

import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "../..");
const entry = resolve(root, "lib/index.ts");

/** A Worker that records with all four metric types and flushes through the Durable Object transport. */
const WORKER = `
import { Counter, DurableObjectTransport, Gauge, Histogram, Summary, register } from ${JSON.stringify(entry)};
const requests = new Counter({ name: "requests_total", help: "Requests.", labelNames: ["route"] });
const inFlight = new Gauge({ name: "in_flight", help: "In flight.", merge: "sum" });
const latency = new Histogram({ name: "latency_seconds", help: "Latency.", labelNames: ["route"] });
const size = new Summary({ name: "payload_bytes", help: "Payload size.", percentiles: [0.5, 0.99] });
export default {
  async fetch(request, env, ctx) {
    inFlight.inc();
    const end = latency.startTimer({ route: "/" });
    requests.inc({ route: "/" });
    size.observe(Number(request.headers.get("content-length") ?? 0));
    end();
    inFlight.dec();
    ctx.waitUntil(register.flushSoon(new DurableObjectTransport(env.METRICS_FAMILY)));
    return new Response("ok");
  },
};
`;

/** Everything the client entry exports, as a Worker importing `*` would carry it. */
const WHOLE = `export * from ${JSON.stringify(entry)}; export { default } from ${JSON.stringify(entry)};`;

export interface BundleSize {
  minified: number;
  gzipped: number;
}

export async function measure(contents: string): Promise<BundleSize> {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["source", "workerd", "worker", "browser"],
    write: false,
    external: ["cloudflare:*"],
    logLevel: "error",
  });
  const code = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: code.byteLength, gzipped: gzipSync(code).byteLength };
}

/** Both figures, in bytes. */
export async function clientSizes(): Promise<{ worker: BundleSize; whole: BundleSize }> {
  return { worker: await measure(WORKER), whole: await measure(WHOLE) };
}
