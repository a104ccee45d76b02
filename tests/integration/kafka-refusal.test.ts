/**
 * When Kafka itself refuses a tick (a record-level error the edge checks could not foresee), the owner
 * finds the workflow that wrote the refused record and fails only that call; the other workflows of the
 * tick commit, and the partition goes on (issue 6; src/partition/isolation.ts, owner-failure.ts).
 *
 * The refusal is real: an emit topic's max.message.bytes is lowered after the executor's topic catalog
 * cached it, so the emit passes the edge check and the broker answers MESSAGE_TOO_LARGE.
 *
 * The broker appends the journal's batch of such a tick and refuses the emit's; the writer's next
 * transactions must still land where they are acknowledged (tick-writer.ts I5). The same holds for a
 * client whose produce of commands was refused on one partition only (connection.ts I7).
 */
import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, ErrorCode, workflow } from '../../src/index.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { createKafka, type OutMessage, partitionFor, TickWriter, topicNames } from '../../src/kafka/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { type Consumed, consumeUntil } from '../support/consume.js';
import { Engine, recordsOf } from '../support/engine.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

/** Every record of `id` in the journal, numbered 1..n with no gap: nothing acknowledged went missing. */
function expectWhole(journal: readonly JournalRecord[], id: string): void {
  const seqs = recordsOf(journal, id).map((r) => r.seq);
  expect({ id, seqs }).toEqual({ id, seqs: Array.from({ length: seqs.length }, (_, i) => i + 1) });
}

const ordinary = workflow('ordinary', async (ctx, input: { n: number }) => {
  const a = await ctx.step('one', () => input.n);
  return ctx.step('two', () => a + 1);
});

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('a tick Kafka refuses', () => {
  it('fails only the emit Kafka refused, with KafkaRejectedError; the rest of the tick and partition go on', async () => {
    engine = new Engine(uniqueNamespace('refusal'));
    const outbox = `${engine.namespace}.outbox`;
    const admin = createKafka({
      brokers: engine.brokers,
      clientId: 'test-refusal',
      logLevelName: 'nothing',
    }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: outbox, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      const emitter = workflow('emitter', async (ctx) => {
        await ctx.emit(outbox, 'k', 'small'); // the catalog now knows the topic (1 MiB limit)
        await ctx.signal('go');
        try {
          await ctx.emit(outbox, 'k', 'x'.repeat(5_000));
          return { ok: true };
        } catch (error) {
          const e = error as { name: string; code: string };
          return { ok: false, name: e.name, code: e.code };
        }
      });
      const chatty = workflow('chatty', async (ctx) => {
        for (let n = 0; n < 6; n++) await ctx.emit(outbox, 'c', `chatty-${n}`);
        return 'done';
      });
      const executor = await engine.executor({ workflows: [emitter, ordinary, chatty] });
      const client = engine.client();
      const handle = await client.start(emitter, { id: 'e-1' });
      await waitFor(
        async () => recordsOf(await engine.journal(), 'e-1').some((r) => r.body.kind === 'SignalAwaited'),
        { timeoutMs: 20_000, message: 'the emitter never waited' },
      );
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: outbox, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }],
      });
      // The signal and 20 ordinary starts arrive together, so they share ticks with the refused emit.
      const others = await Promise.all([
        client.signal('e-1', 'go'),
        ...Array.from({ length: 20 }, (_, n) => client.start(ordinary, { id: `o-${n}`, input: { n } })),
      ]);
      const handles = others.slice(1) as Awaited<ReturnType<typeof client.start>>[];
      expect(await Promise.all(handles.map((h) => h.result({ timeout: '30s' })))).toEqual(
        Array.from({ length: 20 }, (_, n) => n + 1),
      );
      expect(await handle.result({ timeout: '30s' })).toEqual({
        ok: false,
        name: 'KafkaRejectedError',
        code: ErrorCode.EmitRejected,
      });
      expect(executor.ownerOf(0)?.stats.ticksRejected).toBeGreaterThan(0);
      const records = recordsOf(await engine.journal(), 'e-1');
      expect(records.filter((r) => r.body.kind === 'Emitted')).toHaveLength(1); // the small one only
      const rejected = records.find((r) => r.body.kind === 'CallRejected');
      expect(rejected?.body).toMatchObject({ callKind: 'emit', error: { name: 'KafkaRejectedError' } });
      expect(JSON.stringify(rejected?.body)).toContain('MESSAGE_TOO_LARGE');

      // The partition's later transactional ticks (one emit each, taking turns on the writer's two
      // producers) all land, and every workflow's journal is whole. An end-to-end check: the writer's own
      // test below is the one that forces the batch a spoiled producer loses (tick-writer.ts I5, D39).
      expect(await (await client.start(chatty, { id: 'c-1' })).result({ timeout: '30s' })).toBe('done');
      const journal = await engine.journal();
      for (const id of ['e-1', 'c-1', ...Array.from({ length: 20 }, (_, n) => `o-${n}`)])
        expectWhole(journal, id);
      expect(recordsOf(journal, 'c-1').filter((r) => r.body.kind === 'Emitted')).toHaveLength(6);
    } finally {
      await admin.disconnect();
    }
  });
});

const kafka = createKafka({
  brokers: testBrokers(),
  clientId: 'test-half-refused',
  logLevelName: 'nothing',
});

/** Creates `[topic, partitions, max.message.bytes?]` topics; returns the connected admin. */
async function topicsOf(...specs: [string, number, number?][]): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: specs.map(([topic, numPartitions, maxBytes]) => ({
      topic,
      numPartitions,
      replicationFactor: 1,
      configEntries: maxBytes === undefined ? [] : [{ name: 'max.message.bytes', value: String(maxBytes) }],
    })),
    waitForLeaders: true,
  });
  return admin;
}

/** Every committed record of `topic`: a marker record is sent to `partition` and read back. */
async function readToEnd(topic: string, partition: number): Promise<Consumed[]> {
  const end = kafka.producer();
  await end.connect();
  await end.send({ topic, messages: [{ value: 'end', partition }] }).finally(() => end.disconnect());
  const read = await consumeUntil({
    brokers: testBrokers(),
    topic,
    until: (records) => records.some((r) => r.value === 'end'),
  });
  return read.filter((r) => r.value !== 'end');
}

describe('a writer after a transaction Kafka half refused', () => {
  it('lands every later transaction at the offset the broker acknowledged, on both of its producers', async () => {
    const ns = uniqueNamespace('half-refused');
    const [journal, outbox] = [`${ns}.journal`, `${ns}.outbox`];
    const admin = await topicsOf([journal, 1], [outbox, 1, 1000]);
    const writer = await TickWriter.connect(kafka, `${ns}.p0`);
    const record = (value: string): OutMessage => ({ topic: journal, partition: 0, key: 'w', value });
    const at = async (messages: OutMessage[]) => (await writer.write(messages)).get(`${journal}:0`);
    try {
      const acknowledged = new Map<string, number | undefined>([['first', await at([record('first')])]]);
      const refused = await at([
        record('refused'),
        { topic: outbox, partition: 0, key: 'k', value: 'x'.repeat(5_000) },
      ]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(writer.classify(refused)).toMatchObject({ kind: 'rejected', type: 'MESSAGE_TOO_LARGE' });
      // The two producers take turns (I4): each writes twice more, one record each, as many as the refused
      // tick's journal batch held, and then two.
      for (const value of ['a', 'b', 'c', 'd']) acknowledged.set(value, await at([record(value)]));
      for (const value of ['e', 'f']) acknowledged.set(value, await at([record(value), record(`${value}+`)]));

      const read = await readToEnd(journal, 0);
      const offsets = new Map(read.map((r) => [r.value, Number(r.offset)]));
      expect(offsets.has('refused')).toBe(false); // aborted with the refused emit
      for (const [value, offset] of acknowledged)
        expect({ value, offset: offsets.get(value) }).toEqual({ value, offset });
      expect(read.map((r) => r.value)).toEqual(['first', 'a', 'b', 'c', 'd', 'e', 'e+', 'f', 'f+']);
    } finally {
      await writer.close();
      await admin.disconnect();
    }
  });
});

describe('a client after a produce Kafka half refused', () => {
  it('writes every later command it was told was acknowledged', async () => {
    const ns = uniqueNamespace('half-refused-client');
    const topics = topicNames(ns);
    const admin = await topicsOf([topics.events, 1], [topics.commands, 2, 2000]);
    const ids = Array.from({ length: 20 }, (_, n) => `w-${n}`);
    const big = ids.find((id) => partitionFor(id, 2) === 0) ?? '';
    const small = ids.find((id) => partitionFor(id, 2) === 1) ?? '';
    const client = new Client({ brokers: testBrokers(), namespace: ns, logger: silentLogger });
    try {
      await client.signal(small, 'warm', null);
      // One produce: the broker appends partition 1's batch and refuses partition 0's.
      const refused = await Promise.allSettled([
        client.signal(big, 'too-big', 'x'.repeat(5_000)),
        client.signal(small, 'beside-it', null),
      ]);
      expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      for (const name of ['after-1', 'after-2']) await client.signal(small, name, null); // one record each
      await client.signal(big, 'after-3', null);

      const read = await readToEnd(topics.commands, 1);
      const names = (p: number) =>
        read.filter((r) => r.partition === p).map((r) => (JSON.parse(r.value) as { name: string }).name);
      // "beside-it" was written although its call failed: the produce's answer was one error for both.
      expect(names(1)).toEqual(['warm', 'beside-it', 'after-1', 'after-2']);
      expect(names(0)).toEqual(['after-3']);
    } finally {
      await client.close();
      await admin.disconnect();
    }
  });
});
