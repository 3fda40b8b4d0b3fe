// The benchmark: prints figures (it judges nothing, except that exact totals stay exact). `npm run bench`.
// Every comparison runs side by side with its reference in the same run; this machine is noisy.

import { costPerTraffic, EVERY_REQUEST, EVERY_REQUEST_INGEST, RECOMMENDED } from "./cost.ts";
import { hotPath } from "./hot-path.ts";
import { HTTP_MODES, type HttpCostRun, httpCost, monthlyAt } from "./http-cost.ts";
import { idleLatency } from "./latency.ts";
import { pushgatewayCost } from "./pushgateway-cost.ts";
import { remoteWriteBench } from "./remote-write.ts";
import { scrapeBench } from "./scrape.ts";
import { throughput } from "./throughput.ts";

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const dollars = (n: number) => `$${fmt(n, n < 100 ? 2 : 0)}`;
const only = new Set(
  (process.env.BENCH ?? "hot,throughput,http,cost,latency,scrape,remote-write,pushgateway").split(","),
);

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
  console.log("\n(b) throughput: the anchor workload over HTTP (a job: 100 counter incs over 10 labels, 20 histogram");
  console.log(
    "    observations, 1 gauge set, one push of 3 families); 12 slices of 100 jobs rotate between the metrics",
  );
  console.log(
    "    Worker and its references: the ceiling (parses the push and answers), the floors of a design with an",
  );
  console.log(
    "    object per family (calls only; plus one durable row per family object), the floor of an ingest-shaped",
  );
  console.log(
    "    design (one object call and one durable row per push), and the real Pushgateway (keeps the last push)",
  );
  const runs: [string, boolean, number, Record<string, string>][] = [
    ["2 clients, SQLite on disk", false, 2, {}],
    ["8 clients, SQLite on disk", false, 8, {}],
    ["2 clients, SQLite on disk, DURABILITY_WINDOW_MS=1000", false, 2, { DURABILITY_WINDOW_MS: "1000" }],
    ["2 clients, SQLite in RAM (tmpfs)", true, 2, {}],
  ];
  for (const [label, ram, clients, vars] of runs) {
    const r = await throughput(ram, clients === 2 && !ram && Object.keys(vars).length === 0, vars, clients);
    const ratios = [...r.sliceRatios].sort((a, b) => a - b);
    const share = (n: number) => `${fmt(n)} jobs/s (${(n / r.ceiling).toFixed(2)}×)`;
    console.log(`    ${label}:`);
    console.log(
      `      ceiling ${fmt(r.ceiling)} jobs/s; calls only ${share(r.callsOnly)}; one write per family ${share(r.oneWritePerFamily)};`,
    );
    const gateway = r.pushgateway === undefined ? "not installed" : share(r.pushgateway);
    console.log(`      ingest-shaped floor ${share(r.ingestFloor)}; Pushgateway ${gateway}`);
    console.log(
      `      ours ${share(r.ours)} = ${(r.ours / r.oneWritePerFamily).toFixed(2)}× the design floor, ${(r.ours / r.ingestFloor).toFixed(2)}× the ingest-shaped floor` +
        (r.pushgateway ? `, ${(r.ours / r.pushgateway).toFixed(2)}× the Pushgateway` : ""),
    );
    console.log(
      `      ceiling/ours per slice ${(ratios[0] ?? 0).toFixed(2)}–${(ratios.at(-1) ?? 0).toFixed(2)}; scraped totals exact: ${r.exact ? "yes" : `NO — ${r.problems.join("; ")}`}`,
    );
    console.log(
      `      per push: ${r.objectRequestsPerPush.toFixed(2)} object requests, ${r.rowsPerPush.toFixed(2)} rows written (ingest log and folds), ${r.groupsPerPush.toFixed(3)} family groups`,
    );
    if (r.selfCounted > 0) {
      console.log(
        `      the Worker's own push counter: ${fmt(r.selfCounted)} of ${fmt(r.pushes)} pushes counted; its flushes reached its object ${r.selfRequests} time(s)`,
      );
    }
    if (!r.exact) process.exitCode = 1;
  }
}

if (only.has("http")) {
  console.log(
    "\n(f) HTTP producers: what a push costs. Senders push the anchor shape (3 families, 21 series) over HTTP at a",
  );
  console.log(
    "    steady rate, 20 s measured after 5 s of warm-up; requests and rows counted by the objects (SQL cursors),",
  );
  console.log("    the ingest object counted active the whole time (its fold timer keeps it awake), families by their");
  console.log("    busy time; dollars at the published prices incl. $0.30 per million Worker requests");
  const rows: HttpCostRun[] = [];
  for (const mode of HTTP_MODES) {
    for (const run of await httpCost(mode, [50, 200], 20, 5)) {
      rows.push(run);
      console.log(
        `    ${mode.label.padEnd(34)} ${fmt(run.achievedRate).padStart(4)} pushes/s: ${run.requestsPerPush.toFixed(3)} object requests, ` +
          `${run.rowsPerPush.toFixed(3)} rows per push; ${dollars(run.dollarsPerMillion)} per million pushes; exact: ${run.exact ? "yes" : "NO"}`,
      );
      if (!run.exact) process.exitCode = 1;
    }
  }
  console.log(
    "    a month, from the figures at 200 pushes/s (requests and rows scale with pushes; duration as measured):",
  );
  for (const mode of HTTP_MODES) {
    const at200 = rows.find((r) => r.mode === mode.label && r.targetRate === 200);
    if (!at200) continue;
    const months = [5, 200, 1000].map((rate) => `${rate}/s ${dollars(monthlyAt(at200, rate))}`);
    console.log(`      ${mode.label.padEnd(34)} ${months.join(", ")}`);
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
    [EVERY_REQUEST_INGEST, [200]],
  ] as const) {
    const how =
      setup.flush === "soon"
        ? `flushSoon(${setup.flushDelayMs} ms), GROUP_COMMIT_WINDOW_MS=${setup.groupWindowMs}`
        : setup.flush === "each"
          ? "flush() per request"
          : "flush() per request, DurableObjectTransport with { ingest }";
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
  console.log("\n(d) idle latency: one push (3 families) to an idle deployment, 50 pushes 300 ms apart, p50 and p99");
  for (const row of await idleLatency())
    console.log(`    ${row.label.padEnd(36)} p50 ${row.medianMs.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms`);
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
    ["protobuf (delimited)", r.protobuf],
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

if (only.has("remote-write")) {
  console.log("\n(g) a remote-write export: 100 families × 10 series sent to a local receiver, mean of 5 exports");
  const r = await remoteWriteBench();
  const perMonth = (perExport: number, intervalSeconds: number) => (perExport * 30 * 86_400) / intervalSeconds;
  console.log(
    `    per export: ${r.objectRequests.toFixed(1)} object requests (families ${r.families} + the catalog, the ingest object, the exporter), ${r.familyRows} rows written by the family objects, ${r.exporterRows} by the exporter; ${r.receiverRequests} request(s) to the receiver, ${(r.compressedBytes / 1024).toFixed(1)} KB compressed; ${(r.seconds * 1000).toFixed(0)} ms`,
  );
  for (const interval of [30, 60]) {
    const requests = perMonth(r.objectRequests, interval);
    const rows = perMonth(r.familyRows + r.exporterRows, interval);
    const dollars = (requests / 1e6) * 0.15 + (rows / 1e6) * 1.0 + (perMonth(r.seconds, interval) * 0.125 * 12.5) / 1e6;
    console.log(
      `    every ${interval} s: ${(requests / 1e6).toFixed(2)} M object requests and ${(rows / 1e3).toFixed(0)} k rows a month, $${dollars.toFixed(2)} before the included allowances`,
    );
  }
}

if (only.has("pushgateway")) {
  console.log(
    "\n(h) The Pushgateway API: what a push costs. POST, then PUT, of a text body (3 families, 21 series) from 20",
  );
  console.log(
    "    groups at 50 pushes/s, 10 s measured after 3 s of warm-up; requests (family, ingest and catalog objects)",
  );
  console.log(
    "    and rows counted by the objects; the group's push_time_seconds included; dollars as in (f), duration aside",
  );
  for (const run of await pushgatewayCost(50, 10, 3))
    console.log(
      `    ${run.method.padEnd(5)} ${run.requestsPerPush.toFixed(3)} object requests, ${run.rowsPerPush.toFixed(3)} rows per push; ` +
        `${dollars(run.dollarsPerMillion)} per million pushes`,
    );
}
