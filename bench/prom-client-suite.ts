// `npm run bench:prom-client -- <prom-client checkout>`: prom-client's own unit tests for counters, gauges,
// histograms, summaries and the registry, run with jest against this library with only the import swapped, in CI
// mode (no snapshot is written: a snapshot test passes only when our output equals prom-client's). Prints the passed
// tests per file and overall. Needs a git checkout of siimon/prom-client and the npm registry (it installs jest 30 in
// a temporary folder); it copies the five test files there at run time and nothing into this repository.

import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const FILES = ["counterTest", "gaugeTest", "histogramTest", "summaryTest", "registerTest"];
// bench/run.mjs takes the entry as its first argument; the checkout comes after it.
const checkout = process.argv[3] ?? process.env.PROM_CLIENT_REPO;
if (!checkout || !existsSync(join(checkout, "test", "registerTest.js"))) {
  console.error("usage: npm run bench:prom-client -- <path to a git checkout of siimon/prom-client>");
  process.exit(2);
}

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pdc-prom-client-suite-"));
mkdirSync(join(dir, "test", "__snapshots__"), { recursive: true });
mkdirSync(join(dir, "lib"));
for (const file of FILES) {
  cpSync(join(checkout, "test", `${file}.js`), join(dir, "test", `${file}.js`));
  const snapshot = join(checkout, "test", "__snapshots__", `${file}.js.snap`);
  if (existsSync(snapshot)) cpSync(snapshot, join(dir, "test", "__snapshots__", `${file}.js.snap`));
}
// The swapped import: `../index`, `../lib/metric` and `../lib/registry` are this library, bundled as CommonJS.
await build({
  entryPoints: [join(root, "lib/index.ts")],
  bundle: true,
  format: "cjs",
  platform: "node",
  outfile: join(dir, "pdc.cjs"),
  logLevel: "error",
});
writeFileSync(join(dir, "index.js"), "module.exports = require('./pdc.cjs');\n");
writeFileSync(join(dir, "lib", "metric.js"), "module.exports = { Metric: require('../pdc.cjs').Metric };\n");
writeFileSync(join(dir, "lib", "registry.js"), "module.exports = require('../pdc.cjs').Registry;\n");
writeFileSync(
  join(dir, "package.json"),
  JSON.stringify({ private: true, jest: { testRegex: ".*Test\\.js$", testEnvironment: "node" } }),
);
execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", "jest@30"], { cwd: dir, stdio: "ignore" });
const out = join(dir, "results.json");
spawnSync(join(dir, "node_modules", ".bin", "jest"), ["--ci", "--json", `--outputFile=${out}`], {
  cwd: dir,
  env: { ...process.env, CI: "true" },
  stdio: "ignore",
});
interface JestResults {
  testResults: { name: string; assertionResults: { status: string }[] }[];
}
const results = JSON.parse(readFileSync(out, "utf8")) as JestResults;
let passed = 0;
let total = 0;
for (const file of [...results.testResults].sort((a, b) => a.name.localeCompare(b.name))) {
  const ok = file.assertionResults.filter((a) => a.status === "passed").length;
  const all = file.assertionResults.length;
  passed += ok;
  total += all;
  console.log(`${file.name.split("/").at(-1)}: ${ok} of ${all} (${((100 * ok) / all).toFixed(1)}%)`);
}
console.log(
  `prom-client's tests, import swapped: ${passed} of ${total} pass (${((100 * passed) / total).toFixed(1)}%)`,
);
