// Steady traffic for the cost benchmarks: starts `send(i)` at `rate` per second for `seconds` (as fast as possible
// when behind), with at most `inFlight` unanswered at once, and waits for the last.

/** Sends at a steady rate; returns how many were sent (each awaited). */
export async function pace(
  rate: number,
  seconds: number,
  inFlight: number,
  send: (i: number) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  let sent = 0;
  const open = new Set<Promise<void>>();
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (sent < due && open.size < inFlight) {
      const one: Promise<void> = send(sent).then(() => {
        open.delete(one);
      });
      open.add(one);
      sent++;
    }
    if (sent >= due) await new Promise((r) => setTimeout(r, 2));
    else await Promise.race(open);
  }
  await Promise.all(open);
  return sent;
}
