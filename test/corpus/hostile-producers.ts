// Attacks one producer (a scoped token holder, or a careless one) could make on what the others see, each as found
// by a black-box check of an earlier release, performed as described there. `run` returns what is still harmful
// (empty: the attack failed harmlessly). Run against the real Worker over HTTP by test/blackbox/producer-attacks.test.ts.

import { gzipSync } from "node:zlib";

/** What an attack is run against: the Worker's address and the credentials it was started with. */
export interface AttackTarget {
  url: URL;
  /** Pushes a JSON body to /push with `token`. */
  push(body: unknown, token?: string): Promise<Response>;
  /** The scrape in `format`, as Prometheus reads it: the whole body, and whether it arrived whole. */
  scrape(format: "text" | "openmetrics"): Promise<string>;
}

export interface ProducerAttack {
  /** The issue's item. */
  item: string;
  /** The Worker's vars for this attack (its tokens and limits). */
  vars: Record<string, string>;
  run(target: AttackTarget): Promise<string[]>;
}

export const SCOPED_TOKEN = "team-b-producer-token";
export const OTHER_TEAM_TOKEN = "team-a-producer-token";
const SCOPED_PUSH_TOKENS = JSON.stringify({
  [SCOPED_TOKEN]: { prefixes: ["team_b_"], maxFamilies: 40 },
  [OTHER_TEAM_TOKEN]: ["team_a_"],
});

const gateway = (target: AttackTarget, path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(new URL(`/metrics/job/${path}`, target.url), {
    method: "POST",
    headers: { authorization: `Bearer ${SCOPED_TOKEN}`, "content-type": "text/plain; version=0.0.4", ...headers },
    body,
  });

/** The other team's family, pushed first: what the attacker must not harm. */
async function otherTeam(target: AttackTarget): Promise<string[]> {
  const res = await target.push(
    { families: [{ name: "team_a_jobs_total", type: "counter", help: "A.", series: [{ labels: {}, inc: 7 }] }] },
    OTHER_TEAM_TOKEN,
  );
  return res.status === 200 ? [] : [`the other team's push answered ${res.status}`];
}

/** What is wrong with the scrape in both formats: it must hold the other team's family and the Worker's own. */
async function scrapeIntact(target: AttackTarget): Promise<string[]> {
  const problems: string[] = [];
  for (const format of ["text", "openmetrics"] as const) {
    const body = await target.scrape(format);
    if (!body.includes("\nteam_a_jobs_total 7\n") && !body.startsWith("# HELP team_a_jobs_total"))
      problems.push(`the ${format} scrape lost the other team's family`);
    if (!body.includes("\npdc_families ")) problems.push(`the ${format} scrape lost the Worker's own metrics`);
    if (body.includes("# ABORTED")) problems.push(`the ${format} scrape was aborted`);
    if (format === "openmetrics" && !body.endsWith("# EOF\n")) problems.push("the OpenMetrics scrape has no # EOF");
  }
  return problems;
}

/** A label name of 190 characters, numbered. */
const longLabel = (n: number) => `L${"x".repeat(184)}${String(n).padStart(5, "0")}`;

/** The number in a sample line `name{…} N` or `name N` of the scrape, or undefined. */
const sampleOf = (body: string, prefix: string) => {
  const line = body.split("\n").find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
};

export const PRODUCER_ATTACKS: ProducerAttack[] = [
  {
    item: "5: silently truncate the text scrape with 65 Pushgateway POSTs of 31 long grouping labels each",
    vars: { SCOPED_PUSH_TOKENS },
    async run(target) {
      const problems = await otherTeam(target);
      let n = 0;
      const statuses = new Set<number>();
      for (let p = 0; p < 65; p++) {
        const path = `j/${Array.from({ length: 31 }, () => `${longLabel(n++)}/v`).join("/")}`;
        statuses.add((await gateway(target, path, "# TYPE team_b_x counter\nteam_b_x 1\n")).status);
      }
      if (!statuses.has(400)) problems.push(`the label names grew unrefused (statuses ${[...statuses]})`);
      return [...problems, ...(await scrapeIntact(target))];
    },
  },
  {
    item: "6: bypass the 32-label-name limit with 33 small POSTs, then make every scrape huge with one 99 KB push",
    vars: { SCOPED_PUSH_TOKENS },
    async run(target) {
      const problems = await otherTeam(target);
      let refused = 0;
      for (let p = 0; p < 33; p++) {
        const res = await gateway(target, `j/${longLabel(p)}/v`, "# TYPE team_b_y gauge\nteam_b_y 1\n");
        if (res.status === 400) refused++;
        else if (res.status !== 200) problems.push(`POST ${p} answered ${res.status}`);
      }
      // The family takes `job`, `instance` (every Pushgateway push has it) and 30 grouping labels; every POST past
      // them is refused.
      if (refused !== 33 - 30) problems.push(`${refused} POSTs refused, not the ${33 - 30} past the limit`);
      const many = Array.from({ length: 400 }, (_, i) => `team_b_y{s="${"v".repeat(230)}${i}"} 1`).join("\n");
      await gateway(target, "j", `# TYPE team_b_y gauge\n${many}\n`);
      const text = await target.scrape("text");
      if (text.length > 1_000_000) problems.push(`the scrape is ${text.length} bytes`);
      const names =
        text
          .split("\n")
          .find((l) => l.startsWith("team_b_y{"))
          ?.match(/[a-zA-Z_]+="/g)?.length ?? 0;
      if (names > 32) problems.push(`a series renders ${names} label names`);
      return [...problems, ...(await scrapeIntact(target))];
    },
  },
  {
    item: "7: spend seconds of CPU and a gigabyte of memory with an 815 KB gzip body that inflates to 800 MiB",
    vars: { SCOPED_PUSH_TOKENS },
    async run(target) {
      const problems = await otherTeam(target);
      const bomb = gzipSync(Buffer.alloc(800 * 1024 * 1024), { level: 9 });
      if (bomb.length > 1_048_576) problems.push(`the bomb is ${bomb.length} bytes, not under the 1 MiB limit`);
      const started = Date.now();
      const res = await gateway(target, "j", bomb, { "content-encoding": "gzip" });
      const took = Date.now() - started;
      const body = (await res.json()) as { error?: string };
      if (res.status !== 413 || !/over 1048576 bytes once inflated/.test(body.error ?? ""))
        problems.push(`the bomb answered ${res.status} ${JSON.stringify(body)}`);
      // Refused as a plain body over the limit is: after about a megabyte of work (it took 6-9.5 s before).
      if (took > 3_000) problems.push(`the refusal took ${took} ms`);
      return [...problems, ...(await scrapeIntact(target))];
    },
  },
  {
    item: "8: make every scrape cost 32 object requests per family by declaring shards: 32 over HTTP",
    vars: { SCOPED_PUSH_TOKENS },
    async run(target) {
      const problems = await otherTeam(target);
      const families = Array.from({ length: 20 }, (_, i) => ({
        name: `team_b_sharded_${i}`,
        type: "gauge",
        help: "S.",
        shards: 32,
        series: [{ labels: {}, set: 1 }],
      }));
      const res = await target.push({ families }, SCOPED_TOKEN);
      if (res.status !== 200) problems.push(`the push answered ${res.status}`);
      // Every scrape asks the ingest object to fold, reads the catalog and one object per family: 23 objects, not
      // 20 × 32 + 3.
      const requests = sampleOf(await target.scrape("text"), "pdc_scrape_object_requests ");
      const listed = sampleOf(await target.scrape("text"), "pdc_families ");
      if (requests !== (listed ?? 0) + 2)
        problems.push(`a scrape made ${requests} object requests for ${listed} families`);
      return [...problems, ...(await scrapeIntact(target))];
    },
  },
  {
    item: "9: wipe other producers' series with one push of ttlSeconds: 1",
    vars: {
      SCOPED_PUSH_TOKENS: JSON.stringify({ [SCOPED_TOKEN]: ["shared_"], [OTHER_TEAM_TOKEN]: ["team_a_", "shared_"] }),
    },
    async run(target) {
      const problems = await otherTeam(target);
      const others = {
        families: [
          {
            name: "shared_requests_total",
            type: "counter",
            help: "R.",
            labelNames: ["team"],
            series: [{ labels: { team: "a" }, inc: 3 }],
          },
        ],
      };
      if ((await target.push(others, OTHER_TEAM_TOKEN)).status !== 200) problems.push("the others' push was refused");
      const ttl = { families: [{ ...others.families[0], ttlSeconds: 1, series: [{ labels: { team: "b" }, inc: 1 }] }] };
      const res = await target.push(ttl, SCOPED_TOKEN);
      if (res.status !== 409) problems.push(`the push of ttlSeconds 1 answered ${res.status}`);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      if (sampleOf(await target.scrape("text"), 'shared_requests_total{team="a"} ') !== 3)
        problems.push("the others' series is gone");
      return [...problems, ...(await scrapeIntact(target))];
    },
  },
  {
    item: "10: a refused POST /push of two families, one in conflict, still applies the other",
    vars: { SCOPED_PUSH_TOKENS },
    async run(target) {
      const problems = await otherTeam(target);
      const gauge = { name: "team_b_depth", type: "gauge", help: "D.", series: [{ labels: {}, set: 5 }] };
      if ((await target.push({ families: [gauge] }, SCOPED_TOKEN)).status !== 200) problems.push("setup refused");
      const res = await target.push(
        {
          families: [
            { name: "team_b_done_total", type: "counter", help: "C.", series: [{ labels: {}, inc: 1 }] },
            { ...gauge, type: "counter", series: [{ labels: {}, inc: 1 }] },
          ],
        },
        SCOPED_TOKEN,
      );
      if (res.status !== 409) problems.push(`the conflicting push answered ${res.status}`);
      if ((await target.scrape("text")).includes("team_b_done_total")) problems.push("the other family was applied");
      return [...problems, ...(await scrapeIntact(target))];
    },
  },
  {
    item: "11: create 2,000 families in 20 pushes with an id inside the metric name",
    vars: { SCOPED_PUSH_TOKENS, MAX_FAMILIES: "60", SELF_METRICS_FLUSH_MS: "0" },
    async run(target) {
      const problems = await otherTeam(target);
      const statuses: number[] = [];
      for (let p = 0; p < 20; p++) {
        const families = Array.from({ length: 100 }, (_, i) => ({
          name: `team_b_job_${p * 100 + i}_seconds`,
          type: "gauge",
          help: "J.",
          series: [{ labels: {}, set: 1 }],
        }));
        const res = await target.push({ families }, SCOPED_TOKEN);
        statuses.push(res.status);
        const body = (await res.json()) as { error?: string; limit?: { name: string; value: number } };
        if (res.status === 413 && body.limit?.name !== "maxFamilies")
          problems.push(`a refusal does not name the limit: ${JSON.stringify(body)}`);
      }
      if (statuses.some((s) => s !== 413)) problems.push(`pushes answered ${statuses.join(",")}`);
      // The token's cap (40) holds; the deployment's families stay under MAX_FAMILIES (60), which is shown.
      const text = await target.scrape("text");
      const listed = sampleOf(text, "pdc_families ") ?? 0;
      if (listed > 60) problems.push(`${listed} families stored`);
      if (sampleOf(text, "pdc_families_limit ") !== 60) problems.push("pdc_families_limit is not 60");
      const within = Array.from({ length: 40 }, (_, i) => ({
        name: `team_b_ok_${i}`,
        type: "gauge",
        help: "O.",
        series: [{ labels: {}, set: 1 }],
      }));
      const fits = await target.push({ families: within }, SCOPED_TOKEN);
      if (fits.status !== 200) problems.push(`40 families, the token's cap, answered ${fits.status}`);
      const over = await target.push({ families: [{ ...within[0], name: "team_b_one_more" }] }, SCOPED_TOKEN);
      if (over.status !== 413) problems.push(`a family past the token's cap answered ${over.status}`);
      // Existing families keep working, and the refusals are counted.
      if ((await target.push({ families: [within[0]] }, SCOPED_TOKEN)).status !== 200)
        problems.push("an existing family was refused");
      // The 20 pushes of 100 families pass MAX_FAMILIES first; the one past the token's 40 passes the token's cap.
      const after = await target.scrape("text");
      const counted = (cap: string) => sampleOf(after, `pdc_family_cap_refusals_total{cap="${cap}"} `) ?? 0;
      if (counted("deployment") !== 20 || counted("token") !== 1)
        problems.push(
          `refusals counted: ${counted("deployment")} for the deployment, ${counted("token")} for the token`,
        );
      return [...problems, ...(await scrapeIntact(target))];
    },
  },
];
