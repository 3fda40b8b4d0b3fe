// A vitest reporter that ends the run with plain lines any CI can read: the test that came closest to its timeout
// (to keep the suite far from flaking on a loaded machine), then "tests: N passed, N failed, N skipped".

import type { Reporter, TestModule } from "vitest/node";

export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    let closest: { name: string; duration: number; timeout: number } | undefined;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        counts[test.result().state]++;
        const duration = test.diagnostic()?.duration;
        const timeout = test.options.timeout;
        if (duration === undefined || !timeout) continue;
        if (!closest || duration / timeout > closest.duration / closest.timeout) {
          closest = {
            name: `${module.moduleId.split("/test/")[1] ?? module.moduleId} > ${test.fullName}`,
            duration,
            timeout,
          };
        }
      }
    }
    if (closest) {
      const share = ((100 * closest.duration) / closest.timeout).toFixed(1);
      console.log(
        `\nclosest to its timeout: ${Math.round(closest.duration)} ms of ${closest.timeout} ms (${share}%): ${closest.name}`,
      );
    }
    console.log(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped + counts.pending} skipped`,
    );
  }
}
