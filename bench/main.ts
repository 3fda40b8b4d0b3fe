// The benchmark: prints figures (it judges nothing). Run with `npm run bench`.

import { endToEnd } from "./end-to-end.ts";
import { hotPath } from "./hot-path.ts";

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

console.log(`prometheus-distributed-client benchmark — Node ${process.version}, ${new Date().toISOString()}\n`);
console.log("(a) client hot path, labelled, 10 label values (median of 5 rounds, ops/s)");
for (const row of hotPath()) {
  console.log(
    `    ${row.name.padEnd(30)} ours ${fmt(row.ours).padStart(12)}   prom-client ${fmt(row.promClient).padStart(12)}   ratio ${(row.ours / row.promClient).toFixed(2)}`,
  );
}

console.log("\n(b) end to end: local Worker (workerd + SQLite) over HTTP, 400 jobs from 2 parallel clients");
console.log(
  "    each job: fresh registry, 100 counter incs over 10 labels, 20 histogram observations, 1 gauge set, one flush",
);
const e2e = await endToEnd();
console.log(`    ${e2e.jobs} jobs in ${e2e.seconds.toFixed(2)} s = ${e2e.jobsPerSecond.toFixed(1)} jobs/s`);
console.log(`    scraped totals exact: ${e2e.exact ? "yes" : `NO — ${e2e.problems.join("; ")}`}`);

console.log("\n(c) cost per flush (steady state, after each family's first push)");
console.log(
  `    Durable Object requests: ${e2e.familyRequestsPerFlush.toFixed(2)} (one per family touched) + 1 for the Worker's push counter; 1 Worker request`,
);
console.log(
  `    SQLite rows written:     ${e2e.rowsWrittenPerFlush.toFixed(2)} by the families (first flush: ${e2e.firstFlushRows}) + ${e2e.selfRowsPerFlush.toFixed(2)} by pdc_pushes_total`,
);
console.log(`    pdc_pushes_total{outcome="accepted"} = ${e2e.selfPushesCounted} (expected ${e2e.jobs})`);
if (!e2e.exact) process.exitCode = 1;
