/**
 * Staged cache writes (D36; cache-writes.ts I1–I6, cache-changes.ts I6–I7, partition-cache.ts I5–I6,
 * node-cache.ts I2), on MemoryKvStore:
 *   - ticks staged together are written as the one batch their records would have made: a workflow that
 *     starts and ends within it leaves its summary only, no history, running keys or purge entry;
 *   - what is staged is read back before it is written, through the owner's cache and the node's;
 *   - a staged batch is written `stageMs` after its first tick without any read, and at once when it
 *     reaches `stageRecordsMax` (the limit crossed);
 *   - a state is written as it was staged, whatever the machine does to the object afterwards;
 *   - after a failed write the next stage rejects, and nothing later reaches the store;
 *   - a newer owner's cache retires the older one's staged batch;
 *   - a workflow that started before a write and ends in a staged batch has its earlier history queued
 *     for deletion, and a timer armed and fired across staged ticks leaves no key;
 *   - a read of ids the staged batch does not hold writes nothing; one of the timer index writes it;
 *   - a batch over `stageBytesMax` is written at once;
 *   - after a failed write the reads an owner acts on throw, and the checkpoint still answers;
 *   - an owner whose staged ticks were lost (its node died) is caught up from the journal by the next.
 */
import { describe, expect, it } from 'vitest';
import type { StageLimits } from '../../src/cache/cache-writes.js';
import { type KvOp, MemoryKvStore, NodeCache, PartitionCache } from '../../src/cache/index.js';
import { checkpointKey, parsePurgeValue, Tag, workflowKey } from '../../src/cache/keys.js';
import { decodeState } from '../../src/cache/state-codec.js';
import { decodeRecord, type RecordBody } from '../../src/journal/index.js';
import { Batcher, keysOf, P, sleep, started, stepDone, stepStarted, T0 } from '../support/cache-batcher.js';
import { SIM_TOPICS } from './simulation/sim-owner.js';
import { P as SIM_P, until, World } from './simulation/sim-world.js';

const checkpointAt = (journalOffset: number) => ({ journalOffset, commandOffset: journalOffset, epoch: 1 });
const LONG = { stageMs: 60_000, stageRecordsMax: 1_000, stageBytesMax: 1 << 20 };
const completed = { kind: 'WorkflowCompleted', result: 'ok' } as const;

async function stored(store: MemoryKvStore): Promise<number | undefined> {
  const raw = await store.get(checkpointKey(P));
  return raw === undefined
    ? undefined
    : (JSON.parse(raw.toString('utf8')) as { journalOffset: number }).journalOffset;
}

async function opened(): Promise<{ store: MemoryKvStore; cache: PartitionCache }> {
  const store = new MemoryKvStore();
  await store.open();
  return { store, cache: new PartitionCache(store, P) };
}

/** Stages one tick of workflow `a`: `bodies` applied by `b`, with the checkpoint at `offset`. */
function stageTick(
  cache: PartitionCache,
  b: Batcher,
  offset: number,
  bodies: readonly RecordBody[],
  limits: StageLimits,
): Promise<void> {
  return cache.stage(b.batch(bodies.map((body) => ['a', body] as const)), checkpointAt(offset), limits);
}

/** A store whose writes fail from the `failFrom`-th on (counting from 0), and which counts them. */
class FailingStore extends MemoryKvStore {
  writes = 0;
  constructor(private readonly failFrom: number) {
    super();
  }
  override async write(ops: readonly KvOp[]): Promise<void> {
    if (this.writes++ >= this.failFrom) throw new Error('disk full');
    await super.write(ops);
  }
}

describe('staged cache writes', () => {
  it('writes a workflow that starts and ends within one staged batch as its summary only', async () => {
    for (const stageMs of [0, 60_000]) {
      const { store, cache } = await opened();
      const b = new Batcher();
      const limits = { ...LONG, stageMs };
      await stageTick(cache, b, 1, [started, stepStarted(1)], limits);
      await stageTick(cache, b, 3, [stepDone(1), stepStarted(2)], limits);
      await stageTick(cache, b, 5, [stepDone(2), completed], limits);
      await cache.applied();
      expect(await stored(store)).toBe(5);
      expect(await keysOf(store, Tag.done)).toHaveLength(1);
      expect(await keysOf(store, Tag.workflow)).toEqual([]);
      const leftovers = [Tag.history, Tag.purge].map((tag) => keysOf(store, tag));
      const [history, purge] = await Promise.all(leftovers);
      if (stageMs === 0) {
        // written tick by tick: the history was written, and is queued for deletion
        expect(history).toHaveLength(4);
        expect(purge).toHaveLength(1);
      } else {
        expect(history).toEqual([]);
        expect(purge).toEqual([]);
      }
    }
  });

  it('queues the earlier history of a workflow that ends in a staged batch, and leaves no fired timer', async () => {
    const { store, cache } = await opened();
    const b = new Batcher();
    await stageTick(cache, b, 2, [started, stepStarted(1)], LONG);
    await cache.applied(); // seqs 1–2 written as history
    await stageTick(cache, b, 4, [stepDone(1), sleep(2, T0 + 10)], LONG);
    const fired = { kind: 'TimerFired', timerId: 'sleep:2', callSeq: 2 } as const;
    await stageTick(cache, b, 6, [fired, completed], LONG);
    await cache.applied();
    expect(await keysOf(store, Tag.history)).toHaveLength(2); // the staged seqs 3–6 were never written
    const [purge] = await Promise.all([store.get(workflowKey(Tag.purge, P, 'a'))]);
    expect(purge === undefined ? undefined : parsePurgeValue(purge)).toEqual({ fromSeq: 1, throughSeq: 2 });
    expect(await keysOf(store, Tag.timer)).toEqual([]);
    expect(await keysOf(store, Tag.workflow)).toEqual([]);
  });

  it('writes nothing for a read of ids it does not stage, and writes for a read of the timer index', async () => {
    const { store, cache } = await opened();
    const b = new Batcher();
    await stageTick(cache, b, 2, [started, sleep(1, T0 + 10)], LONG);
    expect(await cache.workflows(['b'])).toEqual(new Map());
    expect((await cache.workflows(Array.from({ length: 20 }, (_, i) => `x${i}`))).size).toBe(0); // the async path
    expect(await cache.history('b')).toEqual([]);
    expect(await stored(store)).toBeUndefined();
    expect(await cache.timersFrom(undefined, 10)).toMatchObject([{ workflowId: 'a', fireAtMs: T0 + 10 }]);
    expect(await stored(store)).toBe(2);
  });

  it('writes at once when the staged batch reaches stageBytesMax', async () => {
    const { store, cache } = await opened();
    const limits = { ...LONG, stageBytesMax: 1 };
    await stageTick(cache, new Batcher(), 1, [started], limits);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stored(store)).toBe(1);
  });

  it('reads what is staged before it is written, through the owner cache and the node', async () => {
    const store = new MemoryKvStore();
    const node = new NodeCache(store);
    await node.open();
    const cache = node.owned(P);
    const b = new Batcher();
    await stageTick(cache, b, 7, [started, stepStarted(1)], LONG);
    expect(await stored(store)).toBeUndefined(); // staged, not written
    const found = (await node.partition(P).workflows(['a'])).get('a');
    expect(found).toMatchObject({ kind: 'running', state: { lastSeq: 2 } });
    await stageTick(cache, b, 8, [stepDone(1)], LONG);
    expect(await node.partition(P).checkpoint()).toMatchObject({ journalOffset: 8 });
    expect(await stored(store)).toBe(8);
  });

  it('writes a staged batch stageMs after its first tick, without a read', async () => {
    const { store, cache } = await opened();
    await stageTick(cache, new Batcher(), 1, [started], { ...LONG, stageMs: 20 });
    expect(await stored(store)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await stored(store)).toBe(1);
  });

  it('writes at once when the staged batch reaches stageRecordsMax', async () => {
    const { store, cache } = await opened();
    const b = new Batcher();
    const limits = { ...LONG, stageRecordsMax: 3 };
    await stageTick(cache, b, 2, [started, stepStarted(1)], limits);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stored(store)).toBeUndefined(); // 2 records: under the limit
    await stageTick(cache, b, 3, [stepDone(1)], limits);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stored(store)).toBe(3); // 3 records: written without a read or the timer
  });

  it('writes a state as it was when staged, whatever happens to the object afterwards', async () => {
    const { store, cache } = await opened();
    const b = new Batcher();
    await stageTick(cache, b, 2, [started, stepStarted(1)], LONG);
    const ws = b.state.get('a');
    if (ws === undefined) throw new Error('no state');
    ws.lastSeq = 99; // a later tick's change, one that failed and was rolled back
    await cache.applied();
    const raw = await store.get(workflowKey(Tag.workflow, P, 'a'));
    expect(raw === undefined ? undefined : decodeState(raw).lastSeq).toBe(2);
  });

  it("rejects the next stage and the owner's reads after a failed write, and writes nothing more", async () => {
    const store = new FailingStore(0);
    await store.open();
    const cache = new PartitionCache(store, P);
    const b = new Batcher();
    await stageTick(cache, b, 1, [started], { ...LONG, stageMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the timer's write fails
    await expect(cache.stage(b.batch([['a', stepStarted(1)]]), checkpointAt(2), LONG)).rejects.toThrow(
      'disk full',
    );
    await expect(cache.applied()).rejects.toThrow('disk full');
    await expect(cache.workflows(['a'])).rejects.toThrow('disk full'); // not the store's stale answer
    await expect(cache.history('a')).rejects.toThrow('disk full');
    await expect(cache.timersFrom(undefined, 10)).rejects.toThrow('disk full');
    expect(cache.writeFailed).toBe(true);
    expect(await cache.checkpoint()).toMatchObject({ journalOffset: -1 }); // the next owner's read answers
    expect(store.writes).toBe(1);
    expect(await stored(store)).toBeUndefined();
  });

  it("drops an older owner's staged batch when a newer owner takes the partition on the node", async () => {
    const store = new MemoryKvStore();
    const node = new NodeCache(store);
    await node.open();
    const older = node.owned(P);
    await stageTick(older, new Batcher(), 1, [started], LONG);
    const newer = node.owned(P);
    await older.applied();
    expect(await stored(store)).toBeUndefined();
    expect(node.partition(P)).toBe(newer);
  });

  it("catches up an owner's staged ticks from the journal when its node died before writing them", async () => {
    const world = new World();
    const node = await world.node();
    const first = await world.owner(node, { cacheStageMs: 60_000 }, 'node-a');
    world.start('a', 3);
    world.feed(first.owner);
    await until(() => world.ended('a'));
    const second = await world.owner(node, {}, 'node-a'); // the node's restart: the staged ticks are lost
    await first.owner.stop();
    const log = world.kafka.log(SIM_TOPICS.journal, SIM_P);
    const aEnd = log.findIndex(
      (m) => m.value !== null && decodeRecord(m.value).body.kind === 'WorkflowCompleted',
    );
    const { cachedCheckpoint, catchUpRecords } = second.owner.stats;
    expect(cachedCheckpoint).toBeLessThan(aEnd); // the ticks staged after it never reached the store,
    const aAfter = log.filter(
      (m, offset) =>
        offset > cachedCheckpoint && m.value !== null && decodeRecord(m.value).workflowId === 'a',
    );
    expect(aAfter.length).toBeGreaterThan(0);
    expect(catchUpRecords).toBeGreaterThanOrEqual(aAfter.length); // so they came from the journal
    world.start('b', 2);
    world.feed(second.owner);
    await until(() => world.ended('b'));
    const done = await node.partition(SIM_P).workflows(['a', 'b']);
    expect([done.get('a')?.kind, done.get('b')?.kind]).toEqual(['done', 'done']);
    expect(world.journal().filter((r) => r.body.kind === 'WorkflowCompleted')).toHaveLength(2);
    await second.owner.stop();
  });
});
