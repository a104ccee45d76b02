/**
 * Streams a journal topic as it stands now, read_committed, decoded, partition by partition and batch by
 * batch: the reader under the journal tools (`logbook journal replay | verify | export`, `logbook list`)
 * and `scanJournal`. Nothing here keeps records: memory is one fetched batch, whatever the journal's length.
 *
 * I1. The end of each partition is its high watermark taken once at the start; records written meanwhile
 *     may or may not be included (the same contract as scanJournal).
 * I2. Partitions are read one after the other, in ascending order, so a caller that folds per workflow
 *     holds only the workflows of the partition being read (a workflow lives on exactly one partition).
 * I3. The epoch rule (records.ts I4) is applied per partition from offset 0: void records never reach
 *     the caller, but they count as read for progress.
 * I4. `onPartitionEnd` runs after the last record of a partition and before the next partition starts.
 * I5. A journal topic that does not exist is a JournalTopicMissingError at once, not KafkaJS's retries of
 *     an unknown topic-partition.
 */
import type { Kafka } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';
import { decodeRecord, EpochFilter, type JournalRecord } from '../journal/index.js';
import { readPartitions } from './partition-reader.js';

/** Where a partition's records start and end (high watermark) when the read begins (I1). */
export interface PartitionExtent {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

/** What a stream reports to its caller. */
export interface JournalStreamHandlers {
  /** One valid record (I3), in offset order within its partition. */
  readonly onRecord: (record: JournalRecord, partition: number, offset: number) => void | Promise<void>;
  /** After the last record of `partition` (I4). */
  readonly onPartitionEnd?: (partition: number) => void | Promise<void>;
  /** After each batch: messages read so far (valid, void and empty alike) and the total to read. */
  readonly onProgress?: (read: number, total: number) => void;
}

/** Options of {@link streamJournal}. */
export interface JournalStreamOptions {
  readonly topic: string;
  readonly groupPrefix: string;
  /** Only these partitions (say, the one partition of a workflow id); all when absent. */
  readonly partitions?: readonly number[];
  readonly stallMs: number;
  /** Bytes fetched per request (partition-reader.ts); a tool's peak memory is a few decoded fetches. */
  readonly maxBytesPerPartition?: number;
}

/** The journal topic does not exist: no executor ever ran in that namespace (I5). */
export class JournalTopicMissingError extends LogbookError {
  override readonly name = 'JournalTopicMissingError';
  constructor(topic: string) {
    super(
      ErrorCode.Kafka,
      `there is no journal topic ${topic}: no executor has run in that namespace (check --namespace or LOGBOOK_NAMESPACE).`,
    );
  }
}

/** The partitions of `topic` with their low and high watermarks now (I1, I5). */
export async function journalExtents(kafka: Kafka, topic: string): Promise<PartitionExtent[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new JournalTopicMissingError(topic); // I5
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets
      .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Reads the chosen partitions of a journal topic to their ends, handing each valid record on (I1–I4). */
export async function streamJournal(
  kafka: Kafka,
  options: JournalStreamOptions,
  handlers: JournalStreamHandlers,
): Promise<{ readonly records: number; readonly voided: number }> {
  const all = await journalExtents(kafka, options.topic);
  const wanted = options.partitions === undefined ? undefined : new Set(options.partitions);
  const extents = all.filter((e) => wanted === undefined || wanted.has(e.partition));
  const total = extents.reduce((sum, e) => sum + (e.high - e.low), 0);
  let read = 0;
  let records = 0;
  let voided = 0;
  handlers.onProgress?.(0, total);
  for (const extent of extents) {
    // The epoch in force needs every claim from offset 0 (I3); a truncated log (low > 0) starts at low.
    const epochs = new EpochFilter();
    await readPartitions(kafka, {
      topic: options.topic,
      from: new Map([[extent.partition, extent.low]]),
      ends: new Map([[extent.partition, extent.high]]),
      groupPrefix: options.groupPrefix,
      stallMs: options.stallMs,
      ...(options.maxBytesPerPartition === undefined
        ? {}
        : { maxBytesPerPartition: options.maxBytesPerPartition }),
      onBatch: async (partition, messages) => {
        for (const message of messages) {
          if (message.value === null) continue;
          const record = decodeRecord(message.value);
          const offset = Number(message.offset);
          if (!epochs.accept(record, offset)) {
            voided++;
            continue;
          }
          records++;
          await handlers.onRecord(record, partition, offset);
        }
        read += messages.length;
        handlers.onProgress?.(Math.min(read, total), total);
      },
    });
    await handlers.onPartitionEnd?.(extent.partition);
  }
  handlers.onProgress?.(total, total);
  return { records, voided };
}
