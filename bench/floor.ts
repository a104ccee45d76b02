/**
 * The raw-Kafka floor, measured in the same run as the engine: one plain KafkaJS transactional producer
 * doing what a naive engine tick does — produce a journal-sized record and commit it, with and without a
 * consumer-offset commit (`sendOffsets`) — back to back; one idempotent produce; and, for comparison,
 * Logbook's own TickWriter (two producers taking turns, docs/decisions.md D11).
 */
import type { Kafka } from 'kafkajs';
import { connectTransactionalProducer, retryConcurrentTransactions, TickWriter } from '../src/kafka/index.js';
import { percentiles } from './stats.js';

/** Floor figures, in milliseconds. */
export interface Floor {
  readonly rawTxnWithOffsetsMs: ReturnType<typeof percentiles>;
  readonly rawTxnMs: ReturnType<typeof percentiles>;
  readonly idempotentProduceMs: ReturnType<typeof percentiles>;
  readonly tickWriterTxnMs: ReturnType<typeof percentiles>;
}

async function time(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** Measures the floor with `runs` round trips of each kind. */
export async function measureFloor(kafka: Kafka, prefix: string, runs: number): Promise<Floor> {
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${prefix}.floor`;
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const messages = [{ key: 'k', value: Buffer.alloc(160, 7), partition: 0 }];

  const raw = await connectTransactionalProducer(kafka, { transactionalId: `${prefix}.floor-raw` });
  const withOffsets = await time(runs, async (i) => {
    const txn = await raw.transaction();
    await txn.send({ topic, acks: -1, messages });
    const partitions = [{ partition: 0, offset: String(i + 1) }];
    await retryConcurrentTransactions(() =>
      txn.sendOffsets({ consumerGroupId: `${prefix}.floor-group`, topics: [{ topic, partitions }] }),
    );
    await txn.commit();
  });
  const plain = await time(runs, async () => {
    const txn = await raw.transaction();
    await txn.send({ topic, acks: -1, messages });
    await txn.commit();
  });
  await raw.disconnect();

  const writer = await TickWriter.connect(kafka, `${prefix}.floor-writer`);
  const value = Buffer.alloc(160, 7);
  const tick = await time(runs, () => writer.write([{ topic, partition: 0, key: 'k', value }]));
  await writer.close();

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const produce = await time(runs, () => producer.send({ topic, acks: -1, messages }));
  await producer.disconnect();
  return {
    rawTxnWithOffsetsMs: percentiles(withOffsets),
    rawTxnMs: percentiles(plain),
    idempotentProduceMs: percentiles(produce),
    tickWriterTxnMs: percentiles(tick),
  };
}
