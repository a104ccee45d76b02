/**
 * Proves WorkflowRun replay (a takeover rebuilds the run from its history, run-journal.ts): a body fed its
 * history re-makes the same calls with the same callSeqs, the machine writes nothing for them (no step
 * starts again) and the run ends as it did live; a takeover at any point of the journal resumes to the
 * same result, each step completing once; a body whose calls differ from the journal (another name,
 * another kind, or it returns with journaled calls left) parks as stuck with a NonDeterminismError naming
 * the call, expected against actual; histories written before v3 (schemaVersion 2, parentSeq -1, steps
 * journaled only when they ended) replay by call order.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord, JsonValue, RecordBody } from '../../src/journal/index.js';
import { TerminalError, type WorkflowBody, workflow } from '../../src/workflow/index.js';
import { callsOf, endingOf, Journal, T0 } from './run-journal.js';

const order = workflow('order', async (ctx, input: { sku: string }) => {
  const valid = await ctx.step('validate', () => input.sku.length > 0);
  const charge = await ctx.step('charge', ({ idempotencyKey }) => `paid:${idempotencyKey}`);
  const tracking = await ctx.step('ship', () => 'Z1');
  return { valid, charge, tracking };
});

interface Scenario {
  readonly what: string;
  readonly body: WorkflowBody<never, unknown>;
  /** Drives the live run to its end (timers, signals, children, a cancel). */
  readonly drive: (j: Journal) => Promise<void>;
}

const scenarios: readonly Scenario[] = [
  { what: 'sequential steps', body: order.body, drive: (j) => j.settle() },
  {
    what: 'parallel steps, a sleep, a signal wait that times out, an emit and a child',
    body: async (ctx) => {
      const [a, b] = await Promise.all([ctx.step('a', () => 'A'), ctx.step('b', () => 'B')]);
      await ctx.sleep('1m');
      const approval = await ctx.signal('approve', { timeout: '1h' }).catch((e: Error) => e.name);
      await ctx.emit('receipts', 'k', { a, b });
      const child = await ctx.child(order, 'child-1', { sku: 'C' });
      return { a, b, approval, child, at: ctx.now(), random: ctx.random(), uuid: ctx.uuid() };
    },
    drive: async (j) => {
      await j.settle();
      await j.fireTimers(); // the sleep
      await j.settle();
      await j.fireTimers(); // the signal timeout
      await j.settle();
      await j.command({
        type: 'childResult',
        id: 'w-1',
        callSeq: 6,
        childId: 'child-1',
        outcome: { ok: true, result: 7 },
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

describe('WorkflowRun replay of a history that holds every call', () => {
  it.each(scenarios)(
    '$what: same calls and callSeqs, nothing journaled, same ending',
    async ({ body, drive }) => {
      const definition = workflow('w', body);
      const live = await Journal.live(definition, { input: { sku: 'A' } });
      await drive(live);
      expect(live.ended()).toBe(true);

      // The workflow as a takeover finds it: every call journaled, its ending not yet.
      const history = live.records.slice(0, -1);
      const replay = await Journal.replay(definition, history);
      await replay.settle(true);
      expect(callsOf(replay.sink.intents)).toEqual(callsOf(live.sink.intents));
      expect(endingOf(replay.sink.intents)).toEqual(endingOf(live.sink.intents));
      // The machine wrote nothing for the re-made calls and started no step; only the same ending.
      expect(replay.since(history.length).map((r) => r.body)).toEqual([live.records.at(-1)?.body]);
      expect(replay.attempts).toEqual([]);
      expect(replay.run.isStuck()).toBe(false);
    },
  );

  it('a takeover after any record of the journal resumes to the same result, each step completing once', async () => {
    const live = await Journal.live(order, { input: { sku: 'A' } });
    await live.settle();
    const result = endingOf(live.sink.intents);
    for (let cut = 1; cut < live.records.length - 1; cut++) {
      const j = await Journal.replay(order, live.records.slice(0, cut));
      await j.settle(true);
      expect(endingOf(j.sink.intents), `cut after record ${cut}`).toEqual(result);
      const completed = j.records.flatMap((r) => (r.body.kind === 'StepCompleted' ? [r.body.callSeq] : []));
      expect(completed, `cut after record ${cut}`).toEqual([1, 2, 3]);
      // Each call starts attempt 1 once; only an attempt the cut lost runs again, as attempt 2 of its call.
      const starts = j.records.flatMap((r) =>
        r.body.kind === 'StepStarted' ? [`${r.body.callSeq}#${r.body.attempt}`] : [],
      );
      const lost = live.records[cut - 1]?.body;
      const again = lost?.kind === 'StepStarted' ? [`${lost.callSeq}#2`] : [];
      expect(
        starts.filter((s) => s.endsWith('#1')),
        `cut after record ${cut}`,
      ).toEqual(['1#1', '2#1', '3#1']);
      expect(
        starts.filter((s) => !s.endsWith('#1')),
        `cut after record ${cut}`,
      ).toEqual(again);
    }
  });
});

/** The live journal of `order` without its WorkflowCompleted: a running workflow a new deployment finds. */
async function runningOrder(): Promise<JournalRecord[]> {
  const live = await Journal.live(order, { input: { sku: 'A' } });
  await live.settle();
  return live.records.slice(0, -1);
}

describe('WorkflowRun replay of a body that changed', () => {
  it.each<{
    what: string;
    body: WorkflowBody<never, unknown>;
    callSeq: number;
    actual: string;
    expected: string;
  }>([
    {
      what: 'a step name differs',
      body: async (ctx) => {
        await ctx.step('validate', () => true);
        await ctx.step('refund', () => 0);
      },
      callSeq: 2,
      actual: 'step "refund"',
      expected: 'step "charge"',
    },
    {
      what: 'the call kind differs',
      body: async (ctx) => ctx.sleep('1s'),
      callSeq: 1,
      actual: 'sleep "sleep"',
      expected: 'step "validate"',
    },
    {
      what: 'two steps swapped',
      body: async (ctx) => {
        await ctx.step('validate', () => true);
        await ctx.step('ship', () => 'Z1');
        await ctx.step('charge', () => 42);
      },
      callSeq: 2,
      actual: 'step "ship"',
      expected: 'step "charge"',
    },
    {
      what: 'the body returns with journaled calls left',
      body: async (ctx) => ctx.step('validate', () => true),
      callSeq: 2,
      actual: 'no more calls (it returned)',
      expected: 'step "charge"',
    },
  ])('parks as stuck when $what, naming call $callSeq', async ({ body, callSeq, actual, expected }) => {
    const j = await Journal.replay(workflow('order', body), await runningOrder());
    await j.settle(true);
    expect(j.run.isStuck()).toBe(true);
    const stuck = endingOf(j.sink.intents);
    if (stuck?.type !== 'stuck') throw new Error(`expected a stuck intent, got ${JSON.stringify(stuck)}`);
    expect(stuck.error).toMatchObject({
      name: 'NonDeterminismError',
      code: 'LB_NON_DETERMINISM',
      details: { callSeq, expected, actual },
    });
    expect(stuck.error.message).toContain(
      `at call ${callSeq}: the body now makes ${actual}, the journal has ${expected}`,
    );
    expect(callsOf(j.sink.intents).every((c) => Number(c.split(':')[0]) < callSeq)).toBe(true);
    expect(j.records.at(-1)?.body.kind).toBe('WorkflowStuck');
    expect(j.ws.status).toBe('stuck');
  });
});

/** A history as a v2 writer wrote it: schemaVersion 2, no StepStarted, parentSeq -1 (decoded default). */
function v2(bodies: readonly RecordBody[]): JournalRecord[] {
  return bodies.map((body, i) => ({
    schemaVersion: 2,
    workflowId: 'w-1',
    seq: i + 1,
    atMs: T0 + i * 10,
    body,
  }));
}
const started: RecordBody = {
  kind: 'WorkflowStarted',
  workflow: 'order',
  input: { sku: 'A' },
  idempotencyKey: null,
  parent: null,
  trace: null,
};
const done = (callSeq: number, name: string, result: JsonValue): RecordBody => ({
  kind: 'StepCompleted',
  callSeq,
  name,
  result,
  attempt: 1,
  startedAtMs: T0,
  durationMs: 1,
});

describe('WorkflowRun replay of histories written before v3', () => {
  it('matches calls by call order, settles them from StepCompleted alone and numbers new calls after them', async () => {
    const body = workflow('order', async (ctx) => {
      const [slow, first] = await Promise.all([ctx.step('slow', () => 'S'), ctx.step('first', () => 'F')]);
      await ctx.sleep('1m');
      const last = await ctx.step('last', () => 'L');
      return [slow, first, last];
    });
    // v2 journaled a step only when it ended: call 1 was in flight at the takeover, call 2 had ended.
    const history = v2([
      started,
      done(2, 'first', 'F-journaled'),
      {
        kind: 'TimerScheduled',
        timerId: 'sleep:3',
        callSeq: 3,
        purpose: 'sleep',
        fireAtMs: T0 + 60_000,
        parentSeq: -1,
      },
    ]);
    const j = await Journal.replay(body, history);
    await j.settle();
    expect(callsOf(j.sink.intents)).toEqual(['1:step:slow', '2:step:first', '3:sleep:']);
    expect(j.since(history.length).map((r) => r.body)).toMatchObject([
      { kind: 'StepStarted', callSeq: 1, attempt: 1 },
      { kind: 'StepCompleted', callSeq: 1 },
    ]);
    await j.fireTimers();
    await j.settle();
    expect(callsOf(j.sink.intents)).toEqual(['1:step:slow', '2:step:first', '3:sleep:', '4:step:last']);
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: ['S', 'F-journaled', 'L'] });
  });

  it('a v2 history whose call order the body no longer follows parks as stuck', async () => {
    const history = v2([started, done(1, 'validate', true), done(2, 'ship', 'Z1')]);
    const j = await Journal.replay(order, history);
    await j.settle(true);
    expect(endingOf(j.sink.intents)).toMatchObject({
      type: 'stuck',
      error: {
        name: 'NonDeterminismError',
        details: { callSeq: 2, expected: 'step "ship"', actual: 'step "charge"' },
      },
    });
  });
});
