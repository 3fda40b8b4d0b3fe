// Two test projects: "workers" runs lib and Worker tests inside workerd (the Workers pool, bindings from
// wrangler.toml); "blackbox" runs in Node and drives the real Worker over HTTP with persistent storage.

import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import SummaryLineReporter from "./test/summary-reporter.ts";

/** The Worker as the Worker tests see it: wrangler.toml's bindings with these settings over them. */
const worker = (settings: Record<string, string>) =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        PUSH_TOKEN: "test-push-token",
        ALLOW_ANONYMOUS_PUSH: "false",
        // Most tests scrape without a credential; the closed default is tested on its own.
        ALLOW_ANONYMOUS_SCRAPE: "true",
        SELF_METRICS_FLUSH_MS: "0",
        ...settings,
      },
    },
  });

export default defineConfig({
  test: {
    reporters: ["default", new SummaryLineReporter()],
    projects: [
      {
        plugins: [worker({ MAX_SERIES_PER_FAMILY: "1000" })],
        // Timeouts sized for a loaded 2-core machine: the slowest test runs in a few seconds there.
        test: {
          name: "workers",
          include: ["test/lib/**/*.test.ts", "test/worker/**/*.test.ts"],
          exclude: ["test/worker/configured/**"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The same Worker configured otherwise (a small cap on families, a default time to live), for the tables that
        // run a cap through every way in and for settings an object reads when it starts.
        plugins: [worker({ MAX_FAMILIES: "20", DEFAULT_TTL_SECONDS: "120" })],
        test: {
          name: "workers-configured",
          include: ["test/worker/configured/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Checks on the code itself (import rules, bundle sizes, repeated code), in Node.
        test: {
          name: "architecture",
          include: ["test/architecture/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
        },
      },
      {
        test: {
          name: "blackbox",
          include: ["test/blackbox/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
