/**
 * One partition's view of the node's cache (DESIGN §6): its checkpoint, the states of its workflows, the
 * history of the running ones, its timer index, and the retention of finished summaries.
 *
 * I1. Reads are by key or by contiguous range (keys.ts I2); nothing here scans more than it returns,
 *     except `activeIds`, which scans the workflows that need their body now (O(active)), and
 *     `workflowsAfter`, which reads at most `limit` keys of each of its two ranges to return `limit`.
 * I2. Writes go through `write(changes, checkpoint)`: one atomic batch (cache-changes.ts I4).
 * I3. The cache is disposable: `clear` forgets the partition and the next owner rebuilds it from the journal.
 * I4. Writes are applied in the order they were made, and every read or write through this object waits
 *     for the writes made before it, so a caller need not await a write to read its own writes: the owner
 *     starts a tick's step attempts while the tick's batch is still on its way to LevelDB (owner-tick.ts
 *     I9). After a failed write every later write through this object fails with the same error without
 *     touching the store, so no checkpoint can cover changes that were lost; a new owner gets a new object.
 * I5. `workflows` reads the running ('w') and finished ('d') entries of its ids in one read. While no write
 *     of this object is in flight (so I4 holds without waiting) and it asks for at most
 *     `SYNC_READ_IDS_MAX` ids, it reads on the calling thread (kv-store.ts I5): the read for a new
 *     workflow's start was two trips through libuv's pool, ~0.3 ms of every sequential workflow. Larger
 *     reads stay off the event loop. An id the staged batch changed is read after that batch is written.
 * I6. The owner stages its committed ticks (`stage`, cache-writes.ts I2): they are written as one batch
 *     `stageMs` after the first, or before a read through this object that the batch changes (a staged
 *     workflow's entries or history, the timer index, any range or count), so readers (the admin surface
 *     too, node-cache.ts I2) see every staged change, and reads of other keys do not cost a write.
 *     Housekeeping (`expire`, `purge`) does not write it: nothing staged is old enough to expire, and a
 *     staged purge entry waits for a later round.
 * I7. After a failed write, the reads an owner acts on (`workflows`, history, timers, start offsets) throw
 *     its error instead of answering from a store that lacks what was lost; the owner fails
 *     (owner-tick.ts I9). `checkpoint` and range reads still answer, for the next owner and the admin.
 */

import type { WorkflowState } from '../machine/index.js';
import type { TimerEntry } from '../timers/index.js';
import { CacheChanges, type Checkpoint, EMPTY_CHECKPOINT } from './cache-changes.js';
import { expireSummaries, purgeHistories } from './cache-housekeeping.js';
import { CacheWrites, type StageLimits } from './cache-writes.js';
import {
  checkpointKey,
  historyRange,
  historyRangeFrom,
  idOfWorkflowKey,
  parseStartOffsetValue,
  parseTimerKey,
  partitionRange,
  Tag,
  timerRangeFrom,
  workflowKey,
  workflowRangeAfter,
} from './keys.js';
import type { KvStore } from './kv-store.js';
import { type DoneEntry, decodeDone, decodeState } from './state-codec.js';

/** Ids `workflows` reads on the calling thread, at most (I5). */
export const SYNC_READ_IDS_MAX = 8;

export { PURGE_QUEUE_READ_MAX } from './cache-housekeeping.js';

/** What the cache knows of one workflow id. */
export type CachedWorkflow =
  | { readonly kind: 'running'; readonly state: WorkflowState }
  | ({ readonly kind: 'done' } & DoneEntry);

/** Which per-workflow entries `workflowsAfter` reads: running ('w'), finished ('d'), or both merged. */
export type WorkflowEntryKinds = 'running' | 'done' | 'all';

/** One workflow as a range read finds it. */
export interface ListedWorkflow {
  readonly id: string;
  readonly cached: CachedWorkflow;
}

/** One record of a running workflow's cached history: its seq and its Kafka value. */
export interface CachedRecord {
  readonly seq: number;
  readonly value: Buffer;
}

/** A finished workflow's entry as reads answer it: a tombstone's state says where its outcome is. */
function doneWorkflow(p: number, value: Buffer): CachedWorkflow {
  const done = decodeDone(value);
  const archived = { partition: p, offset: done.terminalOffset };
  const state = done.tombstone && done.terminalOffset >= 0 ? { ...done.state, archived } : done.state;
  return { kind: 'done', ...done, state };
}

/** A partition's part of the cache. */
export class PartitionCache {
  /** Writes in order (I4) and the staged batch (I6). */
  private readonly writes: CacheWrites;

  constructor(
    private readonly store: KvStore,
    readonly partition: number,
  ) {
    this.writes = new CacheWrites(store, () => new CacheChanges(partition));
  }

  /** The partition's checkpoint, or the empty one. */
  async checkpoint(): Promise<Checkpoint> {
    await this.settled(); // I4
    const raw = await this.store.get(checkpointKey(this.partition));
    if (raw === undefined) return EMPTY_CHECKPOINT;
    return { ...EMPTY_CHECKPOINT, ...(JSON.parse(raw.toString('utf8')) as Partial<Checkpoint>) };
  }

  /** What the cache holds for each of `ids` (absent ids are not in the map). */
  async workflows(ids: readonly string[]): Promise<Map<string, CachedWorkflow>> {
    const p = this.partition;
    const keys = [
      ...ids.map((id) => workflowKey(Tag.workflow, p, id)),
      ...ids.map((id) => workflowKey(Tag.done, p, id)),
    ];
    let values: (Buffer | undefined)[];
    this.writes.check(); // I7
    if (ids.some((id) => this.writes.stages(id))) void this.writes.flush(); // I5
    if (!this.writes.writing && ids.length <= SYNC_READ_IDS_MAX) {
      values = this.store.getManySync(keys); // I5
    } else {
      await this.writes.written(); // I4: the staged batch does not hold these ids
      this.writes.check(); // I7
      values = await this.store.getMany(keys);
    }
    const found = new Map<string, CachedWorkflow>();
    for (const [i, id] of ids.entries()) {
      const running = values[i];
      const finished = values[ids.length + i];
      if (running !== undefined) found.set(id, { kind: 'running', state: decodeState(running) });
      else if (finished !== undefined) found.set(id, doneWorkflow(p, finished));
    }
    return found;
  }

  /**
   * Up to `limit` workflows whose ids sort after `afterId` (from the first when undefined), in id byte
   * order: running and stuck ones ('w'), finished ones ('d'), or both merged (I1). A workflow is in one of
   * the two at any time (a batch moves it atomically, cache-changes.ts I2), so a read resumed after the
   * last id returned meets each id once, even one that finished in between.
   */
  async workflowsAfter(
    afterId: string | undefined,
    limit: number,
    kinds: WorkflowEntryKinds,
  ): Promise<ListedWorkflow[]> {
    await this.settled(); // I4
    if (limit <= 0) return [];
    const p = this.partition;
    const running = kinds === 'done' ? [] : await this.keyRange(Tag.workflow, afterId, limit);
    const done = kinds === 'running' ? [] : await this.keyRange(Tag.done, afterId, limit);
    const out: ListedWorkflow[] = [];
    let r = 0;
    let d = 0;
    while (out.length < limit) {
      const a = running[r];
      const b = done[d];
      const order = a === undefined ? 1 : b === undefined ? -1 : Buffer.compare(a[0], b[0]);
      if (a !== undefined && order <= 0) {
        out.push({ id: a[0].toString('utf8'), cached: { kind: 'running', state: decodeState(a[1]) } });
        r++;
        if (order === 0) d++; // never both (see above); the running entry would be the newer
      } else if (b !== undefined) {
        out.push({ id: b[0].toString('utf8'), cached: doneWorkflow(p, b[1]) });
        d++;
      } else break;
    }
    return out;
  }

  /** Up to `limit` [id bytes, value] of `tag` after `afterId`. */
  private async keyRange(
    tag: typeof Tag.workflow | typeof Tag.done,
    afterId: string | undefined,
    limit: number,
  ): Promise<[Buffer, Buffer][]> {
    const out: [Buffer, Buffer][] = [];
    const range = { ...workflowRangeAfter(tag, this.partition, afterId), limit };
    for await (const [key, value] of this.store.entries(range)) out.push([key.subarray(5), value]);
    return out;
  }

  /** The journal offset of a workflow's WorkflowStarted, when this cache applied it (cache-changes.ts I5). */
  async startOffset(id: string): Promise<number | undefined> {
    await this.before(id);
    const value = await this.store.get(workflowKey(Tag.start, this.partition, id));
    return value === undefined ? undefined : parseStartOffsetValue(value);
  }

  /** Up to `limit` records of a running workflow's history from seq `fromSeq` on, in seq order. */
  async historyFrom(id: string, fromSeq: number, limit: number): Promise<CachedRecord[]> {
    await this.before(id);
    const out: CachedRecord[] = [];
    if (limit <= 0) return out;
    const range = { ...historyRangeFrom(this.partition, id, fromSeq), limit };
    for await (const [key, value] of this.store.entries(range))
      out.push({ seq: key.readUInt32BE(key.length - 4), value });
    return out;
  }

  /** The history of a running workflow: its journal records' Kafka values, in seq order. */
  async history(id: string): Promise<Buffer[]> {
    await this.before(id);
    const values: Buffer[] = [];
    for await (const [, value] of this.store.entries(historyRange(this.partition, id))) values.push(value);
    return values;
  }

  /**
   * Before a read of `id`'s keys: writes the staged batch if it changed `id` (I6), waits for the writes in
   * flight (I4), and throws if one failed (I7).
   */
  private async before(id: string): Promise<void> {
    if (this.writes.stages(id)) void this.writes.flush();
    await this.writes.written();
    this.writes.check();
  }

  /** Ids of the running workflows that need their body now (not wakeable; I1). */
  async *activeIds(): AsyncIterable<string> {
    await this.settled(); // I4
    for await (const [key] of this.store.entries(partitionRange(Tag.active, this.partition)))
      yield idOfWorkflowKey(key);
  }

  /** Up to `limit` pending timers from `from` on, in fire-time order (timer-queue.ts TimerSource). */
  async timersFrom(from: TimerEntry | undefined, limit: number): Promise<TimerEntry[]> {
    if (this.writes.stagesTimers) void this.writes.flush(); // I6
    await this.writes.written(); // I4
    this.writes.check(); // I7
    const out: TimerEntry[] = [];
    const range = { ...timerRangeFrom(this.partition, from), limit };
    for await (const [key] of this.store.entries(range)) out.push(parseTimerKey(key));
    return out;
  }

  /** How many timers the partition's index holds: O(pending timers), read once when an owner starts. */
  async countTimers(): Promise<number> {
    await this.settled(); // I4
    let n = 0;
    for await (const _ of this.store.entries(partitionRange(Tag.timer, this.partition))) n++;
    return n;
  }

  /** Writes one batch (I2), after every write made and staged before it (I4); resolves once it is applied. */
  write(changes: CacheChanges, checkpoint: Checkpoint): Promise<void> {
    void this.writes.flush();
    return this.writes.write(changes.toOps(checkpoint));
  }

  /**
   * Stages a committed tick's changes (I6); rejects when an earlier write failed, so that tick's owner
   * fails before anything later is cached (owner-tick.ts I9).
   */
  stage(changes: CacheChanges, checkpoint: Checkpoint, limits: StageLimits): Promise<void> {
    return this.writes.stage(changes, checkpoint, limits);
  }

  /** Writes what is staged, then resolves once every write made so far is applied; rejects if one failed (I4). */
  applied(): Promise<void> {
    return this.writes.applied();
  }

  /** Writes what is staged, then settles once every write has settled, applied or failed; never rejects (I4). */
  settled(): Promise<void> {
    return this.writes.settled();
  }

  /** True once a write through this object failed (I7). */
  get writeFailed(): boolean {
    return this.writes.failed;
  }

  /** A newer owner of the partition on this node took over: drop what is staged (cache-writes.ts I5). */
  retire(): void {
    this.writes.retire();
  }

  /**
   * Shrinks up to `limit` summaries of workflows that finished before `beforeMs` to tombstones; returns
   * how many (cache-housekeeping.ts).
   */
  async expire(beforeMs: number, limit: number): Promise<number> {
    await this.writes.written(); // I4, not I6: what is staged finished too recently to expire
    return expireSummaries(this.store, this.partition, beforeMs, limit);
  }

  /** Deletes up to `limit` history keys of finished workflows; returns how many (cache-housekeeping.ts). */
  async purge(limit: number): Promise<number> {
    await this.writes.written(); // I4, not I6: a staged queue entry is purged in a later round
    return purgeHistories(this.store, this.partition, limit);
  }

  /** Forgets everything cached for the partition (I3). */
  async clear(): Promise<void> {
    await this.settled(); // I4
    for (const tag of Object.values(Tag)) await this.store.clear(partitionRange(tag, this.partition));
  }
}
