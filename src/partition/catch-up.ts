/**
 * Catch-up (DESIGN §3): fold every journal record from the cache's checkpoint up to a given offset into
 * the cache, in batches. A new owner catches up to its own claim (owner.ts); an owner whose write failed
 * in an unknown way catches up to the journal's end (owner-failure.ts).
 *
 * I1. The same `applyRecord` as live processing folds each record, and the same CacheChanges writes it,
 *     so a new owner reaches exactly the state the old one had.
 * I2. The epoch rule (records.ts I4) decides which records count: a record stamped with an epoch older
 *     than the latest claim before it is a fenced owner's late write and is skipped.
 * I3. Command positions are journaled (CommandsConsumed): the next command offset is the highest one seen.
 * I4. Resumable and bounded: every `batchRecordsMax` records (and at every batch Kafka hands over) the
 *     states and the checkpoint are written together, so an interrupted catch-up resumes from there and
 *     memory holds one batch's states, never the partition's. It fails only when the journal stalls
 *     (`stallMs` without a batch), never because the whole took long.
 * I5. A checkpoint's `confirmedOffset` is kept: records the cache got from single-produce ticks stay
 *     unconfirmed until an owner's claim checks them (claim.ts I4) or a transaction confirms them.
 */
import type { CacheChanges, Checkpoint, PartitionCache } from '../cache/index.js';
import { CacheChanges as Changes } from '../cache/index.js';
import { decodeRecord, EpochFilter, type JournalRecord } from '../journal/index.js';
import { applyRecord, type WorkflowState } from '../machine/index.js';
import type { JournalMessage, JournalReader } from './ports.js';

/** What a catch-up did. */
export interface CatchUpResult {
  readonly checkpoint: Checkpoint;
  /** Records folded (partition records and void ones not counted). */
  readonly records: number;
  /** Records skipped as void: written by a fenced owner after a later claim (I2). */
  readonly voided: number;
}

/** Inputs of {@link catchUp}. */
export interface CatchUpDeps {
  readonly cache: PartitionCache;
  readonly reader: JournalReader;
  readonly partition: number;
  readonly batchRecordsMax: number;
  readonly stallMs: number;
  readonly signal?: AbortSignal;
  /** Told of each batch written, with the states it changed (the owner refreshes what it holds). */
  readonly onBatch?: (changes: CacheChanges) => void;
  /** Told where catch-up stands: the last journal offset folded, and the offset it reads to (exclusive). */
  readonly onProgress?: (journalOffset: number, to: number) => void;
}

/** A batch being folded: the states it touched and the cache changes it makes. */
class Batch {
  readonly states = new Map<string, WorkflowState>();
  readonly changes: Changes;
  records = 0;
  lastOffset = -1;

  constructor(partition: number) {
    this.changes = new Changes(partition);
  }
}

/** Folds journal [checkpoint + 1, to) into the cache (I1–I4). */
export async function catchUp(deps: CatchUpDeps, to: number): Promise<CatchUpResult> {
  let checkpoint = await deps.cache.checkpoint();
  const start = checkpoint.journalOffset + 1;
  const epochs = new EpochFilter(checkpoint.epoch);
  let records = 0;
  deps.onProgress?.(checkpoint.journalOffset, to);
  if (to > start) {
    await deps.reader.readRange(
      start,
      to,
      async (messages) => {
        for (let i = 0; i < messages.length; i += deps.batchRecordsMax) {
          const slice = messages.slice(i, i + deps.batchRecordsMax);
          const result = await foldBatch(deps, slice, epochs, checkpoint);
          checkpoint = result.checkpoint;
          records += result.records;
          deps.onProgress?.(checkpoint.journalOffset, to);
        }
      },
      { stallMs: deps.stallMs, ...(deps.signal === undefined ? {} : { signal: deps.signal }) },
    );
  }
  return { checkpoint, records, voided: epochs.voidCount };
}

/** Folds one batch and writes it with its checkpoint (I4). */
async function foldBatch(
  deps: CatchUpDeps,
  messages: readonly JournalMessage[],
  epochs: EpochFilter,
  before: Checkpoint,
): Promise<{ checkpoint: Checkpoint; records: number }> {
  const batch = new Batch(deps.partition);
  let commandOffset = before.commandOffset;
  const decoded: { record: JournalRecord; message: JournalMessage }[] = [];
  for (const message of messages) {
    batch.lastOffset = message.offset;
    if (message.value === null) continue;
    const record = decodeRecord(message.value);
    if (!epochs.accept(record, message.offset)) continue; // I2
    if (record.body.kind === 'CommandsConsumed')
      commandOffset = Math.max(commandOffset, record.body.nextOffset); // I3
    if (record.workflowId !== '') decoded.push({ record, message });
  }
  await load(
    deps.cache,
    batch,
    decoded.map((d) => d.record.workflowId),
  );
  for (const { record, message } of decoded) {
    const ws = applyRecord(batch.states, record, batch.changes); // I1
    if (ws !== undefined && message.value !== null)
      batch.changes.record(ws, record, message.value, message.offset);
    batch.records++;
  }
  const confirmed = before.confirmedOffset; // I5
  const checkpoint = {
    journalOffset: batch.lastOffset,
    commandOffset,
    epoch: epochs.current,
    ...(confirmed === undefined ? {} : { confirmedOffset: confirmed }),
  };
  await deps.cache.write(batch.changes, checkpoint);
  deps.onBatch?.(batch.changes);
  return { checkpoint, records: batch.records };
}

/** Loads the cached states of the ids a batch names (running and finished ones alike). */
async function load(cache: PartitionCache, batch: Batch, ids: readonly string[]): Promise<void> {
  const wanted = [...new Set(ids)].filter((id) => !batch.states.has(id));
  for (const [id, cached] of await cache.workflows(wanted)) batch.states.set(id, cached.state);
}
