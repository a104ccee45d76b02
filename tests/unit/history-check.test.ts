/**
 * Proves the code check behind `logbook journal verify --workflows` (audit/history-check.ts): a history
 * replayed through the code that wrote it shows no divergence, whatever calls it holds (parallel steps,
 * a sleep, a signal wait that timed out, an emit, a child, compensations, a cancel), ended or cut while
 * running; changed code is reported at its first diverging call, expected against found (a renamed,
 * reordered, removed or added step, another ending); and no step function runs during the check.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/audit/index.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { TerminalError, type WorkflowBody, workflow } from '../../src/workflow/index.js';
import { Journal } from './run-journal.js';

type Body = WorkflowBody<{ sku: string }, unknown>;

const orderBody: Body = async (ctx, input) => {
  const valid = await ctx.step('validate', () => input.sku.length > 0);
  const charge = await ctx.step('charge', () => ({ paid: input.sku }));
  const ship = await ctx.step('ship', () => 'Z1');
  return { valid, charge, ship };
};

const child = workflow('child', async (ctx) => ctx.step('c', () => 1));

interface Scenario {
  readonly what: string;
  readonly body: Body;
  /** Drives the live run to its end (timers, signals, children, a cancel). */
  readonly drive: (j: Journal) => Promise<void>;
}

const scenarios: readonly Scenario[] = [
  { what: 'sequential steps', body: orderBody, drive: (j) => j.settle() },
  {
    what: 'parallel steps, a sleep, a signal wait that times out, an emit and a child',
    body: async (ctx) => {
      const [a, b] = await Promise.all([ctx.step('a', () => 'A'), ctx.step('b', () => 'B')]);
      await ctx.sleep('1m');
      const approval = await ctx.signal('approve', { timeout: '1h' }).catch((e: Error) => e.name);
      await ctx.emit('receipts', 'k', { a, b });
      return { approval, child: await ctx.child(child, 'child-1', null) };
    },
    drive: async (j) => {
      await j.settle();
      await j.fireTimers(); // the sleep
      await j.settle();
      await j.fireTimers(); // the signal timeout
      await j.settle();
      const callSeq = 6;
      await j.command({
        type: 'childResult',
        id: 'w-1',
        callSeq,
        childId: 'child-1',
        outcome: { ok: true, result: 1 },
      });
      await j.settle();
    },
  },
  {
    what: 'a failure unwound by compensations',
    body: async (ctx) => {
      await ctx.step('reserve', () => 1, { compensate: () => 'undone' });
      await ctx.step('ship', () => Promise.reject(new TerminalError('no carrier')));
    },
    drive: (j) => j.settle(),
  },
  {
    what: 'a cancel while a signal is awaited',
    body: async (ctx) => {
      await ctx.step('reserve', () => 1, { compensate: () => 'undone' });
      await ctx.signal('never');
    },
    drive: async (j) => {
      await j.settle();
      await j.command({ type: 'cancel', id: 'w-1', reason: 'stop' });
      await j.settle();
    },
  },
];

/** The full journal of `body` run live to its end. */
async function historyOf(body: Body, drive: Scenario['drive'] = (j) => j.settle()): Promise<JournalRecord[]> {
  const live = await Journal.live(workflow('order', body), { input: { sku: 'A' } });
  await drive(live);
  expect(live.ended()).toBe(true);
  return live.records;
}

const changes: readonly [string, Body, { callSeq: number | null; expected: string; found: string }][] = [
  [
    'a renamed step',
    async (ctx) => {
      await ctx.step('validate', () => true);
      await ctx.step('capture', () => 1);
      return ctx.step('ship', () => 'Z1');
    },
    { callSeq: 2, expected: 'step "charge"', found: 'step "capture"' },
  ],
  [
    'reordered steps',
    async (ctx) => {
      await ctx.step('validate', () => true);
      await ctx.step('ship', () => 'Z1');
      return ctx.step('charge', () => 1);
    },
    { callSeq: 2, expected: 'step "charge"', found: 'step "ship"' },
  ],
  [
    'a step added after the last one',
    async (ctx, input) => {
      await orderBody(ctx, input);
      return ctx.step('audit', () => 1);
    },
    { callSeq: 4, expected: 'the workflow completes', found: 'step "audit"' },
  ],
  [
    'a removed step',
    async (ctx) => {
      await ctx.step('validate', () => true);
      return ctx.step('charge', () => 1);
    },
    { callSeq: 3, expected: 'step "ship"', found: 'no more calls (it returned)' },
  ],
  [
    'another ending',
    async (ctx, input) => {
      await orderBody(ctx, input);
      throw new TerminalError('now it fails');
    },
    { callSeq: null, expected: 'the workflow completes', found: 'the workflow fails' },
  ],
];

describe('the code check', () => {
  it.each(scenarios)(
    'finds no divergence on unchanged code: $what, ended and cut at every record',
    async ({ body, drive }) => {
      const records = await historyOf(body, drive);
      const definition = workflow('order', body);
      for (let cut = 1; cut <= records.length; cut++) {
        expect(
          await checkHistory(definition, records.slice(0, cut)),
          `cut after record ${cut}`,
        ).toBeUndefined();
      }
    },
  );

  it.each(changes)('names the first diverging call for %s', async (_what, body, expected) => {
    const divergence = await checkHistory(workflow('order', body), await historyOf(orderBody));
    expect(divergence).toEqual({ workflowId: 'w-1', workflow: 'order', ...expected });
  });

  it('does not run a single step while it replays', async () => {
    let ran = 0;
    const counting: Body = async (ctx) => {
      for (const name of ['validate', 'charge', 'ship']) await ctx.step(name, () => ran++);
      return { valid: true, charge: { paid: 'A' }, ship: 'Z1' };
    };
    expect(await checkHistory(workflow('order', counting), await historyOf(orderBody))).toBeUndefined();
    expect(ran).toBe(0);
  });
});
