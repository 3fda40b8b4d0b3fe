// Types for `env` and `exports` from "cloudflare:workers" in tests: this project's bindings and main module.

type WorkerEnv = import("../../worker/config/env.ts").Env;

declare namespace Cloudflare {
  interface Env {
    METRICS_FAMILY: WorkerEnv["METRICS_FAMILY"];
    METRICS_CATALOG: WorkerEnv["METRICS_CATALOG"];
    METRICS_INGEST?: WorkerEnv["METRICS_INGEST"];
    PUSH_TOKEN?: string;
    ALLOW_ANONYMOUS_PUSH?: string;
  }
  interface GlobalProps {
    mainModule: typeof import("../../worker/index.ts");
  }
}
