// The Pushgateway-compatible endpoint inside workerd: text pushes add under their grouping key, PUT replaces the
// group, DELETE deletes exactly the group, each group has its push times, Idempotency-Key drops replays, the URL forms (base64, empty values) decode, and a refused push —
// malformed, clashing, oversized — names its problem and changes nothing.

import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { collectFamilies } from "../../../worker/scrape/scrape.ts";

const TOKEN = "test-push-token";
let runs = 0;
/** A job name of its own per test, so tests never see each other's series. */
const job = (base: string) => `${base}-${++runs}`;

function gateway(method: string, path: string, body = "", headers: Record<string, string> = {}) {
  return exports.default.fetch(
    new Request(`http://metrics.test/metrics/${path}`, {
      method,
      body: method === "DELETE" ? undefined : body,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "text/plain; version=0.0.4", ...headers },
    }),
  );
}

/** The stored series of `family` whose labels include `match`, as [labels, value-ish] pairs. */
async function seriesOf(family: string, match: Record<string, string>) {
  const stored = (await collectFamilies(env)).find((f) => f.name === family);
  return (stored?.series ?? []).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

const PYTHON_STYLE = `# HELP pg_jobs_total Jobs done
# TYPE pg_jobs_total counter
pg_jobs_total{queue="a"} 3.0
# HELP pg_jobs_created Jobs done
# TYPE pg_jobs_created gauge
pg_jobs_created{queue="a"} 1.7956775374994247e+09
# HELP pg_latency Latency
# TYPE pg_latency histogram
pg_latency_bucket{le="0.1"} 0.0
pg_latency_bucket{le="1.0"} 1.0
pg_latency_bucket{le="+Inf"} 2.0
pg_latency_count 2.0
pg_latency_sum 3.5
# HELP pg_size Size
# TYPE pg_size summary
pg_size{quantile="0.5"} 3.0
pg_size_count 1.0
pg_size_sum 3.0
# HELP pg_temperature Temperature
# TYPE pg_temperature gauge
pg_temperature 21.5
pg_untyped_thing 7
`;

describe("Pushgateway endpoint (workerd)", () => {
  it("adds counters, histograms and summaries under the grouping key; sets gauges; untyped stays untyped and sets", async () => {
    const name = job("python");
    for (let i = 0; i < 2; i++)
      expect((await gateway("POST", `job/${name}/instance/i1`, PYTHON_STYLE)).status).toBe(200);
    const group = { job: name, instance: "i1" };
    expect((await seriesOf("pg_jobs", group)).map((s) => [s.labels, s.value])).toEqual([
      [{ instance: "i1", job: name, queue: "a" }, 6],
    ]);
    const [latency] = await seriesOf("pg_latency", group);
    expect(latency).toMatchObject({ counts: [0, 2, 2], sum: 7 });
    expect((await seriesOf("pg_size", group))[0]).toMatchObject({ count: 2, sum: 6 });
    expect((await seriesOf("pg_temperature", group))[0]?.value).toBe(21.5);
    expect((await seriesOf("pg_untyped_thing", group))[0]?.value).toBe(7);
    const families = await collectFamilies(env);
    expect(families.find((f) => f.name === "pg_latency")?.buckets).toEqual([0.1, 1]);
    expect(families.find((f) => f.name === "pg_untyped_thing")?.type).toBe("untyped");
    // Python's _created gauges are its counters' creation times, not families of their own.
    expect(families.some((f) => f.name === "pg_jobs_created")).toBe(false);
  });

  it("exposes an untyped family as untyped (text) and unknown (OpenMetrics), merging like a set gauge", async () => {
    const name = job("untyped");
    expect((await gateway("POST", `job/${name}`, "pg_untyped_scrape 3\n")).status).toBe(200);
    expect((await gateway("POST", `job/${name}`, "pg_untyped_scrape 2\n")).status).toBe(200);
    const text = await (await exports.default.fetch("http://metrics.test/metrics")).text();
    expect(text).toContain(`# TYPE pg_untyped_scrape untyped\npg_untyped_scrape{instance="",job="${name}"} 2\n`);
    const openMetrics = await (
      await exports.default.fetch("http://metrics.test/metrics", {
        headers: { accept: "application/openmetrics-text; version=1.0.0" },
      })
    ).text();
    expect(openMetrics).toContain("# TYPE pg_untyped_scrape unknown\n");
    expect(openMetrics).toContain(`\npg_untyped_scrape{instance="",job="${name}"} 2\n`);
    expect(openMetrics).not.toContain("pg_untyped_scrape_created");
  });

  it("takes untyped samples into a family an older version stored as a gauge (it stays a gauge)", async () => {
    const name = job("legacy-untyped");
    // Versions before untyped families stored an untyped sample as a gauge merged by "set": the same as this push.
    const legacy = {
      families: [
        {
          name: "pg_legacy_untyped",
          type: "gauge",
          help: "Legacy.",
          labelNames: ["job"],
          series: [{ labels: { job: name }, set: 1 }],
        },
      ],
    };
    const stored = await exports.default.fetch("http://metrics.test/push", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(legacy),
    });
    expect(stored.status).toBe(200);
    expect((await gateway("POST", `job/${name}`, "pg_legacy_untyped 5\n")).status).toBe(200);
    expect((await seriesOf("pg_legacy_untyped", { job: name }))[0]?.value).toBe(5);
    expect((await collectFamilies(env)).find((f) => f.name === "pg_legacy_untyped")?.type).toBe("gauge");
  });

  it("takes a gauge merged by set into a family a text push created untyped (it stays untyped); refuses a max gauge", async () => {
    const name = job("gauge-into-untyped");
    expect((await gateway("POST", `job/${name}`, "pg_untyped_joined 2\n")).status).toBe(200);
    const gauge = (merge: string) =>
      exports.default.fetch("http://metrics.test/push", {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({
          families: [
            {
              name: "pg_untyped_joined",
              type: "gauge",
              help: "G.",
              labelNames: ["instance", "job"],
              merge,
              series: [{ labels: { instance: "", job: name }, set: 9 }],
            },
          ],
        }),
      });
    expect((await gauge("set")).status).toBe(200);
    expect((await seriesOf("pg_untyped_joined", { job: name }))[0]?.value).toBe(9);
    expect((await collectFamilies(env)).find((f) => f.name === "pg_untyped_joined")?.type).toBe("untyped");
    expect((await gauge("max")).status).toBe(409);
  });

  it("PUT replaces the group: carried series take the pushed values (creation time kept), the group's others go", async () => {
    const name = job("cumulative");
    const put = (text: string) => gateway("PUT", `job/${name}`, text);
    expect((await put('# TYPE pg_put_total counter\npg_put_total{k="a"} 10\npg_put_total{k="b"} 1\n')).status).toBe(
      200,
    );
    // Another group's series of the same family, and a series of no group, are not this group's to replace.
    await gateway("POST", `job/${name}/instance/other`, '# TYPE pg_put_total counter\npg_put_total{k="b"} 4\n');
    const created = (await seriesOf("pg_put", { job: name }))[0]?.created;
    expect((await put('# TYPE pg_put_total counter\npg_put_total{k="a"} 12\n')).status).toBe(200);
    expect((await put('# TYPE pg_put_total counter\npg_put_total{k="a"} 15\n')).status).toBe(200);
    const series = await seriesOf("pg_put", { job: name });
    expect(series.map((s) => [s.labels.instance, s.labels.k, s.value])).toEqual([
      ["", "a", 15],
      ["other", "b", 4],
    ]);
    expect(series[0]?.created).toBe(created);
    // POST on top adds.
    await gateway("POST", `job/${name}`, '# TYPE pg_put_total counter\npg_put_total{k="a"} 1\n');
    expect((await seriesOf("pg_put", { job: name, k: "a" }))[0]?.value).toBe(16);
  });

  it("drops a replay with the same Idempotency-Key: a retried push never counts twice", async () => {
    const name = job("retry");
    const body = "# TYPE pg_retry_total counter\npg_retry_total 1\n";
    const first = await gateway("POST", `job/${name}`, body, { "idempotency-key": `${name}-attempt` });
    const again = await gateway("POST", `job/${name}`, body, { "idempotency-key": `${name}-attempt` });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(await again.json()).toMatchObject({
      idempotencyKey: `${name}-attempt`,
      families: [{ name: "pg_retry", status: "duplicate" }],
    });
    expect((await seriesOf("pg_retry", { job: name }))[0]?.value).toBe(1);
    // The key counts within its method and group: the same key for another group, or a PUT, is another push.
    const other = await gateway("POST", `job/${name}/instance/b`, body, { "idempotency-key": `${name}-attempt` });
    expect(await other.json()).toMatchObject({ families: [{ name: "pg_retry", status: "applied" }] });
    const put = await gateway("PUT", `job/${name}`, body, { "idempotency-key": `${name}-attempt` });
    expect(await put.json()).toMatchObject({ families: [{ name: "pg_retry", status: "applied" }] });
    expect((await seriesOf("pg_retry", { job: name, instance: "b" }))[0]?.value).toBe(1);
    const bad = await gateway("POST", `job/${name}`, body, { "idempotency-key": "has spaces" });
    expect(bad.status).toBe(400);
    expect((await bad.json()) as { error: string }).toEqual({
      error: expect.stringMatching(/^Idempotency-Key header: /),
    });
  });

  it("decodes the Pushgateway's URL forms: @base64 values, = for empty, percent-encoding, Unicode", async () => {
    const name = job("paths");
    const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/=+$/, "");
    const paths = [
      [`job/${name}/path@base64/${b64("/var/tmp").replace(/\+/g, "-").replace(/\//g, "_")}`, "/var/tmp"],
      [`job/${name}/path@base64/=`, ""],
      [`job/${name}/path/${encodeURIComponent("a b/c")}`, "a b/c"],
      [`job/${name}/path@base64/${b64("Προμηθεύς").replace(/\+/g, "-").replace(/\//g, "_")}`, "Προμηθεύς"],
    ] as const;
    for (const [path] of paths) expect((await gateway("POST", path, "pg_paths 1\n")).status).toBe(200);
    const values = (await seriesOf("pg_paths", { job: name })).map((s) => s.labels.path).sort();
    expect(values).toEqual(paths.map(([, value]) => value).sort());
    const jobInBase64 = await gateway("POST", `job@base64/${b64(name)}/path/x`, "pg_paths 2\n");
    expect(jobInBase64.status).toBe(200);
    expect((await seriesOf("pg_paths", { job: name, path: "x" }))[0]?.value).toBe(2);
  });

  it("lets the grouping labels win over same-named labels of the samples, as the Pushgateway does", async () => {
    const name = job("override");
    expect((await gateway("POST", `job/${name}`, 'pg_override{job="other",k="1"} 4\n')).status).toBe(200);
    expect((await seriesOf("pg_override", { k: "1" })).map((s) => s.labels.job)).toEqual([name]);
  });

  it.each([
    ["job/x/label", /a label without a value/],
    ["instance/x", /must start with job/],
    ["job@base64/=", /job name cannot be empty/],
    ["job/x/le/1", /"le" cannot group/],
    ["job/x/a/1/a/2", /appears twice/],
    ["job/x/__a/1", /reserved/],
    ["job/x/a@base64/!!", /not base64url/],
    ["job/x/a/%E0%A4%A", /not valid percent-encoding/],
    ["job/x/a//b/c", /empty value is written a@base64\/=/],
  ])("refuses the path %s with 400", async (path, message) => {
    const res = await gateway("POST", path, "pg_never 1\n");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it("refuses a malformed body with 400 naming the line, and applies none of it", async () => {
    const name = job("malformed");
    const body = '# TYPE pg_bad_a counter\npg_bad_a 1\n# TYPE pg_bad_b gauge\npg_bad_b{x="1" 2\n';
    const res = await gateway("POST", `job/${name}`, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^line 4: /);
    expect(await seriesOf("pg_bad_a", { job: name })).toEqual([]);
    const negative = await gateway("POST", `job/${name}`, "# TYPE pg_bad_c counter\npg_bad_c -1\n");
    expect(negative.status).toBe(400);
    expect(((await negative.json()) as { error: string }).error).toBe("line 2: a counter cannot be negative, got -1");
    const cumulative =
      '# TYPE pg_bad_h histogram\npg_bad_h_bucket{le="1"} 5\npg_bad_h_bucket{le="+Inf"} 3\npg_bad_h_sum 1\n';
    const falling = await gateway("POST", `job/${name}`, cumulative);
    expect(((await falling.json()) as { error: string }).error).toMatch(/^line 3: bucket counts are cumulative/);
  });

  it("refuses a type clash with a stored family (409) and applies nothing of the push", async () => {
    const name = job("clash");
    expect((await gateway("POST", `job/${name}`, "# TYPE pg_clash gauge\npg_clash 1\n")).status).toBe(200);
    const body = "# TYPE pg_clash_other counter\npg_clash_other 1\n# TYPE pg_clash counter\npg_clash 5\n";
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await gateway("POST", `job/${name}`, body);
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({
        error: 'family "pg_clash" is stored with a different type (gauge vs counter)',
      });
    }
    // Nothing of the refused push was applied, so retrying it (as clients do) counts nothing twice.
    expect(await seriesOf("pg_clash_other", { job: name })).toEqual([]);
    expect((await seriesOf("pg_clash", { job: name }))[0]?.value).toBe(1);
  });

  it("refuses the whole push when one family's object would refuse its part (here: other buckets)", async () => {
    const name = job("whole");
    const histogram = (bounds: string) =>
      `# TYPE pg_whole_h histogram\n${bounds}pg_whole_h_bucket{le="+Inf"} 1\npg_whole_h_sum 1\npg_whole_h_count 1\n`;
    expect((await gateway("POST", `job/${name}`, histogram('pg_whole_h_bucket{le="1"} 1\n'))).status).toBe(200);
    const body = `# TYPE pg_whole_c counter\npg_whole_c 5\n${histogram('pg_whole_h_bucket{le="2"} 1\n')}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await gateway("POST", `job/${name}`, body);
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: string }).error).toMatch(
        /"pg_whole_h" is stored with a different buckets/,
      );
    }
    expect(await seriesOf("pg_whole_c", { job: name }), "the other family was not applied").toEqual([]);
    expect((await seriesOf("pg_whole_h", { job: name }))[0]?.sum).toBe(1);
  });

  it("leaves out an untyped _created beside a counter (it would clash with the counter's own _created)", async () => {
    const name = job("created");
    const body = "# TYPE pg_own counter\npg_own_total 1\npg_own_created 1.7e9\n";
    expect((await gateway("POST", `job/${name}`, body)).status).toBe(200);
    expect(await seriesOf("pg_own_created", { job: name })).toEqual([]);
    expect((await seriesOf("pg_own", { job: name }))[0]?.value).toBe(1);
  });

  it("takes a counter x and a gauge x_total in one body, as the Pushgateway does; OpenMetrics writes the counter unknown", async () => {
    const name = job("pair");
    const body = "# TYPE pg_pair counter\npg_pair 4\n# TYPE pg_pair_total gauge\npg_pair_total 9\n";
    const res = await gateway("POST", `job/${name}`, body);
    expect(res.status, await res.text()).toBe(200);
    expect((await seriesOf("pg_pair", { job: name }))[0]?.value).toBe(4);
    expect((await seriesOf("pg_pair_total", { job: name }))[0]?.value).toBe(9);
    const scrape = async (accept: string) =>
      (await exports.default.fetch(new Request("http://metrics.test/metrics", { headers: { accept } }))).text();
    const labels = `{instance="",job="${name}"}`;
    const text = await scrape("text/plain; version=0.0.4");
    expect(text).toContain(`# TYPE pg_pair counter\npg_pair${labels} 4\n`);
    expect(text).toContain(`# TYPE pg_pair_total gauge\npg_pair_total${labels} 9\n`);
    // OpenMetrics would write pg_pair_total twice: the counter kept bare is written unknown, under its bare name.
    const om = await scrape("application/openmetrics-text; version=1.0.0");
    expect(om).toContain(`# TYPE pg_pair unknown\npg_pair${labels} 4\n`);
    expect(om).toContain(`# TYPE pg_pair_total gauge\npg_pair_total${labels} 9\n`);
    expect(om.split("\n").filter((l) => l.startsWith("pg_pair_total{"))).toHaveLength(1);
    // A second push adds to the counter and sets the gauge; pushing them in the other order is the same pair.
    const again = "# TYPE pg_pair_total gauge\npg_pair_total 2\n# TYPE pg_pair counter\npg_pair 1\n";
    expect((await gateway("POST", `job/${name}`, again)).status).toBe(200);
    expect((await seriesOf("pg_pair", { job: name }))[0]?.value).toBe(5);
    expect((await seriesOf("pg_pair_total", { job: name }))[0]?.value).toBe(2);
  });

  it("still refuses a gauge x_total beside a counter x whose samples carry _total (409): text 0.0.4 would repeat it", async () => {
    const name = job("pair-total");
    // In one body the parser refuses it (as the Pushgateway does): the counter's samples already took the name.
    const body = "# TYPE pg_twice counter\npg_twice_total 4\n# TYPE pg_twice_total gauge\npg_twice_total 9\n";
    const res = await gateway("POST", `job/${name}`, body);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("pg_twice_total");
    expect(await seriesOf("pg_twice", { job: name })).toEqual([]);
    // In two pushes the catalog refuses the gauge: the counter claims pg_twice_total.
    expect((await gateway("POST", `job/${name}`, "# TYPE pg_twice counter\npg_twice_total 4\n")).status).toBe(200);
    const gauge = await gateway("POST", `job/${name}`, "# TYPE pg_twice_total gauge\npg_twice_total 9\n");
    expect(gauge.status).toBe(409);
    expect(await seriesOf("pg_twice_total", { job: name })).toEqual([]);
    expect((await seriesOf("pg_twice", { job: name }))[0]?.value).toBe(4);
  });

  it("lets groups with different grouping labels push the same family (it grows their label names)", async () => {
    const name = job("groups");
    for (const path of [`job/${name}`, `job/${name}/instance/i1`, `job/${name}/instance/i1/zone/z`, `job/${name}/`]) {
      expect((await gateway("POST", path, "# TYPE pg_groups counter\npg_groups 1\n")).status).toBe(200);
    }
    const series = await seriesOf("pg_groups", { job: name });
    expect(series.map((s) => [s.labels.instance, s.labels.zone, s.value]).sort()).toEqual([
      ["", "", 2],
      ["i1", "", 1],
      ["i1", "z", 1],
    ]);
  });

  it("follows the stored gauge merge policy (max) and refuses sets on a sum gauge", async () => {
    const name = job("merge");
    const json = (family: Record<string, unknown>) =>
      exports.default.fetch(
        new Request("http://metrics.test/push", {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ families: [family] }),
        }),
      );
    const max = { name: "pg_peak", type: "gauge", help: "Peak.", labelNames: ["job"], merge: "max" };
    expect((await json({ ...max, series: [{ labels: { job: name }, set: 10 }] })).status).toBe(200);
    expect(
      (await gateway("POST", `job/${name}`, "# HELP pg_peak Peak.\n# TYPE pg_peak gauge\npg_peak 4\n")).status,
    ).toBe(200);
    expect((await seriesOf("pg_peak", { job: name }))[0]?.value).toBe(10);
    const sum = { name: "pg_inflight", type: "gauge", help: "In flight.", labelNames: ["job"], merge: "sum" };
    expect((await json({ ...sum, series: [{ labels: { job: name }, inc: 2 }] })).status).toBe(200);
    const refused = await gateway("POST", `job/${name}`, "# TYPE pg_inflight gauge\npg_inflight 4\n");
    expect(refused.status).toBe(409);
    expect(JSON.stringify(await refused.json())).toMatch(/merged by \\"sum\\"/);
  });

  it("takes the push token as Bearer or as the Basic password; refuses none, a wrong one, and protobuf it cannot read", async () => {
    const name = job("auth");
    const basic = `Basic ${btoa(`anyone:${TOKEN}`)}`;
    expect((await gateway("POST", `job/${name}`, "pg_auth 1\n", { authorization: basic })).status).toBe(200);
    expect((await gateway("POST", `job/${name}`, "pg_auth 1\n", { authorization: "Bearer wrong" })).status).toBe(401);
    const anonymous = await exports.default.fetch(
      new Request(`http://metrics.test/metrics/job/${name}`, { method: "POST", body: "pg_auth 1\n" }),
    );
    expect(anonymous.status).toBe(401);
    // Protobuf bodies are MetricFamily messages, length-delimited (test/worker/pushgateway/protobuf.test.ts); others: 415.
    for (const [type, problem] of [
      ["application/vnd.google.protobuf; proto=io.prometheus.client.Metric; encoding=delimited", /of type/],
      ["application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text", /encoding text/],
    ] as const) {
      const protobuf = await gateway("POST", `job/${name}`, "\u0000", { "content-type": type });
      expect(protobuf.status).toBe(415);
      expect(((await protobuf.json()) as { error: string }).error).toMatch(problem);
    }
    expect((await seriesOf("pg_auth", { job: name }))[0]?.value).toBe(1);
  });

  it("DELETE removes the group's series from every family that has them (admin credential), and no others", async () => {
    const name = job("delete");
    await gateway("POST", `job/${name}/instance/a`, PYTHON_STYLE);
    await gateway("POST", `job/${name}/instance/b`, PYTHON_STYLE);
    const res = await gateway("DELETE", `job/${name}/instance/a`);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { families: { family: string; deleted: number }[] };
    expect(body.families.map((f) => f.family).sort()).toEqual(
      [
        "pg_jobs",
        "pg_latency",
        "pg_size",
        "pg_temperature",
        "pg_untyped_thing",
        "push_failure_time_seconds",
        "push_time_seconds",
      ].sort(),
    );
    for (const family of ["pg_jobs", "pg_latency", "pg_size", "pg_temperature", "pg_untyped_thing"]) {
      expect(await seriesOf(family, { job: name, instance: "a" })).toEqual([]);
      expect(await seriesOf(family, { job: name, instance: "b" })).toHaveLength(1);
    }
    const anonymous = await exports.default.fetch(
      new Request(`http://metrics.test/metrics/job/${name}`, { method: "DELETE" }),
    );
    expect(anonymous.status).toBe(401);
  });

  it("reads a gzip body (prom-client's Content-Encoding option); refuses bad gzip (400) and other encodings (415)", async () => {
    const name = job("gzip");
    const gzip = async (text: string) =>
      new Uint8Array(
        await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
      );
    const send = (body: Uint8Array | string, encoding: string) =>
      exports.default.fetch(
        new Request(`http://metrics.test/metrics/job/${name}`, {
          method: "POST",
          body,
          headers: { authorization: `Bearer ${TOKEN}`, "content-encoding": encoding },
        }),
      );
    expect((await send(await gzip("# TYPE pg_gzip_total counter\npg_gzip_total 3\n"), "gzip")).status).toBe(200);
    expect((await seriesOf("pg_gzip", { job: name }))[0]?.value).toBe(3);
    const bad = await send("pg_gzip_total 1\n", "gzip");
    expect([bad.status, await bad.json()]).toEqual([
      400,
      { error: "body is not valid gzip: it does not start as gzip does" },
    ]);
    // A body cut off before its trailer, and a second gzip member, are refused; nothing of them applied.
    const whole = new Uint8Array(await gzip("# TYPE pg_gzip_total counter\npg_gzip_total 100\n"));
    const cut = await send(whole.slice(0, whole.byteLength - 4), "gzip");
    expect([cut.status, await cut.json()]).toEqual([
      400,
      { error: "body is not valid gzip: its trailer does not match its data (cut off or corrupt)" },
    ]);
    const twice = new Uint8Array(whole.byteLength * 2);
    twice.set(whole);
    twice.set(whole, whole.byteLength);
    const members = await send(twice, "gzip");
    expect(members.status).toBe(400);
    // Refused as a second member, or by the trailer, which covers one member's data only.
    expect(((await members.json()) as { error: string }).error).toMatch(
      /^body is not valid gzip: (only one|its trailer)/,
    );
    // A header whose file name never ends is refused within its first 4 KiB.
    const header = new Uint8Array(200_000).fill(0x61);
    header.set([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]);
    const long = await send(header, "gzip");
    expect([long.status, await long.json()]).toEqual([
      400,
      { error: "body is not valid gzip: its header is over 4 KiB" },
    ]);
    expect((await send("pg_gzip_total 1\n", "br")).status).toBe(415);
    // A gzip bomb is cut off at the body limit once inflated.
    const bomb = await send(await gzip(`# TYPE pg_gzip_bomb gauge\n${"pg_gzip_bomb 1\n".repeat(100_000)}`), "gzip");
    expect(bomb.status).toBe(413);
    expect((await seriesOf("pg_gzip", { job: name }))[0]?.value).toBe(3);
  });

  it("refuses a body over the size limit with 413 and changes nothing", async () => {
    const name = job("big");
    const big = `# TYPE pg_big gauge\n${Array.from({ length: 60_000 }, (_, i) => `pg_big{i="${i}"} 1`).join("\n")}\n`;
    const res = await gateway("POST", `job/${name}`, big);
    expect(res.status).toBe(413);
    expect(await seriesOf("pg_big", { job: name })).toEqual([]);
  });
});
