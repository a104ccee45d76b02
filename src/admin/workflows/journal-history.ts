/**
 * A finished workflow's history, read back from the journal: the cache purged its 'h' keys when it ended
 * (cache-changes.ts I2), but kept where it started ('s', cache-changes.ts I5) and where it ended (the 'd'
 * entry's terminal offset). This reads the workflow's partition between the two, read_committed, and keeps
 * the workflow's records from seq `fromSeq` on.
 *
 * I1. Bounded by the page: the read stops once it holds `limit + 1` records (one more than the page, to know
 *     whether another page follows), and never reads past the terminal record.
 * I2. The epoch rule (records.ts I4) applies: the filter starts at the epoch of the first record read (the
 *     WorkflowStarted, which is valid, so its writer's claim is the latest before it) and follows every
 *     OwnerClaimed after it, so void records of a fenced owner are left out as every reader leaves them.
 * I3. Records come back in offset order, which is seq order for one workflow.
 */
import type { Kafka } from 'kafkajs';
import { decodeRecord, EpochFilter, type JournalRecord } from '../../journal/index.js';
import { readPartitions } from '../../kafka/index.js';

/** Where to read one workflow's history in the journal. */
export interface JournalHistoryRequest {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupPrefix: string;
  readonly partition: number;
  readonly workflowId: string;
  /** Offset of its WorkflowStarted. */
  readonly startOffset: number;
  /** Offset of its terminal record (inclusive end). */
  readonly terminalOffset: number;
  readonly fromSeq: number;
  readonly limit: number;
  readonly stallMs: number;
}

/** Up to `limit + 1` records of the workflow from `fromSeq` on, in seq order (I1–I3). */
export async function readJournalHistory(request: JournalHistoryRequest): Promise<JournalRecord[]> {
  const { partition, workflowId, fromSeq, limit } = request;
  const records: JournalRecord[] = [];
  const stop = new AbortController();
  let epochs: EpochFilter | undefined;
  try {
    await readPartitions(request.kafka, {
      topic: request.topic,
      from: new Map([[partition, request.startOffset]]),
      ends: new Map([[partition, request.terminalOffset + 1]]),
      groupPrefix: request.groupPrefix,
      stallMs: request.stallMs,
      signal: stop.signal,
      onBatch: (_, messages) => {
        for (const message of messages) {
          if (stop.signal.aborted || message.value === null) continue;
          const record = decodeRecord(message.value);
          epochs ??= new EpochFilter(record.writerEpoch ?? 0); // I2
          if (!epochs.accept(record, Number(message.offset))) continue;
          if (record.workflowId !== workflowId || record.seq < fromSeq) continue;
          records.push(record);
          if (records.length > limit) stop.abort(); // I1
        }
      },
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error; // our own stop ends the read early; anything else is a failure
  }
  return records;
}
