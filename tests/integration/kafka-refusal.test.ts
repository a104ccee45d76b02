/**
 * When Kafka itself refuses a tick (a record-level error the edge checks could not foresee), the owner
 * finds the workflow that wrote the refused record and fails only that call; the other workflows of the
 * tick commit, and the partition goes on (issue 6; src/partition/isolation.ts, owner-failure.ts).
 *
 * The refusal is real: an emit topic's max.message.bytes is lowered after the executor's topic catalog
 * cached it, so the emit passes the edge check and the broker answers MESSAGE_TOO_LARGE.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, workflow } from '../../src/index.js';
import { createKafka } from '../../src/kafka/index.js';
import { Engine, recordsOf } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

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
      const executor = await engine.executor({ workflows: [emitter, ordinary] });
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
    } finally {
      await admin.disconnect();
    }
  });
});
