// Single flight for the scrape: concurrent scrapes of one format in one isolate share one collection, so a burst of
// scrapes costs the object requests of one. The collection runs in the request that started it (its waitUntil keeps
// it alive) and appends its bytes to a shared buffer of plain arrays; every scrape that joined reads the buffer from
// the start, at its own pace. Requests cannot wait on each other's promises, so the starting request waits on its
// own and the others look again every few milliseconds. A flight takes new scrapes while it still holds its whole
// output (up to SHARED_BYTES): while it runs (for at most JOIN_WINDOW_MS after its start), and for SCRAPE_CACHE_SECONDS
// after it finished. Past SHARED_BYTES it keeps only what its slowest reader has not read,
// and a reader that falls MAX_LAG_BYTES behind is cut off, so memory stays bounded however large the scrape.

/** Output a flight keeps whole, so that scrapes arriving later can still join it from the start. */
export const SHARED_BYTES = 16 * 1024 * 1024;
/**
 * How long after its start a running flight takes new scrapes (or SCRAPE_CACHE_SECONDS, if longer): a scrape never
 * gets data older than that, even when the flight runs on for a slow reader.
 */
const JOIN_WINDOW_MS = 1_000;
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
/** A scrape that joined gives up when the collection has not started, or not moved on, for this long. */
const STALL_MS = 30_000;

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, POLL_MS));

/**
 * What ends the body of a scrape that could not be completed: local workerd (and some proxies) end a streamed body
 * cleanly even when its stream errors, so the body itself must say it is broken. The comment explains; the line
 * after it is no valid sample in either format, so Prometheus records a failed scrape instead of missing data.
 */
export const ABORTED_TAIL = new TextEncoder().encode(
  "\n# ABORTED: this scrape could not be completed (see the metrics Worker's log); the next line is invalid on purpose, so the scrape fails\n!aborted\n",
);

/**
 * The same for a protobuf scrape: the length of a message far longer than what follows (none), so no decoder takes
 * the body for whole messages.
 */
export const ABORTED_BINARY_TAIL = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x07]);

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
  /** Wakes the collection's own request (which may wait on its own promises) when something changed. */
  private ownerWaiters: (() => void)[] = [];
  /** The collection has started (its request listed the families), or the flight was abandoned before. */
  private started = false;
  /** The reader of the collection's own request, while it reads. */
  private ownerCursor: Cursor | undefined;

  private readonly createdAt = Date.now();
  /** When the collection last appended (or started). */
  private progressAt = Date.now();

  /** `stallMs`: how long a joined scrape waits on a collection that does not start or move on (tests shorten it). */
  /** What ends the body of a scrape that could not be completed (ABORTED_TAIL, or ABORTED_BINARY_TAIL). */
  abortedTail = ABORTED_TAIL;

  constructor(
    private readonly cacheMs: number,
    private readonly stallMs = STALL_MS,
  ) {}

  /**
   * True while a new scrape may join: the whole output is held, and the flight still runs, or still delivers to
   * scrapes that joined it, or finished within the cache time.
   */
  joinable(now: number): boolean {
    // Once a chunk was dropped the output is no longer whole: the flight never takes a new scrape again.
    if (this.failure !== undefined || this.total > SHARED_BYTES || this.dropped > 0) return false;
    if (this.finished) return now < this.finishedAt + this.cacheMs;
    return now < this.createdAt + Math.max(JOIN_WINDOW_MS, this.cacheMs);
  }

  /**
   * Runs the collection of `source`, in the request that started the flight (which keeps it alive with waitUntil).
   * Appends every piece, running at most READ_AHEAD_BYTES ahead of the fastest reader; stops early when every reader
   * has left.
   */
  async run(source: AsyncGenerator<string | Uint8Array>): Promise<void> {
    const encoder = new TextEncoder();
    this.started = true;
    this.progressAt = Date.now();
    try {
      for (;;) {
        while (this.cursors.size > 0 && this.ahead() >= READ_AHEAD_BYTES) await this.changed(true);
        if (this.joined > 0 && this.cursors.size === 0) {
          // Nobody reads any more: stop collecting (the object requests not yet made are saved).
          await source.return(undefined);
          this.failure ??= new Error("every reader left");
          return;
        }
        const { value, done } = await source.next();
        if (done) return;
        this.append(typeof value === "string" ? encoder.encode(value) : value);
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.finished = true;
      this.finishedAt = Date.now();
      this.wakeOwner();
    }
  }

  /** The collection could not start (listing the families failed) or stalled: scrapes waiting on it fail too. */
  abandon(error: unknown): void {
    this.failure ??= error;
    this.finished = true;
    this.wakeOwner();
  }

  /** Waits, in a joining request, until the collection started; throws when it was abandoned before. */
  async whenStarted(): Promise<void> {
    const deadline = Date.now() + this.stallMs;
    while (!this.started && !this.finished) {
      if (Date.now() > deadline) this.abandon(new Error("the scrape did not start"));
      else await tick();
    }
    if (!this.started) throw this.failure instanceof Error ? this.failure : new Error("the scrape could not start");
  }

  /**
   * Waits for a change. The collection's own request waits on a promise its own work settles (and, for readers in
   * other requests to move on, a short timer too); any other request may only poll.
   */
  private changed(owner: boolean): Promise<void> {
    if (!owner) return tick();
    const woken = new Promise<void>((resolve) => this.ownerWaiters.push(resolve));
    // Readers in other requests cannot wake it: while any reads, it looks again every few milliseconds too.
    const onlyOwn = this.cursors.size === 0 || (this.cursors.size === 1 && this.ownerCursor !== undefined);
    return onlyOwn ? woken : Promise.race([woken, tick()]);
  }

  private wakeOwner(): void {
    for (const wake of this.ownerWaiters.splice(0)) wake();
  }

  /** A new reader of the whole output, from its first byte; `owner` for the request that runs the collection. */
  reader(owner: boolean): ReadableStream<Uint8Array> {
    const cursor: Cursor = { at: 0, cut: false };
    this.cursors.add(cursor);
    this.joined++;
    if (owner) this.ownerCursor = cursor;
    /** Why this reader's body is being ended as broken: its tail went out, the stream's error follows. */
    let aborting: string | undefined;
    // The tail must be read before the error: an error drops whatever is still queued.
    const abort = (controller: ReadableStreamDefaultController<Uint8Array>, reason: string) => {
      aborting = reason;
      controller.enqueue(this.abortedTail.slice());
    };
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (aborting !== undefined) {
          controller.error(new Error(aborting));
          return;
        }
        while (!cursor.cut && cursor.at >= this.dropped + this.chunks.length) {
          if (this.finished) {
            this.leave(cursor);
            if (this.failure === undefined) controller.close();
            else abort(controller, "the scrape could not be completed");
            return;
          }
          if (!owner && Date.now() - this.progressAt > this.stallMs) {
            // The collection stopped moving while this reader waits at its head (its request went away unseen).
            this.abandon(new Error("the scrape stalled"));
            continue;
          }
          await this.changed(owner);
        }
        if (cursor.cut || cursor.at < this.dropped) {
          this.leave(cursor);
          abort(controller, "the scrape fell too far behind and was cut off");
          return;
        }
        // Each reader gets its own copy: a chunk handed to a response may be detached by the runtime.
        controller.enqueue((this.chunks[cursor.at - this.dropped] as Uint8Array).slice());
        cursor.at++;
        this.release();
        if (owner) this.wakeOwner();
      },
      cancel: () => this.leave(cursor),
    });
  }

  private append(chunk: Uint8Array): void {
    this.progressAt = Date.now();
    this.total += chunk.byteLength;
    this.chunks.push(chunk);
    this.ends.push(this.total);
    this.cutLaggards();
    this.release();
    this.wakeOwner();
  }

  private leave(cursor: Cursor): void {
    this.cursors.delete(cursor);
    this.release();
    if (cursor === this.ownerCursor) {
      this.ownerCursor = undefined;
      this.wakeOwner();
    }
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
    if (this.joinable(Date.now())) return;
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
