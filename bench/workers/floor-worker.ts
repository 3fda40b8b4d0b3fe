// Two throughput references between the ceiling and the metrics Worker, to show where a push's time goes: a Worker
// that parses the push and sends each family to a Durable Object that only answers (`/push?write=0`: the cost of the
// three object calls), or that also writes the family as one durable row (`/push?write=1`: plus the cost of one
// durable write per family object). And the floor of an ingest-shaped design (`/push?ingest=1`): the whole push to one
// object that writes it as one durable row. No validation, no merging, nothing else.

import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  FLOOR: DurableObjectNamespace<FloorObject>;
}

export class FloorObject extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS parts (name TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID");
  }

  async apply(
    name: string,
    body: string,
    write: boolean,
  ): Promise<{ name: string; status: "applied"; series: number }> {
    if (write) {
      this.ctx.storage.transactionSync(() =>
        this.ctx.storage.sql.exec(
          "INSERT INTO parts (name, body) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body",
          name,
          body,
        ),
      );
    }
    return { name, status: "applied", series: 0 };
  }
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const params = new URL(request.url).searchParams;
    const write = params.get("write") === "1";
    const text = await request.text();
    const push = JSON.parse(text) as { batch?: string; families: { name: string }[] };
    if (params.get("ingest") === "1") {
      await env.FLOOR.getByName("ingest").apply(push.batch ?? "", text, true);
      const families = push.families.map((f) => ({ name: f.name, status: "applied", series: 0 }));
      return new Response(JSON.stringify({ batch: push.batch, families }), {
        headers: { "content-type": "application/json" },
      });
    }
    const families = await Promise.all(
      push.families.map((f) => env.FLOOR.getByName(f.name).apply(f.name, JSON.stringify(f), write)),
    );
    return new Response(JSON.stringify({ batch: push.batch, families }), {
      headers: { "content-type": "application/json" },
    });
  },
};
