/**
 * The produce-encoding patch (src/kafka/produce-encoding-patch.ts) against the real broker: records of
 * every shape the fast path takes — string, Buffer and null keys and values, single and repeated headers,
 * given and clock timestamps, several topics and partitions in one request — sent by an idempotent and by
 * a transactional producer, are accepted (the broker checks each batch's CRC and sequence) and read back
 * by a read_committed consumer as they were sent.
 */
import type { Admin, IHeaders, KafkaMessage, Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTransactionalProducer, createKafka } from '../../src/kafka/index.js';
import { patchKafkaJs } from '../../src/kafka/kafkajs-patches.js';
import { encodeProduceBody } from '../../src/kafka/produce-encoding.js';
import { DeterministicRandom } from '../../src/replay/deterministic-random.js';
import { consumeUntil } from '../support/consume.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';

const brokers = testBrokers();
const kafka = createKafka({ brokers, clientId: 'test-produce-encoding' });
const PARTITIONS = 3;
let admin: Admin;
const producers: Producer[] = [];

/** `count` messages of every shape, from a seeded stream; timestamps, when given, are in the last minute. */
function messages(seed: string, count: number): Message[] {
  const random = new DeterministicRandom(seed);
  const int = (n: number) => Math.floor(random.next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const text = () => pick(['', 'order-1', 'é✓ ключ', 'x'.repeat(int(300))]);
  const bytes = () => Buffer.alloc(pick([0, 1, 200, 9_000]), int(256));
  const header = (): string | Buffer | (string | Buffer)[] => pick([text(), bytes(), [text(), bytes()]]);
  return Array.from({ length: count }, (_, i) => ({
    key: pick([text(), bytes(), null]),
    value: pick([bytes(), text(), null]),
    partition: i % PARTITIONS,
    ...(random.next() < 0.5 ? { headers: { traceparent: header(), 'x-✓': header() } } : {}),
    // a number: KafkaJS types it as a string, but a string goes to KafkaJS's own encoder (produce-encoding.ts
    // I2), and this test is about the fast path; Logbook's own writers give no timestamp
    ...(random.next() < 0.5 ? { timestamp: (Date.now() - int(60_000)) as unknown as string } : {}),
  }));
}

/** Whether the fast path takes these messages: what the test sends must not fall back to KafkaJS. */
function onFastPath(topic: string, sent: readonly Message[]): boolean {
  const partitions = Array.from({ length: PARTITIONS }, (_, partition) => ({
    partition,
    messages: sent.filter((m) => m.partition === partition),
  }));
  const deps = {
    int64: (v: unknown) => ({ getHighBits: () => 0, getLowBits: () => Number(v) | 0 }),
    crc32c: () => 0,
    now: Date.now,
  };
  return (
    encodeProduceBody({ acks: -1, timeout: 30_000, topicData: [{ topic, partitions }] }, deps) !== undefined
  );
}

const asBuffer = (v: string | Buffer | null | undefined): Buffer | null =>
  v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);

/** What a consumer reads back for a sent message: Buffers, and a header's repeated values as an array. */
function readBack(m: Message): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  const headers: IHeaders = {};
  for (const [k, v] of Object.entries(m.headers ?? {}))
    headers[k] = Array.isArray(v)
      ? v.map((x) => asBuffer(x) as Buffer)
      : (asBuffer(v as string | Buffer) as Buffer);
  return { key: asBuffer(m.key), value: asBuffer(m.value as string | Buffer | null), headers };
}

function received(m: KafkaMessage): { key: Buffer | null; value: Buffer | null; headers: IHeaders } {
  return { key: m.key, value: m.value, headers: m.headers ?? {} };
}

/** Sends `sent` to `topics` in one request with `send`, then checks what each topic reads back. */
async function roundTrip(
  topics: readonly string[],
  sent: readonly Message[][],
  send: (topicMessages: { topic: string; messages: Message[] }[]) => Promise<unknown>,
): Promise<void> {
  for (const [i, topic] of topics.entries()) expect(onFastPath(topic, sent[i] ?? []), topic).toBe(true);
  const before = Date.now();
  await send(topics.map((topic, i) => ({ topic, messages: [...(sent[i] ?? [])] })));
  const after = Date.now();
  for (const [i, topic] of topics.entries()) {
    const expected = sent[i] ?? [];
    const records = await consumeUntil({ brokers, topic, until: (r) => r.length >= expected.length });
    expect(records).toHaveLength(expected.length);
    for (let p = 0; p < PARTITIONS; p++) {
      const want = expected.filter((m) => m.partition === p);
      const got = records.filter((r) => r.partition === p).map((r) => r.message);
      expect(got.map(received), `${topic}[${p}]`).toEqual(want.map(readBack));
      for (const [j, m] of got.entries()) {
        const stamp = Number(m.timestamp);
        const given = want[j]?.timestamp;
        if (given !== undefined) expect(stamp).toBe(Number(given));
        else expect(stamp).toBeGreaterThanOrEqual(before);
        if (given === undefined) expect(stamp).toBeLessThanOrEqual(after);
      }
    }
  }
}

beforeAll(async () => {
  expect(patchKafkaJs(), 'the produce-encoding patch is in place').toBe(true);
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  for (const producer of producers) await producer.disconnect();
  await admin.disconnect();
});

async function createTopics(label: string): Promise<string[]> {
  const topics = [uniqueNamespace(label), uniqueNamespace(label)];
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  return topics;
}

describe('produce encoding against the real broker', () => {
  it('an idempotent producer’s records of every shape read back as sent', async () => {
    const topics = await createTopics('enc-idem');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producers.push(producer);
    await producer.connect();
    const sent = [messages('idem-a', 60), messages('idem-b', 40)];
    await roundTrip(topics, sent, (topicMessages) => producer.sendBatch({ acks: -1, topicMessages }));
  });

  it('a transactional producer’s records of every shape read back, committed, as sent', async () => {
    const topics = await createTopics('enc-txn');
    const producer = await connectTransactionalProducer(kafka, { transactionalId: uniqueNamespace('enc') });
    producers.push(producer);
    const sent = [messages('txn-a', 60), messages('txn-b', 40)];
    await roundTrip(topics, sent, async (topicMessages) => {
      const transaction = await producer.transaction();
      await transaction.sendBatch({ acks: -1, topicMessages });
      await transaction.commit();
    });
  });
});
