/**
 * Proves how `applyRecord` keeps a workflow's calls bounded (state.ts I2, I3; apply.ts I4, I5): StepStarted
 * opens a step call, its final outcome closes it; closing any call drops its timers and signal wait, and
 * the TimerObserver hears of every timer armed and removed, in order; `recent` keeps only the last
 * RECENT_CALLS_MAX closed calls, so thousands of sequential steps leave the state as small as a few;
 * a call at or below maxCallSeq that is not open counts as closed, except in workflows a v1/v2 writer
 * started, which remember their closed steps in legacyClosed; and `isWakeable` tells a workflow that only
 * waits on outside events from one that needs its body now.
 */
import { describe, expect, it } from 'vitest';
import type { RecordBody } from '../../src/journal/index.js';
import { isClosedCall, isWakeable, RECENT_CALLS_MAX, type WorkflowState } from '../../src/machine/index.js';
import { boom, fold, journal, startedBody, stepBodies, T0, TimerLog } from './machine-harness.js';

function folded(list: readonly RecordBody[], log?: TimerLog, schemaVersion = 3): WorkflowState {
  const ws = fold(journal('o-1', [startedBody, ...list], { schemaVersion }), log).get('o-1');
  if (ws === undefined) throw new Error('o-1 not folded');
  return ws;
}

const stepStarted = (callSeq: number, attempt = 1, name = 'charge'): RecordBody => ({
  kind: 'StepStarted',
  callSeq,
  name,
  attempt,
  parentSeq: 0,
});
const stepFailed = (callSeq: number, attempt: number, retryAtMs: number | null): RecordBody => ({
  kind: 'StepFailed',
  callSeq,
  name: 'charge',
  error: { ...boom, message: `boom ${attempt}` },
  attempt,
  startedAtMs: T0,
  durationMs: 1,
  retryAtMs,
});
const retryTimer = (callSeq: number, attempt: number): RecordBody => ({
  kind: 'TimerScheduled',
  timerId: `retry:${callSeq}:${attempt}`,
  callSeq,
  purpose: 'retry',
  fireAtMs: T0 + 100,
  parentSeq: -1,
});
const rejected = (callSeq: number, callKind: string): RecordBody => ({
  kind: 'CallRejected',
  callSeq,
  callKind,
  name: 'x',
  error: boom,
  parentSeq: -1,
});

describe('step calls', () => {
  it('StepStarted opens a step call with its attempt open', () => {
    const ws = folded([stepStarted(1)]);
    expect(ws.open.get(1)).toEqual({
      kind: 'step',
      name: 'charge',
      compensation: false,
      attempt: 1,
      attemptOpen: true,
      retrying: false,
      errors: [],
      lastError: null,
    });
    expect(ws.maxCallSeq).toBe(1);
    expect(ws.callCount).toBe(1);
    expect(isClosedCall(ws, 1, 'step')).toBe(false);
  });

  it('a compensate: step is marked as a compensation', () => {
    expect(folded([stepStarted(1, 1, 'compensate:charge')]).open.get(1)?.compensation).toBe(true);
  });

  it.each<{ what: string; list: RecordBody[]; outcome: string; attempts: number }>([
    { what: 'StepCompleted', list: stepBodies(1), outcome: 'ok', attempts: 1 },
    {
      what: 'a final StepFailed',
      list: [stepStarted(1), stepFailed(1, 1, null)],
      outcome: 'failed',
      attempts: 1,
    },
    { what: 'CallRejected', list: [stepStarted(1), rejected(1, 'step')], outcome: 'rejected', attempts: 1 },
  ])(
    '$what closes the call: it leaves `open` and is remembered in `recent`',
    ({ list, outcome, attempts }) => {
      const ws = folded(list);
      expect(ws.open.size).toBe(0);
      expect(isClosedCall(ws, 1, 'step')).toBe(true);
      expect(ws.recent).toEqual([
        { callSeq: 1, kind: 'step', name: 'charge', outcome, attempts, atMs: T0 + 3 },
      ]);
      expect(ws.callCount).toBe(1);
    },
  );

  it('a retriable StepFailed keeps the call open and retrying; the retry timer fires and StepStarted reopens the attempt', () => {
    const failedOnce = folded([stepStarted(1), stepFailed(1, 1, T0 + 100), retryTimer(1, 1)]);
    expect(failedOnce.open.get(1)).toMatchObject({ attempt: 1, attemptOpen: false, retrying: true });
    expect(failedOnce.open.get(1)?.errors).toEqual([
      { attempt: 1, name: 'Error', code: 'LB_STEP_FAILED', message: 'boom 1' },
    ]);
    expect(failedOnce.open.get(1)?.lastError).toEqual({ ...boom, message: 'boom 1' });
    expect(isWakeable(failedOnce)).toBe(true);
    const retried = folded([
      stepStarted(1),
      stepFailed(1, 1, T0 + 100),
      retryTimer(1, 1),
      { kind: 'TimerFired', timerId: 'retry:1:1', callSeq: 1 },
      stepStarted(1, 2),
    ]);
    expect(retried.open.get(1)).toMatchObject({ attempt: 2, attemptOpen: true, retrying: false });
    expect(retried.timers.size).toBe(0);
    expect(retried.callCount).toBe(1);
  });

  it('an open call keeps only the latest ATTEMPT_ERRORS_MAX attempt errors', () => {
    const list: RecordBody[] = [];
    for (let attempt = 1; attempt <= 13; attempt++)
      list.push(stepStarted(1, attempt), stepFailed(1, attempt, T0));
    const errors = folded(list).open.get(1)?.errors ?? [];
    expect(errors.map((e) => e.attempt)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  });
});

describe('closing a call drops what waited on it', () => {
  type Case = { what: string; list: RecordBody[]; log: string[] };
  const cases: Case[] = [
    {
      what: 'a signal wait closed by its timeout firing',
      list: [
        { kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 },
        {
          kind: 'TimerScheduled',
          timerId: 'signal:1',
          callSeq: 1,
          purpose: 'signal-timeout',
          fireAtMs: T0,
          parentSeq: -1,
        },
        { kind: 'TimerFired', timerId: 'signal:1', callSeq: 1 },
      ],
      log: ['armed signal:1', 'removed signal:1'],
    },
    {
      what: 'a signal wait closed by SignalConsumed',
      list: [
        { kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 },
        {
          kind: 'TimerScheduled',
          timerId: 'signal:1',
          callSeq: 1,
          purpose: 'signal-timeout',
          fireAtMs: T0,
          parentSeq: -1,
        },
        { kind: 'SignalReceived', name: 'go', payload: null },
        { kind: 'SignalConsumed', callSeq: 1, name: 'go', signalSeq: 4, payload: null, parentSeq: -1 },
      ],
      log: ['armed signal:1', 'removed signal:1'],
    },
    {
      what: 'a signal wait closed by CallRejected',
      list: [
        { kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 },
        {
          kind: 'TimerScheduled',
          timerId: 'signal:1',
          callSeq: 1,
          purpose: 'signal-timeout',
          fireAtMs: T0,
          parentSeq: -1,
        },
        rejected(1, 'signal'),
      ],
      log: ['armed signal:1', 'removed signal:1'],
    },
    {
      what: 'a retrying step closed by CallRejected',
      list: [stepStarted(1), stepFailed(1, 1, T0 + 100), retryTimer(1, 1), rejected(1, 'step')],
      log: ['armed retry:1:1', 'removed retry:1:1'],
    },
    {
      what: 'a sleep closed by CallRejected',
      list: [
        {
          kind: 'TimerScheduled',
          timerId: 'sleep:1',
          callSeq: 1,
          purpose: 'sleep',
          fireAtMs: T0,
          parentSeq: 0,
        },
        rejected(1, 'sleep'),
      ],
      log: ['armed sleep:1', 'removed sleep:1'],
    },
  ];

  it.each(cases)('$what: no open call, timer or wait is left', ({ list, log }) => {
    const timers = new TimerLog();
    const ws = folded(list, timers);
    expect(ws.open.size).toBe(0);
    expect(ws.timers.size).toBe(0);
    expect(ws.awaiting.size).toBe(0);
    expect(isClosedCall(ws, 1, 'step')).toBe(true);
    expect(timers.events).toEqual(log);
  });

  it("closing one call leaves another call's timers alone", () => {
    const timers = new TimerLog();
    const ws = folded(
      [
        {
          kind: 'TimerScheduled',
          timerId: 'sleep:1',
          callSeq: 1,
          purpose: 'sleep',
          fireAtMs: T0,
          parentSeq: 0,
        },
        {
          kind: 'TimerScheduled',
          timerId: 'sleep:2',
          callSeq: 2,
          purpose: 'sleep',
          fireAtMs: T0,
          parentSeq: 0,
        },
        rejected(1, 'sleep'),
      ],
      timers,
    );
    expect([...ws.timers.keys()]).toEqual(['sleep:2']);
    expect(timers.events).toEqual(['armed sleep:1', 'armed sleep:2', 'removed sleep:1']);
  });
});

describe('bounded state', () => {
  it(`recent keeps only the last ${RECENT_CALLS_MAX} closed calls`, () => {
    const list = Array.from({ length: 25 }, (_, i) => stepBodies(i + 1)).flat();
    const ws = folded(list);
    expect(ws.recent.map((c) => c.callSeq)).toEqual(
      Array.from({ length: RECENT_CALLS_MAX }, (_, i) => i + 6),
    );
  });

  it('5,000 sequential steps leave no open call and a recent ring of 20; the state does not grow', () => {
    const sizeAfter = (steps: number): { ws: WorkflowState; bytes: number } => {
      const ws = folded(Array.from({ length: steps }, (_, i) => stepBodies(i + 1)).flat());
      const bytes = JSON.stringify({ ...ws, open: [...ws.open], timers: [...ws.timers] }).length;
      return { ws, bytes };
    };
    const small = sizeAfter(50);
    const { ws, bytes } = sizeAfter(5_000);
    expect(ws.open.size).toBe(0);
    expect(ws.recent.length).toBe(20);
    expect(ws.legacyClosed.size).toBe(0);
    expect(ws.maxCallSeq).toBe(5_000);
    expect(ws.callCount).toBe(5_000);
    expect(ws.lastSeq).toBe(10_001);
    expect(isClosedCall(ws, 1, 'step')).toBe(true);
    expect(isClosedCall(ws, 5_001, 'step')).toBe(false);
    // Only wider numbers (callSeq, seq, atMs digits) may make it bigger.
    expect(bytes).toBeLessThan(small.bytes + 200);
  });
});

describe('legacy workflows (started by a v1/v2 writer)', () => {
  it('remember closed step calls in legacyClosed; a step never journaled is not closed', () => {
    // v2 journaled a step only when it ended: step 1 was still running when sleep 2 was journaled.
    const ws = folded(
      [
        {
          kind: 'TimerScheduled',
          timerId: 'sleep:2',
          callSeq: 2,
          purpose: 'sleep',
          fireAtMs: T0,
          parentSeq: -1,
        },
        {
          kind: 'StepCompleted',
          callSeq: 3,
          name: 'ship',
          result: 1,
          attempt: 1,
          startedAtMs: T0,
          durationMs: 1,
        },
      ],
      undefined,
      2,
    );
    expect(ws.legacySteps).toBe(true);
    expect([...ws.legacyClosed]).toEqual([3]);
    expect(isClosedCall(ws, 3, 'step')).toBe(true);
    expect(isClosedCall(ws, 1, 'step')).toBe(false); // at or below maxCallSeq, yet maybe running: not closed
    // v2 journaled every call but steps when it was made: a non-step call at or below maxCallSeq is closed.
    expect(isClosedCall(ws, 1, 'sleep')).toBe(true);
    expect(ws.recent).toEqual([
      { callSeq: 3, kind: 'step', name: 'ship', outcome: 'ok', attempts: 1, atMs: T0 + 3 },
    ]);
  });

  it('a v3 workflow treats a callSeq at or below maxCallSeq that is not open as closed', () => {
    const ws = folded([
      {
        kind: 'TimerScheduled',
        timerId: 'sleep:2',
        callSeq: 2,
        purpose: 'sleep',
        fireAtMs: T0,
        parentSeq: 0,
      },
    ]);
    expect(ws.legacySteps).toBe(false);
    expect(isClosedCall(ws, 1, 'step')).toBe(true);
    expect(isClosedCall(ws, 2, 'step')).toBe(false);
    expect(isClosedCall(ws, 3, 'step')).toBe(false);
  });

  it('a legacy workflow forgets legacyClosed when it ends', () => {
    const ws = folded([...stepBodies(1), { kind: 'WorkflowCompleted', result: null }], undefined, 2);
    expect(ws.legacyClosed.size).toBe(0);
  });
});

describe('isWakeable', () => {
  it.each<{ what: string; list: RecordBody[]; wakeable: boolean }>([
    { what: 'no open call (a body between calls)', list: [], wakeable: false },
    { what: 'a step attempt open', list: [stepStarted(1)], wakeable: false },
    {
      what: 'a sleep and a retrying step',
      list: [
        {
          kind: 'TimerScheduled',
          timerId: 'sleep:1',
          callSeq: 1,
          purpose: 'sleep',
          fireAtMs: T0,
          parentSeq: 0,
        },
        stepStarted(2),
        stepFailed(2, 1, T0 + 100),
        retryTimer(2, 1),
      ],
      wakeable: true,
    },
    {
      what: 'a signal wait and a child',
      list: [
        { kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 },
        { kind: 'ChildStarted', callSeq: 2, childId: 'c', workflow: 'ship', parentSeq: 0 },
      ],
      wakeable: true,
    },
    {
      what: 'a stuck workflow waiting on a signal',
      list: [
        { kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 },
        { kind: 'WorkflowStuck', error: boom },
      ],
      wakeable: false,
    },
  ])('$what: $wakeable', ({ list, wakeable }) => {
    expect(isWakeable(folded(list))).toBe(wakeable);
  });
});
