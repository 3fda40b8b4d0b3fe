// `npm run size`: the client's weight as a user's Worker carries it (esbuild, minified, gzipped).

import { clientSizes } from "../test/architecture/client-size.ts";

const kb = (n: number) => `${(n / 1000).toFixed(2)} KB`;
const { worker, whole } = await clientSizes();
console.log(
  `a Worker using all four metric types with the Durable Object transport: ${kb(worker.gzipped)} min+gz (${kb(worker.minified)} minified)`,
);
console.log(`the whole client entry: ${kb(whole.gzipped)} min+gz (${kb(whole.minified)} minified)`);
