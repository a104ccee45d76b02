/**
 * The single-produce writer is fenced by the broker (tick-writer.ts I6, I7; D34): an owner's single
 * produces land until a newer owner of the partition claims it, and from the claim on the broker rejects
 * them, so the old owner stops with FencedError instead of writing void records.
 */
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FencedError } from '../../src/errors.js';
import { createKafka, readPartitions, TickWriter } from '../../src/kafka/index.js';
import { type ConnectionInternals, kafkajsConnection } from '../../src/kafka/kafkajs-internals.js';
import { markerAfter, testBrokers, uniqueNamespace } from '../support/kafka.js';

const kafka = createKafka({ brokers: testBrokers(), clientId: 'test-fenced-appender' });
let admin: Admin;
const writers: TickWriter[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(writers.map((w) => w.close()));
  await admin.disconnect();
});

async function writer(id: string): Promise<TickWriter> {
  const w = await TickWriter.connect(kafka, id);
  writers.push(w);
  return w;
}

/** A new namespace and its one-partition journal topic. */
async function journalOf(label: string): Promise<{ ns: string; topic: string }> {
  const ns = uniqueNamespace(label);
  const topic = `${ns}.journal`;
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  return { ns, topic };
}

describe('single produces under a newer claim', () => {
  it('land before the newer claim and are rejected by the broker after it', async () => {
    const { ns, topic } = await journalOf('fenced-append');
    const message = (value: string) => [{ topic, partition: 0, key: 'w', value }];
    const old = await writer(`${ns}.p0`);
    expect((await old.append(message('old 1'))).get(`${topic}:0`)).toBe(0);

    const newer = await writer(`${ns}.p0`);
    // Between the newer owner's connect and its claim, the old owner's produce still lands: the catch-up
    // up to the claim reads it (claim.ts I1).
    expect((await old.append(message('old 2'))).get(`${topic}:0`)).toBe(1);
    const claimAt = (await newer.claim(message('claim'))).get(`${topic}:0`);
    expect(claimAt).toBe(2);

    const rejected = await old.append(message('old 3')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(rejected).toBeInstanceOf(FencedError);
    expect(old.classify(rejected).kind).toBe('fenced');
    // An owner appends only once its catch-up has read the claim, so after the claim's commit marker.
    const marker = (claimAt ?? 0) + 1;
    await markerAfter(admin, topic, marker - 1);
    expect((await newer.append(message('newer 1'))).get(`${topic}:0`)).toBe(marker + 1);
  });

  it("a fence: an aborted record no reader sees, after which the broker refuses the old holder's produces", async () => {
    const { ns, topic } = await journalOf('fenced-fence');
    const message = (value: string) => [{ topic, partition: 0, key: 'e', value }];
    const old = await writer(`${ns}.p0`);
    expect((await old.append(message('old 1'))).get(`${topic}:0`)).toBe(0);
    const newer = await writer(`${ns}.p0`);
    const fence = await newer.fence({ topic, partition: 0, key: '__owner/0', value: 'fence' });
    expect(fence).toBe(1);
    const rejected = await old.append(message('old 2')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(rejected).toBeInstanceOf(FencedError);
    await markerAfter(admin, topic, fence);
    expect((await newer.append(message('newer 1'))).get(`${topic}:0`)).toBe(fence + 2);
    const seen: string[] = [];
    await readPartitions(kafka, {
      topic,
      from: new Map([[0, 0]]),
      ends: new Map([[0, fence + 3]]),
      stallMs: 10_000,
      groupPrefix: 'test-fenced-appender',
      onBatch: (_, messages) => {
        seen.push(...messages.map((m) => String(m.value)));
      },
    });
    expect(seen).toEqual(['old 1', 'newer 1']); // read_committed: the fence record was aborted
  });

  it('asks for metadata once, not before every produce', async () => {
    const { ns, topic } = await journalOf('fenced-metadata');
    const w = await writer(`${ns}.p0`);
    await w.append([{ topic, partition: 0, key: 'w', value: 'first' }]);
    const requests: string[] = [];
    const connection = kafkajsConnection();
    const send = connection.prototype.send;
    connection.prototype.send = async function (this: ConnectionInternals, args) {
      if (this.clientId === 'test-fenced-appender') requests.push(args.request.apiName);
      return send.call(this, args);
    };
    try {
      for (let i = 0; i < 20; i++) await w.append([{ topic, partition: 0, key: 'w', value: `v${i}` }]);
    } finally {
      connection.prototype.send = send;
    }
    expect(requests.filter((api) => api === 'Produce')).toHaveLength(20);
    expect(requests.filter((api) => api === 'Metadata')).toEqual([]);
  });
});

describe("a writer's resets (tick-writer.ts I2, I5)", () => {
  it('a fenced writer stays fenced: its later writes neither reset it nor fence the newer owner', async () => {
    const { ns, topic } = await journalOf('fenced-stays');
    const message = (value: string) => [{ topic, partition: 0, key: 'w', value }];
    const old = await writer(`${ns}.p0`);
    await old.write(message('old 1'));
    const newer = await writer(`${ns}.p0`);
    const fencedBy = await old.write(message('old 2')).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(fencedBy).toBeInstanceOf(FencedError);
    await expect(old.write(message('old 3'))).rejects.toBe(fencedBy);
    await expect(old.reset()).rejects.toBe(fencedBy);
    expect((await newer.write(message('newer 1'))).get(`${topic}:0`)).toBeGreaterThan(0);
  });

  it('runs one reset at a time: a second joins the first, a write waits for it, a close ends it', async () => {
    const { ns, topic } = await journalOf('one-reset');
    const w = await writer(`${ns}.p0`);
    const first = w.reset();
    expect(w.reset()).toBe(first);
    const written = w.write([{ topic, partition: 0, key: 'w', value: 'after the reset' }]);
    await first;
    expect((await written).get(`${topic}:0`)).toBe(0);

    const closing = w.reset();
    await w.close();
    await expect(closing).rejects.toThrow(/closed during its reset/);
  });
});
