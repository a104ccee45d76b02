/**
 * A node's owners share produce requests for their single produces (append-channel.ts I1–I6; D41), on the
 * real broker:
 *   - appends made together go out as one request, each batch under its own owner's producer and
 *     sequence, and land at consecutive offsets round after round;
 *   - a partition the broker refuses (a fenced owner's) fails its own append only: the other owner's batch
 *     in the same request lands;
 *   - a request takes appends up to `requestBytesMax` of record bytes, headers included, and one over it
 *     goes alone;
 *   - an append whose answer was lost is sent again with its sequence and lands once; past its retries it
 *     fails with the last error;
 *   - a second append on a partition with one waiting is a Bug, metadata is asked for once, and an append
 *     after close fails;
 *   - an executor's owners send theirs through one channel (`sharedAppends`), or each its own without it.
 */
import { type Admin, KafkaJSConnectionError, KafkaJSRequestTimeoutError } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FencedError, LogbookError } from '../../src/errors.js';
import {
  AppendChannel,
  type AppendChannelLimits,
  type AppendProducer,
  createKafka,
  readPartitions,
  TickWriter,
} from '../../src/kafka/index.js';
import { type ConnectionInternals, kafkajsConnection } from '../../src/kafka/kafkajs-internals.js';
import { workflow } from '../../src/workflow/index.js';
import { Engine } from '../support/engine.js';
import { partitionEnd, testBrokers, uniqueNamespace } from '../support/kafka.js';

const CLIENT_ID = 'test-append-channel';
const kafka = createKafka({ brokers: testBrokers(), clientId: CLIENT_ID });
let admin: Admin;
const closing: { close(): Promise<void> }[] = [];
const LIMITS: AppendChannelLimits = {
  inFlight: 1,
  requestBytesMax: 1024 * 1024,
  retries: 0,
  retryBackoffMs: 10,
};

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(closing.map((c) => c.close()));
  await admin.disconnect();
});

async function channel(limits: AppendChannelLimits = LIMITS): Promise<AppendChannel> {
  const c = await AppendChannel.connect(kafka, limits);
  closing.push(c);
  return c;
}

async function writer(id: string, shared?: AppendChannel): Promise<TickWriter> {
  const w = await TickWriter.connect(kafka, id, shared);
  closing.unshift(w); // closed before the channel
  return w;
}

/** A new namespace and its journal topic of `partitions` partitions. */
async function journalOf(label: string, partitions: number): Promise<{ ns: string; topic: string }> {
  const ns = uniqueNamespace(label);
  const topic = `${ns}.journal`;
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  return { ns, topic };
}

/** The values of `topic`'s partition `p` in [0, end), read_committed. */
async function valuesOf(topic: string, p: number, end: number): Promise<string[]> {
  const seen: string[] = [];
  await readPartitions(kafka, {
    topic,
    from: new Map([[p, 0]]),
    ends: new Map([[p, end]]),
    stallMs: 10_000,
    groupPrefix: CLIENT_ID,
    onBatch: (_, messages) => {
      seen.push(...messages.map((m) => String(m.value)));
    },
  });
  return seen;
}

const record = (topic: string, partition: number, value: string) => [{ topic, partition, key: 'w', value }];

/**
 * Runs `fault` for every Produce of this test's clients (the channel's, as their appends go there) until
 * restored: a fault in the connection, in front of the real broker. `send` sends the request.
 */
function onProduce(fault: (send: () => Promise<unknown>) => Promise<unknown>): () => void {
  const connection = kafkajsConnection();
  const original = connection.prototype.send;
  connection.prototype.send = async function (this: ConnectionInternals, args) {
    if (this.clientId !== CLIENT_ID || args.request.apiName !== 'Produce') return original.call(this, args);
    let answer: unknown;
    const sent = await fault(async () => {
      answer = await original.call(this, args);
      return answer;
    });
    return sent ?? answer;
  };
  return () => {
    connection.prototype.send = original;
  };
}

describe('an append channel', () => {
  it("sends appends made together as one request, each under its own owner's producer and sequence", async () => {
    const { ns, topic } = await journalOf('channel-shared', 3);
    const shared = await channel();
    const writers = await Promise.all([0, 1, 2].map((p) => writer(`${ns}.p${p}`, shared)));
    const before = shared.stats;
    for (let round = 0; round < 5; round++) {
      const offsets = await Promise.all(writers.map((w, p) => w.append(record(topic, p, `p${p} r${round}`))));
      expect(offsets.map((o, p) => o.get(`${topic}:${p}`))).toEqual([round, round, round]);
    }
    // The first round's appends wait for the topic's metadata together: every round is one request.
    expect(shared.stats.appends - before.appends).toBe(15);
    expect(shared.stats.requests - before.requests).toBe(5);
    const rounds = [0, 1, 2, 3, 4];
    for (const p of [0, 1, 2]) expect(await valuesOf(topic, p, 5)).toEqual(rounds.map((r) => `p${p} r${r}`));
  });

  it('fails only the refused partition of a shared request: a fenced owner, beside one that lands', async () => {
    const { ns, topic } = await journalOf('channel-fenced', 2);
    const shared = await channel();
    const [old0, w1] = [await writer(`${ns}.p0`, shared), await writer(`${ns}.p1`, shared)];
    await Promise.all([old0.append(record(topic, 0, 'old 1')), w1.append(record(topic, 1, 'w1 1'))]);
    const newer0 = await writer(`${ns}.p0`); // its own connection: another node
    expect((await newer0.claim(record(topic, 0, 'claim'))).get(`${topic}:0`)).toBe(1);

    const before = shared.stats.requests;
    const [refused, landed] = await Promise.allSettled([
      old0.append(record(topic, 0, 'old 2')),
      w1.append(record(topic, 1, 'w1 2')),
    ]);
    expect(shared.stats.requests - before).toBe(1);
    expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(FencedError);
    expect(landed.status === 'fulfilled' && landed.value.get(`${topic}:1`)).toBe(1);
    expect(await valuesOf(topic, 1, 2)).toEqual(['w1 1', 'w1 2']);
    expect(await valuesOf(topic, 0, 3)).toEqual(['old 1', 'claim']); // 2 is the claim's commit marker
  });

  it('takes appends up to requestBytesMax of record bytes a request; one over it goes alone', async () => {
    const { ns, topic } = await journalOf('channel-bytes', 4);
    const shared = await channel({ ...LIMITS, requestBytesMax: 130 }); // two 61-byte appends, not three
    const writers = await Promise.all([0, 1, 2, 3].map((p) => writer(`${ns}.p${p}`, shared)));
    await Promise.all(writers.map((w, p) => w.append(record(topic, p, 'warm')))); // metadata, unmeasured
    const value = 'v'.repeat(60); // and the key 'w': 61 bytes
    let before = shared.stats.requests;
    await Promise.all(writers.map((w, p) => w.append(record(topic, p, value))));
    expect(shared.stats.requests - before).toBe(2);
    before = shared.stats.requests;
    // headers count: a one-byte value under a 500-byte header is over the limit, and goes alone
    const heavy = [{ topic, partition: 0, key: 'w', value: 'h', headers: { big: 'b'.repeat(500) } }];
    const offsets = await Promise.all([
      writers[0]?.append(heavy),
      writers[1]?.append(record(topic, 1, value)),
    ]);
    expect(shared.stats.requests - before).toBe(2);
    expect(offsets.map((o, p) => o?.get(`${topic}:${p}`))).toEqual([2, 2]);
    expect(await valuesOf(topic, 0, 3)).toEqual(['warm', value, 'h']);
  });

  it('sends an append whose answer was lost again with its sequence: the record lands once', async () => {
    const { ns, topic } = await journalOf('channel-retry', 1);
    const shared = await channel({ ...LIMITS, retries: 2 });
    const w = await writer(`${ns}.p0`, shared);
    let lost = 0;
    const restore = onProduce(async (send) => {
      await send(); // the broker appends it...
      if (lost++ > 0) return undefined;
      throw new KafkaJSRequestTimeoutError('the answer was lost'); // ...and the answer is lost (retriable)
    });
    try {
      expect((await w.append(record(topic, 0, 'once'))).get(`${topic}:0`)).toBe(0);
    } finally {
      restore();
    }
    expect(shared.stats.retries).toBe(1);
    expect((await w.append(record(topic, 0, 'next'))).get(`${topic}:0`)).toBe(1);
    expect(await valuesOf(topic, 0, 2)).toEqual(['once', 'next']);
  });

  it('fails an append past its retries with the last error, and writes nothing', async () => {
    const { ns, topic } = await journalOf('channel-retries-out', 1);
    const shared = await channel({ ...LIMITS, retries: 2 });
    const w = await writer(`${ns}.p0`, shared);
    let attempts = 0;
    const restore = onProduce(async () => {
      attempts++;
      throw new KafkaJSConnectionError('the connection is down'); // retriable, before anything is sent
    });
    try {
      await expect(w.append(record(topic, 0, 'lost'))).rejects.toThrow(/the connection is down/);
    } finally {
      restore();
    }
    expect(attempts).toBe(3);
    expect(await partitionEnd(admin, topic)).toBe(0);
  });

  it('refuses a second append on a partition with one waiting, asks for metadata once, and fails after close', async () => {
    const { topic } = await journalOf('channel-one-at-a-time', 1);
    const shared = await channel();
    const plain: AppendProducer = {
      getProducerId: () => -1, // not idempotent: the broker takes any sequence
      getProducerEpoch: () => 0,
      getSequence: () => 0,
      updateSequence: () => undefined,
    };
    const first = shared.append(plain, record(topic, 0, 'first'));
    const second = shared.append(plain, record(topic, 0, 'second'));
    await expect(second).rejects.toSatisfy((e) => e instanceof LogbookError && e.code === ErrorCode.Bug);
    expect((await first).get(`${topic}:0`)).toBe(0);

    const requests: string[] = [];
    const connection = kafkajsConnection();
    const send = connection.prototype.send;
    connection.prototype.send = async function (this: ConnectionInternals, args) {
      if (this.clientId === CLIENT_ID) requests.push(args.request.apiName);
      return send.call(this, args);
    };
    try {
      for (let i = 0; i < 20; i++) await shared.append(plain, record(topic, 0, `v${i}`));
    } finally {
      connection.prototype.send = send;
    }
    expect(requests).toEqual(Array.from({ length: 20 }, () => 'Produce'));
    await shared.close();
    await expect(shared.append(plain, record(topic, 0, 'late'))).rejects.toThrow(/append channel is closed/);
  });
});

describe("an executor's shared appends (owner-factory.ts I2)", () => {
  const threeSteps = workflow('three-steps', async (ctx, input: { n: number }) => {
    let total = input.n;
    for (const name of ['a', 'b', 'c']) total = await ctx.step(name, () => total + 1);
    return total;
  });
  let engine: Engine | undefined;
  afterAll(async () => engine?.closeAll());

  async function run(sharedAppends: boolean) {
    engine = new Engine(uniqueNamespace(`channel-executor-${sharedAppends}`));
    const executor = await engine.executor({
      workflows: [threeSteps],
      partitions: 3,
      limits: { sharedAppends },
    });
    const client = engine.client();
    const results = await Promise.all(
      Array.from({ length: 60 }, async (_, n) =>
        (await client.start(threeSteps, { id: `wf-${n}`, input: { n } })).result({ timeout: '60s' }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 60 }, (_, n) => n + 3));
    const stats = executor.appendStats();
    await engine.closeAll();
    return stats;
  }

  it('sends every owner’s single produces through one channel, several in a request', async () => {
    const stats = await run(true);
    // each partition's owner appends a tick's journal records and then its completions' events, at least
    expect(stats?.appends).toBeGreaterThanOrEqual(6);
    expect(stats?.requests).toBeLessThan(stats?.appends ?? 0);
  });

  it('with sharedAppends off, has no channel: each owner sends its own', async () => {
    expect(await run(false)).toBeUndefined();
  });
});
