// Push ids the Worker derives for producers that send none of their own: a digest of what makes two requests the
// same push (a Pushgateway group's Idempotency-Key, an OTLP export's bytes), so a retry is the same push.

/** `prefix` and the SHA-256 of `data` in hex: a push id within the 128-character limit. */
export async function digestPushId(prefix: string, data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return `${prefix}-${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
