/**
 * The produce-encoding patch (src/kafka/produce-encoding-patch.ts, produce-encoding.ts): a produce
 * request built through KafkaJS's own `protocol/requests/produce/index.js` encodes to exactly the bytes
 * KafkaJS's own v3 encoder writes, over seeded random requests, and anything off the fast path goes to
 * KafkaJS's encoder.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kafkajsModule } from '../../src/kafka/kafkajs-internals.js';
import { patchKafkaJs } from '../../src/kafka/kafkajs-patches.js';
import {
  encodeProduceBody,
  type Int64,
  type ProduceMessage,
  type ProducePartitionData,
  type ProduceRequestArgs,
} from '../../src/kafka/produce-encoding.js';
import { DeterministicRandom } from '../../src/replay/deterministic-random.js';

interface Encoded {
  readonly buf: Buffer;
  readonly offset: number;
  readonly buffer: Buffer;
}
interface Request {
  readonly apiKey: number;
  readonly apiVersion: number;
  encode(): Promise<Encoded>;
}
interface Definitions {
  protocol(v: { version: number }): (args: ProduceRequestArgs) => { request: Request };
}
const Long = kafkajsModule<{ fromValue(v: unknown): Int64 }>('utils/long.js');
const crc32c = kafkajsModule<(b: Buffer) => number>('protocol/recordBatch/crc32C/index.js');
const kafkajsV3 = kafkajsModule<(args: ProduceRequestArgs) => Request>(
  'protocol/requests/produce/v3/request.js',
);
const NOW = 1_796_400_000_123;

/** A clock that moves 1 ms a call from NOW, restarted before each encoder: equal bytes then mean equal calls. */
function steppingClock(): { restart(): void; readonly calls: number } {
  let calls = 0;
  vi.spyOn(Date, 'now').mockImplementation(() => NOW + calls++);
  return {
    restart: () => {
      calls = 0;
    },
    get calls() {
      return calls;
    },
  };
}

function viaPatchedKafkaJs(version: number, args: ProduceRequestArgs): Request {
  expect(patchKafkaJs()).toBe(true);
  const produce = kafkajsModule<Definitions>('protocol/requests/produce/index.js');
  return produce.protocol({ version })(args).request;
}

/** Frozen header objects, each handed to many requests (produce-encoding.ts I3). */
const FROZEN_HEADERS: readonly Readonly<Record<string, unknown>>[] = [
  Object.freeze({ 'logbook-schema': `journal.avsc@sha256:${'ab'.repeat(32)}` }),
  Object.freeze({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', ключ: 'é✓' }),
  Object.freeze({ b: Buffer.from('bytes'), s: 'string' }),
  Object.freeze({ list: Object.freeze(['a', 'b']) }),
  Object.freeze({}),
];

/** A random request: the shapes KafkaJS's producers send, and the odd ones a user's might. */
function randomRequest(random: DeterministicRandom): ProduceRequestArgs {
  const int = (n: number) => Math.floor(random.next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const text = () => pick(['', 'order-1', 'é✓', 'x'.repeat(int(200)), `wf-${int(1e9)}`]);
  const bytes = () => Buffer.alloc(pick([0, 1, 63, 64, 200, 8191, 8192, 20_000]), int(256));
  const header = () => pick<unknown>([text(), bytes(), [text(), bytes()], []]);
  const headers = () =>
    random.next() < 0.5
      ? pick(FROZEN_HEADERS) // shared across requests, as the journal's schema header is
      : { traceparent: header(), [pick(['b', 'ключ', '✓'])]: header() };
  // 0, 999 and 1000 beside NOW-sized ones: KafkaJS orders timestamps as strings ('1000' before '999')
  const timestamp = () => pick([NOW - 2 ** 40, NOW - 5, NOW, NOW + 7, NOW + 2 ** 33, 0, 999, 1000, 2 ** 50]);
  const message = (): ProduceMessage => ({
    key: pick([text(), bytes(), null, undefined]),
    value: pick([bytes(), text(), null]),
    ...(random.next() < 0.3 ? { headers: headers() } : {}),
    ...(random.next() < 0.3 ? { timestamp: timestamp() } : {}),
  });
  const partition = () => ({
    partition: int(64),
    messages: Array.from({ length: int(30) }, message),
    ...(random.next() < 0.5 ? { firstSequence: int(2 ** 31) } : {}),
  });
  return {
    acks: pick([-1, 1]),
    timeout: pick([30_000, 5]),
    transactionalId: pick([null, undefined, '', 'logbook.p3']),
    producerId: pick<unknown>([undefined, 4242, Long.fromValue(2 ** 40 + 3), 2n ** 62n, '77']),
    producerEpoch: pick([undefined, 0, 17]),
    topicData: Array.from({ length: int(4) }, (_, i) => ({
      topic: pick([`logbook.journal-${i}`, 'журнал']),
      partitions: Array.from({ length: int(5) }, partition),
    })),
  };
}

afterEach(() => vi.restoreAllMocks());

describe('KafkaJS produce encoding patch', () => {
  it('writes the bytes KafkaJS writes, for every produce version it takes (seeded)', async () => {
    const seed = process.env.FUZZ_SEED ?? String(Date.now() % 1_000_000);
    console.log(`produce encoding seed: ${seed} (rerun with FUZZ_SEED=${seed})`);
    const clock = steppingClock();
    const random = new DeterministicRandom(seed);
    for (let i = 0; i < 300; i++) {
      const args = randomRequest(random);
      const version = 3 + (i % 5);
      clock.restart();
      const own = (await kafkajsV3(args).encode()).buffer;
      const partitions = args.topicData.reduce((n, t) => n + t.partitions.length, 0);
      expect(clock.calls, 'KafkaJS reads the clock once a partition').toBe(partitions);
      clock.restart();
      const fast = encodeProduceBody(args, { int64: (v) => Long.fromValue(v), crc32c, now: Date.now });
      expect(clock.calls, `request ${i} reads the clock as KafkaJS does`).toBe(partitions);
      expect(fast, `request ${i} is on the fast path`).toBeInstanceOf(Buffer);
      expect(fast?.equals(own), `request ${i}, seed ${seed}`).toBe(true);
      const request = viaPatchedKafkaJs(version, args);
      expect(request.apiVersion).toBe(version);
      clock.restart();
      const encoded = await request.encode();
      expect(encoded.buffer.equals(own), `request ${i} through KafkaJS`).toBe(true);
      expect(encoded.buf.length, 'one buffer of the exact size').toBe(encoded.offset);
    }
  });

  it('writes a frozen header object with a getter as it reads now, not as it read before (produce-encoding.ts I3)', async () => {
    const deps = { int64: (v: unknown) => Long.fromValue(v), crc32c, now: () => NOW };
    let current = 'first';
    const headers = Object.freeze({
      get h() {
        return current;
      },
    });
    const args = {
      acks: -1,
      timeout: 5,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v', headers }] }] }],
    };
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const before = encodeProduceBody(args, deps);
    expect(before?.equals((await kafkajsV3(args).encode()).buffer)).toBe(true);
    current = 'second, longer';
    const after = encodeProduceBody(args, deps);
    expect(after?.equals((await kafkajsV3(args).encode()).buffer)).toBe(true);
    expect(after?.includes('second, longer')).toBe(true);
  });

  it('converts the producer id only where KafkaJS does: at a partition’s batch', async () => {
    const deps = { int64: (v: unknown) => Long.fromValue(v), crc32c, now: () => NOW };
    const noPartitions = {
      acks: -1,
      timeout: 5,
      producerId: 1.5,
      topicData: [{ topic: 't', partitions: [] }],
    };
    const own = (await kafkajsV3(noPartitions).encode()).buffer;
    expect(encodeProduceBody(noPartitions, deps)?.equals(own)).toBe(true);
    const withPartition = {
      ...noPartitions,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v' }] }] }],
    };
    await expect(kafkajsV3(withPartition).encode()).rejects.toThrow(RangeError);
    expect(() => encodeProduceBody(withPartition, deps)).toThrow(RangeError);
  });

  it('writes a partition’s own producer into its batch: the bytes KafkaJS writes for it under that producer (I4)', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const deps = { int64: (v: unknown) => Long.fromValue(v), crc32c, now: () => NOW };
    const p0 = { partition: 0, firstSequence: 5, messages: [{ key: 'k', value: 'zero' }] };
    const p1 = { partition: 1, firstSequence: 9, messages: [{ key: 'k', value: 'one' }, { value: 'two' }] };
    const request = { acks: -1, timeout: 5, producerId: 9, producerEpoch: 1 };
    const shared = encodeProduceBody(
      {
        ...request,
        topicData: [{ topic: 't', partitions: [{ ...p0, producer: { id: 4242, epoch: 17 } }, p1] }],
      },
      deps,
    );
    const alone = async (producerId: number, producerEpoch: number, partition: ProducePartitionData) =>
      (
        await kafkajsV3({
          ...request,
          producerId,
          producerEpoch,
          topicData: [{ topic: 't', partitions: [partition] }],
        }).encode()
      ).buffer;
    const [first, second] = [await alone(4242, 17, p0), await alone(9, 1, p1)];
    const head = 2 + 2 + 4 + 4 + 2 + 1 + 4; // null id, acks, timeout, one topic, 't', partition count
    const count = Buffer.alloc(4);
    count.writeInt32BE(2);
    const expected = Buffer.concat([
      first.subarray(0, head - 4),
      count,
      first.subarray(head),
      second.subarray(head),
    ]);
    expect(shared?.equals(expected)).toBe(true);
  });

  it('refuses a request with a partition’s own producer that is off its path, rather than hand it to KafkaJS (I4)', async () => {
    const gzip = {
      acks: -1,
      timeout: 5,
      compression: 1,
      topicData: [
        {
          topic: 't',
          partitions: [{ partition: 0, producer: { id: 7, epoch: 0 }, messages: [{ value: 'v' }] }],
        },
      ],
    };
    await expect(viaPatchedKafkaJs(7, gzip).encode()).rejects.toThrow(/off the encoding's path/);
    const { producer: _, ...plain } = gzip.topicData[0]?.partitions[0] ?? { producer: undefined };
    const kafkajsOwn = { ...gzip, topicData: [{ topic: 't', partitions: [plain] }] };
    await expect(viaPatchedKafkaJs(7, kafkajsOwn as ProduceRequestArgs).encode()).resolves.toBeDefined();
  });

  it('leaves what it does not take to KafkaJS’s own encoder, with its bytes or its error', async () => {
    const clock = steppingClock();
    const base = { acks: -1, timeout: 30_000, transactionalId: 'logbook.p1', producerId: 9 };
    const messages: ProduceMessage[] = [{ key: 'k', value: Buffer.from('v') }];
    const withMessages = (
      m: readonly ProduceMessage[],
      compression: number | null = 0,
    ): ProduceRequestArgs => ({
      ...base,
      compression: compression as number,
      // a good partition first: whatever is found off the path, it is found before the clock is read
      topicData: [
        {
          topic: 't',
          partitions: [
            { partition: 1, messages },
            { partition: 0, messages: m },
          ],
        },
      ],
    });
    const offPath: ProduceRequestArgs[] = [
      withMessages(messages, 1), // gzip
      withMessages(messages, null),
      withMessages([{ key: 'k', value: 'v', headers: null }]),
      // biome-ignore lint/suspicious/noSparseArray: a hole is what the case is about
      withMessages([, { key: 'k', value: 'v' }] as ProduceMessage[]),
      withMessages([{ key: 'k', value: 'v', timestamp: -(2 ** 51) }]),
      withMessages([{ key: 12, value: Buffer.from('v') }]),
      withMessages([{ key: 'k', value: 'v', timestamp: '1796400000000' }]),
      withMessages([{ key: 'k', value: 'v', headers: { n: 5 } }]),
      { ...withMessages(messages), producerId: null },
      { ...withMessages(messages), acks: undefined as unknown as number },
      { ...base, topicData: [{ topic: null as unknown as string, partitions: [] }] },
    ];
    const deps = { int64: (v: unknown) => Long.fromValue(v), crc32c, now: Date.now };
    for (const [i, args] of offPath.entries()) {
      clock.restart();
      expect(encodeProduceBody(args, deps), `case ${i} is off the fast path`).toBeUndefined();
      expect(clock.calls, `case ${i} was found before the clock was read`).toBe(0);
      clock.restart();
      const own = await kafkajsV3(args)
        .encode()
        .then(
          (e) => e.buffer,
          (error: unknown) => error,
        );
      const ownCalls = clock.calls;
      clock.restart();
      const patched = await viaPatchedKafkaJs(7, args)
        .encode()
        .then(
          (e) => e.buffer,
          (error: unknown) => error,
        );
      expect(patched, `case ${i}`).toEqual(own);
      expect(clock.calls, `case ${i}: KafkaJS alone read the clock`).toBe(ownCalls);
    }
  });
});
