/**
 * Proves two promises README makes on the real broker: `ctx.emit` writes its message exactly once, in the
 * transaction of its Emitted record (a read_committed reader sees one message, even after a restart
 * replays the body), and `ctx.child` runs a child workflow whose id lives on another partition and hands
 * its result back to the parent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { createKafka, partitionFor } from '../../src/kafka/index.js';
import { consumeUntil } from '../support/consume.js';
import { Engine, recordsOf, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';

const PARTITIONS = 3;

const invoice = workflow('invoice', async (ctx, input: { orderId: string }) => {
  const total = await ctx.step('total', () => 42);
  return { orderId: input.orderId, total };
});

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('ctx.emit and ctx.child', () => {
  it('emits once in the journal transaction, and a child on another partition returns its result', async () => {
    engine = new Engine(uniqueNamespace('emit-child'));
    const outbox = `${engine.namespace}.outbox`;
    const admin = createKafka({ brokers: engine.brokers, clientId: 'test-outbox' }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: outbox, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();

    // Parent and child ids that hash to different partitions, so the child's start and result cross owners.
    const parentId = 'p-1';
    const childId =
      ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'].find(
        (id) => partitionFor(id, PARTITIONS) !== partitionFor(parentId, PARTITIONS),
      ) ?? 'c-1';
    const parent = workflow('parent', async (ctx) => {
      const bill = await ctx.child(invoice, childId, { orderId: 'o-9' });
      await ctx.emit(outbox, 'o-9', { event: 'Invoiced', total: bill.total });
      return bill;
    });

    const dir = tempDir('emit');
    const first = await engine.executor({
      workflows: [parent, invoice],
      partitions: PARTITIONS,
      stateDir: dir,
    });
    const result = await (await engine.client().start(parent, { id: parentId })).result({ timeout: '30s' });
    expect(result).toEqual({ orderId: 'o-9', total: 42 });
    await first.stop();
    // A restart replays the parent's history: the emit is journaled, so it is not written again.
    await engine.executor({
      workflows: [parent, invoice],
      partitions: PARTITIONS,
      stateDir: tempDir('emit-2'),
    });

    const journal = await engine.journal();
    const parentRecords = recordsOf(journal, parentId).map((r) => r.body.kind);
    expect(parentRecords).toEqual([
      'WorkflowStarted',
      'ChildStarted',
      'ChildCompleted',
      'Emitted',
      'WorkflowCompleted',
    ]);
    expect(recordsOf(journal, childId).at(-1)?.body.kind).toBe('WorkflowCompleted');

    // A marker written after the restart: everything before it on the outbox has been read once it arrives.
    const producer = await engine.rawProducer();
    await producer.send({ topic: outbox, acks: -1, messages: [{ key: 'marker', value: '"end"' }] });
    const seen = await consumeUntil({
      brokers: engine.brokers,
      topic: outbox,
      until: (r) => r.some((x) => x.key === 'marker'),
    });
    const emitted = seen.filter((r) => r.key !== 'marker');
    expect(emitted.map((r) => JSON.parse(r.value))).toEqual([{ event: 'Invoiced', total: 42 }]);
    expect(emitted[0]?.key).toBe('o-9');
  });
});
