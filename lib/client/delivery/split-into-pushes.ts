// Splits what a flush takes into pushes that each stay within the split limits: families per push, series per
// push (removals count as series) and JSON bytes. A family's reset and removals travel in its first part, before its
// deltas; the parts of one family go out in order.

import type { Limits } from "../../protocol/limits.ts";
import type { FamilyPush, Labels, Push, SeriesDelta } from "../../protocol/wire.ts";

export type SplitLimits = Pick<Limits, "maxBodyBytes" | "maxFamiliesPerPush" | "maxSeriesPerPush">;

/** Bytes a string takes in UTF-8 (what a server's body limit counts). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

type Item = { removal: true; labels: Labels; bytes: number } | { removal: false; delta: SeriesDelta; bytes: number };

/** The JSON around a push's families: `{"batch":"<id>","families":[` … `]}` (an id of up to 128 bytes). */
const PUSH_ENVELOPE_BYTES = `{"batch":"${"x".repeat(128)}","families":[]}`.length;

/** A family part being filled, and its exact JSON size so far. */
class Part {
  readonly removals: Labels[] = [];
  readonly series: SeriesDelta[] = [];
  bytes: number;

  constructor(
    readonly definition: Omit<FamilyPush, "series" | "reset" | "remove">,
    readonly reset: boolean,
  ) {
    // `{…definition` + `,"reset":true` + `,"series":[]` + `}`; the `,"remove":[]` is added with the first removal.
    this.bytes =
      utf8Length(JSON.stringify(definition)) - 1 + (reset ? `,"reset":true`.length : 0) + `,"series":[]}`.length;
  }

  get items(): number {
    return this.removals.length + this.series.length;
  }

  /** The bytes `item` would add to this part. */
  cost(item: Item): number {
    const list = item.removal ? this.removals : this.series;
    const open = item.removal && this.removals.length === 0 ? `,"remove":[]`.length : 0;
    return item.bytes + (list.length > 0 ? 1 : 0) + open;
  }

  add(item: Item): void {
    this.bytes += this.cost(item);
    if (item.removal) this.removals.push(item.labels);
    else this.series.push(item.delta);
  }

  finish(): FamilyPush {
    return {
      ...this.definition,
      ...(this.reset ? { reset: true } : {}),
      ...(this.removals.length > 0 ? { remove: this.removals } : {}),
      series: this.series,
    };
  }
}

/**
 * Splits `families` into pushes within `limits`, each with a fresh push id from `newId`. At most `maxItemsPerPart`
 * series (and removals) go in one family part. A single series larger than the byte limit still gets a push of its
 * own (the server will refuse it, naming the limit).
 * @example splitIntoPushes(families, DEFAULT_LIMITS);
 */
export function splitIntoPushes(
  families: readonly FamilyPush[],
  limits: SplitLimits,
  newId: () => string = () => crypto.randomUUID(),
  maxItemsPerPart = Number.POSITIVE_INFINITY,
): Push[] {
  const pushes: Push[] = [];
  let parts: FamilyPush[] = [];
  let seriesRoom = limits.maxSeriesPerPush;
  let bytesRoom = limits.maxBodyBytes - PUSH_ENVELOPE_BYTES;
  const close = () => {
    if (parts.length > 0) pushes.push({ pushId: newId(), families: parts });
    parts = [];
    seriesRoom = limits.maxSeriesPerPush;
    bytesRoom = limits.maxBodyBytes - PUSH_ENVELOPE_BYTES;
  };
  for (const family of families) {
    const { reset, remove = [], series, ...definition } = family;
    const items: Item[] = [
      ...remove.map((labels): Item => ({ removal: true, labels, bytes: utf8Length(JSON.stringify(labels)) })),
      ...series.map((delta): Item => ({ removal: false, delta, bytes: utf8Length(JSON.stringify(delta)) })),
    ];
    let next = 0;
    for (let first = true; first || next < items.length; first = false) {
      const resets = first && reset === true;
      const part = new Part(definition, resets);
      const item = items[next];
      const separator = () => (parts.length > 0 ? 1 : 0);
      const room =
        parts.length < limits.maxFamiliesPerPush &&
        (item === undefined || seriesRoom > 0) &&
        separator() + part.bytes + (item ? part.cost(item) : 0) <= bytesRoom;
      // A family's next part always starts a new push: one push never holds one family twice.
      if (!room || !first) close();
      const used = separator();
      while (next < items.length && seriesRoom > 0 && part.items < maxItemsPerPart) {
        const candidate = items[next] as Item;
        // A part always takes one item, even an oversized one, so splitting makes progress.
        if (part.items > 0 && used + part.bytes + part.cost(candidate) > bytesRoom) break;
        part.add(candidate);
        next++;
        seriesRoom--;
      }
      bytesRoom -= used + part.bytes;
      parts.push(part.finish());
    }
  }
  close();
  return pushes;
}
