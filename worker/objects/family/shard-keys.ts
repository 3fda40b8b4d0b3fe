// The distinct series of a family spread over several objects, kept by its shard 0, so the cardinality cap counts
// distinct series however many objects hold parts of them: which shards hold a part of which series key. A shard
// asks before it creates a part of a series it does not hold, and tells when it deletes one.

export class ShardKeys {
  /** Holders by series key; undefined until loaded. */
  private holders: Map<string, Set<number>> | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Creates the table; run in the object's constructor. */
  migrate(): void {
    this.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS shard_keys (key TEXT NOT NULL, shard INTEGER NOT NULL, PRIMARY KEY (key, shard)) WITHOUT ROWID`,
    );
  }

  /** Forgets what is in memory (after the storage was wiped or a transaction failed). */
  forget(): void {
    this.holders = undefined;
  }

  private map(): Map<string, Set<number>> {
    if (!this.holders) {
      this.holders = new Map();
      for (const { key, shard } of this.storage.sql.exec<{ key: string; shard: number }>(
        `SELECT key, shard FROM shard_keys`,
      )) {
        this.holdersOf(this.holders, key).add(shard);
      }
    }
    return this.holders;
  }

  private holdersOf(holders: Map<string, Set<number>>, key: string): Set<number> {
    let set = holders.get(key);
    if (!set) {
      set = new Set();
      holders.set(key, set);
    }
    return set;
  }

  /** How many distinct series the family holds. */
  get distinct(): number {
    return this.map().size;
  }

  /**
   * For each push (in order), admits `shard` as a holder of its keys unless the distinct series would pass `cap`;
   * returns which pushes were admitted. Run inside a transaction.
   */
  admit(shard: number, pushes: readonly (readonly string[])[], cap: number): boolean[] {
    const holders = this.map();
    return pushes.map((keys) => {
      const fresh = new Set(keys.filter((key) => !holders.has(key)));
      if (holders.size + fresh.size > cap) return false;
      for (const key of keys) {
        const set = this.holdersOf(holders, key);
        if (set.has(shard)) continue;
        set.add(shard);
        this.storage.sql.exec(`INSERT INTO shard_keys (key, shard) VALUES (?, ?) ON CONFLICT DO NOTHING`, key, shard);
      }
      return true;
    });
  }

  /** `shard` no longer holds these keys; a key nobody holds is no longer counted. Run inside a transaction. */
  release(shard: number, keys: readonly string[]): void {
    const holders = this.map();
    for (const key of keys) {
      const set = holders.get(key);
      if (!set?.delete(shard)) continue;
      if (set.size === 0) holders.delete(key);
      this.storage.sql.exec(`DELETE FROM shard_keys WHERE key = ? AND shard = ?`, key, shard);
    }
  }

  /** Nobody holds these keys any more (the series were deleted everywhere). Run inside a transaction. */
  drop(keys: Iterable<string>): void {
    const holders = this.map();
    for (const key of keys) {
      if (!holders.delete(key)) continue;
      this.storage.sql.exec(`DELETE FROM shard_keys WHERE key = ?`, key);
    }
  }

  /** Every key held, for deletions that match on labels. */
  keys(): string[] {
    return [...this.map().keys()];
  }
}
