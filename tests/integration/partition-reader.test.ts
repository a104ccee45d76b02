/**
 * readPartitions (src/kafka/partition-reader.ts) on the real broker: it reads exactly the range asked for,
 * and once it resolves it leaves nothing behind that keeps the process alive — a batch event KafkaJS
 * fires while the consumer disconnects once re-armed the 30 s stall timer, so every program that read the
 * journal (a benchmark, a client reading an archived outcome) lingered 30 s before it could exit.
 */
import { describe, expect, it } from 'vitest';
import { createKafka, readPartitions } from '../../src/kafka/index.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('readPartitions', () => {
  it('reads [from, end) and leaves no timer running after it resolves', async () => {
    const kafka = createKafka({ brokers: testBrokers(), clientId: 'reader-test', logLevelName: 'nothing' });
    const topic = uniqueNamespace('reader');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 50 }, (_, i) => ({ key: 'k', value: String(i) })),
    });
    await producer.disconnect();
    await admin.disconnect();

    const before = timeouts();
    const seen: string[] = [];
    await readPartitions(kafka, {
      topic,
      from: new Map([[0, 10]]),
      ends: new Map([[0, 40]]),
      onBatch: (_p, messages) => {
        for (const m of messages) seen.push(String(m.value));
      },
      stallMs: 30_000,
      groupPrefix: topic,
    });
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 10)));
    await new Promise((resolve) => setTimeout(resolve, 500)); // events of the disconnect have fired
    expect(timeouts()).toBeLessThanOrEqual(before);
  });
});
