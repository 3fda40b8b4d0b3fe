// Expiry inside workerd: the family object's one alarm is armed for the oldest series, not re-armed by every
// push, deletes only what is past its time to live (idempotently), and re-arms only while series remain.
// A family that declares no TTL keeps its series (the Worker-wide default: test/worker/configured). The clock is
// injected; nothing sleeps.

import {
  abortAllDurableObjects,
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";
import type { Env } from "../../../worker/config/env.ts";
import { createMetricsRouter } from "../../../worker/http/router.ts";
import type { FamilyObject } from "../../../worker/objects/family-object.ts";

const T0 = 1_900_000_000_000;
const stubOf = (name: string) => env.METRICS_FAMILY.getByName(name);
const setClock = (name: string, ms: number) =>
  runInDurableObject(stubOf(name), (instance: FamilyObject) => {
    instance.now = () => ms;
  });
const alarmOf = (name: string) => runInDurableObject(stubOf(name), (_, state) => state.storage.getAlarm());
const keys = async (name: string) => (await stubOf(name).snapshot())?.series.map((s) => s.labels.k);
const counter = (name: string, ks: string[], ttlSeconds?: number): FamilyPush => ({
  name,
  type: "counter",
  help: "C.",
  labelNames: ["k"],
  ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
  series: ks.map((k) => ({ labels: { k }, inc: 1 })),
});

describe("expiry (TTL)", () => {
  it("arms one alarm for the oldest series and does not move it on later pushes", async () => {
    const name = "ttl_alarm";
    await setClock(name, T0);
    await stubOf(name).push("a-1", counter(name, ["a"], 60));
    expect(await alarmOf(name)).toBe(T0 + 60_000);
    await setClock(name, T0 + 10_000);
    await stubOf(name).push("a-2", counter(name, ["b"], 60));
    expect(await alarmOf(name)).toBe(T0 + 60_000);
  });

  it("refuses a push that declares another time to live (409): one producer cannot expire the others' series", async () => {
    const name = "ttl_conflict";
    await setClock(name, T0);
    await stubOf(name).push("cf-1", counter(name, ["a"], 600));
    expect(await stubOf(name).push("cf-2", counter(name, ["b"], 1))).toMatchObject({
      status: "rejected",
      code: 409,
      error: expect.stringMatching(/different time to live \(ttlSeconds 600 vs 1\)/),
    });
    expect(await keys(name)).toEqual(["a"]);
    expect(await alarmOf(name)).toBe(T0 + 600_000);
  });

  it("moves the alarm earlier when an operator shrinks the time to live", async () => {
    const name = "ttl_shrink";
    await setClock(name, T0);
    await stubOf(name).push("sh-1", counter(name, ["a"], 600));
    expect(await alarmOf(name)).toBe(T0 + 600_000);
    await setClock(name, T0 + 1_000);
    expect(await stubOf(name).setTimeToLive(60)).toBe(true);
    expect(await alarmOf(name)).toBe(T0 + 60_000);
    // Producers now push with the new time to live.
    expect(await stubOf(name).push("sh-2", counter(name, ["b"], 60))).toMatchObject({ status: "applied" });
  });

  it("moves the alarm earlier for a shrunk TTL after the object restarted", async () => {
    const name = "ttl_restart";
    await setClock(name, T0);
    await stubOf(name).push("rs-1", counter(name, ["a"], 600));
    expect(await alarmOf(name)).toBe(T0 + 600_000);
    await abortAllDurableObjects();
    await setClock(name, T0 + 1_000);
    expect(await stubOf(name).setTimeToLive(60)).toBe(true);
    expect(await alarmOf(name)).toBe(T0 + 60_000);
  });

  it("deletes only expired series, re-arms for the rest, and is idempotent", async () => {
    const name = "ttl_sweep";
    await setClock(name, T0);
    await stubOf(name).push("s-1", counter(name, ["a", "b"], 60));
    await setClock(name, T0 + 30_000);
    await stubOf(name).push("s-2", counter(name, ["b"], 60));
    await setClock(name, T0 + 60_000);
    expect(await runDurableObjectAlarm(stubOf(name))).toBe(true);
    expect(await keys(name)).toEqual(["b"]);
    expect(
      await runInDurableObject(
        stubOf(name),
        (_, state) => state.storage.sql.exec("SELECT key FROM series").toArray().length,
      ),
    ).toBe(1);
    expect(await alarmOf(name)).toBe(T0 + 90_000);
    await setClock(name, T0 + 70_000);
    expect(await runDurableObjectAlarm(stubOf(name))).toBe(true);
    expect(await keys(name)).toEqual(["b"]);
    await setClock(name, T0 + 90_000);
    await runDurableObjectAlarm(stubOf(name));
    expect(await keys(name)).toEqual([]);
    expect(await alarmOf(name)).toBeNull();
  });

  it("sets no alarm for families without a TTL when the Worker has no default", async () => {
    const name = "ttl_none";
    await setClock(name, T0);
    await stubOf(name).push("d-1", counter(name, ["a"]));
    expect(await alarmOf(name)).toBeNull();
    await setClock(name, T0 + 365 * 86_400_000);
    expect(await keys(name)).toEqual(["a"]);
  });

  it("hides expired series from the scrape before the alarm has run", async () => {
    const name = "ttl_hidden";
    await setClock(name, T0);
    await stubOf(name).push("h-1", counter(name, ["a"], 5));
    await setClock(name, T0 + 5_000);
    const res = await createMetricsRouter().fetch(
      new Request("http://x/metrics"),
      env as Env,
      createExecutionContext(),
    );
    const text = await res.text();
    expect(text).toContain("# TYPE ttl_hidden_total counter");
    expect(text).not.toContain('ttl_hidden_total{k="a"}');
  });
});

describe("DELETE /families/:name/series", () => {
  const call = (method: string, path: string, body?: unknown) =>
    createMetricsRouter().fetch(
      new Request(`http://metrics.test${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: "Bearer test-push-token" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
      env as Env,
      createExecutionContext(),
    );

  it("deletes the series matching every given label, and names bad requests", async () => {
    const family = {
      name: "route_hits",
      type: "counter",
      help: "H.",
      labelNames: ["route", "code"],
      series: [
        { labels: { route: "/a", code: "200" }, inc: 1 },
        { labels: { route: "/a", code: "500" }, inc: 1 },
        { labels: { route: "/b", code: "200" }, inc: 1 },
      ],
    };
    expect((await call("POST", "/push", { batch: "rh-1", families: [family] })).status).toBe(200);
    const res = await call("DELETE", "/families/route_hits_total/series?route=%2Fa");
    expect(await res.json()).toEqual({ family: "route_hits", deleted: 2 });
    expect((await stubOf("route_hits").snapshot())?.series.map((s) => s.labels)).toEqual([
      { route: "/b", code: "200" },
    ]);
    const none = await call("DELETE", "/families/route_hits/series");
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({ error: expect.stringMatching(/at least one label/) });
    const unknown = await call("DELETE", "/families/route_hits/series?method=GET");
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: expect.stringMatching(/no label "method"/) });
    expect((await call("DELETE", "/families/nope/series?a=b")).status).toBe(404);
  });
});
