/**
 * A tick's outcome events after its journal records (tick-events.ts, D35), on the real broker:
 *   - a workflow's completion goes out as two single produces: the journal's last record of the tick holds
 *     the event, and the event names that record's offset;
 *   - an owner killed between the two produces: its successor fences the events partition, finds the
 *     events missing and sends them once, then journals that it settled them; the broker refuses the old
 *     owner's late events; the owner after that neither fences nor sends anything.
 */
import type { Admin, KafkaMessage } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { FencedError } from '../../src/errors.js';
import { workflow } from '../../src/index.js';
import {
  decodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type TopicNames,
} from '../../src/journal/index.js';
import {
  createKafka,
  KafkaJournalReader,
  partitionFor,
  readPartitions,
  TickWriter,
  topicNames,
} from '../../src/kafka/index.js';
import {
  defaultOwnerLimits,
  JOURNAL_OFFSET_HEADER,
  journalMessage,
  journalThenEvents,
  type OutMessage,
  settleTickEvents,
  TICK_EVENTS_HEADER,
} from '../../src/partition/index.js';
import { Engine } from '../support/engine.js';
import { markerAfter, partitionEnd, testBrokers, uniqueNamespace } from '../support/kafka.js';

const kafka = createKafka({ brokers: testBrokers(), clientId: 'test-tick-events' });
let admin: Admin;
const writers: TickWriter[] = [];
let engine: Engine | undefined;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterEach(async () => {
  await engine?.closeAll();
  engine = undefined;
});

afterAll(async () => {
  await Promise.all(writers.map((w) => w.close()));
  await admin.disconnect();
});

/** Every committed message of partition `p` of `topic`, with its offset. */
async function readAll(topic: string, p: number): Promise<KafkaMessage[]> {
  const end = await partitionEnd(admin, topic, p);
  const out: KafkaMessage[] = [];
  await readPartitions(kafka, {
    topic,
    from: new Map([[p, 0]]),
    ends: new Map([[p, end]]),
    stallMs: 10_000,
    groupPrefix: 'test-tick-events',
    onBatch: (_, messages) => {
      out.push(...messages);
    },
  });
  return out;
}

const header = (m: KafkaMessage | undefined, name: string) => m?.headers?.[name]?.toString();

const double = workflow('double', async (ctx, input: { n: number }) => {
  const a = await ctx.step('one', () => input.n);
  return await ctx.step('two', () => a * 2);
});

describe('events after the journal, on the broker', () => {
  it("sends a workflow's completion after its journal records, held by the tick's last record", async () => {
    engine = new Engine(uniqueNamespace('tick-events'));
    // No confirming transaction by the clock: every tick that may be single produces is.
    await engine.executor({ workflows: [double], partitions: 2, limits: { confirmIntervalMs: 3_600_000 } });
    const client = engine.client();
    expect(
      await (await client.start(double, { id: 'd-1', input: { n: 21 } })).result({ timeout: '30s' }),
    ).toBe(42);
    const topics = topicNames(engine.namespace);
    const p = partitionFor('d-1', 2);
    const events = await readAll(topics.events, p);
    const done = events.find((m) => header(m, 'logbook-event') === 'WorkflowCompleted');
    const at = Number(header(done, JOURNAL_OFFSET_HEADER));
    expect(Number.isInteger(at)).toBe(true);
    const holder = (await readAll(topics.journal, p)).find((m) => Number(m.offset) === at);
    const kept = JSON.parse(header(holder, TICK_EVENTS_HEADER) ?? '[]') as { value: string }[];
    expect(kept.map((e) => e.value)).toEqual([done?.value?.toString()]);
  });

  it("re-sends the events an owner killed between its produces left unsent, and refuses the old owner's", async () => {
    const ns = uniqueNamespace('tick-events-kill');
    const topics = topicNames(ns);
    await admin.createTopics({
      topics: [topics.journal, topics.events].map((topic) => ({
        topic,
        numPartitions: 1,
        replicationFactor: 1,
      })),
      waitForLeaders: true,
    });
    const old = await writer(`${ns}.p0`);
    const oldAt = await claimed(old, 'old', topics);
    // An owner appends once its catch-up has read its claim, so after the claim's marker (I8's reason).
    await markerAfter(admin, topics.journal, oldAt);
    let late: readonly OutMessage[] = [];
    const killedBetween = async (messages: readonly OutMessage[]) => {
      if (messages[0]?.topic !== topics.events) return old.append(messages);
      late = messages;
      throw new Error('SIGKILL between the produces');
    };
    const send = journalThenEvents(killedBetween, ...completedTick(topics));
    await expect(send?.()).rejects.toThrow('SIGKILL');
    const holder = Number((await readAll(topics.journal, 0)).at(-1)?.offset); // the tick's last record

    const newer = await writer(`${ns}.p0`);
    const newerAt = await claimed(newer, 'newer', topics);
    expect(await settleTickEvents(settleDeps(newer, topics, 'newer'), newerAt, at(newerAt))).toBe(1);
    await expect(old.append(late)).rejects.toBeInstanceOf(FencedError); // the old owner's late events
    const journal = await readAll(topics.journal, 0);
    expect(decodeRecord(journal.at(-1)?.value ?? Buffer.alloc(0)).body.kind).toBe('CommandsConsumed'); // I7

    const events = await readAll(topics.events, 0);
    expect(events).toHaveLength(1); // the fence is an aborted record: no reader sees it
    expect(header(events[0], JOURNAL_OFFSET_HEADER)).toBe(String(holder));
    expect(events[0]?.value?.toString()).toBe(late[0]?.value);

    const eventsEnd = await partitionEnd(admin, topics.events);
    const third = await writer(`${ns}.p0`);
    const thirdAt = await claimed(third, 'third', topics);
    expect(await settleTickEvents(settleDeps(third, topics, 'third'), thirdAt, at(thirdAt))).toBe(0);
    expect(await readAll(topics.events, 0)).toHaveLength(1);
    expect(await partitionEnd(admin, topics.events)).toBe(eventsEnd); // settled once: no fence, no read of the events
  });
});

/** Writes `executorId`'s claim with `w` and returns its offset. */
async function claimed(w: TickWriter, executorId: string, topics: TopicNames): Promise<number> {
  const offsets = await w.claim([journalMessage(claim(executorId), topics, 0)]);
  return Number(offsets.get(`${topics.journal}:0`));
}

/** Where an owner that claimed at `claimAt` stands (no commands consumed). */
const at = (claimAt: number) => ({ nextCommandOffset: 0, epoch: claimAt + 1 });

async function writer(id: string): Promise<TickWriter> {
  const w = await TickWriter.connect(kafka, id);
  writers.push(w);
  return w;
}

function claim(executorId: string): JournalRecord {
  const body = { kind: 'OwnerClaimed' as const, partition: 0, claimId: executorId, executorId };
  return { schemaVersion: JOURNAL_SCHEMA_VERSION, workflowId: '', seq: 0, atMs: Date.now(), body };
}

/** A tick that completes workflow `w-1`: its record, its event, and what journalThenEvents takes. */
function completedTick(topics: TopicNames) {
  const event = { type: 'WorkflowCompleted' as const, id: 'w-1', workflow: 'double', atMs: 1, result: 42 };
  const record: JournalRecord = {
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    workflowId: 'w-1',
    seq: 1,
    atMs: 1,
    writerEpoch: 1,
    body: { kind: 'WorkflowCompleted', result: 42 },
  };
  const message: OutMessage = {
    topic: topics.events,
    partition: 0,
    key: 'w-1',
    value: JSON.stringify(event),
    headers: { 'logbook-event': event.type },
  };
  const target = {
    topics,
    partition: 0,
    appendEventsBytesMax: 64 * 1024,
    refused: () => false,
    logger: { log: () => undefined },
  };
  return [[journalMessage(record, topics, 0), message], [event], target] as const;
}

function settleDeps(w: TickWriter, topics: TopicNames, executorId: string) {
  const reader = (topic: string) => new KafkaJournalReader(kafka, admin, topic, 0, 'test-tick-events');
  return {
    writer: w,
    reader: reader(topics.journal),
    eventsReader: reader(topics.events),
    topics,
    partition: 0,
    executorId,
    limits: defaultOwnerLimits,
    logger: { log: () => undefined },
    clock: systemClock,
  };
}
