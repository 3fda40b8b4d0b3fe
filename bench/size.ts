// `npm run size`: the client's weight as a user's Worker carries it (esbuild, minified, gzipped); and the metrics
// Worker's, with the share of the protobuf format in it (the package and our codec, bundled on their own).

import { resolve } from "node:path";
import { clientSizes, measure } from "../test/architecture/client-size.ts";

const kb = (n: number) => `${(n / 1000).toFixed(2)} KB`;
const { worker, whole } = await clientSizes();
console.log(
  `a Worker using all four metric types with the Durable Object transport: ${kb(worker.gzipped)} min+gz (${kb(worker.minified)} minified)`,
);
console.log(`the whole client entry: ${kb(whole.gzipped)} min+gz (${kb(whole.minified)} minified)`);

const root = process.cwd();
const at = (path: string) => JSON.stringify(resolve(root, path));
const metrics = await measure(
  `export * from ${at("worker/index.ts")}; export { default } from ${at("worker/index.ts")};`,
);
const protobuf = await measure(
  `export * from ${at("worker/protobuf/messages.ts")}; export * from ${at("worker/protobuf/families.ts")};`,
);
console.log(`the metrics Worker (worker/index.ts): ${kb(metrics.gzipped)} min+gz (${kb(metrics.minified)} minified)`);
console.log(
  `  of which the protobuf format (@bufbuild/protobuf's wire layer and worker/protobuf, bundled alone): ${kb(protobuf.gzipped)} min+gz (${kb(protobuf.minified)} minified)`,
);
