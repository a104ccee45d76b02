/**
 * Proves the partition cache (cache-changes.ts I1–I4, partition-cache.ts I1–I3, node-cache.ts I1) on both
 * stores, MemoryKvStore and LevelKvStore (LevelDB in a temp dir removed after the file): a batch built by
 * CacheChanges from applied records writes, and reads back, the checkpoint, running states, done summaries,
 * each running workflow's history in seq order (past seq 255, odd ids side by side), the timer index in
 * fire order, and the ids that need their body (activeIds); a workflow that finishes loses its history,
 * 'w' and 'a' keys in the same batch and leaves a summary; `purge` deletes queued histories a bounded
 * number of keys a round, in one write, reading only the queue; a timer armed and fired in one batch leaves
 * nothing; `expire` shrinks old summaries to tombstones that still say how the workflow ended; `clear`
 * forgets one partition only; and NodeCache.open keeps a store of today's format and clears ('rebuilt')
 * one of another format; `workflows` reads a few ids on the calling thread only while no write is in
 * flight (partition-cache.ts I5), and throws after a failed write (I7).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CACHE_FORMAT,
  CacheChanges,
  EMPTY_CHECKPOINT,
  type KvStore,
  LevelKvStore,
  MemoryKvStore,
  NodeCache,
  PartitionCache,
  SYNC_READ_IDS_MAX,
} from '../../src/cache/index.js';
import { FORMAT_KEY, Tag } from '../../src/cache/keys.js';
import { encodeRecord, type JournalRecord, type RecordBody } from '../../src/journal/index.js';
import { applyRecord } from '../../src/machine/index.js';
import {
  Batcher,
  keysOf,
  P,
  signal,
  sleep,
  started,
  stepDone,
  stepStarted,
  T0,
} from '../support/cache-batcher.js';
import { tempDir } from '../support/temp-dirs.js';

const STORES: readonly [string, () => KvStore][] = [
  ['MemoryKvStore', () => new MemoryKvStore()],
  ['LevelKvStore', () => new LevelKvStore(tempDir('partition-cache'))],
];

describe.each(STORES)('PartitionCache on %s', (_name, makeStore) => {
  let store: KvStore;
  afterEach(async () => {
    await store.close();
  });

  async function open(): Promise<PartitionCache> {
    store = makeStore();
    await store.open();
    return new PartitionCache(store, P);
  }

  it('writes one batch and reads back checkpoint, states, history in seq order, timers and active ids', async () => {
    const cache = await open();
    const b = new Batcher();
    const ids = ['a', 'a/b', '🚀-sleep', 'a😀b'];
    const items = ids.flatMap((id) => [[id, started] as const, [id, stepStarted(1)] as const]);
    items.push(
      ['a/b', stepDone(1)],
      ['a/b', sleep(2, T0 + 500)],
      ['🚀-sleep', stepDone(1)],
      ['🚀-sleep', sleep(2, T0 + 100)],
    );
    for (let n = 0; n < 300; n++) items.push(['a', signal(n)]); // seqs past 255
    const checkpoint = { journalOffset: 399, commandOffset: 7, epoch: 3 };
    await cache.write(b.batch(items), checkpoint);

    expect(await cache.checkpoint()).toEqual(checkpoint);
    const found = await cache.workflows([...ids, 'unknown']);
    expect([...found.keys()]).toEqual(ids);
    for (const id of ids) {
      expect(found.get(id)).toEqual({ kind: 'running', state: b.state.get(id) });
      expect(await cache.history(id)).toEqual(b.valuesOf(id));
    }
    expect((await cache.history('a')).length).toBe(302);
    expect(await cache.timersFrom(undefined, 10)).toMatchObject([
      { workflowId: '🚀-sleep', timerId: 'sleep:2', fireAtMs: T0 + 100 },
      { workflowId: 'a/b', timerId: 'sleep:2', fireAtMs: T0 + 500 },
    ]);
    const active: string[] = [];
    for await (const id of cache.activeIds()) active.push(id);
    expect(active.sort()).toEqual(['a', 'a😀b']); // a step running; the sleeping ones can wait for their timers
  });

  it('appends history across batches; when the workflow finishes it leaves w and a, and purge deletes its history', async () => {
    const cache = await open();
    const b = new Batcher();
    await cache.write(
      b.batch([
        ['f', started],
        ['f', stepStarted(1)],
        ['g', started],
      ]),
      { journalOffset: 1, commandOffset: 1, epoch: 1 },
    );
    await cache.write(
      b.batch([
        ['f', stepDone(1)],
        ['f', sleep(2, T0 + 60_000)],
      ]),
      { journalOffset: 2, commandOffset: 1, epoch: 1 },
    );
    expect(await cache.history('f')).toEqual(b.valuesOf('f'));
    expect(await cache.timersFrom(undefined, 10)).toHaveLength(1);
    const terminalOffset = b.offset;
    await cache.write(b.batch([['f', { kind: 'WorkflowCompleted', result: 'done' }]], T0 + 9), {
      journalOffset: 3,
      commandOffset: 1,
      epoch: 1,
    });

    // The finishing batch only queues the history for deletion (a constant number of operations).
    expect(await cache.history('f')).toEqual(b.valuesOf('f').slice(0, 4));
    expect(await keysOf(store, Tag.purge)).toHaveLength(1);
    expect(await cache.purge(2)).toBe(2); // bounded: two keys this time
    expect(await cache.history('f')).toHaveLength(2);
    expect(await cache.purge(100)).toBe(3); // the last two keys and the queue entry
    expect(await cache.history('f')).toEqual([]);
    expect(await keysOf(store, Tag.purge)).toHaveLength(0);
    expect(await cache.purge(100)).toBe(0);
    expect(await cache.timersFrom(undefined, 10)).toEqual([]); // its pending timer went with it
    const done = (await cache.workflows(['f'])).get('f');
    expect(done).toMatchObject({
      kind: 'done',
      terminalOffset,
      tombstone: false,
      state: { status: 'completed', result: 'done' },
    });
    expect(await keysOf(store, Tag.workflow)).toHaveLength(1); // g's only
    expect(await keysOf(store, Tag.active)).toHaveLength(1); // g's only
    expect(await keysOf(store, Tag.done)).toHaveLength(1);
    expect(await keysOf(store, Tag.retention)).toHaveLength(1);
    expect(await cache.history('g')).toEqual(b.valuesOf('g'));
  });

  it('purges many finished workflows in one write, reading only the queue, a bounded number of keys a round', async () => {
    const cache = await open();
    const b = new Batcher();
    const ids = Array.from({ length: 150 }, (_, i) => `done-${i}`);
    await cache.write(
      b.batch(ids.flatMap((id) => [[id, started] as const, [id, stepStarted(1)] as const])),
      EMPTY_CHECKPOINT,
    );
    await cache.write(
      b.batch(ids.map((id) => [id, { kind: 'WorkflowCompleted', result: null }] as const)),
      EMPTY_CHECKPOINT,
    );
    expect(await keysOf(store, Tag.history)).toHaveLength(300);
    const reads: string[] = [];
    let writes = 0;
    const entries = store.entries.bind(store);
    const write = store.write.bind(store);
    store.entries = (range) => {
      reads.push(String.fromCharCode(range.gte?.[0] ?? 0));
      return entries(range);
    };
    store.write = (ops) => {
      writes++;
      return write(ops);
    };
    // 100 queue entries a round (PURGE_QUEUE_READ_MAX), each two history keys and the entry itself
    expect(await cache.purge(1_000)).toBe(300);
    expect(reads).toEqual(['z']);
    expect(writes).toBe(1);
    expect(await keysOf(store, Tag.history)).toHaveLength(100);
    expect(await cache.purge(5)).toBe(6); // bounded by keys: it stops once it deleted 5 (two workflows' here)
    expect(await keysOf(store, Tag.history)).toHaveLength(96);
    expect(await keysOf(store, Tag.purge)).toHaveLength(48);
    expect(await cache.purge(1)).toBe(1); // a history cut short: its entry stays, naming what is left
    expect(await keysOf(store, Tag.history)).toHaveLength(95);
    expect(await keysOf(store, Tag.purge)).toHaveLength(48);
    expect(await cache.purge(1_000)).toBe(143);
    expect(await keysOf(store, Tag.history)).toEqual([]);
    expect(await keysOf(store, Tag.purge)).toEqual([]);
  });

  it('reads a few ids on the calling thread only while no write is in flight, and sees a write not yet awaited', async () => {
    const cache = await open();
    const calls = { sync: 0, async: 0 };
    const getManySync = store.getManySync.bind(store);
    const getMany = store.getMany.bind(store);
    store.getManySync = (keys) => {
      calls.sync++;
      return getManySync(keys);
    };
    store.getMany = (keys) => {
      calls.async++;
      return getMany(keys);
    };
    const b = new Batcher();
    const checkpoint = { journalOffset: 1, commandOffset: 1, epoch: 1 };
    void cache.write(b.batch([['n', started]]), checkpoint); // made, not awaited (owner-tick.ts I9)
    expect((await cache.workflows(['n'])).get('n')).toEqual({ kind: 'running', state: b.state.get('n') });
    expect(calls).toEqual({ sync: 0, async: 1 }); // waited for the write (I4), one read for 'w' and 'd'

    await cache.write(b.batch([['n', { kind: 'WorkflowCompleted', result: 1 }]]), checkpoint);
    const few = await cache.workflows(['n', 'absent']);
    expect(few.get('n')).toMatchObject({ kind: 'done', state: { status: 'completed', result: 1 } });
    expect(few.has('absent')).toBe(false);
    expect(calls).toEqual({ sync: 1, async: 1 }); // I5

    const many = Array.from({ length: SYNC_READ_IDS_MAX + 1 }, (_, i) => `m${i}`);
    await cache.write(b.batch(many.map((id) => [id, started] as const)), checkpoint);
    expect([...(await cache.workflows(['n', ...many])).keys()]).toEqual(['n', ...many]);
    expect(calls).toEqual({ sync: 1, async: 2 }); // over the limit: off the event loop

    const write = store.write.bind(store);
    store.write = () => Promise.reject(new Error('disk full'));
    await expect(cache.write(b.batch([['f', started]]), checkpoint)).rejects.toThrow('disk full');
    store.write = write;
    await expect(cache.workflows(['n'])).rejects.toThrow('disk full'); // I7: not what the store lacks
    expect(calls).toEqual({ sync: 1, async: 2 }); // no read reached the store
  });

  it('a workflow that starts and ends in one batch writes no history; a timer armed and fired in it leaves nothing', async () => {
    const cache = await open();
    const b = new Batcher();
    const items = [
      ['q', started],
      ['q', sleep(1, T0)],
      ['q', { kind: 'TimerFired', timerId: 'sleep:1', callSeq: 1 }],
      ['q', { kind: 'WorkflowFailed', error: { name: 'E', code: 'C', message: 'm', details: null } }],
    ] as const;
    await cache.write(b.batch(items), { journalOffset: 1, commandOffset: 0, epoch: 0 });
    for (const tag of [Tag.history, Tag.timer, Tag.workflow, Tag.active])
      expect(await keysOf(store, tag)).toEqual([]);
    expect((await cache.workflows(['q'])).get('q')).toMatchObject({
      kind: 'done',
      state: { status: 'failed' },
    });
  });

  it('expire turns summaries finished before a time into tombstones that still say how each ended', async () => {
    const cache = await open();
    const b = new Batcher();
    const end = (id: string, body: RecordBody, atMs: number) =>
      b.batch(
        [
          [id, started],
          [id, body],
        ],
        atMs,
      );
    const failure = { name: 'E', code: 'C', message: 'boom', details: { big: 'x'.repeat(1_000) } };
    await cache.write(end('old-ok', { kind: 'WorkflowCompleted', result: { big: 'y'.repeat(1_000) } }, T0), {
      journalOffset: 1,
      commandOffset: 0,
      epoch: 0,
    });
    await cache.write(end('old-failed', { kind: 'WorkflowFailed', error: failure }, T0 + 1), {
      journalOffset: 2,
      commandOffset: 0,
      epoch: 0,
    });
    await cache.write(end('new', { kind: 'WorkflowCompleted', result: 1 }, T0 + 10_000), {
      journalOffset: 3,
      commandOffset: 0,
      epoch: 0,
    });

    expect(await cache.expire(T0 + 5_000, 1)).toBe(1); // limit: one at a time
    expect(await cache.expire(T0 + 5_000, 10)).toBe(1);
    expect(await cache.expire(T0 + 5_000, 10)).toBe(0);
    const found = await cache.workflows(['old-ok', 'old-failed', 'new']);
    expect(found.get('old-ok')).toMatchObject({
      kind: 'done',
      tombstone: true,
      state: { status: 'completed', result: null },
    });
    expect(found.get('old-failed')).toMatchObject({
      kind: 'done',
      tombstone: true,
      state: { status: 'failed', error: null },
    });
    expect(found.get('new')).toMatchObject({ kind: 'done', tombstone: false, state: { result: 1 } });
    expect(await keysOf(store, Tag.retention)).toHaveLength(1);
  });

  it('clear forgets this partition and nothing of another', async () => {
    const cache = await open();
    const other = new PartitionCache(store, P + 1);
    await cache.write(
      new Batcher().batch([
        ['a', started],
        ['a', sleep(1, T0)],
      ]),
      { journalOffset: 1, commandOffset: 0, epoch: 0 },
    );
    const b = new Batcher();
    const changes = new CacheChanges(P + 1);
    const record: JournalRecord = { schemaVersion: 3, workflowId: 'a', seq: 1, atMs: T0, body: started };
    const ws = applyRecord(b.state, record, changes);
    if (ws !== undefined) changes.record(ws, record, encodeRecord(record), 1);
    await other.write(changes, { journalOffset: 1, commandOffset: 0, epoch: 0 });
    await cache.clear();
    expect(await cache.checkpoint()).toEqual({ journalOffset: -1, commandOffset: 0, epoch: 0 });
    expect(await cache.workflows(['a'])).toEqual(new Map());
    expect(await cache.timersFrom(undefined, 10)).toEqual([]);
    expect((await other.workflows(['a'])).get('a')?.kind).toBe('running');
    expect(await other.history('a')).toHaveLength(1);
  });
});

describe.each(STORES)('NodeCache on %s', (_name, makeStore) => {
  it('opens a new store, keeps one of today’s format, and clears one of another format or of none', async () => {
    const store = makeStore();
    const node = new NodeCache(store);
    expect(await node.open()).toBe('new');
    expect((await store.get(FORMAT_KEY))?.toString()).toBe(CACHE_FORMAT);
    await node
      .partition(P)
      .write(new Batcher().batch([['a', started]]), { journalOffset: 4, commandOffset: 2, epoch: 1 });
    await store.close();

    expect(await node.open()).toBe('current');
    expect((await node.partition(P).workflows(['a'])).get('a')?.kind).toBe('running');

    await store.write([{ type: 'put', key: FORMAT_KEY, value: Buffer.from('logbook-cache/2') }]);
    await store.close();
    expect(await node.open()).toBe('rebuilt');
    expect(await node.partition(P).workflows(['a'])).toEqual(new Map());
    expect(await node.partition(P).checkpoint()).toEqual({ journalOffset: -1, commandOffset: 0, epoch: 0 });
    expect((await store.get(FORMAT_KEY))?.toString()).toBe(CACHE_FORMAT);

    await node
      .partition(P)
      .write(new Batcher().batch([['b', started]]), { journalOffset: 1, commandOffset: 0, epoch: 0 });
    await store.write([{ type: 'del', key: FORMAT_KEY }]); // an older layout that had no format key
    await store.close();
    expect(await node.open()).toBe('rebuilt');
    expect(await node.partition(P).workflows(['b'])).toEqual(new Map());
    await node.close();
  });
});

describe('CacheChanges cost', () => {
  /** The operations of the batch that finishes a workflow whose earlier batches wrote `length` records. */
  function finishingOps(length: number): number {
    const b = new Batcher();
    b.batch([
      ['long', started],
      ...Array.from({ length: length - 1 }, (_, n) => ['long', signal(n)] as const),
    ]);
    const ops = b.batch([['long', { kind: 'WorkflowCompleted', result: null }]]).toOps(EMPTY_CHECKPOINT);
    return ops.length;
  }

  it('the batch that finishes a workflow does not grow with its history length (cache-changes.ts I1)', () => {
    expect(finishingOps(10_000)).toBe(finishingOps(10));
  });
});
