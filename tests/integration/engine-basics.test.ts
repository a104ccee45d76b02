/**
 * Proves the engine end to end on the real broker: a 3-step workflow completes and its journal, decoded
 * with avsc and schemas/journal.avsc alone (not the engine's codec), reads WorkflowStarted, a StepStarted
 * and a StepCompleted per step, WorkflowCompleted in sequence order; and a duplicate start of one id gives
 * one workflow; the client fetches each event once, with the commit marker after it, and logs and skips a
 * record of the events topic that is not an event.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { workflow } from '../../src/index.js';
import { createKafka, partitionFor, readPartitions, topicNames } from '../../src/kafka/index.js';
import { type ConnectionInternals, kafkajsConnection } from '../../src/kafka/kafkajs-internals.js';
import type { LogFields, Logger } from '../../src/logging/index.js';
import { Engine, recordsOf } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const journalType = avro.Type.forSchema(
  JSON.parse(readFileSync('schemas/journal.avsc', 'utf8')) as avro.Schema,
);

const order = workflow('order', async (ctx, input: { sku: string }) => {
  const stock = await ctx.step('validateInventory', () => ({ sku: input.sku, inStock: true }));
  const payment = await ctx.step('reservePayment', ({ idempotencyKey }) => ({
    auth: `auth-${idempotencyKey}`,
  }));
  const shipment = await ctx.step('notifyShipping', () => ({ tracking: `T-${stock.sku}` }));
  return { payment, shipment };
});

let engine: Engine;
afterEach(async () => engine.closeAll());

/** What a Fetch response holds, as far as the test reads it. */
interface FetchData {
  readonly responses?: readonly {
    readonly topicName: string;
    readonly partitions: readonly {
      readonly partition: number;
      readonly messages: readonly { readonly offset: string; readonly isControlRecord?: boolean }[];
    }[];
  }[];
}

/**
 * Reports every record (as `topic:partition:offset:event|marker`) that a Fetch of the client's returns,
 * by wrapping KafkaJS's Connection.send; returns the unwrap.
 */
function watchClientFetches(seen: (record: string) => void): () => void {
  const connection = kafkajsConnection();
  const send = connection.prototype.send;
  connection.prototype.send = async function (this: ConnectionInternals, args) {
    const data = await send.call(this, args);
    if (this.clientId === 'logbook-client' && args.request.apiName === 'Fetch')
      for (const topic of (data as FetchData).responses ?? [])
        for (const p of topic.partitions)
          for (const m of p.messages)
            seen(`${topic.topicName}:${p.partition}:${m.offset}:${m.isControlRecord ? 'marker' : 'event'}`);
    return data;
  };
  return () => {
    connection.prototype.send = send;
  };
}

describe('a workflow on the real broker', () => {
  it('completes, and its journal decodes with avsc and schemas/journal.avsc alone', async () => {
    engine = new Engine(uniqueNamespace('basics'));
    await engine.executor({ workflows: [order] });
    const client = engine.client();
    const handle = await client.start(order, { id: 'o-1', input: { sku: 'A-1' } });
    expect(await handle.result({ timeout: '30s' })).toEqual({
      payment: { auth: 'auth-o-1/2' },
      shipment: { tracking: 'T-A-1' },
    });

    const kafka = createKafka({ brokers: engine.brokers, clientId: 'test-avsc', logLevelName: 'nothing' });
    const topic = topicNames(engine.namespace).journal;
    const admin = kafka.admin();
    await admin.connect();
    const end = Number((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high ?? 0);
    await admin.disconnect();
    const decoded: Array<{ kind: string; seq: number; workflowId: string; value: Record<string, unknown> }> =
      [];
    await readPartitions(kafka, {
      topic,
      from: new Map([[0, 0]]),
      ends: new Map([[0, end]]),
      groupPrefix: engine.namespace,
      stallMs: 20_000,
      onBatch: (_, messages) => {
        for (const message of messages) {
          const value = journalType.fromBuffer(message.value ?? Buffer.alloc(0)) as Record<string, unknown>;
          if (value.workflowId === 'o-1')
            decoded.push({ kind: String(value.kind), seq: Number(value.seq), workflowId: 'o-1', value });
        }
      },
    });
    expect(decoded.map((r) => r.kind)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    expect(decoded.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Speculation (owner-tick.ts I4): the body returned right after its last step, so its completion
    // was decided into the same transaction as that step's result — one tick, one timestamp.
    expect(decoded[7]?.value.atMs).toBe(decoded[6]?.value.atMs);
    // And each step's attempt was decided into the tick that recorded the step before it.
    expect(decoded[3]?.value.atMs).toBe(decoded[2]?.value.atMs);
  });

  it('a command produced onto the wrong partition is forwarded to the owner of its id and runs once', async () => {
    engine = new Engine(uniqueNamespace('misrouted'));
    await engine.executor({ workflows: [order], partitions: 3 });
    const id = 'o-elsewhere';
    const home = partitionFor(id, 3);
    const wrong = (home + 1) % 3;
    const producer = await engine.rawProducer();
    const value = JSON.stringify({ type: 'start', workflow: 'order', id, input: { sku: 'Z' } });
    await producer.send({
      topic: topicNames(engine.namespace).commands,
      messages: [{ partition: wrong, value }],
    });
    const result = await engine.client().handle(id).result({ timeout: '30s' });
    expect(result).toEqual({ payment: { auth: `auth-${id}/2` }, shipment: { tracking: 'T-Z' } });
    const records = recordsOf(await engine.journal(), id);
    expect(records.filter((r) => r.body.kind === 'WorkflowStarted')).toHaveLength(1);
  });

  it("Kafka client logs go through the executor's logger, never to stdout", async () => {
    engine = new Engine(uniqueNamespace('logs'));
    const lines: { level: string; message: string; source: unknown }[] = [];
    const stdout: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const previous = process.env.LOGBOOK_KAFKAJS_LOG;
    process.env.LOGBOOK_KAFKAJS_LOG = 'info'; // KafkaJS logs its group joins at INFO
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stdout.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      await engine.executor({
        workflows: [order],
        logger: {
          log: (level, message, fields) => void lines.push({ level, message, source: fields?.source }),
        },
      });
    } finally {
      process.stdout.write = write;
      if (previous === undefined) delete process.env.LOGBOOK_KAFKAJS_LOG;
      else process.env.LOGBOOK_KAFKAJS_LOG = previous;
    }
    const kafkaLines = lines.filter((l) => String(l.source).startsWith('kafkajs:'));
    expect(kafkaLines.length).toBeGreaterThan(0);
    expect(stdout.filter((text) => text.includes('kafkajs'))).toEqual([]);
  });

  it('commits the consumer group offset outside the ticks, never past the journaled command position', async () => {
    engine = new Engine(uniqueNamespace('groupoffset'));
    const executor = await engine.executor({
      workflows: [order],
      partitions: 2,
      limits: { offsetCommitIntervalMs: 200 },
    });
    const client = engine.client();
    const handles = await Promise.all(
      Array.from({ length: 12 }, (_, i) => client.start(order, { id: `g-${i}`, input: { sku: 'G' } })),
    );
    await Promise.all(handles.map((h) => h.result({ timeout: '30s' })));

    const kafka = createKafka({ brokers: engine.brokers, clientId: 'test-group', logLevelName: 'nothing' });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topic = topicNames(engine.namespace).commands;
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
      const group = async () => {
        const [entry] = await admin.fetchOffsets({ groupId: executor.groupId, topics: [topic] });
        return new Map(entry?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
      };
      // Every command was consumed; within a few commit intervals the group says so (the lag is 0).
      await waitFor(async () => reached(await group(), ends), {
        timeoutMs: 10_000,
        message: 'the group offset never reached the end of the commands topic',
      });
      // The journal accounts for every position the group holds (positions.ts I2).
      const journaled = new Map<number, number>();
      for (const r of await engine.journal())
        if (r.body.kind === 'CommandsConsumed')
          journaled.set(r.body.partition, Math.max(journaled.get(r.body.partition) ?? 0, r.body.nextOffset));
      for (const [p, offset] of await group()) expect(journaled.get(p) ?? 0).toBeGreaterThanOrEqual(offset);
    } finally {
      await admin.disconnect();
    }
  });

  it('the client fetches each event once, with the commit marker after it', async () => {
    engine = new Engine(uniqueNamespace('eventfetch'));
    // Every tick a transaction, so every event has a commit marker after it (events that follow their
    // journal records as a single produce have none: tick-events.test.ts).
    await engine.executor({ workflows: [order], partitions: 2, limits: { singleProduceTicks: false } });
    const client = engine.client();
    const fetched: string[] = [];
    const unwatch = watchClientFetches((record) => fetched.push(record));
    try {
      for (let i = 0; i < 6; i++)
        await (await client.start(order, { id: `f-${i}`, input: { sku: 'F' } })).result({ timeout: '30s' });
    } finally {
      unwatch();
    }
    const markers = fetched.filter((r) => r.endsWith(':marker'));
    expect(fetched.length - markers.length).toBeGreaterThanOrEqual(6); // the terminal events
    expect(markers.length).toBeGreaterThanOrEqual(6); // each in a committed transaction
    expect(fetched.filter((r, i) => fetched.indexOf(r) !== i)).toEqual([]); // nothing fetched twice (connection.ts I5)
  });

  it('the client logs and skips a record on the events topic that is not an event; results still arrive', async () => {
    engine = new Engine(uniqueNamespace('eventjunk'));
    await engine.executor({ workflows: [order], partitions: 1 });
    const lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
    const logger: Logger = { log: (level, message, fields) => lines.push({ level, message, fields }) };
    const client = new Client({
      brokers: engine.brokers,
      namespace: engine.namespace,
      logger,
      requeryMs: 1_000,
    });
    try {
      await (await client.start(order, { id: 'j-1', input: { sku: 'J' } })).result({ timeout: '30s' }); // positioned
      const producer = await engine.rawProducer();
      const junk = ['not json', 'null', '{"no":"id"}'];
      await producer.send({
        topic: topicNames(engine.namespace).events,
        messages: junk.map((value) => ({ key: 'j-2', value, partition: 0 })),
      });
      const handle = await client.start(order, { id: 'j-2', input: { sku: 'J' } });
      expect(await handle.result({ timeout: '15s' })).toMatchObject({ shipment: { tracking: 'T-J' } });
      const skipped = lines.filter((l) => l.message.includes('not a Logbook event'));
      expect(skipped.map((l) => l.level)).toEqual(['warn', 'warn', 'warn']);
      expect(skipped[0]?.fields).toMatchObject({ topic: topicNames(engine.namespace).events, partition: 0 });
    } finally {
      await client.close();
    }
  });

  it('a redelivered start of the same id does not create a second workflow', async () => {
    engine = new Engine(uniqueNamespace('dupstart'));
    await engine.executor({ workflows: [order] });
    const client = engine.client();
    const first = await client.start(order, { id: 'o-dup', input: { sku: 'B' } });
    await client.start(order, { id: 'o-dup', input: { sku: 'B' } });
    const resultA = await first.result({ timeout: '30s' });
    await client.start(order, { id: 'o-dup', input: { sku: 'C' } }); // after completion, too
    const resultB = await client.handle('o-dup').result({ timeout: '30s' });
    expect(resultB).toEqual(resultA);
    const status = await client.describe('o-dup');
    expect(status.status).toBe('completed');
    const records = recordsOf(await engine.journal(), 'o-dup');
    expect(records.filter((r) => r.body.kind === 'WorkflowStarted')).toHaveLength(1);
    expect(records.filter((r) => r.body.kind === 'StepCompleted')).toHaveLength(3);
  });
});

/** True when the group's offset is at the end of every partition that had commands. */
function reached(group: ReadonlyMap<number, number>, ends: ReadonlyMap<number, number>): boolean {
  return [...ends].every(([p, end]) => end === 0 || group.get(p) === end);
}
