/**
 * The raw-Kafka floor, measured in the same run as the engine: what one KafkaJS transaction with a
 * journal-sized record and a consumer-offset commit costs on this broker, and one idempotent produce.
 */
import type { Kafka } from 'kafkajs';
import { TickWriter } from '../src/kafka/index.js';
import { percentiles } from './stats.js';

/** Floor figures, in milliseconds. */
export interface Floor {
  readonly txnWithOffsetsMs: ReturnType<typeof percentiles>;
  readonly txnMs: ReturnType<typeof percentiles>;
  readonly idempotentProduceMs: ReturnType<typeof percentiles>;
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
  const writer = await TickWriter.connect(kafka, `${prefix}.floor-tx`);
  const value = Buffer.alloc(160, 7);
  const time = async (fn: () => Promise<unknown>): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    }
    return out;
  };
  let offset = 0;
  const withOffsets = await time(() =>
    writer.write([{ topic, partition: 0, key: 'k', value }], {
      groupId: `${prefix}.floor-group`,
      topic,
      partition: 0,
      nextOffset: ++offset,
    }),
  );
  const plain = await time(() => writer.write([{ topic, partition: 0, key: 'k', value }], undefined));
  await writer.close();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const produce = await time(() => producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] }));
  await producer.disconnect();
  return {
    txnWithOffsetsMs: percentiles(withOffsets),
    txnMs: percentiles(plain),
    idempotentProduceMs: percentiles(produce),
  };
}
