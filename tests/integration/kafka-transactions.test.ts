/**
 * Proves the broker is real and that Kafka transactions behave the way the engine relies on (DESIGN §3, §5):
 * records and consumer offsets commit together, read_committed never shows aborted records, a second
 * producer with the same transactional id fences the first, and back-to-back transactions succeed with
 * Logbook's CONCURRENT_TRANSACTIONS retry around sendOffsets.
 */
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectTransactionalProducer,
  createKafka,
  isFencingError,
  retryConcurrentTransactions,
} from '../../src/kafka/index.js';
import { consumeUntil } from '../support/consume.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';

const brokers = testBrokers();
const kafka = createKafka({ brokers, clientId: 'test-transactions' });
let admin: Admin;
const producers: Producer[] = [];

async function transactionalProducer(transactionalId: string): Promise<Producer> {
  const producer = await connectTransactionalProducer(kafka, { transactionalId });
  producers.push(producer);
  return producer;
}

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  await admin.createTopics({
    topics: [{ topic, numPartitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
}

async function committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(producers.map((p) => p.disconnect()));
  await admin.disconnect();
});

describe('Kafka transactions on the real broker', () => {
  it('commits records on 3 partitions together with consumer offsets, and a read_committed consumer sees them', async () => {
    const ns = uniqueNamespace('txn-commit');
    const topic = `${ns}.out`;
    const source = `${ns}.in`;
    const groupId = `${ns}.group`;
    await createTopic(topic, 3);
    await createTopic(source, 3);
    const producer = await transactionalProducer(`${ns}.tx`);

    const txn = await producer.transaction();
    const messages = Array.from({ length: 30 }, (_, i) => ({ key: `wf-${i}`, value: `record-${i}` }));
    await txn.send({ topic, acks: -1, messages });
    await retryConcurrentTransactions(() =>
      txn.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: source, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '7' })) }],
      }),
    );
    await txn.commit();

    const seen = await consumeUntil({ brokers, topic, until: (records) => records.length >= 30 });
    expect(seen.map((r) => r.value).sort()).toEqual(messages.map((m) => m.value).sort());
    expect(new Set(seen.map((r) => r.partition))).toEqual(new Set([0, 1, 2]));
    expect(await committedOffsets(groupId, source)).toEqual(
      new Map([
        [0, '7'],
        [1, '7'],
        [2, '7'],
      ]),
    );
  });

  it("never shows an aborted transaction's records to a read_committed consumer", async () => {
    const ns = uniqueNamespace('txn-abort');
    const topic = `${ns}.out`;
    await createTopic(topic, 1);
    const producer = await transactionalProducer(`${ns}.tx`);
    const sendAll = async (values: string[], outcome: 'commit' | 'abort'): Promise<void> => {
      const txn = await producer.transaction();
      await txn.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
      await (outcome === 'commit' ? txn.commit() : txn.abort());
    };

    await sendAll(['before-1', 'before-2'], 'commit');
    await sendAll(['aborted-1', 'aborted-2', 'aborted-3'], 'abort');
    await sendAll(['after-1'], 'commit');

    const committed = await consumeUntil({
      brokers,
      topic,
      until: (r) => r.some((x) => x.value === 'after-1'),
    });
    expect(committed.map((r) => r.value)).toEqual(['before-1', 'before-2', 'after-1']);
    // The aborted records really are in the log: a read_uncommitted reader sees them.
    const raw = await consumeUntil({ brokers, topic, readUncommitted: true, until: (r) => r.length >= 6 });
    expect(raw.map((r) => r.value)).toEqual([
      'before-1',
      'before-2',
      'aborted-1',
      'aborted-2',
      'aborted-3',
      'after-1',
    ]);
  });

  it('fences the first producer when a second one starts with the same transactionalId', async () => {
    const ns = uniqueNamespace('txn-fence');
    const topic = `${ns}.out`;
    await createTopic(topic, 1);
    const first = await transactionalProducer(`${ns}.tx`);
    const zombie = await first.transaction();
    await zombie.send({ topic, acks: -1, messages: [{ key: 'k', value: 'from-zombie' }] });

    // connectTransactionalProducer sends InitProducerId(transactionalId): the epoch is bumped, the open txn aborted.
    const second = await transactionalProducer(`${ns}.tx`);
    const fencingError = await zombie.commit().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(fencingError).toBeInstanceOf(Error);
    expect(isFencingError(fencingError)).toBe(true);

    const txn = await second.transaction();
    await txn.send({ topic, acks: -1, messages: [{ key: 'k', value: 'from-new-owner' }] });
    await txn.commit();
    const seen = await consumeUntil({
      brokers,
      topic,
      until: (r) => r.some((x) => x.value === 'from-new-owner'),
    });
    expect(seen.map((r) => r.value)).toEqual(['from-new-owner']);
  });

  it('runs 200 back-to-back transactions with sendOffsets without an error', async () => {
    const ns = uniqueNamespace('txn-burst');
    const topic = `${ns}.out`;
    const source = `${ns}.in`;
    const groupId = `${ns}.group`;
    await createTopic(topic, 3);
    await createTopic(source, 1);
    const producer = await transactionalProducer(`${ns}.tx`);

    for (let i = 0; i < 200; i++) {
      const txn = await producer.transaction();
      await txn.send({ topic, acks: -1, messages: [{ key: `wf-${i % 7}`, value: `t-${i}` }] });
      await retryConcurrentTransactions(() =>
        txn.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic: source, partitions: [{ partition: 0, offset: String(i + 1) }] }],
        }),
      );
      await txn.commit();
    }

    const seen = await consumeUntil({ brokers, topic, until: (r) => r.length >= 200 });
    expect(new Set(seen.map((r) => r.value)).size).toBe(200);
    expect((await committedOffsets(groupId, source)).get(0)).toBe('200');
  });
});
