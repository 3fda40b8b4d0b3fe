// The bindings and variables the metrics Worker reads. Limits and tokens are strings, as wrangler passes vars.

import type { ExportObject } from "../export/export-object.ts";
import type { CatalogObject } from "../objects/catalog-object.ts";
import type { FamilyObject } from "../objects/family-object.ts";
import type { IngestObject } from "../objects/ingest-object.ts";

export interface Env {
  /** One Durable Object per metric family. */
  METRICS_FAMILY: DurableObjectNamespace<FamilyObject>;
  /** The single object listing every family, so the scrape finds them. */
  METRICS_CATALOG: DurableObjectNamespace<CatalogObject>;
  /**
   * The ingest objects: HTTP, RPC and Pushgateway pushes are acknowledged by one of them (one request a push) and
   * folded into the family objects in the background. Without this binding, pushes go to the family objects directly.
   */
  METRICS_INGEST?: DurableObjectNamespace<IngestObject>;
  /** How many ingest objects (1–32, default 1). */
  INGEST_SHARDS?: string;
  /** How often an ingest object folds into the family objects, in ms (default 30,000). */
  INGEST_FOLD_MS?: string;
  /** Acknowledge pushes from memory and write them once per this many ms (default 0 = off; at most 10,000). */
  DURABILITY_WINDOW_MS?: string;
  /**
   * Token(s) for pushes (POST /push, the Pushgateway API), Bearer or Basic password; several separated by commas or
   * whitespace during a rotation. A secret: `wrangler secret put PUSH_TOKEN`.
   */
  PUSH_TOKEN?: string;
  /**
   * Producer tokens limited to family-name prefixes: a JSON object of token → prefixes, e.g. `{"<token>": ["team_a_"]}`,
   * or → `{"prefixes": ["team_a_"], "maxFamilies": 100}` to cap the families the token's prefixes may hold.
   */
  SCOPED_PUSH_TOKENS?: string;
  /** Set to "true" to accept pushes without a token when no push token is configured. */
  ALLOW_ANONYMOUS_PUSH?: string;
  /** Token(s) the scrape and the status page require (Bearer, or Basic with it as the password). */
  SCRAPE_TOKEN?: string;
  /** Set to "true" to serve the scrape and the status page to anyone when SCRAPE_TOKEN is not configured. */
  ALLOW_ANONYMOUS_SCRAPE?: string;
  /** Token(s) for destructive operations (DELETE). Falls back to PUSH_TOKEN when unset. */
  ADMIN_TOKEN?: string;
  /** How long a finished scrape is served again to repeat scrapes in the same isolate, in seconds (0 = not at all). */
  SCRAPE_CACHE_SECONDS?: string;
  /**
   * OTLP pushes: resource attributes kept as labels, separated by commas (default none: service.namespace and
   * service.name make `job`, the rest is dropped so that instances add up).
   */
  OTLP_RESOURCE_LABELS?: string;
  /** Remote-write export: the receiver's URL (none: no export). */
  REMOTE_WRITE_URL?: string;
  /** … a bearer token for it (a secret), or a user name and password (the password a secret). */
  REMOTE_WRITE_BEARER_TOKEN?: string;
  REMOTE_WRITE_USERNAME?: string;
  REMOTE_WRITE_PASSWORD?: string;
  /** … and how often, in seconds (5–3,600, default 30). */
  REMOTE_WRITE_INTERVAL_SECONDS?: string;
  /** The object that sends the families out with remote-write, on its alarm. */
  METRICS_EXPORT?: DurableObjectNamespace<ExportObject>;
  MAX_BODY_BYTES?: string;
  /** Families the deployment may hold (default 2,000); a push that would create one more is refused whole. */
  MAX_FAMILIES?: string;
  /**
   * The operator's sharding of hot families for HTTP pushes: a JSON object of family name → objects (1–32), e.g.
   * `{"edge_requests": 8}`. A `shards` an HTTP push declares is not used (bound Workers' declarations are).
   */
  FAMILY_SHARDS?: string;
  /**
   * `text`: every scrape is served as text format 0.0.4, whatever its Accept header prefers (what a Pushgateway
   * serves, for a migration: counters keep the names Prometheus stored them under). Default: negotiated.
   */
  SCRAPE_FORMAT?: string;
  /** Seconds a Pushgateway group may go without a push before the status page flags it. Default 86400 (a day). */
  GROUP_SILENCE_SECONDS?: string;
  /** Cardinality cap: series one family may hold. */
  MAX_SERIES_PER_FAMILY?: string;
  MAX_FAMILIES_PER_PUSH?: string;
  MAX_SERIES_PER_PUSH?: string;
  MAX_NAME_LENGTH?: string;
  MAX_LABEL_VALUE_LENGTH?: string;
  /** Time to live of series whose family declares none, in seconds; "0" or unset = never expire. */
  DEFAULT_TTL_SECONDS?: string;
  /** How long a push id is remembered to drop replays, in seconds. */
  PUSH_ID_RETENTION_SECONDS?: string;
  /** How long a family object gathers pushes into one group after each commit, in ms (0 = one event-loop turn). */
  GROUP_COMMIT_WINDOW_MS?: string;
  /** How long a router isolate gathers its own push counts (pdc_pushes_total) before flushing them, in ms. */
  SELF_METRICS_FLUSH_MS?: string;
}
