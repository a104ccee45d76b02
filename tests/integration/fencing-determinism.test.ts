/**
 * Safety under takeover: a fenced old owner cannot get a record into the read_committed journal
 * (transactional-id fencing, DESIGN §5), and an executor the group still assigns the partition takes it
 * back after the race and finishes the work exactly once; and a workflow whose code changed its step order
 * between runs is parked as `stuck` with the first diverging call when it next wakes, visible in status,
 * never dropped (DESIGN §4).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { createKafka, TickWriter } from '../../src/kafka/index.js';
import { Engine, recordsOf, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('fencing', () => {
  it('an old owner whose partition was taken over cannot get a record into the read_committed journal', async () => {
    engine = new Engine(uniqueNamespace('fence'));
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stepStarted = false;
    const gated = workflow('gated', async (ctx) => {
      await ctx.step('first', () => 'ok');
      return ctx.step('blocked', async () => {
        stepStarted = true;
        await gate;
        return 'late';
      });
    });
    const logs: string[] = [];
    const old = await engine.executor({
      workflows: [gated],
      logger: { log: (_level, message) => void logs.push(message) },
    });
    const client = engine.client();
    await client.start(gated, { id: 'g-1', input: null });
    await waitFor(() => stepStarted, { timeoutMs: 20_000, message: 'the gated step never started' });

    // A new owner takes the partition: its InitProducerId on `<ns>.p0` fences the old owner's producer.
    const kafka = createKafka({ brokers: engine.brokers, clientId: 'test-new-owner' });
    const newOwner = await TickWriter.connect(kafka, `${engine.namespace}.p0`);
    try {
      release?.();
      await waitFor(() => logs.includes('partition fenced by a newer owner'), { timeoutMs: 20_000 });
      const zombieEpoch = recordsOf(await engine.journal(), 'g-1')[0]?.writerEpoch;
      expect(zombieEpoch).toBeGreaterThan(0);
      // The group still assigns p0 to the old executor, so after a backoff it takes p0 back (fencing in
      // turn) and finishes the workflow: the step's result is then recorded once, under a newer epoch.
      expect(await client.handle('g-1').result({ timeout: '30s' })).toBe('late');
      const records = recordsOf(await engine.journal(), 'g-1');
      const byZombie = records.filter((r) => r.writerEpoch === zombieEpoch);
      // The zombie had committed the first step and the start of the blocked one; nothing after the fence.
      expect(byZombie.map((r) => r.body.kind)).toEqual([
        'WorkflowStarted',
        'StepStarted',
        'StepCompleted',
        'StepStarted',
      ]);
      const blocked = records.filter((r) => r.body.kind === 'StepCompleted' && r.body.name === 'blocked');
      expect(blocked).toHaveLength(1);
      expect(blocked[0]?.writerEpoch).toBeGreaterThan(zombieEpoch ?? 0);
      expect(old.ownerOf(0)?.currentPhase).toBe('running');
    } finally {
      await newOwner.close();
    }
  });
});

describe('non-determinism', () => {
  const v1 = workflow('flow', async (ctx) => {
    await ctx.step('reserve', () => 'reserved');
    await ctx.signal('go');
    return ctx.step('ship', () => 'shipped');
  });
  const v2 = workflow('flow', async (ctx) => {
    await ctx.step('charge', () => 'charged'); // the step order changed between deployments
    await ctx.step('reserve', () => 'reserved');
    await ctx.signal('go');
    return 'done';
  });

  it("changing a workflow's step order between runs parks it as stuck, visible in status", async () => {
    engine = new Engine(uniqueNamespace('nondet'));
    const dir = tempDir('nd');
    const first = await engine.executor({ workflows: [v1], stateDir: dir });
    const client = engine.client();
    await client.start(v1, { id: 'f-1', input: null });
    await waitFor(
      async () => recordsOf(await engine.journal(), 'f-1').some((r) => r.body.kind === 'SignalAwaited'),
      {
        timeoutMs: 20_000,
      },
    );
    await first.stop();

    await engine.executor({ workflows: [v2], stateDir: dir });
    // A waiting workflow is replayed when its event comes (it is not held in memory meanwhile).
    await client.signal('f-1', 'go');
    const status = await waitFor(
      async () => {
        const s = await client.describe('f-1');
        return s.status === 'stuck' ? s : undefined;
      },
      { timeoutMs: 20_000, message: 'the workflow never became stuck' },
    );
    expect(status.error?.name).toBe('NonDeterminismError');
    expect(status.error?.details).toMatchObject({
      callSeq: 1,
      expected: 'step "reserve"',
      actual: 'step "charge"',
    });
    const records = recordsOf(await engine.journal(), 'f-1');
    expect(records.at(-1)?.body.kind).toBe('WorkflowStuck');
    expect(records.some((r) => r.body.kind === 'StepCompleted' && r.body.name === 'charge')).toBe(false);

    // `logbook status` shows it too, as a user would see it.
    const cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'status',
        'f-1',
        '--brokers',
        engine.brokers.join(','),
        '--namespace',
        engine.namespace,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    cli.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const [code] = (await once(cli, 'exit')) as [number | null];
    expect(code).toBe(0);
    const printed = JSON.parse(out) as { status: string; error: { details: { callSeq: number } } };
    expect(printed.status).toBe('stuck');
    expect(printed.error.details.callSeq).toBe(1);
  });
});
