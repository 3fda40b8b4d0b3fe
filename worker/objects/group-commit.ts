// Group commit for a Durable Object: a submission that finds the object idle is applied at once, alone (no added
// delay); submissions that arrive while it is busy wait and are applied together, as one group, when the busy
// period ends. An object stays busy for `windowMs` after each group (0: one turn of the event loop, enough for the
// requests already waiting at its door to join), so under load it commits at most one group per window.

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T, R> {
  private queue: Waiting<T, R>[] = [];
  private busy = false;
  private busySince = 0;
  private busyTotal = 0;

  /**
   * @param apply applies a group and returns one result per item, in order. It runs synchronously up to its first
   * await, so an idle submission is applied within the call. If it throws, every item of the group fails.
   * @param windowMs how long the object stays busy after a group (read at each group)
   */
  constructor(
    private readonly apply: (items: T[]) => Promise<R[]>,
    private readonly windowMs: () => number,
  ) {}

  /** Applies `item` now if idle, else with the next group; resolves with its result. */
  submit(item: T): Promise<R> {
    if (!this.busy) {
      this.busy = true;
      this.busySince = Date.now();
      return this.run([item]).then((results) => results[0] as R);
    }
    return new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }));
  }

  /**
   * Applies `items` as one group (with whatever else waits, when busy): what a caller that gathered them itself (a
   * fold of many pushes) submits, so they take one group rather than one for the first and one for the rest.
   */
  submitMany(items: T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (!this.busy) {
      this.busy = true;
      this.busySince = Date.now();
      return this.run(items);
    }
    return Promise.all(
      items.map((item) => new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject }))),
    );
  }

  /** Milliseconds spent busy (a group applying, or its window open) since this instance started. */
  get busyMs(): number {
    return this.busyTotal + (this.busy ? Date.now() - this.busySince : 0);
  }

  private async run(items: T[]): Promise<R[]> {
    try {
      return await this.apply(items);
    } finally {
      setTimeout(() => this.drain(), this.windowMs());
    }
  }

  /** The end of a busy period: applies what waited as one group (and stays busy), or becomes idle. */
  private drain(): void {
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) {
      this.busy = false;
      this.busyTotal += Date.now() - this.busySince;
      return;
    }
    this.run(group.map((w) => w.item)).then(
      (results) => {
        for (const [i, w] of group.entries()) w.resolve(results[i] as R);
      },
      (error) => {
        for (const w of group) w.reject(error);
      },
    );
  }
}
