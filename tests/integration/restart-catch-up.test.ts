/**
 * Restart and rebuild (DESIGN §3, §6): an executor restarted on the same state dir catches up from its
 * checkpoint, reading only the records written while it was away (asserted by count); with the state dir
 * deleted it rebuilds every state from the journal, with identical results. Also: a 3 s `ctx.sleep`
 * spanning an executor restart fires exactly once and never before its fireAt.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { createKafka, topicNames } from '../../src/kafka/index.js';
import { sleeper } from '../fixtures/workflows/steps-log.js';
import { Engine, recordsOf, tempDir } from '../support/engine.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const counter = workflow('counter', async (ctx, input: { n: number }) => {
  const a = await ctx.step('double', () => input.n * 2);
  const b = await ctx.step('inc', () => a + 1);
  return { n: input.n, value: b, at: ctx.now() };
});

async function runAll(engine: Engine, ids: string[]): Promise<unknown[]> {
  const client = engine.client();
  const handles = await Promise.all(ids.map((id, n) => client.start(counter, { id, input: { n } })));
  return Promise.all(handles.map((h) => h.result({ timeout: '60s' })));
}

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('restart and rebuild', () => {
  it('restart on the same state dir catches up from the checkpoint, not from offset 0', async () => {
    engine = new Engine(uniqueNamespace('restart'));
    const dirA = tempDir('a');
    const a = await engine.executor({ workflows: [counter], stateDir: dirA });
    await runAll(engine, ['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    await a.stop();

    // While A is away, B (its own cache) runs 4 more workflows. Each is 6 records: started, two steps
    // (StepStarted and StepCompleted each), completed.
    const b = await engine.executor({ workflows: [counter], stateDir: tempDir('b') });
    expect(b.ownerOf(0)?.stats.catchUpRecords).toBe(5 * 6); // B's empty cache reads everything before it
    await runAll(engine, ['d-0', 'd-1', 'd-2', 'd-3']);
    await b.stop();

    const again = await engine.executor({ workflows: [counter], stateDir: dirA });
    const stats = again.ownerOf(0)?.stats;
    expect(stats?.cachedCheckpoint).toBeGreaterThan(0);
    expect(stats?.catchUpRecords).toBe(4 * 6); // only what B wrote, not A's own 30
    const client = engine.client();
    expect((await client.describe('c-3')).status).toBe('completed');
    expect((await client.describe('d-2')).result).toMatchObject({ n: 2, value: 5 });
  });

  it('with the state dir deleted, state is rebuilt from the log and results are identical', async () => {
    engine = new Engine(uniqueNamespace('rebuild'));
    const dir = tempDir('r');
    const first = await engine.executor({ workflows: [counter], stateDir: dir });
    const results = await runAll(engine, ['r-0', 'r-1', 'r-2']);
    const client = engine.client();
    const before = await Promise.all(['r-0', 'r-1', 'r-2'].map((id) => client.describe(id)));
    await first.stop();
    rmSync(dir, { recursive: true, force: true });

    const rebuilt = await engine.executor({ workflows: [counter], stateDir: dir });
    expect(rebuilt.ownerOf(0)?.stats.cachedCheckpoint).toBe(-1);
    expect(rebuilt.ownerOf(0)?.stats.catchUpRecords).toBe(3 * 6);
    const after = await Promise.all(['r-0', 'r-1', 'r-2'].map((id) => client.describe(id)));
    expect(after.map((d) => [d.status, d.result])).toEqual(before.map((d) => [d.status, d.result]));
    expect(after.map((d) => d.result)).toEqual(results);
  });

  it('a 3 s sleep spanning an executor restart fires exactly once and never before its fireAt', async () => {
    engine = new Engine(uniqueNamespace('sleep'));
    const dir = tempDir('s');
    const first = await engine.executor({ workflows: [sleeper], stateDir: dir });
    const client = engine.client();
    const handle = await client.start(sleeper, { id: 'nap-1', input: { sleepMs: 3_000 } });
    const scheduled = await waitFor(
      async () => recordsOf(await engine.journal(), 'nap-1').find((r) => r.body.kind === 'TimerScheduled'),
      { timeoutMs: 20_000, message: 'the sleep was never scheduled' },
    );
    await first.stop();
    await engine.executor({ workflows: [sleeper], stateDir: dir });
    const result = (await handle.result({ timeout: '30s' })) as { before: number; woke: number };

    const body = scheduled.body.kind === 'TimerScheduled' ? scheduled.body : undefined;
    const fireAtMs = body?.fireAtMs ?? Number.POSITIVE_INFINITY;
    expect(fireAtMs - scheduled.atMs).toBe(3_000);
    const fired = recordsOf(await engine.journal(), 'nap-1').filter((r) => r.body.kind === 'TimerFired');
    expect(fired).toHaveLength(1);
    expect(fired[0]?.atMs).toBeGreaterThanOrEqual(fireAtMs);
    expect(result.woke).toBeGreaterThanOrEqual(fireAtMs);
  });

  it('a cache from another journal (topics deleted and made again) is rebuilt, not trusted (claim.ts I5)', async () => {
    engine = new Engine(uniqueNamespace('foreign-cache'));
    const dir = tempDir('foreign');
    const first = await engine.executor({ workflows: [counter], stateDir: dir });
    await runAll(engine, ['c-0', 'c-1', 'c-2']);
    await first.stop();

    // The namespace's topics are deleted and made again: a new, empty journal under the same state dir.
    const admin = createKafka({ brokers: testBrokers(), clientId: 'test-foreign-cache' }).admin();
    await admin.connect();
    try {
      const topics = Object.values(topicNames(engine.namespace));
      await admin.deleteTopics({ topics });
      await waitFor(async () => !(await admin.listTopics()).some((t) => topics.includes(t)), {
        timeoutMs: 30_000,
        message: 'the topics were never deleted',
      });
    } finally {
      await admin.disconnect();
    }

    const again = await engine.executor({ workflows: [counter], stateDir: dir });
    expect(again.ownerOf(0)?.stats.cachedCheckpoint).toBe(-1); // cleared: it was ahead of the new journal
    const handle = await engine.client().start(counter, { id: 'c-1', input: { n: 20 } });
    const result = await handle.result({ timeout: '60s' });
    expect(result).toMatchObject({ n: 20, value: 41 }); // run anew in the new journal, not the old c-1's answer
    const journal = await engine.journal();
    expect(recordsOf(journal, 'c-1').filter((r) => r.body.kind === 'WorkflowStarted')).toHaveLength(1);
    expect(recordsOf(journal, 'c-0')).toEqual([]);
  });
});
