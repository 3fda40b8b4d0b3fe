// The source folders repeat themselves at most twice (issue 17): a run of six identical code lines in two places is
// one piece of code that should serve both. The two that stand are the import lists of the metric classes that
// share a base (counter and gauge, histogram and summary), which name the same types of prom-client's API.

import { describe, expect, it } from "vitest";
import { repeatedRuns } from "./repeated-code.ts";

const SOURCE = ["lib", "worker", "bench", "examples"];
const ALLOWED = 2;

describe("repeated code", () => {
  it(`source folders share at most ${ALLOWED} runs of six identical code lines`, () => {
    const runs = repeatedRuns(SOURCE);
    expect(runs.map((r) => `${r.a} ~ ${r.b}`).sort().length, JSON.stringify(runs, null, 2)).toBeLessThanOrEqual(
      ALLOWED,
    );
  });

  it("finds a run that is there (the checker is not blind)", () => {
    // The test folder repeats itself on purpose (tables, fixtures); the checker must see that.
    expect(repeatedRuns(["test"]).length).toBeGreaterThan(2);
  });
});
