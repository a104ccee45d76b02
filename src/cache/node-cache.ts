/**
 * The node's cache: one store (LevelDB in `--state-dir`) shared by the partitions this node owns.
 *
 * I1. The store carries its layout's name (keys.ts CACHE_FORMAT). A store of another layout — an older
 *     Logbook's — is cleared when opened, and every partition is rebuilt from the journal.
 * I2. A partition's owner takes its cache with `owned`; every other reader (the admin surface) gets that
 *     same object from `partition`, so it reads what the owner staged (partition-cache.ts I6). A newer
 *     owner's `owned` retires the one before it (cache-writes.ts I5).
 */
import { CACHE_FORMAT, FORMAT_KEY } from './keys.js';
import type { KvStore } from './kv-store.js';
import { PartitionCache } from './partition-cache.js';

/** What opening the cache found. */
export type CacheOpening = 'new' | 'current' | 'rebuilt';

/** The cache of one executor node. */
export class NodeCache {
  /** Each partition's current owner's cache (I2). */
  private readonly owners = new Map<number, PartitionCache>();

  constructor(private readonly store: KvStore) {}

  /** Opens the store and checks its layout (I1). */
  async open(): Promise<CacheOpening> {
    await this.store.open();
    const format = (await this.store.get(FORMAT_KEY))?.toString('utf8');
    if (format === CACHE_FORMAT) return 'current';
    const empty = await this.isEmpty();
    if (!empty) await this.store.clear({ gte: Buffer.from([0]), lt: Buffer.from([0xff, 0xff]) });
    await this.store.write([{ type: 'put', key: FORMAT_KEY, value: Buffer.from(CACHE_FORMAT, 'utf8') }]);
    return empty ? 'new' : 'rebuilt';
  }

  private async isEmpty(): Promise<boolean> {
    for await (const _ of this.store.entries({
      gte: Buffer.from([0]),
      lt: Buffer.from([0xff, 0xff]),
      limit: 1,
    }))
      return false;
    return true;
  }

  /** Partition `p`'s part of the cache. */
  partition(p: number): PartitionCache {
    return this.owners.get(p) ?? new PartitionCache(this.store, p);
  }

  /** A new owner's cache of partition `p`, which retires the one before it (I2). */
  owned(p: number): PartitionCache {
    this.owners.get(p)?.retire();
    const cache = new PartitionCache(this.store, p);
    this.owners.set(p, cache);
    return cache;
  }

  /** Closes the store. */
  async close(): Promise<void> {
    await this.store.close();
  }
}
