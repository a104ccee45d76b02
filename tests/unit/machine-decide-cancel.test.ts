/**
 * Proves the cancel rule (decide-command.ts I4, decide-intent.ts I3): a cancel journals CancelRequested
 * and a CallRejected (CancelledError) for every open call that is not a compensation step, which drops
 * those calls' timers and waits; compensation steps run on; calls made after the cancel are rejected as
 * they come, except compensation steps and the compensation marker; a second cancel writes nothing; and a
 * stuck workflow, whose body cannot compensate, is cancelled at once.
 */
import { describe, expect, it } from 'vitest';
import type { RecordBody } from '../../src/journal/index.js';
import { cancelledError, type Intent } from '../../src/machine/index.js';
import {
  bodies,
  boom,
  diverged,
  expectNothing,
  failed,
  intent,
  kinds,
  Partition,
  stepIntent,
  stepOutcome,
  T0,
  timerDue,
} from './machine-harness.js';

const cancel = (p: Partition, reason = 'customer asked') => p.command({ type: 'cancel', id: 'o-1', reason });
const cancelled = cancelledError('customer asked');
const rejection = (callSeq: number, callKind: string, name: string, parentSeq = -1): RecordBody => ({
  kind: 'CallRejected',
  callSeq,
  callKind,
  name,
  error: cancelled,
  parentSeq,
});

/** o-1 with open calls of every kind: step 1, retrying step 2, sleep 3, signal 4 (with timeout), child 5, compensation step 6. */
function busy(): Partition {
  const p = new Partition().started('o-1').stepped('o-1', 1).stepped('o-1', 2, 'reserve');
  p.tick(T0, stepOutcome('o-1', 2, 1, failed(true), undefined, 'reserve'));
  p.tick(
    T0,
    intent('o-1', { type: 'sleep', callSeq: 3, durationMs: 1_000, parentSeq: 0 }),
    intent('o-1', { type: 'signal', callSeq: 4, name: 'approve', timeoutMs: 1_000, parentSeq: 0 }),
    intent('o-1', {
      type: 'child',
      callSeq: 5,
      childId: 'o-1/ship',
      workflow: 'ship',
      input: null,
      parentSeq: 0,
    }),
    stepIntent('o-1', 6, 'compensate:charge'),
  );
  expect([...p.workflow('o-1').open.keys()]).toEqual([1, 2, 3, 4, 5, 6]);
  return p;
}

describe('decide: cancel', () => {
  it('a cancel of a workflow with no open call journals CancelRequested once', () => {
    const p = new Partition().started('o-1');
    expect(bodies(p.tick(T0 + 1, cancel(p)))).toEqual([
      { kind: 'CancelRequested', reason: 'customer asked' },
    ]);
    expect(p.workflow('o-1').cancelReason).toBe('customer asked');
    expectNothing(p.tick(T0 + 2, cancel(p, 'again')));
    expect(p.workflow('o-1').status).toBe('running');
  });

  it('a cancel rejects every open call but compensation steps with a CancelledError', () => {
    const p = busy();
    const effects = p.tick(T0 + 1, cancel(p));
    expect(bodies(effects)).toEqual([
      { kind: 'CancelRequested', reason: 'customer asked' },
      rejection(1, 'step', 'charge'),
      rejection(2, 'step', 'reserve'),
      rejection(3, 'sleep', 'sleep'),
      rejection(4, 'signal', 'approve'),
      rejection(5, 'child', 'ship'),
    ]);
    expect(cancelled).toEqual({
      name: 'CancelledError',
      code: 'LB_CANCELLED',
      message: 'workflow cancelled: customer asked',
      details: null,
    });
    const ws = p.workflow('o-1');
    expect([...ws.open.keys()]).toEqual([6]);
    expect(ws.open.get(6)).toMatchObject({ compensation: true, attemptOpen: true });
    expect(ws.timers.size).toBe(0);
    expect(ws.awaiting.size).toBe(0);
    expect(ws.status).toBe('running'); // the body ends it, after its compensations
    expect(p.timers.events.filter((e) => e.startsWith('removed')).sort()).toEqual([
      'removed retry:2:1',
      'removed signal:4',
      'removed sleep:3',
    ]);
  });

  it("a cancelled call's late outcome, timer or child result writes nothing", () => {
    const p = busy();
    p.tick(T0 + 1, cancel(p));
    expectNothing(p.tick(T0 + 2, stepOutcome('o-1', 1, 1, { ok: true, result: 1 })));
    expectNothing(p.tick(T0 + 5_000, timerDue('o-1', 'sleep:3')));
    expectNothing(p.tick(T0 + 5_000, timerDue('o-1', 'retry:2:1')));
    const result = {
      type: 'childResult',
      id: 'o-1',
      callSeq: 5,
      childId: 'o-1/ship',
      outcome: { ok: true, result: 1 },
    } as const;
    expectNothing(p.tick(T0 + 5_000, p.command(result)));
  });

  it('a compensation step open at the cancel still completes', () => {
    const p = busy();
    p.tick(T0 + 1, cancel(p));
    const effects = p.tick(
      T0 + 2,
      stepOutcome('o-1', 6, 1, { ok: true, result: 'undone' }, undefined, 'compensate:charge'),
    );
    expect(kinds(effects)).toEqual(['StepCompleted']);
  });

  type After = { what: string; intent: Intent; callKind: string; name: string };
  const rejectedAfter: After[] = [
    {
      what: 'a step',
      intent: { type: 'step', callSeq: 1, name: 'charge', parentSeq: 0, attemptActive: false },
      callKind: 'step',
      name: 'charge',
    },
    {
      what: 'a sleep',
      intent: { type: 'sleep', callSeq: 1, durationMs: 5, parentSeq: 0 },
      callKind: 'sleep',
      name: 'sleep',
    },
    {
      what: 'a signal wait',
      intent: { type: 'signal', callSeq: 1, name: 'go', timeoutMs: null, parentSeq: 0 },
      callKind: 'signal',
      name: 'go',
    },
    {
      what: 'a child',
      intent: { type: 'child', callSeq: 1, childId: 'c', workflow: 'ship', input: null, parentSeq: 0 },
      callKind: 'child',
      name: 'ship',
    },
    {
      what: 'an emit',
      intent: { type: 'emit', callSeq: 1, topic: 'out', key: 'k', value: 1, parentSeq: 0 },
      callKind: 'emit',
      name: 'out',
    },
  ];

  it.each(rejectedAfter)(
    '$what made after a cancel is rejected with a CancelledError, and runs nothing',
    (c) => {
      const p = new Partition().started('o-1');
      p.tick(T0 + 1, cancel(p));
      const effects = p.tick(T0 + 2, intent('o-1', c.intent));
      expect(bodies(effects)).toEqual([rejection(1, c.callKind, c.name, 0)]);
      expect(effects.attempts).toEqual([]);
      expect(effects.emits).toEqual([]);
      expect(effects.commands).toEqual([]);
      expect(p.workflow('o-1').open.size).toBe(0);
      expectNothing(p.tick(T0 + 3, intent('o-1', c.intent)));
    },
  );

  it('the compensation marker and compensation steps made after a cancel still start', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 1, cancel(p));
    const effects = p.tick(
      T0 + 2,
      intent('o-1', { type: 'compensation', callSeq: 1, reason: cancelled, steps: ['charge'], parentSeq: 0 }),
      stepIntent('o-1', 2, 'compensate:charge', false, 1),
    );
    expect(bodies(effects)).toEqual([
      { kind: 'CompensationStarted', callSeq: 1, reason: cancelled, steps: ['charge'], parentSeq: 0 },
      { kind: 'StepStarted', callSeq: 2, name: 'compensate:charge', attempt: 1, parentSeq: 1 },
    ]);
    expect(effects.attempts).toEqual([{ workflowId: 'o-1', callSeq: 2, attempt: 1 }]);
  });

  it('a rejected intent after a cancel keeps its own error', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 1, cancel(p));
    const effects = p.tick(
      T0 + 2,
      intent('o-1', {
        type: 'rejected',
        callSeq: 1,
        callKind: 'emit',
        name: 'out',
        error: boom,
        parentSeq: 0,
      }),
    );
    expect(bodies(effects)).toEqual([
      { kind: 'CallRejected', callSeq: 1, callKind: 'emit', name: 'out', error: boom, parentSeq: 0 },
    ]);
  });
});

describe('decide: cancel of a stuck workflow', () => {
  it('ends it as cancelled at once, rejecting its open calls first', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 1_000, parentSeq: 0 }));
    p.tick(T0 + 1, intent('o-1', { type: 'stuck', error: diverged }));
    const effects = p.tick(T0 + 2, cancel(p));
    expect(kinds(effects)).toEqual(['CancelRequested', 'CallRejected', 'WorkflowCancelled']);
    expect(effects.events).toEqual([
      { type: 'WorkflowCancelled', id: 'o-1', workflow: 'order', atMs: T0 + 2 },
    ]);
    const ws = p.workflow('o-1');
    expect(ws.status).toBe('cancelled');
    expect(ws.timers.size).toBe(0);
  });

  it('ends it even after a retry timer of its fired while it was stuck', () => {
    // The parked body makes no progress; a retry timer firing (TimerFired + StepStarted) is not a fixed
    // deployment replaying past the divergence (transition.ts I2), so the workflow is still stuck.
    const p = new Partition().started('o-1').stepped('o-1', 1);
    p.tick(T0, stepOutcome('o-1', 1, 1, failed(true)));
    p.tick(T0 + 1, intent('o-1', { type: 'stuck', error: diverged }));
    p.tick(T0 + 100, timerDue('o-1', 'retry:1:1'));
    const effects = p.tick(T0 + 101, cancel(p, 'operator'));
    expect(kinds(effects)).toContain('WorkflowCancelled');
    expect(p.workflow('o-1').status).toBe('cancelled');
  });

  it('ends it even when a cancel was requested before it got stuck', () => {
    // The body was compensating after the first cancel when its replay diverged: it cannot end itself.
    const p = new Partition().started('o-1');
    p.tick(T0 + 1, cancel(p));
    p.tick(T0 + 2, intent('o-1', { type: 'stuck', error: diverged }));
    const effects = p.tick(T0 + 3, cancel(p, 'operator'));
    expect(kinds(effects)).toContain('WorkflowCancelled');
    expect(p.workflow('o-1').status).toBe('cancelled');
  });
});
