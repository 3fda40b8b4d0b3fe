// A user's Worker, as the README shows it: records metrics with the client library during a request and flushes
// them in ctx.waitUntil. `?via=do` (the recommended way): through the metrics Worker's family objects, coalesced with
// the other requests this isolate serves within a few seconds. `?via=service`: at once, through the metrics Worker's
// service binding. `Env` comes from `wrangler types` (worker-configuration.d.ts).

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
    if (via === "do") ctx.waitUntil(registry.flushSoon(new DurableObjectTransport(env.METRICS_FAMILY)));
    else ctx.waitUntil(registry.flush(new ServiceTransport(env.METRICS)));
    return new Response(`ran ${n} jobs via ${via}\n`);
  },
} satisfies ExportedHandler<Env>;
