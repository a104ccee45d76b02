/**
 * Proves the engine end to end on the real broker: a 3-step workflow completes and its journal, decoded
 * with avsc and schemas/journal.avsc alone (not the engine's codec), reads WorkflowStarted, three
 * StepCompleted, WorkflowCompleted in sequence order; and a duplicate start of one id gives one workflow.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { createKafka, partitionFor, readPartitions, topicNames } from '../../src/kafka/index.js';
import { Engine, recordsOf } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';

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

    const kafka = createKafka({ brokers: engine.brokers, clientId: 'test-avsc' });
    const decoded: Array<{ kind: string; seq: number; workflowId: string; value: Record<string, unknown> }> =
      [];
    await readPartitions(kafka, {
      topic: topicNames(engine.namespace).journal,
      from: new Map([[0, 0]]),
      groupPrefix: engine.namespace,
      timeoutMs: 20_000,
      onMessage: (_, message) => {
        const value = journalType.fromBuffer(message.value ?? Buffer.alloc(0)) as Record<string, unknown>;
        if (value.workflowId === 'o-1')
          decoded.push({ kind: String(value.kind), seq: Number(value.seq), workflowId: 'o-1', value });
        return value.kind === 'WorkflowCompleted';
      },
    });
    expect(decoded.map((r) => r.kind)).toEqual([
      'WorkflowStarted',
      'StepCompleted',
      'StepCompleted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    expect(decoded.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    // Speculation (partition-owner I8): the body returned right after its last step, so its completion
    // was decided into the same transaction as that step's result — one tick, one timestamp.
    expect(decoded[4]?.value.atMs).toBe(decoded[3]?.value.atMs);
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
