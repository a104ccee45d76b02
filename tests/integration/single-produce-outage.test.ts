/**
 * A single-produce tick whose outcome is unknown, on the real broker (owner-failure.ts I4, DESIGN §5a). On a
 * broker of its own, an in-process executor runs workflows of many short steps with no confirming
 * transaction due (`confirmIntervalMs` one hour), so their step ticks are single produces; the broker is
 * SIGKILLed mid-run and restarted 15 s later on the same data. The produces in flight fail with their
 * outcome unknown: the owners stop with UnconfirmedWriteError and claim anew. It proves that path ran
 * (the log says so), and that every workflow then completes with exactly one StepCompleted per step and
 * one WorkflowCompleted: nothing lost, nothing recorded twice.
 *
 * Then the same while the executor is being stopped (partition-slot.ts I5, owner.ts `stop`): the broker is
 * killed, and while a step tick's produce is still retrying, the executor is stopped; the tick fails with
 * its outcome unknown while its owner stops. The stop resolves (it threw an InvariantError before), the slot
 * logs the failure, and once the broker runs again a new executor completes every workflow exactly once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBroker, startLocalBroker } from '../../src/dev/index.js';
import { workflow } from '../../src/index.js';
import { Engine } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const WORKFLOWS = 30;
const STEPS = 8;

let broker: LocalBroker;
let engine: Engine;

beforeAll(async () => {
  broker = await startLocalBroker({ brokerSessionTimeoutMs: 3_000 });
}, 120_000);
afterAll(async () => broker.stop(), 60_000);
afterEach(async () => engine.closeAll());

const stepper = workflow('stepper', async (ctx, input: { n: number }) => {
  let total = 0;
  for (let i = 0; i < STEPS; i++)
    total += await ctx.step(`s${i}`, async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return input.n + i;
    });
  return total;
});

describe('single-produce ticks through a broker outage', () => {
  it('a produce with an unknown outcome makes the owner claim anew, and every workflow completes once', async () => {
    engine = new Engine(uniqueNamespace('sp-outage'), [broker.bootstrap]);
    const logs: { message: string; error: string }[] = [];
    await engine.executor({
      workflows: [stepper],
      partitions: 2,
      limits: { confirmIntervalMs: 3_600_000 },
      logger: {
        log: (_level, message, fields) => void logs.push({ message, error: String(fields?.error ?? '') }),
      },
    });
    const client = engine.client();
    const handles = await Promise.all(
      Array.from({ length: WORKFLOWS }, (_, n) => client.start(stepper, { id: `sp-${n}`, input: { n } })),
    );
    const results = handles.map((h) => h.result({ timeout: '180s' }));
    await new Promise((resolve) => setTimeout(resolve, 500)); // steps are running: their ticks produce

    await broker.kill('SIGKILL');
    await waitFor(() => logs.some((l) => l.error.includes('single-produce tick failed')), {
      timeoutMs: 60_000,
      message: 'no single-produce tick failed during the outage',
    });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await broker.restart();

    const expected = Array.from({ length: WORKFLOWS }, (_, n) => STEPS * n + (STEPS * (STEPS - 1)) / 2);
    expect(await Promise.all(results)).toEqual(expected);
    const journal = await engine.journal();
    for (let n = 0; n < WORKFLOWS; n++) {
      const mine = journal.filter((r) => r.workflowId === `sp-${n}`);
      const completed = mine.filter((r) => r.body.kind === 'StepCompleted');
      expect(completed).toHaveLength(STEPS);
      expect(
        new Set(completed.map((r) => (r.body.kind === 'StepCompleted' ? r.body.name : ''))),
      ).toHaveLength(STEPS);
      expect(mine.filter((r) => r.body.kind === 'WorkflowCompleted')).toHaveLength(1);
    }
    // The owners that lost a produce claimed anew: more claims than the two first ones.
    expect(journal.filter((r) => r.body.kind === 'OwnerClaimed').length).toBeGreaterThan(2);
  }, 240_000);

  it('a produce that fails while its owner stops: the stop resolves, and every workflow completes once', async () => {
    engine = new Engine(uniqueNamespace('sp-stop'), [broker.bootstrap]);
    const logs: { level: string; message: string }[] = [];
    const executor = await engine.executor({
      workflows: [stepper],
      partitions: 2,
      limits: { confirmIntervalMs: 3_600_000 },
      logger: { log: (level, message) => void logs.push({ level, message }) },
    });
    const client = engine.client();
    const ids = Array.from({ length: 10 }, (_, n) => `st-${n}`);
    const handles = await Promise.all(ids.map((id, n) => client.start(stepper, { id, input: { n } })));
    await new Promise((resolve) => setTimeout(resolve, 500)); // steps are running: their ticks produce

    await broker.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a step tick's produce is in flight, retrying
    const stopped = executor.stop();
    await waitFor(() => logs.some((l) => l.message === 'partition owner failed while stopping'), {
      timeoutMs: 90_000,
      message: 'no owner failed while it stopped',
    });
    await broker.restart();
    await expect(stopped).resolves.toBeUndefined();
    expect(logs.find((l) => l.message === 'partition owner failed while stopping')?.level).toBe('warn');

    await engine.executor({ workflows: [stepper], partitions: 2 }); // a new node takes over
    const results = await Promise.all(handles.map((h) => h.result({ timeout: '120s' })));
    expect(results).toEqual(ids.map((_, n) => STEPS * n + (STEPS * (STEPS - 1)) / 2));
    const journal = await engine.journal();
    for (const id of ids) {
      const mine = journal.filter((r) => r.workflowId === id);
      const names = mine.flatMap((r) => (r.body.kind === 'StepCompleted' ? [r.body.name] : []));
      expect(names).toHaveLength(STEPS);
      expect(new Set(names)).toHaveProperty('size', STEPS);
      expect(mine.filter((r) => r.body.kind === 'WorkflowCompleted')).toHaveLength(1);
    }
  }, 240_000);
});
