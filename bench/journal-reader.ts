/** Reads a whole journal topic (read_committed) into records grouped by workflow id. */
import type { Kafka } from 'kafkajs';
import { decodeRecord, type JournalRecord } from '../src/journal/index.js';
import { readPartitions } from '../src/kafka/index.js';

/** Every record of `topic`, by workflow id, in journal order. */
export async function readJournal(
  kafka: Kafka,
  topic: string,
  partitions: number,
  prefix: string,
): Promise<Map<string, JournalRecord[]>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  await admin.disconnect();
  const from = new Map<number, number>();
  for (let p = 0; p < partitions; p++) if ((ends.get(p) ?? 0) > 0) from.set(p, 0);
  const byId = new Map<string, JournalRecord[]>();
  await readPartitions(kafka, {
    topic,
    from,
    groupPrefix: prefix,
    timeoutMs: 120_000,
    onMessage: (partition, message) => {
      if (message.value !== null) {
        const record = decodeRecord(message.value);
        byId.set(record.workflowId, [...(byId.get(record.workflowId) ?? []), record]);
      }
      return Number(message.offset) >= (ends.get(partition) ?? 0) - 2;
    },
  });
  return byId;
}
