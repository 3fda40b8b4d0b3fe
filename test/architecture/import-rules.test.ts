// The folders say what a file may import, and this test holds them to it (it runs in `npm test`): the client a user
// bundles carries nothing of the server, the shared protocol imports nothing else of ours, the store is pure, and the
// Worker's layers import downwards only. A file that breaks a rule fails here, naming the file and the import.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

/** Every TypeScript source file under `dir`, relative to the repository. */
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** What a file imports: repository paths for relative imports, the bare specifier otherwise. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/g)].map(
    (m) => m[1] as string,
  );
  return specifiers.map((s) => (s.startsWith(".") ? relative(root, resolve(root, dirname(file), s)) : s));
}

interface Rule {
  /** The files the rule holds for. */
  files: (file: string) => boolean;
  /** What they may import; anything else is a violation. */
  allows: (target: string) => boolean;
  why: string;
}

const under =
  (...folders: string[]) =>
  (path: string) =>
    folders.some((f) => path.startsWith(f));
const RULES: Rule[] = [
  {
    files: under("lib/protocol/"),
    allows: under("lib/protocol/"),
    why: "the protocol is pure and shared: it imports nothing else of ours, no runtime and no package",
  },
  {
    files: under("lib/client/"),
    allows: under("lib/protocol/", "lib/client/"),
    why: "the client imports the protocol only: nothing of the store or the server, no runtime, no package",
  },
  {
    files: under("lib/store/"),
    allows: under("lib/protocol/", "lib/store/"),
    why: "the store is pure aggregation: it imports the protocol only",
  },
  {
    files: (f) => f === "lib/index.ts",
    allows: under("lib/protocol/", "lib/client/"),
    why: "the client entry exports the client and the protocol; the store is the ./store entry",
  },
  {
    files: under("worker/"),
    allows: (t) => !t.startsWith("lib/client/"),
    why: "the Worker uses the protocol and the store, not the client library (but for its own metrics)",
  },
  {
    files: under("worker/protobuf/"),
    allows: under("lib/protocol/", "worker/protobuf/"),
    why: "the protobuf format is a format, as the text format: it knows the protocol's types and nothing of the Worker",
  },
  {
    files: under("worker/objects/"),
    allows: (t) =>
      !under(
        "worker/http/",
        "worker/ingest/",
        "worker/otlp/",
        "worker/pushgateway/",
        "worker/scrape/",
        "worker/status/",
      )(t),
    why: "the Durable Objects are the bottom layer: they import no route, ingest, scrape or status page",
  },
  {
    files: under(
      "worker/export/",
      "worker/ingest/",
      "worker/otlp/",
      "worker/pushgateway/",
      "worker/scrape/",
      "worker/status/",
      "worker/self-metrics/",
    ),
    allows: (t) => t !== "worker/http/router.ts" && t !== "worker/index.ts",
    why: "the router puts the roles together; no role imports it",
  },
];

/** The exceptions, each with its reason: the Worker records its own metrics with this library, as a client would. */
const EXCEPTIONS: [file: string, target: string][] = [
  ["worker/self-metrics/self-metrics.ts", "lib/client/metrics/counter.ts"],
  ["worker/self-metrics/self-metrics.ts", "lib/client/registry.ts"],
  ["worker/self-metrics/self-metrics.ts", "lib/client/transports/durable-object.ts"],
];

/** Packages: the client, the protocol and the store take none; the Worker its three. */
const PACKAGES: Record<string, string[]> = {
  "worker/http/router.ts": ["itty-router"],
  "worker/http/body.ts": ["fflate"],
  "worker/protobuf/messages.ts": ["@bufbuild/protobuf/wire"],
  "worker/protobuf/reader.ts": ["@bufbuild/protobuf/wire"],
  "worker/protobuf/otlp.ts": ["@bufbuild/protobuf/wire"],
  "worker/protobuf/remote-write.ts": ["@bufbuild/protobuf/wire", "snappyjs"],
  "worker/export/export-object.ts": ["cloudflare:workers"],
};

describe("import rules", () => {
  const files = [...sources("lib"), ...sources("worker")];

  it("finds the source files", () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it("holds every file to the rules of its folder", () => {
    const violations: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        if (EXCEPTIONS.some(([f, t]) => f === file && t === target)) continue;
        const bare = !target.startsWith("lib/") && !target.startsWith("worker/");
        if (bare) {
          const allowed = target.startsWith("cloudflare:")
            ? file.startsWith("worker/")
            : PACKAGES[file]?.includes(target);
          if (!allowed)
            violations.push(`${file} imports ${target}: packages and the runtime are the Worker's, listed here`);
          continue;
        }
        if (target.startsWith("worker/") && file.startsWith("lib/")) {
          violations.push(`${file} imports ${target}: the library never imports the Worker`);
          continue;
        }
        for (const rule of RULES) {
          if (rule.files(file) && !rule.allows(target)) violations.push(`${file} imports ${target}: ${rule.why}`);
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
