/**
 * The adaptive fetch wait on the real broker (src/kafka/fetch-wait-patch.ts): an idle consumer fetches at
 * its idle wait, not its active one; a record sent to an idle consumer still arrives at once (the broker
 * answers a waiting fetch when a record comes); a stop ends a long fetch in flight at once and the consumer
 * still leaves its group; no fetched batch is kept once handled (a fetch listens for the stop only while in
 * flight); a consumer whose wait stopped before it ran fetches at its active wait instead of spinning; and
 * an idle executor's command consumer asks the broker every couple of seconds instead of twice a second,
 * and still starts a workflow at once.
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Consumer, Kafka } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { createKafka, FetchWait, type FetchWaitLimits, fetchWaitOption } from '../../src/kafka/index.js';
import { type ConnectionInternals, kafkajsConnection } from '../../src/kafka/kafkajs-internals.js';
import { Engine } from '../support/engine.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  cleanups = [];
});

/**
 * A topic of one partition, a producer, and a consumer of it whose waits `limits` chooses (its FetchWait
 * stopped before it runs, if asked).
 */
async function setup(
  limits: FetchWaitLimits,
  options: { readonly stopBeforeRun?: boolean } = {},
): Promise<{
  kafka: Kafka;
  topic: string;
  groupId: string;
  wait: FetchWait;
  consumer: Consumer;
  fetches: () => number;
  received: Map<string, number>;
  firstBatch: () => WeakRef<object> | undefined;
  send: (value: string) => Promise<number>;
}> {
  const kafka = createKafka({ brokers: testBrokers(), clientId: 'test-fetch-wait', logLevelName: 'nothing' });
  const topic = `${uniqueNamespace('fetch-wait')}.t`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const wait = new FetchWait(limits, Date.now());
  const groupId = `${topic}.g`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 30_000,
    maxWaitTimeInMs: fetchWaitOption(wait),
  });
  cleanups.push(async () => {
    wait.stop();
    await consumer.disconnect();
  });
  let fetched = 0;
  consumer.on(consumer.events.FETCH, () => {
    fetched += 1;
  });
  const received = new Map<string, number>();
  let firstBatch: WeakRef<object> | undefined;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  if (options.stopBeforeRun === true) wait.stop();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (batch.messages.length > 0) firstBatch ??= new WeakRef(batch);
      for (const message of batch.messages) received.set(String(message.value), Date.now());
    },
  });
  await waitFor(() => fetched > 0, { timeoutMs: 30_000, message: 'the consumer never fetched' });
  const send = async (value: string): Promise<number> => {
    const sentAt = Date.now();
    await producer.send({ topic, messages: [{ value }] });
    return sentAt;
  };
  return {
    kafka,
    topic,
    groupId,
    wait,
    consumer,
    fetches: () => fetched,
    received,
    firstBatch: () => firstBatch,
    send,
  };
}

describe('an adaptive fetch wait', () => {
  it('fetches at its idle wait once idle, and a record sent meanwhile still arrives at once', async () => {
    const { fetches, received, send } = await setup({ activeMs: 100, idleMs: 2_500, idleAfterMs: 300 });
    await sleep(1_500); // idle: no record came
    const before = fetches();
    await sleep(3_000);
    const idleFetches = fetches() - before;
    expect(idleFetches).toBeGreaterThanOrEqual(1);
    expect(idleFetches).toBeLessThanOrEqual(3); // at the active wait, ~30

    for (const value of ['a', 'b', 'c']) {
      await sleep(1_200); // in the middle of a long fetch
      const sentAt = await send(value);
      const arrivedAt = await waitFor(() => received.get(value), { timeoutMs: 10_000 });
      expect(arrivedAt - sentAt).toBeLessThan(1_000); // not held until the long fetch ends
    }
    // Records came: the next fetches wait the active wait again.
    const afterRecords = fetches();
    await sleep(800);
    expect(fetches() - afterRecords).toBeGreaterThanOrEqual(3);
  });

  it('a stop ends a long fetch in flight at once, and the consumer leaves its group', async () => {
    const { kafka, groupId, wait, consumer } = await setup({
      activeMs: 100,
      idleMs: 8_000,
      idleAfterMs: 300,
    });
    await sleep(1_500); // a fetch of up to 8 s is in flight
    const stopAt = Date.now();
    wait.stop();
    await consumer.disconnect();
    expect(Date.now() - stopAt).toBeLessThan(3_000); // without the patch's race: the fetch's 6.5 s or so
    const admin = kafka.admin();
    await admin.connect();
    const { groups } = await admin.describeGroups([groupId]);
    await admin.disconnect();
    expect(groups[0]?.members).toEqual([]);
  });
});

describe("a fetch wait, over a consumer's life", () => {
  it('keeps no fetched batch once it is handled: a fetch listens for the stop only while in flight', async () => {
    const { wait, fetches, received, firstBatch, send } = await setup({
      activeMs: 100,
      idleMs: 2_500,
      idleAfterMs: 10_000,
    });
    await send('x');
    await waitFor(() => received.get('x'), { timeoutMs: 10_000 });
    const after = fetches();
    await waitFor(() => fetches() > after + 5, { timeoutMs: 10_000 }); // the loop has moved on
    expect(wait.listening).toBeLessThanOrEqual(1); // the fetch in flight
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(20);
    }
    expect(firstBatch()).toBeDefined();
    expect(firstBatch()?.deref()).toBeUndefined();
  });

  it('a consumer whose wait stopped before it ran fetches at the active wait, not in a loop', async () => {
    const { fetches } = await setup(
      { activeMs: 200, idleMs: 2_500, idleAfterMs: 300 },
      { stopBeforeRun: true },
    );
    const before = fetches();
    await sleep(1_000); // an event loop spun by empty answers would not get here
    expect(fetches() - before).toBeGreaterThanOrEqual(2);
    expect(fetches() - before).toBeLessThanOrEqual(8);
  });
});

describe('an idle executor', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.closeAll();
    engine = undefined;
  });

  it('fetches commands every couple of seconds, not twice a second, and starts a workflow at once', async () => {
    const noop = workflow('noop', async (ctx) => ctx.step('one', () => 1));
    engine = new Engine(uniqueNamespace('idle-fetch'));
    await engine.executor({ workflows: [noop], partitions: 2 }); // session 6 s: idle wait 2 s
    const connection = kafkajsConnection();
    const send = connection.prototype.send;
    let commandFetches = 0;
    connection.prototype.send = function (this: ConnectionInternals, request) {
      if (this.clientId.startsWith('logbook-executor') && request.request.apiName === 'Fetch')
        commandFetches += 1;
      return send.call(this, request);
    };
    cleanups.push(async () => {
      connection.prototype.send = send;
    });
    const client = engine.client();
    expect(await (await client.start(noop, { id: `w-${randomUUID()}` })).result({ timeout: '30s' })).toBe(1);
    await sleep(6_000); // past IDLE_AFTER_MS, for the executor and the client
    const before = commandFetches;
    await sleep(4_000);
    expect(commandFetches - before).toBeLessThanOrEqual(3); // at 500 ms, 8
    const startedAt = Date.now();
    const handle = await client.start(noop, { id: `w-${randomUUID()}` });
    expect(await handle.result({ timeout: '30s' })).toBe(1);
    // Neither the command fetch nor the client's event fetch was held for its idle wait (2 s, 3 s).
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });
});
