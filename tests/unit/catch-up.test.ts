/**
 * Proves catch-up (catch-up.ts I1–I4) on in-memory Kafka (SimKafka, SimReader and a reader of fixed-size
 * batches) and a PartitionCache on a MemoryKvStore, with journal records written by the real codec:
 *   - the cache ends with exactly the states, histories and timer index that folding the same records with
 *     applyRecord in memory gives (I1), whatever the reader's batches and `batchRecordsMax`;
 *   - a checkpoint is written at least every `batchRecordsMax` records (exactly there when Kafka hands over
 *     everything at once), so a catch-up interrupted after N batches — an abort from inside `onBatch`, or a
 *     reader that fails — leaves the checkpoint at its last written batch, and the next catch-up reads only
 *     the rest (I4);
 *   - a read that stalls fails with the reader's retriable error after `stallMs` and leaves the checkpoint
 *     where it was (I4);
 *   - a fenced owner's late records (an older writerEpoch after a newer OwnerClaimed) are void, also when
 *     the catch-up resumes from a checkpoint taken after the newer claim (I2);
 *   - CommandsConsumed raises the checkpoint's commandOffset to the highest one seen, void ones aside (I3).
 */
import { describe, expect, it } from 'vitest';
import {
  type CacheChanges,
  type Checkpoint,
  EMPTY_CHECKPOINT,
  MemoryKvStore,
  PartitionCache,
} from '../../src/cache/index.js';
import {
  decodeRecord,
  EpochFilter,
  encodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type RecordBody,
} from '../../src/journal/index.js';
import { ReadStalledError } from '../../src/kafka/index.js';
import { applyRecord, type WorkflowState } from '../../src/machine/index.js';
import {
  catchUp,
  type JournalMessage,
  type JournalReader,
  type ReadOptions,
} from '../../src/partition/index.js';
import { VirtualClock } from './simulation/sim-clock.js';
import { SimKafka, SimReader } from './simulation/sim-kafka.js';

const P = 0;
const TOPIC = 'cu.journal';
const T0 = 1_700_000_000_000;
const STALL_MS = 30_000;

/** A PartitionCache that remembers every checkpoint it wrote. */
class RecordingCache extends PartitionCache {
  readonly written: Checkpoint[] = [];

  override async write(changes: CacheChanges, checkpoint: Checkpoint): Promise<void> {
    await super.write(changes, checkpoint);
    this.written.push(checkpoint);
  }
}

/** Writes journal records into the sim's journal partition, numbering each workflow's seq. */
class Journal {
  readonly kafka = new SimKafka(1, () => 0);
  private readonly seqs = new Map<string, number>();
  epoch = 0;

  constructor() {
    this.kafka.createTopic(TOPIC, 1);
  }

  get end(): number {
    return this.kafka.log(TOPIC, P).length;
  }

  /** Appends one record of `workflowId` ('' for partition records) stamped with `writerEpoch` (0: none). */
  private append(workflowId: string, seq: number, body: RecordBody, writerEpoch: number): number {
    const offset = this.end;
    const envelope = { schemaVersion: JOURNAL_SCHEMA_VERSION, workflowId, seq, atMs: T0 + seq, body };
    const record: JournalRecord = writerEpoch > 0 ? { ...envelope, writerEpoch } : envelope;
    const key = workflowId === '' ? null : workflowId;
    this.kafka.append([{ topic: TOPIC, partition: P, key, value: encodeRecord(record) }]);
    return offset;
  }

  claim(executorId: string): number {
    const offset = this.append(
      '',
      0,
      { kind: 'OwnerClaimed', partition: P, claimId: executorId, executorId },
      0,
    );
    this.epoch = offset + 1;
    return offset;
  }

  consumed(nextOffset: number, epoch = this.epoch): void {
    this.append('', 0, { kind: 'CommandsConsumed', partition: P, nextOffset }, epoch);
  }

  /** Appends the next record of `id`; a `late` one (a fenced writer's) takes the next seq without using it up. */
  add(id: string, body: RecordBody, epoch = this.epoch, late = false): void {
    const seq = (this.seqs.get(id) ?? 0) + 1;
    if (!late) this.seqs.set(id, seq);
    this.append(id, seq, body, epoch);
  }

  /** Workflow records (not partition ones) in [from, to). */
  workflowRecords(from = 0, to = this.end): number {
    return this.kafka
      .log(TOPIC, P)
      .slice(from, to)
      .filter((m) => m.value !== null && decodeRecord(m.value).workflowId !== '').length;
  }
}

/** The bodies of workflow `i`: a step, a sleep, then it ends (i % 3 = 0), sleeps on, or gets a signal. */
function script(i: number): RecordBody[] {
  const bodies: RecordBody[] = [
    { kind: 'WorkflowStarted', workflow: 'w', input: { i }, idempotencyKey: null, parent: null, trace: null },
    { kind: 'StepStarted', callSeq: 1, name: 'a', attempt: 1, parentSeq: 0 },
    {
      kind: 'StepCompleted',
      callSeq: 1,
      name: 'a',
      result: `é${i}`,
      attempt: 1,
      startedAtMs: T0,
      durationMs: 2,
    },
    {
      kind: 'TimerScheduled',
      timerId: 'sleep:2',
      callSeq: 2,
      purpose: 'sleep',
      fireAtMs: T0 + i * 1_000,
      parentSeq: 0,
    },
  ];
  if (i % 3 === 0)
    bodies.push(
      { kind: 'TimerFired', timerId: 'sleep:2', callSeq: 2 },
      { kind: 'WorkflowCompleted', result: i },
    );
  if (i % 3 === 2) bodies.push({ kind: 'SignalReceived', name: 'go', payload: { i } });
  return bodies;
}

/** Writes `count` workflows' scripts, interleaved round by round, with a CommandsConsumed every round. */
function writeWorkflows(journal: Journal, count: number, first = 0): string[] {
  const ids = Array.from({ length: count }, (_, k) => `wf-${first + k}`);
  const scripts = ids.map((_, k) => script(first + k));
  for (let round = 0; scripts.some((s) => s[round] !== undefined); round++) {
    for (const [k, id] of ids.entries()) {
      const body = scripts[k]?.[round];
      if (body !== undefined) journal.add(id, body);
    }
    journal.consumed(100 * (first + 1) + round);
  }
  return ids;
}

/** The journal folded in memory with the epoch rule: what the cache must hold. */
function foldInMemory(journal: Journal) {
  const states = new Map<string, WorkflowState>();
  const history = new Map<string, Buffer[]>();
  const filter = new EpochFilter();
  let commandOffset = 0;
  for (const [offset, m] of journal.kafka.log(TOPIC, P).entries()) {
    if (m.value === null) continue;
    const record = decodeRecord(m.value);
    if (!filter.accept(record, offset)) continue;
    if (record.body.kind === 'CommandsConsumed')
      commandOffset = Math.max(commandOffset, record.body.nextOffset);
    if (record.workflowId === '') continue;
    applyRecord(states, record);
    history.set(record.workflowId, [...(history.get(record.workflowId) ?? []), m.value]);
  }
  const checkpoint = { journalOffset: journal.end - 1, commandOffset, epoch: filter.current };
  return { states, history, checkpoint, voided: filter.voidCount };
}

/** Asserts the cache holds exactly what the in-memory fold gives (I1). */
async function expectCacheMatches(cache: PartitionCache, journal: Journal): Promise<void> {
  const expected = foldInMemory(journal);
  expect(await cache.checkpoint()).toEqual(expected.checkpoint);
  const cached = await cache.workflows([...expected.states.keys()]);
  const timers: string[] = [];
  for (const [id, state] of expected.states) {
    const entry = cached.get(id);
    expect(entry?.kind).toBe(state.status === 'running' ? 'running' : 'done');
    expect(entry?.state).toEqual(state);
    if (entry?.kind === 'running') expect(await cache.history(id)).toEqual(expected.history.get(id));
    for (const t of state.timers.values()) timers.push(`${id}/${t.timerId}@${t.fireAtMs}`);
  }
  const indexed = (await cache.timersFrom(undefined, 1_000)).map(
    (t) => `${t.workflowId}/${t.timerId}@${t.fireAtMs}`,
  );
  expect(indexed.sort()).toEqual(timers.sort());
}

/** Reads the sim's journal in batches of `size`; can fail or stall after some batches; counts what it read. */
class BatchReader implements JournalReader {
  readonly ranges: [number, number][] = [];
  delivered = 0;
  stallMsSeen: number | undefined;
  stalling = false;

  constructor(
    private readonly journal: Journal,
    private readonly size: number,
    private readonly faults: { failAfter?: number; stallAfter?: number; clock?: VirtualClock } = {},
  ) {}

  async readRange(
    from: number,
    to: number,
    onBatch: (messages: readonly JournalMessage[]) => Promise<void>,
    options: ReadOptions,
  ): Promise<void> {
    this.ranges.push([from, to]);
    this.stallMsSeen = options.stallMs;
    const log = this.journal.kafka.log(TOPIC, P);
    let batches = 0;
    for (let offset = from; offset < to; offset += this.size) {
      if (options.signal?.aborted === true) throw new Error('read stopped');
      if (batches === this.faults.failAfter) throw new Error('broker went away');
      if (batches === this.faults.stallAfter) await this.stall(options.stallMs);
      const batch = log
        .slice(offset, Math.min(to, offset + this.size))
        .map((m, i) => ({ offset: offset + i, value: m.value }));
      this.delivered += batch.length;
      batches++;
      await onBatch(batch);
    }
  }

  /** No batch comes: fail as the Kafka reader does once `stallMs` passed (partition-reader.ts I5). */
  private stall(stallMs: number): Promise<never> {
    this.stalling = true;
    return new Promise((_, reject) => {
      this.faults.clock?.setTimer(() => reject(new ReadStalledError(`no batch for ${stallMs} ms`)), stallMs);
    });
  }

  async endOffset(): Promise<number> {
    return this.journal.end;
  }
}

function deps(cache: PartitionCache, reader: JournalReader, batchRecordsMax: number, extra = {}) {
  return { cache, reader, partition: P, batchRecordsMax, stallMs: STALL_MS, ...extra };
}

const newCache = (): RecordingCache => new RecordingCache(new MemoryKvStore(), P);
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A journal: a claim, then 12 interleaved workflows with a CommandsConsumed per round. */
function sampleJournal(): Journal {
  const journal = new Journal();
  journal.claim('node-a');
  writeWorkflows(journal, 12);
  return journal;
}

describe('catch-up folds the journal into the cache (I1, I4)', () => {
  const readers: [string, (j: Journal) => JournalReader][] = [
    ['SimReader (batches of 7)', (j) => new SimReader(j.kafka, TOPIC, P)],
    ['one batch of everything', (j) => new BatchReader(j, 10_000)],
    ['batches of 2', (j) => new BatchReader(j, 2)],
  ];
  const cases = readers.flatMap(([name, reader]) => [1, 5, 50].map((max) => [name, max, reader] as const));

  it.each(cases)(
    '%s, batchRecordsMax %i: the cache equals the in-memory fold',
    async (_name, max, reader) => {
      const journal = sampleJournal();
      const cache = newCache();
      const result = await catchUp(deps(cache, reader(journal), max), journal.end);
      await expectCacheMatches(cache, journal);
      expect(result.records).toBe(journal.workflowRecords());
      expect(result.voided).toBe(0);
      const offsets = [-1, ...cache.written.map((c) => c.journalOffset)];
      for (let i = 1; i < offsets.length; i++)
        expect((offsets[i] ?? 0) - (offsets[i - 1] ?? 0)).toBeLessThanOrEqual(max);
      expect(offsets.at(-1)).toBe(journal.end - 1);
    },
  );

  it('writes a checkpoint exactly every batchRecordsMax records of a large Kafka batch', async () => {
    const journal = sampleJournal();
    const cache = newCache();
    await catchUp(deps(cache, new BatchReader(journal, 10_000), 4), journal.end);
    const expected = Array.from({ length: Math.ceil(journal.end / 4) }, (_, i) =>
      Math.min(4 * i + 3, journal.end - 1),
    );
    expect(cache.written.map((c) => c.journalOffset)).toEqual(expected);
  });

  it.each([
    ['an abort from inside onBatch after 3 batches', 3, undefined],
    ['a reader that fails after 3 batches', undefined, 3],
  ])(
    '%s leaves the checkpoint at the last written batch; the next catch-up reads only the rest',
    async (_what, abortAfter, failAfter) => {
      const journal = sampleJournal();
      const cache = newCache();
      const controller = new AbortController();
      let batches = 0;
      const onBatch = (): void => {
        if (++batches === abortAfter) controller.abort();
      };
      const first = new BatchReader(journal, 3, failAfter === undefined ? {} : { failAfter });
      const extra = { signal: controller.signal, onBatch };
      await expect(catchUp(deps(cache, first, 2, extra), journal.end)).rejects.toThrow();
      const checkpoint = await cache.checkpoint();
      expect(checkpoint).toEqual(cache.written.at(-1));
      expect(checkpoint.journalOffset).toBe(first.delivered - 1);
      expect(checkpoint.journalOffset).toBeLessThan(journal.end - 1);
      const second = new BatchReader(journal, 3);
      const result = await catchUp(deps(cache, second, 2), journal.end);
      expect(second.ranges).toEqual([[checkpoint.journalOffset + 1, journal.end]]);
      expect(second.delivered).toBe(journal.end - checkpoint.journalOffset - 1);
      expect(result.records).toBe(journal.workflowRecords(checkpoint.journalOffset + 1));
      await expectCacheMatches(cache, journal);
    },
  );

  it('reads nothing when the cache is already at the target', async () => {
    const journal = sampleJournal();
    const cache = newCache();
    await catchUp(deps(cache, new BatchReader(journal, 5), 5), journal.end);
    const again = new BatchReader(journal, 5);
    const result = await catchUp(deps(cache, again, 5), journal.end);
    expect(again.delivered).toBe(0);
    expect(result.records).toBe(0);
    await expectCacheMatches(cache, journal);
  });
});

describe('a stalled read (I4)', () => {
  it.each([
    ['before any batch', 0],
    ['after 2 batches', 2],
  ])(
    'stalling %s fails retriably after stallMs and leaves the checkpoint where it was',
    async (_what, stallAfter) => {
      const journal = sampleJournal();
      const cache = newCache();
      const clock = new VirtualClock(T0);
      const reader = new BatchReader(journal, 4, { stallAfter, clock });
      const outcome = catchUp(deps(cache, reader, 4), journal.end).then(
        () => undefined,
        (error: unknown) => error,
      );
      while (!reader.stalling) await flush();
      const before = await cache.checkpoint();
      expect(reader.stallMsSeen).toBe(STALL_MS);
      clock.advance(STALL_MS - 1);
      await flush();
      expect(cache.written).toHaveLength(stallAfter);
      clock.advance(1);
      const error = await outcome;
      expect(error).toBeInstanceOf(ReadStalledError);
      expect((error as ReadStalledError).retriable).toBe(true);
      expect(await cache.checkpoint()).toEqual(before);
      expect(before).toEqual(stallAfter === 0 ? EMPTY_CHECKPOINT : cache.written.at(-1));
    },
  );
});

describe('the epoch rule and command positions (I2, I3)', () => {
  /** Owner A runs w-x, owner B claims, A's late records (epoch 1) interleave with B's. */
  function fencedJournal(): { journal: Journal; claimB: number; late: number } {
    const journal = new Journal();
    journal.claim('node-a');
    const a = journal.epoch;
    journal.add('w-x', script(1)[0] as RecordBody);
    journal.add('w-x', script(1)[1] as RecordBody);
    journal.consumed(5);
    const claimB = journal.claim('node-b');
    const lateDone: RecordBody = {
      kind: 'StepCompleted',
      callSeq: 1,
      name: 'a',
      result: 'from A',
      attempt: 1,
      startedAtMs: T0,
      durationMs: 1,
    };
    journal.add('w-x', lateDone, a, true);
    journal.consumed(99, a); // void: must not move the command position
    journal.add('w-y', script(2)[0] as RecordBody, a); // void: w-y never started
    journal.add('w-x', script(1)[2] as RecordBody);
    journal.consumed(3);
    journal.add('w-x', script(1)[3] as RecordBody);
    journal.consumed(9);
    return { journal, claimB, late: 3 };
  }

  it('voids a fenced owner late records and keeps the highest valid command offset', async () => {
    const { journal, claimB, late } = fencedJournal();
    const cache = newCache();
    const result = await catchUp(deps(cache, new SimReader(journal.kafka, TOPIC, P), 2), journal.end);
    expect(result.voided).toBe(late);
    expect(result.checkpoint).toEqual({
      journalOffset: journal.end - 1,
      commandOffset: 9,
      epoch: claimB + 1,
    });
    await expectCacheMatches(cache, journal);
    expect((await cache.workflows(['w-y'])).size).toBe(0);
    const positions = cache.written.map((c) => c.commandOffset);
    expect(positions).toEqual([...positions].sort((x, y) => x - y)); // never goes back
  });

  it('still voids them when resuming from a checkpoint taken right after the newer claim', async () => {
    const { journal, claimB, late } = fencedJournal();
    const cache = newCache();
    const first = new BatchReader(journal, 1, { failAfter: claimB + 1 });
    await expect(catchUp(deps(cache, first, 1), journal.end)).rejects.toThrow('broker went away');
    expect(await cache.checkpoint()).toEqual({ journalOffset: claimB, commandOffset: 5, epoch: claimB + 1 });
    const result = await catchUp(deps(cache, new BatchReader(journal, 1), 1), journal.end);
    expect(result.voided).toBe(late);
    await expectCacheMatches(cache, journal);
  });
});
