/**
 * Reads a whole journal topic as it stands now, read_committed, decoded: for audits, tools, tests and
 * benchmarks. The end is the high watermark taken at the start, so records written meanwhile may or may
 * not be included. Void records (the epoch rule, records.ts I4) are left out.
 */
import type { Kafka } from 'kafkajs';
import { decodeRecord, EpochFilter, type JournalRecord } from '../journal/index.js';
import { readPartitions } from './partition-reader.js';

/** Every record of `topic` (all partitions), in offset order per partition. */
export async function scanJournal(
  kafka: Kafka,
  topic: string,
  groupPrefix: string,
  stallMs = 30_000,
): Promise<JournalRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const from = new Map([...ends.keys()].map((p) => [p, 0]));
  const records: JournalRecord[] = [];
  const epochs = new Map([...ends.keys()].map((p) => [p, new EpochFilter()]));
  await readPartitions(kafka, {
    topic,
    from,
    ends,
    groupPrefix,
    stallMs,
    onBatch: (partition, messages) => {
      for (const message of messages) {
        if (message.value === null) continue;
        const record = decodeRecord(message.value);
        if (epochs.get(partition)?.accept(record, Number(message.offset)) !== false) records.push(record);
      }
    },
  });
  return records;
}
