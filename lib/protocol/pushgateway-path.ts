// The Pushgateway's grouping key in a URL path: `job/<job>{/<label>/<value>}` after `/metrics/`. A label name
// suffixed `@base64` carries its value in base64url (RFC 4648 §5, padding optional, `=` for an empty value). One
// place for both directions: the Worker reads paths, the Pushgateway client writes them.

import type { Limits } from "./limits.ts";
import { fail, type Path } from "./refusal.ts";
import { describeValue, labelNameProblem, labelValueProblem } from "./validation.ts";
import type { Labels } from "./wire.ts";

const BASE64 = "@base64";
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function fromBase64Url(text: string, where: Path): string {
  const unpadded = text.replace(/=+$/, "");
  if (!/^[A-Za-z0-9_-]*$/.test(unpadded) || unpadded.length % 4 === 1) {
    fail(where, `${describeValue(text)} is not base64url (RFC 4648 §5: A–Z a–z 0–9 - _, padding optional)`);
  }
  const binary = atob(unpadded.replace(/-/g, "+").replace(/_/g, "/"));
  try {
    return utf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return fail(where, `${describeValue(text)} does not decode to UTF-8 text`);
  }
}

function toBase64Url(text: string): string {
  const binary = String.fromCharCode(...new TextEncoder().encode(text));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") || "=";
}

/**
 * The grouping labels of a path's segments after `/metrics/` (still percent-encoded, split on `/`), `job` first.
 * Throws `Invalid` (400) naming the segment and the problem.
 * @example groupingKey(["job", "backup", "path@base64", "L3Zhci90bXA"], limits); // { job: "backup", path: "/var/tmp" }
 */
export function groupingKey(
  segments: readonly string[],
  limits: Pick<Limits, "maxNameLength" | "maxLabelValueLength">,
) {
  if (segments.length % 2 !== 0)
    fail(["path"], "the grouping key must be /metrics/job/<job>{/<label>/<value>}: a label without a value");
  const labels: Labels = {};
  for (let i = 0; i < segments.length; i += 2) {
    const rawName = segments[i] as string;
    const rawValue = segments[i + 1] as string;
    const base64 = rawName.endsWith(BASE64);
    const name = base64 ? rawName.slice(0, -BASE64.length) : rawName;
    const where: Path = [`path label ${describeValue(name)}`];
    if (i === 0 && name !== "job") fail(["path"], `the grouping key must start with job, got ${describeValue(name)}`);
    const nameProblem = labelNameProblem(name, "counter", limits);
    if (nameProblem) fail(where, nameProblem);
    if (name === "le" || name === "quantile")
      fail(where, `${describeValue(name)} cannot group: histograms and summaries use it in their samples`);
    if (Object.hasOwn(labels, name)) fail(where, "appears twice in the grouping key");
    let value: string;
    if (base64) value = fromBase64Url(rawValue, where);
    else {
      try {
        value = decodeURIComponent(rawValue);
      } catch {
        fail(where, `${describeValue(rawValue)} is not valid percent-encoding`);
      }
      if (value === "") fail(where, `an empty value is written ${name}@base64/= in the path`);
    }
    if (name === "job" && value === "") fail(where, "the job name cannot be empty");
    const valueProblem = labelValueProblem(value, limits);
    if (valueProblem) fail(where, valueProblem);
    labels[name] = value;
  }
  return labels;
}

/**
 * The one text that names a grouping key: its labels sorted by name, as JSON pairs. A series written through the
 * Pushgateway API stores it as its group, and the catalog indexes the families of a group by it.
 * @example groupingId({ job: "backup", instance: "db-3" }); // '[["instance","db-3"],["job","backup"]]'
 */
export function groupingId(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The grouping labels a `groupingId` names. */
export function groupingOfId(id: string): Labels {
  return Object.fromEntries(JSON.parse(id) as [string, string][]);
}

/**
 * The path after `/metrics/` for grouping labels (`job` first): values that are empty or hold a `/` in base64url,
 * the others percent-encoded.
 * @example groupingPath({ job: "backup", path: "/var/tmp" }); // "job/backup/path@base64/L3Zhci90bXA"
 */
export function groupingPath(labels: Labels): string {
  const { job, ...rest } = labels;
  return Object.entries({ job: job ?? "", ...rest })
    .map(([name, value]) =>
      value === "" || value.includes("/")
        ? `${name}${BASE64}/${toBase64Url(value)}`
        : `${name}/${encodeURIComponent(value)}`,
    )
    .join("/");
}
