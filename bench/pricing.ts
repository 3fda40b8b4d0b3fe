// Cloudflare's published Workers Paid prices for Durable Objects (SQLite storage backend), and the monthly bill they
// give for measured rates. The README's "Cost" section states the same prices and model.

export const PRICES = {
  /** Per million Durable Object requests (every RPC call on a stub, every fetch). */
  requestsPerMillion: 0.15,
  /** Per million SQLite rows written. */
  rowsWrittenPerMillion: 1.0,
  /** Per million GB-seconds of duration; an object is billed at 128 MB while active. */
  durationPerMillionGbSeconds: 12.5,
  objectMemoryGb: 0.128,
};

/** A 30-day month. */
export const SECONDS_PER_MONTH = 30 * 24 * 3600;

export interface Rates {
  /** Durable Object requests per second. */
  requestsPerSecond: number;
  rowsWrittenPerSecond: number;
  /** Objects active at once, on average (sum over objects of the share of time each is active). */
  activeObjects: number;
}

export interface MonthlyBill {
  requests: number;
  rows: number;
  duration: number;
  total: number;
}

/** Dollars a month for sustained `rates`. */
export function monthlyBill(rates: Rates): MonthlyBill {
  const requests = (rates.requestsPerSecond * SECONDS_PER_MONTH * PRICES.requestsPerMillion) / 1e6;
  const rows = (rates.rowsWrittenPerSecond * SECONDS_PER_MONTH * PRICES.rowsWrittenPerMillion) / 1e6;
  const gbSeconds = rates.activeObjects * SECONDS_PER_MONTH * PRICES.objectMemoryGb;
  const duration = (gbSeconds * PRICES.durationPerMillionGbSeconds) / 1e6;
  return { requests, rows, duration, total: requests + rows + duration };
}
