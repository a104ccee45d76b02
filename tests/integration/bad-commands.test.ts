/**
 * Proves that bad commands never stop a partition (DESIGN §2): each kind of bad command sent by a plain
 * Kafka producer — bad JSON, unknown type, unknown workflow, schema violation, oversize, undecodable
 * Avro — lands in `ns.dlq` with its code and reason in headers, its source offset and its original bytes,
 * and a good command behind them on the same partition still runs; and a valid Confluent-framed Avro
 * command starts a workflow like a JSON one.
 */
import type { Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommandAvro } from '../../src/commands/index.js';
import { ErrorCode, workflow } from '../../src/index.js';
import { DLQ_HEADERS } from '../../src/partition/messages.js';
import { consumeUntil } from '../support/consume.js';
import { Engine, recordsOf } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';

const echo = workflow('echo', async (ctx, input: { n: number }) => {
  const doubled = await ctx.step('double', () => input.n * 2);
  return { doubled };
});

let engine: Engine;
afterEach(async () => engine.closeAll());

/** Sends one message and returns the offset the broker gave it. */
async function sendOne(p: Producer, key: string, value: Buffer): Promise<string> {
  const [meta] = await p.send({
    topic: `${engine.namespace}.commands`,
    acks: -1,
    messages: [{ key, value }],
  });
  if (meta === undefined) throw new Error('the broker returned no record metadata');
  expect(meta.partition).toBe(0);
  return meta.baseOffset ?? '';
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

describe('bad commands', () => {
  it('each bad command goes to the DLQ with its code, reason, offset and bytes, and a good one behind them completes', async () => {
    engine = new Engine(uniqueNamespace('badcmd'));
    await engine.executor({ workflows: [echo], partitions: 1, limits: { commandBytesMax: 2048 } });
    const client = engine.client();
    const p = await engine.rawProducer();
    const id = 'bad-1';
    const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
    const bad: Array<{ code: string; value: Buffer }> = [
      { code: ErrorCode.CommandBadJson, value: Buffer.from('{not json at all', 'utf8') },
      { code: ErrorCode.CommandUnknownType, value: json({ type: 'explode', id }) },
      {
        code: ErrorCode.CommandUnknownWorkflow,
        value: json({ type: 'start', workflow: 'noSuchWorkflow', id, input: { n: 1 } }),
      },
      { code: ErrorCode.CommandSchemaViolation, value: json({ type: 'start', id, input: { n: 1 } }) },
      {
        code: ErrorCode.CommandOversize,
        value: json({ type: 'start', workflow: 'echo', id, input: { n: 1, pad: 'x'.repeat(4096) } }),
      },
      {
        code: ErrorCode.CommandBadAvro,
        value: Buffer.concat([Buffer.from([0x00, 0x00, 0x00, 0x00, 0x2a]), Buffer.from('garbage!', 'utf8')]),
      },
    ];
    expect(bad[4]?.value.length).toBeGreaterThan(4096);
    const sent: Array<{ code: string; value: Buffer; offset: string }> = [];
    for (const b of bad) sent.push({ ...b, offset: await sendOne(p, id, b.value) });
    const goodOffset = await sendOne(p, id, json({ type: 'start', workflow: 'echo', id, input: { n: 21 } }));
    expect(new Set([...sent.map((s) => s.offset), goodOffset]).size).toBe(bad.length + 1);

    expect(await client.handle(id).result({ timeout: '20s' })).toEqual({ doubled: 42 });

    const dlq = await consumeUntil({
      brokers: engine.brokers,
      topic: `${engine.namespace}.dlq`,
      until: (records) => records.length >= bad.length,
      timeoutMs: 15_000,
    });
    expect(dlq).toHaveLength(bad.length);
    for (const s of sent) {
      const dead = dlq.find((d) => header(d.message.headers, DLQ_HEADERS.sourceOffset) === s.offset);
      expect(dead, `no DLQ record for offset ${s.offset} (${s.code})`).toBeDefined();
      const headers = dead?.message.headers;
      expect(header(headers, DLQ_HEADERS.code)).toBe(s.code);
      expect(header(headers, DLQ_HEADERS.reason)?.length ?? 0).toBeGreaterThan(0);
      expect(header(headers, DLQ_HEADERS.sourceTopic)).toBe(`${engine.namespace}.commands`);
      expect(header(headers, DLQ_HEADERS.sourcePartition)).toBe('0');
      expect(dead?.key).toBe(id);
      expect(dead?.message.value?.equals(s.value)).toBe(true);
    }
    expect(dlq.map((d) => header(d.message.headers, DLQ_HEADERS.code))).toEqual(bad.map((b) => b.code));

    // The rejection that named a workflow is journaled too; the good start made exactly one workflow.
    const records = recordsOf(await engine.journal(), id);
    const rejected = records.filter((r) => r.body.kind === 'CommandRejected');
    expect(rejected.map((r) => r.body)).toEqual([
      expect.objectContaining({
        code: ErrorCode.CommandUnknownWorkflow,
        sourceOffset: sent[2]?.offset,
      }),
    ]);
    expect(records.filter((r) => r.body.kind === 'WorkflowStarted')).toHaveLength(1);
    expect(records.at(-1)?.body.kind).toBe('WorkflowCompleted');
  });

  it('a valid Confluent-framed Avro start command starts a workflow that completes', async () => {
    engine = new Engine(uniqueNamespace('avrocmd'));
    await engine.executor({ workflows: [echo], partitions: 1 });
    const client = engine.client();
    const p = await engine.rawProducer();
    const id = 'avro-1';
    const value = encodeCommandAvro(
      { type: 'start', workflow: 'echo', id, input: { n: 5 }, idempotency: null, parent: null },
      7,
    );
    expect(value[0]).toBe(0x00);
    await sendOne(p, id, value);

    expect(await client.handle(id).result({ timeout: '20s' })).toEqual({ doubled: 10 });
    const records = recordsOf(await engine.journal(), id);
    expect(records.map((r) => r.body.kind)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    expect(records[0]?.body).toMatchObject({ workflow: 'echo', input: { n: 5 } });
  });
});
