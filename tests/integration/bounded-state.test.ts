/**
 * State is bounded by what is live (issue 6), on the real broker: a 15,000-step workflow completes with
 * every status answer small, while 20 ordinary workflows behind it complete; finished workflows leave
 * memory; idle sleepers leave memory and their timers wait in the cache's index, yet every one fires and
 * completes; ids outside the BMP come back after a restart on the same state dir; past the retention a
 * finished workflow still answers, its result read from the journal, and a duplicate start of it is still
 * recognised.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { Engine, recordsOf, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const ordinary = workflow('ordinary', async (ctx, input: { n: number }) => ctx.step('one', () => input.n));

const sleeper = workflow('sleeper', async (ctx, input: { ms: number }) => {
  await ctx.sleep(input.ms);
  return ctx.step('woke', () => ctx.workflowId);
});

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('bounded state', () => {
  it('a 15,000-step workflow completes, status stays small, and 20 ordinary workflows behind it complete', async () => {
    engine = new Engine(uniqueNamespace('long'));
    const STEPS = 15_000;
    const long = workflow('long', async (ctx) => {
      let sum = 0;
      for (let i = 0; i < STEPS; i++) sum += await ctx.step('noop', () => 1);
      return sum;
    });
    await engine.executor({ workflows: [long, ordinary] });
    const client = engine.client();
    const t0 = Date.now();
    const handle = await client.start(long, { id: 'long-1' });
    const others = await Promise.all(
      Array.from({ length: 20 }, (_, n) => client.start(ordinary, { id: `o-${n}`, input: { n } })),
    );
    expect(await Promise.all(others.map((h) => h.result({ timeout: '30s' })))).toEqual(
      Array.from({ length: 20 }, (_, n) => n),
    );
    const sizes: number[] = [];
    for (;;) {
      const status = await client.describe('long-1');
      sizes.push(JSON.stringify(status).length);
      if (status.status === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(await handle.result({ timeout: '10s' })).toBe(STEPS);
    process.stdout.write(
      `[bounded-state] ${STEPS} steps in ${Date.now() - t0} ms; status sizes ${sizes.join(',')}\n`,
    );
    expect(Math.max(...sizes)).toBeLessThan(16 * 1024);
  });

  it('finished workflows leave memory: the owner holds none of 300 once they ended', async () => {
    engine = new Engine(uniqueNamespace('finished'));
    const executor = await engine.executor({
      workflows: [ordinary],
      limits: { housekeepingIntervalMs: 100 },
    });
    const client = engine.client();
    const handles = await Promise.all(
      Array.from({ length: 300 }, (_, n) => client.start(ordinary, { id: `f-${n}`, input: { n } })),
    );
    await Promise.all(handles.map((h) => h.result({ timeout: '30s' })));
    await waitFor(() => executor.ownerOf(0)?.stats.hotWorkflows === 0, {
      timeoutMs: 5_000,
      message: 'finished workflows stayed in memory',
    });
    // A duplicate start of a finished (and evicted) id is still recognised, from the cache.
    await client.start(ordinary, { id: 'f-7', input: { n: 7 } });
    expect(await client.handle('f-7').result({ timeout: '10s' })).toBe(7);
    expect(
      recordsOf(await engine.journal(), 'f-7').filter((r) => r.body.kind === 'WorkflowStarted'),
    ).toHaveLength(1);
  });

  it('idle sleepers leave memory and their timers wait in the index; all 500 still wake and complete', async () => {
    engine = new Engine(uniqueNamespace('sleepers'));
    const limits = { idleEvictMs: 100, housekeepingIntervalMs: 100, timerHeapMax: 40, hotWorkflowsMax: 200 };
    const executor = await engine.executor({ workflows: [sleeper], limits });
    const client = engine.client();
    const handles = await Promise.all(
      Array.from({ length: 500 }, (_, n) => client.start(sleeper, { id: `s-${n}`, input: { ms: 3_000 } })),
    );
    const seen = { timers: 0, hot: 0 };
    const sample = setInterval(() => {
      const stats = executor.ownerOf(0)?.stats;
      seen.timers = Math.max(seen.timers, stats?.timersInMemory ?? 0);
      seen.hot = Math.max(seen.hot, stats?.hotWorkflows ?? 0);
    }, 20);
    try {
      const results = await Promise.all(handles.map((h) => h.result({ timeout: '60s' })));
      expect(results).toEqual(Array.from({ length: 500 }, (_, n) => `s-${n}`));
    } finally {
      clearInterval(sample);
    }
    expect(seen.timers).toBeLessThanOrEqual(limits.timerHeapMax + 1);
    expect(executor.ownerOf(0)?.stats.evictedWorkflows).toBeGreaterThan(0);
    const fired = (await engine.journal()).filter((r) => r.body.kind === 'TimerFired');
    expect(fired).toHaveLength(500); // each timer fired once
  });

  it('ids outside the BMP sleeping across a restart on the same state dir both come back', async () => {
    engine = new Engine(uniqueNamespace('emoji'));
    const dir = tempDir('emoji');
    const first = await engine.executor({ workflows: [sleeper], stateDir: dir });
    const client = engine.client();
    const ids = ['🚀-sleep', 'a😀b', 'plain'];
    const handles = await Promise.all(ids.map((id) => client.start(sleeper, { id, input: { ms: 3_000 } })));
    await waitFor(
      async () => {
        const journal = await engine.journal();
        return ids.every((id) => recordsOf(journal, id).some((r) => r.body.kind === 'TimerScheduled'));
      },
      { timeoutMs: 20_000, message: 'the sleeps were never scheduled' },
    );
    await first.stop();
    await engine.executor({ workflows: [sleeper], stateDir: dir });
    expect(await Promise.all(handles.map((h) => h.result({ timeout: '30s' })))).toEqual(ids);
  });

  it('past the retention a finished workflow answers from the journal, and its id still cannot start again', async () => {
    engine = new Engine(uniqueNamespace('retention'));
    const limits = { finishedRetentionMs: 0, housekeepingIntervalMs: 100 };
    await engine.executor({ workflows: [ordinary], limits });
    const client = engine.client();
    expect(
      await (await client.start(ordinary, { id: 'r-1', input: { n: 41 } })).result({ timeout: '20s' }),
    ).toBe(41);
    const archived = await waitFor(
      async () => {
        const status = await client.describe('r-1');
        return status.archived !== undefined ? status : undefined;
      },
      { timeoutMs: 10_000, message: 'the summary never expired' },
    );
    expect(archived).toMatchObject({ status: 'completed', result: 41 });
    expect(await client.handle('r-1').result({ timeout: '20s' })).toBe(41);
    await client.start(ordinary, { id: 'r-1', input: { n: 99 } });
    await client.start(ordinary, { id: 'r-2', input: { n: 2 } });
    expect(await client.handle('r-2').result({ timeout: '20s' })).toBe(2);
    expect(
      recordsOf(await engine.journal(), 'r-1').filter((r) => r.body.kind === 'WorkflowStarted'),
    ).toHaveLength(1);
  });
});
