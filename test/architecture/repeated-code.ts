// Repeated code, found the way `duplicates` finds its exact pairs: two places that share a run of six or more
// identical lines (trimmed; blank lines and comments skipped). Only lines that carry code count towards a run, so
// closing brackets alone do not make a pair. repeated-code.test.ts holds the source folders to a small number.

import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
/** How many shared lines make a pair. */
export const RUN = 6;

interface Line {
  file: string;
  number: number;
  text: string;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(path);
    return /\.(ts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

/** The lines of a file that carry code, trimmed, with their line numbers. */
function codeLines(file: string): Line[] {
  return readFileSync(join(root, file), "utf8")
    .split("\n")
    .map((raw, i) => ({ file, number: i + 1, text: raw.trim() }))
    .filter(({ text }) => text !== "" && !/^(\/\/|\/\*|\*)/.test(text) && /[A-Za-z0-9]/.test(text));
}

export interface RepeatedRun {
  a: string;
  b: string;
}

/**
 * Every pair of places in `folders` sharing a run of RUN code lines, one entry per pair of files (or per pair of
 * places in one file), as `path:line`.
 */
export function repeatedRuns(folders: readonly string[]): RepeatedRun[] {
  const seen = new Map<string, Line>();
  const pairs = new Map<string, RepeatedRun>();
  for (const file of folders.flatMap(sources)) {
    const lines = codeLines(file);
    for (let i = 0; i + RUN <= lines.length; i++) {
      const window = lines.slice(i, i + RUN);
      const key = window.map((l) => l.text).join("\n");
      const first = seen.get(key);
      const here = window[0] as Line;
      if (first === undefined) {
        seen.set(key, here);
        continue;
      }
      // Overlapping windows of one run in one file are the same place.
      if (first.file === file && here.number - first.number < RUN) continue;
      const id = first.file === file ? `${file}:${first.number}` : `${first.file}|${file}`;
      if (!pairs.has(id)) pairs.set(id, { a: `${first.file}:${first.number}`, b: `${file}:${here.number}` });
    }
  }
  return [...pairs.values()];
}
