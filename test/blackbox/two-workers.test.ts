// Two deployments of the product in one scrape: a user's Worker flushing through the family Durable Objects
// (and through the service binding), and a separate Node process pushing over HTTP. Plus the embedded mode.

import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import {
  bundle,
  COMPATIBILITY_DATE,
  familyObjects,
  PUSH_TOKEN,
  type RunningWorker,
  sampleValue,
  startMetricsWorker,
  tempDir,
  waitFor,
} from "./harness.ts";

const run = promisify(execFile);

describe("a Worker and a Node process land in one scrape (black box)", () => {
  let worker: RunningWorker | undefined;
  afterAll(async () => worker?.stop());

  it("adds the user Worker's DO and service flushes and a Node process's HTTP push", async () => {
    const userScript = await bundle("examples/worker/user-worker.ts");
    const running = await startMetricsWorker({
      persistDir: tempDir("pdc-two-"),
      others: [
        {
          name: "user",
          modules: true,
          modulesRoot: dirname(userScript),
          scriptPath: userScript,
          compatibilityDate: COMPATIBILITY_DATE,
          durableObjects: familyObjects("metrics"),
          serviceBindings: { METRICS: { name: "metrics", entrypoint: "MetricsService" } },
        },
      ],
    });
    worker = running;
    const user = await running.mf.getWorker("user");
    for (const [via, n] of [
      ["do", 3],
      ["service", 4],
      ["do", 5],
    ] as const) {
      const res = await user.fetch(`http://user.test/job?via=${via}&n=${n}`);
      expect(await res.text()).toBe(`ran ${n} jobs via ${via}\n`);
    }

    const jobOut = join(tempDir("pdc-node-"), "batch-job.mjs");
    await build({
      entryPoints: ["examples/node/batch-job.ts"],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: jobOut,
      conditions: ["source"],
      logLevel: "error",
    });
    const { stdout } = await run(process.execPath, [jobOut], {
      env: { ...process.env, METRICS_PUSH_URL: new URL("/push", running.url).href, PUSH_TOKEN, ITEMS: "25" },
    });
    expect(JSON.parse(stdout)).toEqual({ delivered: 3, rejected: 0, retained: 0, dropped: 0 });

    await waitFor(
      async () => sampleValue(await running.scrape(), 'user_jobs_total{via="do"}') === 8,
      30_000,
      "the user Worker's flushes",
    );
    const text = await running.scrape();
    expect(sampleValue(text, 'user_jobs_total{via="do"}')).toBe(8);
    expect(sampleValue(text, 'user_jobs_total{via="service"}')).toBe(4);
    expect(sampleValue(text, 'user_job_seconds_count{via="do"}')).toBe(2);
    expect(sampleValue(text, 'batch_items_total{outcome="done"}')).toBe(20);
    expect(sampleValue(text, 'batch_items_total{outcome="skipped"}')).toBe(5);
    expect(sampleValue(text, "batch_item_seconds_count")).toBe(25);
    expect(sampleValue(text, "batch_last_run_seconds")).toBeGreaterThan(1_700_000_000);
  });

  it("deploys from the package with the template folder (deploy/worker: wrangler.toml + an export * entry)", async () => {
    // The template's own wrangler.toml, read by wrangler, decides the objects; its entry imports the package by name.
    const { workerOptions } = unstable_getMiniflareWorkerOptions("deploy/worker/wrangler.toml");
    const script = await bundle("deploy/worker/index.ts");
    const deployed = await startMetricsWorker({
      persistDir: tempDir("pdc-template-"),
      script,
      durableObjects: workerOptions.durableObjects,
    });
    try {
      const push = {
        families: [{ name: "template_ok", type: "counter", help: "T.", series: [{ labels: {}, inc: 2 }] }],
      };
      expect((await deployed.push(push)).status).toBe(200);
      expect(sampleValue(await deployed.scrape(), "template_ok_total")).toBe(2);
    } finally {
      await deployed.stop();
    }
  });

  it("serves an app and its metrics from one Worker when embedded", async () => {
    const script = await bundle("examples/embedded/embedded-worker.ts");
    const embedded = await startMetricsWorker({ persistDir: tempDir("pdc-embedded-"), script });
    try {
      for (let i = 0; i < 3; i++)
        expect(await (await fetch(new URL("/", embedded.url))).text()).toBe("hello from the app\n");
      const scrapeUrl = new URL("/_metrics/metrics", embedded.url);
      await waitFor(
        async () => sampleValue(await (await fetch(scrapeUrl)).text(), "app_hits_total") === 3,
        30_000,
        "embedded flushes",
      );
      expect((await fetch(new URL("/_metrics/healthz", embedded.url))).status).toBe(200);
    } finally {
      await embedded.stop();
    }
  });
});
