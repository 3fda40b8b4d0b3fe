// The real Worker over real HTTP against the hostile corpora (JSON pushes, text-format and protobuf bodies): every case refused with its 4xx, no 5xx, the
// stored data byte-identical, the scrape still valid for promtool. Nasty but valid input is accepted and
// escaped exactly. No token value ever reaches a response or the Worker's logs.

import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wellFormed } from "../../lib/protocol/validation.ts";
import { HOSTILE_OTLP } from "../corpus/hostile-otlp.ts";
import { HOSTILE_PROTOBUF } from "../corpus/hostile-protobuf.ts";
import { hostilePushes, seed } from "../corpus/hostile-pushes.ts";
import { HOSTILE_TEXTS } from "../corpus/hostile-texts.ts";
import { PUSH_TOKEN, type RunningWorker, startMetricsWorker, tempDir } from "./harness.ts";

const hasPromtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;
const withoutSelf = (text: string) =>
  text
    .split("\n")
    .filter((l) => !/^(# (HELP|TYPE) )?pdc_/.test(l) && !isGroupTime(l))
    .join("\n");
/**
 * A line of a Pushgateway group's time gauges: a push refused once its body was read sets the group's failure time,
 * as the Pushgateway does (that test checks them on their own), and changes nothing else.
 */
const isGroupTime = (line: string) => /^(# (HELP|TYPE) )?push_(failure_)?time_seconds[ {]/.test(line);
const SCRAPE_TOKEN = "blackbox-scrape-token";
const ADMIN_TOKEN = "blackbox-admin-token";

describe("hostile and nasty input (black box)", () => {
  let worker: RunningWorker;
  let logs = "";
  const scrape = async (accept?: string) => {
    const res = await fetch(new URL("/metrics", worker.url), {
      headers: { authorization: `Bearer ${SCRAPE_TOKEN}`, ...(accept ? { accept } : {}) },
    });
    expect(res.status).toBe(200);
    return res.text();
  };
  const promtool = (text: string) => spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });

  beforeAll(async () => {
    worker = await startMetricsWorker({
      persistDir: tempDir("pdc-hostile-"),
      vars: { MAX_SERIES_PER_FAMILY: "1000", SCRAPE_TOKEN, ADMIN_TOKEN },
      onOutput: (t) => (logs += t),
    });
    expect((await worker.push(seed)).status).toBe(200);
  });
  afterAll(async () => worker?.stop());

  it("refuses every corpus case with its 4xx and changes no stored data", async () => {
    const before = withoutSelf(await scrape());
    const failures: string[] = [];
    for (const c of hostilePushes()) {
      const headers: Record<string, string> = {
        authorization: c.authorization?.replace("test-push-token", PUSH_TOKEN) ?? `Bearer ${PUSH_TOKEN}`,
      };
      if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
      const res = await fetch(new URL("/push", worker.url), { method: "POST", headers, body: c.body });
      const text = await res.text();
      let message = "";
      try {
        const body = JSON.parse(text) as { error?: string; families?: { error?: string }[] };
        message = body.error ?? body.families?.map((f) => f.error ?? "").join("; ") ?? "";
      } catch {
        message = `(not JSON) ${text.slice(0, 80)}`;
      }
      if (res.status !== c.status || !c.message.test(message))
        failures.push(`${c.name}: ${res.status} ${message.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect(withoutSelf(await scrape())).toBe(before);
  });

  it("refuses every hostile text-format body on the Pushgateway endpoint with 400 naming its line, changing nothing", async () => {
    const before = withoutSelf(await scrape());
    const failures: string[] = [];
    // HTTP carries bytes: a lone surrogate cannot be encoded (fetch sends U+FFFD), and the Worker's UTF-8 decoding
    // drops a byte-order mark; those cases are the parser's own (test/lib). Invalid UTF-8 bytes are sent below.
    const sendable = HOSTILE_TEXTS.filter((c) => wellFormed(c.body) && !c.body.startsWith("\uFEFF"));
    const gateway = (body: string | Uint8Array) =>
      fetch(new URL("/metrics/job/hostile/instance/corpus", worker.url), {
        method: "POST",
        headers: { authorization: `Bearer ${PUSH_TOKEN}`, "content-type": "text/plain; version=0.0.4" },
        body,
      });
    for (const c of sendable) {
      const res = await gateway(c.body);
      const { error = "" } = (await res.json().catch(() => ({}))) as { error?: string };
      if (res.status !== 400 || !error.startsWith(`line ${c.line}: `) || !c.message.test(error))
        failures.push(`${c.name}: ${res.status} ${error.slice(0, 120)}`);
    }
    expect(sendable.length).toBeGreaterThanOrEqual(100);
    expect(failures).toEqual([]);
    const invalidUtf8 = await gateway(new Uint8Array([0x67, 0x20, 0x31, 0x0a, 0x67, 0xff, 0x20, 0x31, 0x0a]));
    expect([invalidUtf8.status, await invalidUtf8.json()]).toEqual([400, { error: "body is not valid UTF-8" }]);
    expect(withoutSelf(await scrape())).toBe(before);
  });

  it("refuses every hostile protobuf body on the Pushgateway endpoint with 400 naming the problem, changing nothing", async () => {
    const before = withoutSelf(await scrape());
    const failures: string[] = [];
    for (const c of HOSTILE_PROTOBUF) {
      const res = await fetch(new URL("/metrics/job/hostile/instance/protobuf", worker.url), {
        method: "POST",
        headers: {
          authorization: `Bearer ${PUSH_TOKEN}`,
          "content-type":
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
        },
        body: c.body,
      });
      const { error = "" } = (await res.json().catch(() => ({}))) as { error?: string };
      if (res.status !== 400 || !c.message.test(error))
        failures.push(`${c.name}: ${res.status} ${error.slice(0, 120)}`);
    }
    expect(HOSTILE_PROTOBUF.length).toBeGreaterThanOrEqual(30);
    expect(failures).toEqual([]);
    const after = await scrape();
    expect(withoutSelf(after)).toBe(before);
    // Bodies that decode but cannot be pushed (a histogram's counts that disagree…) set the group's failure time; no
    // push to it succeeded.
    expect(after.split("\n").filter((l) => isGroupTime(l) && !l.startsWith("#"))).toEqual([
      expect.stringMatching(
        /^push_failure_time_seconds\{instance="protobuf",job="hostile"\} 1\.\d+e\+09$|^push_failure_time_seconds\{instance="protobuf",job="hostile"\} \d{10}(\.\d+)?$/,
      ),
      'push_time_seconds{instance="protobuf",job="hostile"} 0',
    ]);
  });

  it("answers every hostile OTLP export as the specification says (400 naming the problem, or a partial success), changing nothing", async () => {
    const before = withoutSelf(await scrape());
    const failures: string[] = [];
    for (const c of HOSTILE_OTLP) {
      const res = await fetch(new URL("/v1/metrics", worker.url), {
        method: "POST",
        headers: { authorization: `Bearer ${PUSH_TOKEN}`, "content-type": c.contentType },
        body: c.body,
      });
      // A protobuf request's error is a google.rpc.Status in protobuf: its message is read as the text it holds.
      const raw = new Uint8Array(await res.arrayBuffer());
      const text = new TextDecoder().decode(raw);
      const body = (c.contentType === "application/x-protobuf" ? { message: text } : JSON.parse(text || "{}")) as {
        message?: string;
        partialSuccess?: { rejectedDataPoints?: string; errorMessage?: string };
      };
      const message = body.message ?? body.partialSuccess?.errorMessage ?? "";
      const rejected = Number(body.partialSuccess?.rejectedDataPoints ?? 0);
      if (res.status !== c.status || !c.message.test(message) || rejected !== (c.rejected ?? 0))
        failures.push(`${c.name}: ${res.status} ${rejected} ${message.slice(0, 120)}`);
    }
    expect(HOSTILE_OTLP.length).toBeGreaterThanOrEqual(25);
    expect(failures).toEqual([]);
    expect(withoutSelf(await scrape())).toBe(before);
  });

  it.skipIf(!hasPromtool)("keeps the scrape valid for promtool after the corpus", async () => {
    const check = promtool(await scrape());
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("accepts nasty but valid input and escapes it exactly", async () => {
    const nasty = 'q"uote \\back\\slash\nnew\tline\r ünï✓ 😀 \u0000nul';
    const res = await worker.push({
      batch: "nasty-1",
      families: [
        {
          name: "nasty_info",
          type: "gauge",
          help: 'Help with "quotes", \\ backslash,\nnewline and ✓.',
          labelNames: ["v"],
          series: [{ labels: { v: nasty }, set: 1 }],
        },
        {
          name: "nasty",
          type: "counter",
          help: "ünïcödé",
          labelNames: ["a", "b"],
          series: [{ labels: { a: "", b: "\\" }, inc: 2 }],
        },
      ],
    });
    expect(res.status).toBe(200);
    const text = await scrape();
    expect(text).toContain('# HELP nasty_info Help with "quotes", \\\\ backslash,\\nnewline and ✓.\n');
    expect(text).toContain('nasty_info{v="q\\"uote \\\\back\\\\slash\\nnew\tline\r ünï✓ 😀 \u0000nul"} 1\n');
    expect(text).toContain('nasty_total{a="",b="\\\\"} 2\n');
    const om = await scrape("application/openmetrics-text; version=1.0.0");
    expect(om).toContain('# HELP nasty_info Help with \\"quotes\\", \\\\ backslash,\\nnewline and ✓.\n');
    if (hasPromtool) expect(promtool(text).status).toBe(0);
  });

  it("never shows a token in a response or in the Worker's logs", async () => {
    const attempts = [
      fetch(new URL("/push", worker.url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer guess-the-token" },
        body: "{}",
      }),
      fetch(new URL("/metrics", worker.url), {
        headers: { authorization: `Basic ${btoa("prometheus:wrong-scrape")}` },
      }),
      fetch(new URL("/families/nasty_total", worker.url), {
        method: "DELETE",
        headers: { authorization: `Bearer ${PUSH_TOKEN}` },
      }),
      fetch(new URL("/push", worker.url), {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${PUSH_TOKEN}` },
        body: "{",
      }),
    ];
    const responses = await Promise.all(attempts);
    expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 400]);
    const bodies = (await Promise.all(responses.map((r) => r.text()))).join("\n");
    expect(responses.every((r) => r.headers.get("www-authenticate") !== null || r.status === 400)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    for (const secret of [PUSH_TOKEN, SCRAPE_TOKEN, ADMIN_TOKEN, "guess-the-token", "wrong-scrape"]) {
      expect(bodies).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
