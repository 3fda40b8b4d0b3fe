// A user's Worker, as the README shows it: records metrics with the client library during a request and flushes
// them in ctx.waitUntil, through the metrics Worker's family objects (?via=do) or its service binding
// (?via=service). `Env` comes from `wrangler types` (worker-configuration.d.ts).

import { Counter, DurableObjectTransport, Histogram, Registry, ServiceTransport } from "prometheus-distributed-client";

const registry = new Registry();
const jobs = new Counter({
  name: "user_jobs_total",
  help: "Jobs run by the user Worker.",
  labelNames: ["via"] as const,
  registers: [registry],
});
const duration = new Histogram({
  name: "user_job_seconds",
  help: "Job time.",
  labelNames: ["via"] as const,
  buckets: [0.1, 1],
  registers: [registry],
});

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const url = new URL(request.url);
    const via = url.searchParams.get("via") === "service" ? "service" : "do";
    const n = Number(url.searchParams.get("n") ?? "1");
    for (let i = 0; i < n; i++) jobs.inc({ via });
    duration.observe({ via }, 0.5);
    const transport =
      via === "service" ? new ServiceTransport(env.METRICS) : new DurableObjectTransport(env.METRICS_FAMILY);
    ctx.waitUntil(registry.flush(transport));
    return new Response(`ran ${n} jobs via ${via}\n`);
  },
} satisfies ExportedHandler<Env>;
