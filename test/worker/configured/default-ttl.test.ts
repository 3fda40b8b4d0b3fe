// The Worker-wide default time to live (DEFAULT_TTL_SECONDS, 120 s in this project) on a family that declares none:
// the family object arms its alarm for it, hides the series once it is past, and the alarm deletes them.

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { FamilyPush } from "../../../lib/protocol/wire.ts";

const T0 = 1_900_000_000_000;
const name = "default_ttl";
const stub = () => env.METRICS_FAMILY.getByName(name);
const setClock = (ms: number) =>
  runInDurableObject(stub(), (instance) => {
    instance.now = () => ms;
  });

it("expires the series of a family without a TTL of its own after the Worker's default", async () => {
  const part: FamilyPush = {
    name,
    type: "gauge",
    help: "G.",
    labelNames: ["k"],
    series: [{ labels: { k: "a" }, set: 1 }],
  };
  await setClock(T0);
  expect(await stub().push("default-1", part)).toMatchObject({ status: "applied" });
  expect(await runInDurableObject(stub(), (_, state) => state.storage.getAlarm())).toBe(T0 + 120_000);
  await setClock(T0 + 119_000);
  expect((await stub().snapshot())?.series.map((s) => s.labels.k)).toEqual(["a"]);
  await setClock(T0 + 121_000);
  expect((await stub().snapshot())?.series).toEqual([]);
  expect(await runDurableObjectAlarm(stub())).toBe(true);
  expect(
    await runInDurableObject(stub(), (_, state) => state.storage.sql.exec("SELECT key FROM series").toArray()),
  ).toEqual([]);
});
