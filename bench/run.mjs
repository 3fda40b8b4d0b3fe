// `npm run bench`: bundles bench/main.ts (TypeScript) with esbuild and runs it under Node. Prints figures only.

import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, ".bench");
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, "main.mjs");
await build({
  entryPoints: [join(root, process.argv[2] ?? "bench/main.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  outfile,
  logLevel: "error",
  define: { "import.meta.dirname": JSON.stringify(join(root, "test/blackbox")) },
});
await import(pathToFileURL(outfile).href);
