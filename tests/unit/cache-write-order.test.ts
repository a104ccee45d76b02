/**
 * The cache's write order (partition-cache.ts I4): a write need not be awaited for the writer's next read
 * to see it, writes land in the order they were made however slow the store, and after a failed write no
 * later write reaches the store (no checkpoint can cover lost changes).
 */
import { describe, expect, it } from 'vitest';
import { CacheChanges, type KvOp, MemoryKvStore, PartitionCache } from '../../src/cache/index.js';

/** A memory store whose writes take `delays[i]` ms (the i-th write); write number `failAt` fails. */
class SlowStore extends MemoryKvStore {
  writes = 0;
  failAt = -1;
  readonly applied: number[] = [];

  constructor(private readonly delays: readonly number[]) {
    super();
  }

  override async write(ops: readonly KvOp[]): Promise<void> {
    const n = this.writes++;
    await new Promise((resolve) => setTimeout(resolve, this.delays[n] ?? 0));
    if (n === this.failAt) throw new Error(`disk full (write ${n})`);
    await super.write(ops);
    this.applied.push(n);
  }
}

const checkpointAt = (journalOffset: number) => ({ journalOffset, commandOffset: journalOffset, epoch: 1 });

describe('PartitionCache write order', () => {
  it('lands writes in order, and a read waits for the writes made before it', async () => {
    const store = new SlowStore([30, 0, 10]);
    await store.open();
    const cache = new PartitionCache(store, 0);
    const writes = [1, 2, 3].map((offset) => cache.write(new CacheChanges(0), checkpointAt(offset)));
    expect(await cache.checkpoint()).toMatchObject({ journalOffset: 3 }); // not 1: the slow first write
    await Promise.all(writes);
    expect(store.applied).toEqual([0, 1, 2]);
  });

  it('fails every write after a failed one without touching the store, and still reads', async () => {
    const store = new SlowStore([0, 0, 0]);
    await store.open();
    const cache = new PartitionCache(store, 0);
    await cache.write(new CacheChanges(0), checkpointAt(5));
    store.failAt = 1;
    const failed = cache.write(new CacheChanges(0), checkpointAt(6));
    const after = cache.write(new CacheChanges(0), checkpointAt(7));
    await expect(failed).rejects.toThrow('disk full (write 1)');
    await expect(after).rejects.toThrow('disk full (write 1)');
    expect(store.writes).toBe(2);
    expect(await cache.checkpoint()).toMatchObject({ journalOffset: 5 });
    await expect(cache.applied()).rejects.toThrow('disk full (write 1)'); // what the owner awaits
    await cache.settled(); // never rejects
  });
});
