// The benchmark: prints figures (it judges nothing, except that exact totals stay exact). `npm run bench`.
// Every comparison runs side by side with its reference in the same run; this machine is noisy.

import { costPerTraffic, EVERY_REQUEST, RECOMMENDED } from "./cost.ts";
import { hotPath } from "./hot-path.ts";
import { idleLatency } from "./latency.ts";
import { scrapeBench } from "./scrape.ts";
import { throughput } from "./throughput.ts";

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const dollars = (n: number) => `$${fmt(n, n < 100 ? 2 : 0)}`;
const only = new Set((process.env.BENCH ?? "hot,throughput,cost,latency,scrape").split(","));

console.log(`prometheus-distributed-client benchmark — Node ${process.version}, ${new Date().toISOString()}\n`);

if (only.has("hot")) {
  console.log("(a) client hot path, labelled, 10 label values (median of 5 rounds, ops/s)");
  for (const row of hotPath()) {
    const ratio = (row.ours / row.promClient).toFixed(2);
    console.log(
      `    ${row.name.padEnd(30)} ours ${fmt(row.ours).padStart(12)}   prom-client ${fmt(row.promClient).padStart(12)}   ratio ${ratio}`,
    );
  }
}

if (only.has("throughput")) {
  console.log("\n(b) throughput: the anchor workload over HTTP, 2 clients (a job: 100 counter incs over 10 labels,");
  console.log(
    "    20 histogram observations, 1 gauge set, one push of 3 families); 12 slices of 100 jobs rotate between",
  );
  console.log(
    "    the metrics Worker and three references: the ceiling (parses the push and answers), and two floors that",
  );
  console.log("    also call one Durable Object per family (calls only; plus one durable row write per family object)");
  for (const [label, ram] of [
    ["SQLite on this machine's disk", false],
    ["SQLite in RAM (tmpfs)", true],
  ] as const) {
    const r = await throughput(ram, !ram);
    const ratios = [...r.sliceRatios].sort((a, b) => a - b);
    const share = (n: number) => `${fmt(n)} jobs/s (${(n / r.ceiling).toFixed(2)}×)`;
    console.log(`    ${label}:`);
    console.log(
      `      ceiling ${fmt(r.ceiling)} jobs/s; calls only ${share(r.callsOnly)}; one write per family ${share(r.oneWritePerFamily)}`,
    );
    console.log(
      `      ours ${share(r.ours)} — the ratio per slice ranged ${(ratios[0] ?? 0).toFixed(2)}–${(ratios.at(-1) ?? 0).toFixed(2)}`,
    );
    console.log(`      scraped totals exact: ${r.exact ? "yes" : `NO — ${r.problems.join("; ")}`}`);
    console.log(
      `      per push: ${r.objectRequestsPerPush.toFixed(2)} family-object requests, ${r.rowsPerPush.toFixed(1)} rows written, ${r.groupsPerPush.toFixed(2)} groups`,
    );
    if (!ram) {
      console.log(
        `      the Worker's own push counter: ${fmt(r.selfCounted)} of ${fmt(r.pushes)} pushes counted; its flushes reached its object ${r.selfRequests} time(s)`,
      );
    }
    if (!r.exact) process.exitCode = 1;
  }
}

if (only.has("cost")) {
  console.log(
    "\n(c) cost per traffic: 20 user-Worker isolates, each request records the anchor shape (3 families, 21 series)",
  );
  console.log("    and flushes through the family objects; 30 s measured at each rate after 10 s of warm-up");
  for (const [setup, rates] of [
    [RECOMMENDED, [200, 1000]],
    [EVERY_REQUEST, [200]],
  ] as const) {
    const how =
      setup.flush === "soon"
        ? `flushSoon(${setup.flushDelayMs} ms), GROUP_COMMIT_WINDOW_MS=${setup.groupWindowMs}`
        : "flush() per request";
    console.log(`    ${setup.label} (${how}):`);
    for (const run of await costPerTraffic(setup, [...rates], 30, 10)) {
      console.log(
        `      ${fmt(run.achievedRate)} req/s (target ${run.targetRate}): ${fmt(run.objectRequestsPerSecond, 1)} object requests/s, ` +
          `${fmt(run.rowsWrittenPerSecond, 1)} rows written/s, ${run.activeObjects.toFixed(2)} objects active`,
      );
      const b = run.bill;
      console.log(
        `        sustained, a month: ${dollars(b.total)} = ${dollars(b.requests)} requests + ${dollars(b.rows)} rows + ${dollars(b.duration)} duration`,
      );
    }
  }
}

if (only.has("latency")) {
  console.log("\n(d) idle latency: one push (3 families) to idle objects, median of 30, 300 ms apart");
  for (const row of await idleLatency()) console.log(`    ${row.label.padEnd(30)} ${row.medianMs.toFixed(2)} ms`);
}

if (only.has("scrape")) {
  console.log(
    "\n(e) the scrape: 100 families × 1,000 series (two labels each), median of 5 scrapes over HTTP, read as it streams,",
  );
  console.log("    beside prom-client's registry.metrics() over the same series in this process (median of 5)");
  const r = await scrapeBench(true);
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  console.log(
    `    prom-client metrics()          ${(r.promClient.seconds * 1000).toFixed(0)} ms (${mb(r.promClient.bytes)})`,
  );
  for (const [label, run] of [
    ["text 0.0.4", r.text],
    ["OpenMetrics 1.0", r.openMetrics],
  ] as const) {
    const ratio = (run.seconds / r.promClient.seconds).toFixed(2);
    console.log(
      `    ${label.padEnd(30)} ${(run.seconds * 1000).toFixed(0)} ms (${mb(run.bytes)}) = ${ratio}× prom-client; first byte after ${(run.firstByteSeconds * 1000).toFixed(0)} ms`,
    );
  }
  console.log(`    object requests per scrape: ${r.requestsPerScrape} (100 families × 1 shard × 1 page + the catalog)`);
  const c = r.concurrent;
  console.log(
    `    ${c.scrapes} concurrent scrapes: ${c.requests} object requests in all (families + 1 = 101; ${c.scrapes} separate scrapes would make ${c.scrapes * r.requestsPerScrape}), bodies identical: ${c.identical ? "yes" : "NO"}, ${(c.seconds * 1000).toFixed(0)} ms`,
  );
  const even = r.shardSpread.reduce((a, b) => a + b, 0) / r.shardSpread.length;
  console.log(
    `    a family with 8 shards, 1,000 flushes: ${r.shardSpread.join(", ")} pushes per shard; the busiest ${(Math.max(...r.shardSpread) / even).toFixed(2)}× an even spread`,
  );
  if (r.million) {
    const m = r.million;
    console.log(
      `    100 families × 10,000 series (1,000,000): ${mb(m.bytes)} in ${m.seconds.toFixed(2)} s, first byte after ${(m.firstByteSeconds * 1000).toFixed(0)} ms;`,
    );
    console.log(
      `      the scraping Worker's V8 heap: ${m.heapBaselineMb.toFixed(1)} MB before, at most ${m.heapPeakMb.toFixed(1)} MB while streaming (limit 128 MB)`,
    );
  }
}
