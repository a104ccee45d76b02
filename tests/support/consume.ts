/**
 * Reads a topic from the beginning with a fresh consumer group until `until` holds, for assertions.
 * `readUncommitted: false` (KafkaJS's default) means READ_COMMITTED: aborted records are skipped.
 */
import type { KafkaMessage } from 'kafkajs';
import { createKafka } from '../../src/kafka/index.js';
import { uniqueNamespace } from './kafka.js';
import { waitFor } from './wait-for.js';

/** A consumed record with its partition. */
export interface Consumed {
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: string;
  readonly message: KafkaMessage;
}

/** Options for {@link consumeUntil}. */
export interface ConsumeOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly until: (records: readonly Consumed[]) => boolean;
  readonly readUncommitted?: boolean;
  readonly timeoutMs?: number;
}

/** Consumes `topic` from offset 0 until `until(records)` is true; returns every record seen. */
export async function consumeUntil(options: ConsumeOptions): Promise<Consumed[]> {
  const kafka = createKafka({ brokers: options.brokers, clientId: 'test-reader' });
  const consumer = kafka.consumer({
    groupId: uniqueNamespace('reader'),
    readUncommitted: options.readUncommitted ?? false,
    maxWaitTimeInMs: 100,
  });
  const records: Consumed[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          message,
        });
      },
    });
    await waitFor(() => options.until(records), {
      timeoutMs: options.timeoutMs ?? 30_000,
      message: `consumed ${records.length} records from ${options.topic} without meeting the condition`,
    });
    return records;
  } finally {
    await consumer.disconnect();
  }
}
