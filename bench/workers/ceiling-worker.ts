// The throughput reference: a Worker that reads and parses a push and answers as the metrics Worker would, with no
// validation and no storage. Same client, same machine, same run: the ceiling a push path can approach.

export default {
  async fetch(request: Request): Promise<Response> {
    const push = JSON.parse(await request.text()) as {
      batch?: string;
      families: { name: string; series: unknown[] }[];
    };
    const families = push.families.map((f) => ({ name: f.name, status: "applied", series: f.series.length }));
    return new Response(JSON.stringify({ batch: push.batch, families }), {
      headers: { "content-type": "application/json" },
    });
  },
};
