// Single flight for the scrape: concurrent scrapes of one format in one isolate share one collection, so a burst of
// scrapes costs the object requests of one. The collection runs in the request that started it (its waitUntil keeps
// it alive) and appends its bytes to a shared buffer of plain arrays; every scrape that joined reads the buffer from
// the start, at its own pace, looking again every few milliseconds while it waits. A flight takes new scrapes while it still holds its whole output (up to SHARED_BYTES) — while it runs,
// and for SCRAPE_CACHE_SECONDS after it finished. Past SHARED_BYTES it keeps only what its slowest reader has not read,
// and a reader that falls MAX_LAG_BYTES behind is cut off, so memory stays bounded however large the scrape.

/** Output a flight keeps whole, so that scrapes arriving later can still join it from the start. */
export const SHARED_BYTES = 16 * 1024 * 1024;
/** How far the collection runs ahead of the fastest reader. */
const READ_AHEAD_BYTES = 1024 * 1024;
/** A reader this far behind the collection (once the flight no longer keeps it whole) is cut off. */
const MAX_LAG_BYTES = 16 * 1024 * 1024;

interface Cursor {
  /** Index of the next chunk to read. */
  at: number;
  cut: boolean;
}

/**
 * How often a request waiting on the flight checks it again. Requests cannot wait on each other's promises (the
 * runtime refuses I/O on behalf of another request, and cancels a request that waits on nothing of its own as hung),
 * so every wait is a short timer in the waiting request, after which it looks at the shared state again.
 */
const POLL_MS = 4;

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, POLL_MS));

/** Waits, in the calling request, until `ready()` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await tick();
}

export class ScrapeFlight {
  /** Chunks still held: chunk i of the output is `chunks[i - dropped]`. */
  private readonly chunks: Uint8Array[] = [];
  /** Byte offset at which each held chunk ends. */
  private readonly ends: number[] = [];
  private dropped = 0;
  private droppedBytes = 0;
  private total = 0;
  private finished = false;
  private failure: unknown;
  private finishedAt = 0;
  /** Readers that ever joined (the collection stops once they all left). */
  private joined = 0;
  private readonly cursors = new Set<Cursor>();
  /** The collection has started producing (its listing succeeded), or failed before. */
  private started = false;

  constructor(private readonly cacheMs: number) {}

  /** True while a new scrape may join: the whole output is held, and the flight runs or finished within the cache. */
  joinable(now: number): boolean {
    if (this.failure !== undefined || this.total > SHARED_BYTES) return false;
    return !this.finished || now < this.finishedAt + this.cacheMs;
  }

  /**
   * Runs the collection, in the request that starts the flight: `start` lists what to collect and returns the pieces.
   * Appends every piece, running at most READ_AHEAD_BYTES ahead of the fastest reader; stops early when every reader
   * has left.
   */
  async run(start: () => Promise<AsyncGenerator<string>>): Promise<void> {
    const encoder = new TextEncoder();
    let source: AsyncGenerator<string> | undefined;
    try {
      source = await start();
      this.started = true;
      for (;;) {
        await until(() => this.cursors.size === 0 || this.ahead() < READ_AHEAD_BYTES);
        if (this.joined > 0 && this.cursors.size === 0) {
          // Nobody reads any more: stop collecting (the object requests not yet made are saved).
          await source.return(undefined);
          this.failure ??= new Error("every reader left");
          return;
        }
        const { value, done } = await source.next();
        if (done) return;
        this.append(encoder.encode(value));
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.finished = true;
      this.finishedAt = Date.now();
    }
  }

  /** Waits, in the calling request, until the collection started; throws when it failed before it could. */
  async ready(): Promise<void> {
    await until(() => this.started || this.finished);
    if (!this.started) throw this.failure instanceof Error ? this.failure : new Error("the scrape could not start");
  }

  /** A new reader of the whole output, from its first byte. */
  reader(): ReadableStream<Uint8Array> {
    const cursor: Cursor = { at: 0, cut: false };
    this.cursors.add(cursor);
    this.joined++;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        while (!cursor.cut && cursor.at >= this.dropped + this.chunks.length) {
          if (this.finished) {
            this.leave(cursor);
            if (this.failure === undefined) controller.close();
            else controller.error(new Error("the scrape could not be completed"));
            return;
          }
          await tick();
        }
        if (cursor.cut) {
          this.leave(cursor);
          controller.error(new Error("the scrape fell too far behind and was cut off"));
          return;
        }
        // Each reader gets its own copy: a chunk handed to a response may be detached by the runtime.
        controller.enqueue((this.chunks[cursor.at - this.dropped] as Uint8Array).slice());
        cursor.at++;
        this.release();
      },
      cancel: () => this.leave(cursor),
    });
  }

  private append(chunk: Uint8Array): void {
    this.total += chunk.byteLength;
    this.chunks.push(chunk);
    this.ends.push(this.total);
    this.cutLaggards();
    this.release();
  }

  private leave(cursor: Cursor): void {
    this.cursors.delete(cursor);
    this.release();
  }

  /** Bytes appended that the fastest reader has not read yet. */
  private ahead(): number {
    let fastest = 0;
    for (const c of this.cursors) if (!c.cut) fastest = Math.max(fastest, c.at);
    return this.total - this.offset(fastest);
  }

  /** Byte offset at which chunk `index` starts. */
  private offset(index: number): number {
    return index <= this.dropped ? this.droppedBytes : (this.ends[index - this.dropped - 1] as number);
  }

  /** Once the flight no longer keeps its whole output: cuts off readers too far behind. */
  private cutLaggards(): void {
    if (this.total <= SHARED_BYTES) return;
    for (const c of this.cursors) if (this.total - this.offset(c.at) > MAX_LAG_BYTES) c.cut = true;
  }

  /** Once no new reader may join: drops the chunks every remaining reader has read. */
  private release(): void {
    if (this.total <= SHARED_BYTES && !this.finished) return;
    if (this.finished && this.total <= SHARED_BYTES && this.cacheMs > 0) return;
    let slowest = this.dropped + this.chunks.length;
    for (const c of this.cursors) if (!c.cut) slowest = Math.min(slowest, c.at);
    const count = slowest - this.dropped;
    if (count <= 0) return;
    this.droppedBytes = this.offset(slowest);
    this.chunks.splice(0, count);
    this.ends.splice(0, count);
    this.dropped = slowest;
  }
}
