/**
 * Catch-up on taking a partition (DESIGN §3): load the cache, claim the partition with an OwnerClaimed
 * record, then fold every journal record from the cached checkpoint up to that claim.
 *
 * I1. The claim is written by the already-fenced producer, so it is the last record of the partition when
 *     it commits: reading until it arrives means reading everything any earlier owner committed.
 * I2. The same `applyRecord` as live processing folds each record (a new owner reaches the old one's state).
 * I3. States and the checkpoint (the claim's offset) are written to the cache together, before any input.
 * I4. Command positions are journaled (CommandsConsumed, in the same transaction as the records the
 *     commands caused), so the next command offset is the highest one the journal holds — fresher than the
 *     consumer group's, which is committed only now and then.
 * I5. The epoch rule (records.ts I4) decides which records count: a record stamped with an epoch older
 *     than the latest claim before it is a fenced owner's late write and is skipped. This owner's epoch is
 *     its own claim's offset + 1.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { StateCache } from '../cache/index.js';
import {
  decodeRecord,
  EpochFilter,
  epochOfClaimAt,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
} from '../journal/index.js';
import { readPartitions, type TickWriter, type TopicNames } from '../kafka/index.js';
import { applyRecord, assertBug, type PartitionState, type WorkflowState } from '../machine/index.js';
import { journalMessage } from './messages.js';

/** What catch-up produced. */
export interface CatchUpResult {
  readonly state: PartitionState;
  /** Journal offset of this owner's claim: everything up to it is folded into `state`. */
  readonly checkpoint: number;
  /** Records read from the journal (not counting the claim); 0 when the cache was current. */
  readonly recordsReplayed: number;
  /** Next command offset the journal accounts for (the highest CommandsConsumed seen, or the cached one). */
  readonly commandOffset: number;
  /** This owner's epoch (its claim's offset + 1), stamped on every record it writes (I5). */
  readonly epoch: number;
  /** Records skipped as void: written by a fenced owner after a later claim (I5). */
  readonly recordsVoid: number;
  readonly cachedCheckpoint: number;
}

/** Inputs of {@link catchUp}. */
export interface CatchUpDeps {
  readonly kafka: Kafka;
  readonly cache: StateCache;
  readonly writer: TickWriter;
  readonly topics: TopicNames;
  readonly partition: number;
  readonly executorId: string;
  readonly groupPrefix: string;
  readonly timeoutMs: number;
}

/** Loads, claims and folds the journal up to the claim (I1–I3). */
export async function catchUp(deps: CatchUpDeps): Promise<CatchUpResult> {
  const { partition: p, topics } = deps;
  const cached = await deps.cache.load(p);
  const state: PartitionState = new Map(cached.workflows.map((ws) => [ws.id, ws]));
  const claim: JournalRecord = {
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    workflowId: '',
    seq: 0,
    atMs: Date.now(),
    body: { kind: 'OwnerClaimed', partition: p, claimId: randomUUID(), executorId: deps.executorId },
  };
  const offsets = await deps.writer.write([journalMessage(claim, topics, p)], undefined);
  const claimOffset = offsets.get(`${topics.journal}:${p}`);
  assertBug(claimOffset !== undefined && claimOffset >= 0, `no offset for the claim of partition ${p}`);

  const changed = new Map<string, WorkflowState>();
  let recordsReplayed = 0;
  let commandOffset = cached.checkpoint.commandOffset;
  const epochs = new EpochFilter(cached.checkpoint.epoch); // I5
  if (claimOffset > cached.checkpoint.journalOffset + 1) {
    await readPartitions(deps.kafka, {
      topic: topics.journal,
      from: new Map([[p, cached.checkpoint.journalOffset + 1]]),
      groupPrefix: deps.groupPrefix,
      timeoutMs: deps.timeoutMs,
      onMessage: (_, message) => {
        if (Number(message.offset) >= claimOffset) return true; // I1
        assertBug(message.value !== null, `empty journal record at ${topics.journal}:${p}@${message.offset}`);
        const record = decodeRecord(message.value);
        if (!epochs.accept(record, Number(message.offset))) return false; // a fenced owner's write (I5)
        if (record.body.kind === 'OwnerClaimed') return false;
        if (record.body.kind === 'CommandsConsumed') {
          commandOffset = Math.max(commandOffset, record.body.nextOffset);
          return false;
        }
        recordsReplayed++;
        const ws = applyRecord(state, record); // I2
        if (ws !== undefined) changed.set(ws.id, ws);
        return false;
      },
    });
  }
  const epoch = epochOfClaimAt(claimOffset);
  await deps.cache.write(p, changed.values(), { journalOffset: claimOffset, commandOffset, epoch }); // I3
  return {
    state,
    checkpoint: claimOffset,
    epoch,
    recordsReplayed,
    recordsVoid: epochs.voidCount,
    commandOffset,
    cachedCheckpoint: cached.checkpoint.journalOffset,
  };
}
