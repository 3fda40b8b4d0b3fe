// A Pushgateway client with prom-client's method names, for ports of Node batch jobs: `pushAdd` sends what this
// process counted since its last push (POST: the Worker adds it), `push` sends this process's totals for its group
// (PUT: they replace the stored values), `delete` deletes the group. It talks to the Worker's Pushgateway-compatible
// endpoint in the text format, so the grouping labels join every series.

import { encodeText, TEXT_CONTENT_TYPE } from "../protocol/exposition.ts";
import { groupingPath } from "../protocol/pushgateway-path.ts";
import { type RetryOptions, withRetries } from "../protocol/retry.ts";
import type { Push } from "../protocol/wire.ts";
import { type Registry, register } from "./registry.ts";
import { GroupTotals } from "./totals.ts";
import { httpAttempt, TransientHttpError } from "./transports/http.ts";

export interface PushgatewayOptions extends RetryOptions {
  /** The Worker's PUSH_TOKEN, sent as `Authorization: Bearer …` (for `delete`, its ADMIN_TOKEN if one is set). */
  token?: string;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Per-attempt timeout in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** A fetch implementation; default the global one. */
  fetch?: typeof fetch;
}

/** Which group: the job and any further grouping labels (prom-client's parameters). */
export interface PushgatewayParameters {
  jobName: string;
  groupings?: Record<string, string>;
}

/** The last HTTP exchange of a call: prom-client's `{ resp, body }` (none when there was nothing to send). */
export interface PushgatewayReply {
  resp?: Response;
  body?: string;
}

/**
 * A push as text-format values for POST: counters, histograms and summaries as its deltas (the Worker adds them),
 * gauges as their values in `gauges` once the push is added there (this process's current values, which the Worker
 * sets, as prom-client's pushAdd sends them).
 */
function addedAsText(push: Push, gauges: GroupTotals): string {
  const deltas = new GroupTotals();
  deltas.add(push);
  const touched = gauges.add({ ...push, families: push.families.filter((f) => f.type === "gauge") });
  const current = new Map(gauges.snapshot(touched).map((family) => [family.name, family]));
  return encodeText(deltas.snapshot().map((family) => current.get(family.name) ?? family));
}

/** The totals of `path` in `totals`, made on first use. */
function totalsOf(totals: Map<string, GroupTotals>, path: string): GroupTotals {
  let group = totals.get(path);
  if (!group) {
    group = new GroupTotals();
    totals.set(path, group);
  }
  return group;
}

/** A push waiting to be sent: as taken from the registry, and its body once rendered (rendered once). */
interface Unsent {
  push: Push;
  body?: string;
}

/**
 * Pushes a registry to the metrics Worker's Pushgateway-compatible endpoint. `pushAdd` is what a short-lived job
 * wants; a long-lived process that reports its totals uses `push`. A push that cannot be delivered is kept and sent
 * first by the next call for the same group, with the same Idempotency-Key, so it is neither lost nor counted twice.
 * @example
 * const gateway = new Pushgateway("https://metrics.example.com", { token: process.env.PUSH_TOKEN });
 * await gateway.pushAdd({ jobName: "nightly-backup", groupings: { shard: "3" } });
 */
export class Pushgateway {
  /** Pushes not yet delivered, by group path. */
  private readonly unsent = new Map<string, Unsent[]>();
  /** This process's totals per group path, for `push`. */
  private readonly totals = new Map<string, GroupTotals>();
  /** This process's gauge values per group path, for `pushAdd`. */
  private readonly gauges = new Map<string, GroupTotals>();

  constructor(
    private readonly url: string,
    private readonly options: PushgatewayOptions = {},
    private readonly registry: Registry = register,
  ) {}

  /**
   * POST: what was counted since the last push is added to the group's stored values; gauges set since then are sent
   * with their current values.
   */
  async pushAdd(params: PushgatewayParameters): Promise<PushgatewayReply> {
    const path = this.path(params);
    const collected = (await this.registry.takeCollected()).map((push): Unsent => ({ push }));
    const pushes = [...(this.unsent.get(path) ?? []), ...collected];
    this.unsent.delete(path);
    let reply: PushgatewayReply = {};
    for (const [i, item] of pushes.entries()) {
      try {
        item.body ??= addedAsText(item.push, totalsOf(this.gauges, path));
        reply = await this.send("POST", path, item.body, item.push.pushId);
      } catch (error) {
        // Undelivered pushes wait for the next call; a refused one is gone (resending cannot help).
        const keep = pushes.slice(error instanceof TransientHttpError ? i : i + 1);
        if (keep.length > 0) this.unsent.set(path, keep);
        throw error;
      }
    }
    return reply;
  }

  /** PUT: this process's totals for the group (every push since it started) replace the group's stored values. */
  async push(params: PushgatewayParameters): Promise<PushgatewayReply> {
    const path = this.path(params);
    const totals = totalsOf(this.totals, path);
    for (const push of await this.registry.takeCollected()) totals.add(push);
    const families = totals.snapshot();
    if (families.length === 0) return {};
    return this.send("PUT", path, encodeText(families), crypto.randomUUID());
  }

  /** DELETE: the group's series, in every family. */
  async delete(params: PushgatewayParameters): Promise<PushgatewayReply> {
    return this.send("DELETE", this.path(params));
  }

  private path(params: PushgatewayParameters): string {
    if (!params?.jobName) throw new TypeError("Missing jobName parameter");
    return `${this.url.replace(/\/+$/, "")}/metrics/${groupingPath({ ...params.groupings, job: params.jobName })}`;
  }

  /** One request, retried while transient with the same Idempotency-Key; a refusal (4xx) throws at once. */
  private send(method: string, url: string, body?: string, key?: string): Promise<PushgatewayReply> {
    const headers: Record<string, string> = {
      ...(body !== undefined ? { "content-type": TEXT_CONTENT_TYPE } : {}),
      ...(key ? { "idempotency-key": key } : {}),
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      ...this.options.headers,
    };
    const init = { method, headers, ...(body !== undefined ? { body } : {}) };
    const attempt = async (): Promise<PushgatewayReply> => {
      const doFetch = this.options.fetch ?? fetch;
      const { response, text } = await httpAttempt(doFetch, url, init, this.options.timeoutMs, `${method} ${url}`);
      if (response.status >= 400) throw new Error(`push failed with status ${response.status}, ${text.slice(0, 500)}`);
      return { resp: response, body: text };
    };
    return withRetries(attempt, (error) => error instanceof TransientHttpError, this.options);
  }
}
