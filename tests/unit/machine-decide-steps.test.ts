/**
 * Proves how `decide` runs step calls (decide.ts I2–I4, decide-intent.ts I1, I3), driven the way tick.ts
 * drives it: a step intent journals StepStarted(attempt 1) and asks for the attempt; a re-reported intent
 * writes nothing while its attempt is open and running here, and starts the next attempt when the attempt
 * was lost; an outcome is journaled only for the latest started attempt; a retriable failure schedules a
 * retry timer with the policy's backoff, and that timer's firing starts the next attempt in the same
 * decision; an exhausted step's error lists at most ATTEMPT_ERRORS_MAX attempts and their full count;
 * timers never fire early (they go back as timersNotDue) and fire once.
 */
import { describe, expect, it } from 'vitest';
import {
  ATTEMPT_ERRORS_MAX,
  type Input,
  type RetryPolicy,
  retryDelayMs,
  type StepAttempt,
} from '../../src/machine/index.js';
import {
  bodies,
  boom,
  expectNothing,
  failed,
  intent,
  kinds,
  Partition,
  POLICY,
  stepIntent,
  stepOutcome,
  T0,
  timerDue,
} from './machine-harness.js';

const attemptOf = (callSeq: number, attempt: number): StepAttempt => ({
  workflowId: 'o-1',
  callSeq,
  attempt,
});

describe('decide: step intents', () => {
  it('a step intent journals StepStarted(attempt 1) with its origin and asks for the attempt', () => {
    const p = new Partition().started('o-1');
    const effects = p.tick(T0 + 1, stepIntent('o-1', 2, 'charge', false, 1));
    expect(bodies(effects)).toEqual([
      { kind: 'StepStarted', callSeq: 2, name: 'charge', attempt: 1, parentSeq: 1 },
    ]);
    expect(effects.attempts).toEqual([attemptOf(2, 1)]);
    expect(p.workflow('o-1').open.get(2)).toMatchObject({ attempt: 1, attemptOpen: true });
  });

  it('a re-reported intent for an open attempt that is running here writes nothing', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    expectNothing(p.tick(T0 + 1, stepIntent('o-1', 1, 'charge', true)));
  });

  it('a re-reported intent for an open attempt that is not running here (lost) starts the next attempt', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    const effects = p.tick(T0 + 1, stepIntent('o-1', 1, 'charge', false));
    expect(bodies(effects)).toEqual([
      { kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 2, parentSeq: -1 },
    ]);
    expect(effects.attempts).toEqual([attemptOf(1, 2)]);
    // The lost attempt's outcome, should it still come, is stale now.
    expectNothing(p.tick(T0 + 2, stepOutcome('o-1', 1, 1, { ok: true, result: 1 })));
  });

  it.each([true, false])(
    'a re-reported intent for a step waiting on its retry timer writes nothing (attemptActive %s)',
    (active) => {
      const p = new Partition().started('o-1').stepped('o-1', 1);
      p.tick(T0, stepOutcome('o-1', 1, 1, failed(true)));
      expectNothing(p.tick(T0 + 1, stepIntent('o-1', 1, 'charge', active)));
    },
  );

  it.each([true, false])("a closed call's intent writes nothing (attemptActive %s)", (active) => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    p.tick(T0, stepOutcome('o-1', 1, 1, { ok: true, result: 1 }));
    expectNothing(p.tick(T0 + 1, stepIntent('o-1', 1, 'charge', active)));
  });

  it('a step intent for an unknown workflow writes nothing', () => {
    expectNothing(new Partition().tick(T0, stepIntent('nope', 1)));
  });
});

describe('decide: step outcomes', () => {
  it('an ok outcome of the open attempt journals StepCompleted with its result and timing', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    const effects = p.tick(T0 + 10, stepOutcome('o-1', 1, 1, { ok: true, result: { paid: true } }));
    expect(bodies(effects)).toEqual([
      {
        kind: 'StepCompleted',
        callSeq: 1,
        name: 'charge',
        result: { paid: true },
        attempt: 1,
        startedAtMs: T0,
        durationMs: 5,
      },
    ]);
    expect(p.workflow('o-1').open.size).toBe(0);
  });

  it('a retriable failure under maxAttempts journals StepFailed with retryAtMs and a retry timer', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    const now = T0 + 10;
    const effects = p.tick(now, stepOutcome('o-1', 1, 1, failed(true)));
    const retryAtMs = now + retryDelayMs(POLICY, 1, 0.5);
    expect(retryAtMs).toBe(now + 100);
    expect(bodies(effects)).toEqual([
      {
        kind: 'StepFailed',
        callSeq: 1,
        name: 'charge',
        error: boom,
        attempt: 1,
        startedAtMs: T0,
        durationMs: 5,
        retryAtMs,
      },
      {
        kind: 'TimerScheduled',
        timerId: 'retry:1:1',
        callSeq: 1,
        purpose: 'retry',
        fireAtMs: retryAtMs,
        parentSeq: -1,
      },
    ]);
    expect(effects.attempts).toEqual([]);
    expect(p.timers.events).toEqual(['armed retry:1:1']);
  });

  it('a retry timer that fires writes TimerFired and StepStarted(next attempt) and asks for that attempt', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    p.tick(T0, stepOutcome('o-1', 1, 1, failed(true)));
    const effects = p.tick(T0 + 100, timerDue('o-1', 'retry:1:1'));
    expect(bodies(effects)).toEqual([
      { kind: 'TimerFired', timerId: 'retry:1:1', callSeq: 1 },
      { kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 2, parentSeq: -1 },
    ]);
    expect(effects.attempts).toEqual([attemptOf(1, 2)]);
    expect(p.timers.events).toEqual(['armed retry:1:1', 'removed retry:1:1']);
  });

  it('the backoff grows by the coefficient from attempt to attempt', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    p.tick(T0, stepOutcome('o-1', 1, 1, failed(true)));
    p.tick(T0 + 100, timerDue('o-1', 'retry:1:1'));
    const effects = p.tick(T0 + 150, stepOutcome('o-1', 1, 2, failed(true)));
    expect(effects.records[0]?.body).toMatchObject({
      kind: 'StepFailed',
      attempt: 2,
      retryAtMs: T0 + 150 + 200,
    });
    expect(effects.records[1]?.body).toMatchObject({ kind: 'TimerScheduled', timerId: 'retry:1:2' });
  });

  /** Runs step 1 of o-1 through `attempts` failed attempts under `policy`; returns the last outcome's effects. */
  function failEvery(p: Partition, attempts: number, policy: RetryPolicy) {
    p.started('o-1').stepped('o-1', 1);
    let now = T0;
    for (let attempt = 1; attempt < attempts; attempt++) {
      p.tick(now, stepOutcome('o-1', 1, attempt, failed(true, `failure ${attempt}`), policy));
      now += 1_000_000;
      expect(kinds(p.tick(now, timerDue('o-1', `retry:1:${attempt}`)))).toEqual([
        'TimerFired',
        'StepStarted',
      ]);
    }
    return p.tick(now, stepOutcome('o-1', 1, attempts, failed(true, `failure ${attempts}`), policy));
  }

  it('exhausted attempts journal a final StepFailed carrying every attempt error, the count and LB_RETRIES_EXHAUSTED', () => {
    const p = new Partition();
    const effects = failEvery(p, 3, POLICY);
    expect(kinds(effects)).toEqual(['StepFailed']);
    const body = effects.records[0]?.body;
    if (body?.kind !== 'StepFailed') throw new Error('expected StepFailed');
    expect(body.retryAtMs).toBeNull();
    expect(body.attempt).toBe(3);
    expect(body.error.code).toBe('LB_RETRIES_EXHAUSTED');
    expect(body.error.message).toContain('3 attempts');
    expect(body.error.details).toEqual({
      cause: null,
      attempts: [1, 2, 3].map((attempt) => ({
        attempt,
        name: 'Error',
        code: 'LB_STEP_FAILED',
        message: `failure ${attempt}`,
      })),
      attemptCount: 3,
    });
    const ws = p.workflow('o-1');
    expect(ws.timers.size).toBe(0);
    expect(ws.open.size).toBe(0);
    expect(ws.recent.at(-1)).toMatchObject({ callSeq: 1, outcome: 'failed', attempts: 3 });
  });

  it(`an exhausted step's error lists at most ${ATTEMPT_ERRORS_MAX} attempts (the latest) and counts them all`, () => {
    const effects = failEvery(new Partition(), 15, { ...POLICY, maxAttempts: 15 });
    const body = effects.records[0]?.body;
    if (body?.kind !== 'StepFailed') throw new Error('expected StepFailed');
    const details = body.error.details as { attempts: { attempt: number }[]; attemptCount: number };
    expect(details.attempts.map((a) => a.attempt)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(details.attemptCount).toBe(15);
    expect(body.error.message).toContain('15 attempts');
  });

  it('a non-retriable failure is final at once and keeps its own name and code', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    const error = { ...boom, name: 'TerminalError', code: 'LB_TERMINAL' };
    const effects = p.tick(T0, stepOutcome('o-1', 1, 1, { ok: false, retriable: false, error }));
    expect(kinds(effects)).toEqual(['StepFailed']);
    expect(effects.records[0]?.body).toMatchObject({
      retryAtMs: null,
      error: {
        name: 'TerminalError',
        code: 'LB_TERMINAL',
        message: 'boom',
        details: { attempts: [{ attempt: 1, code: 'LB_TERMINAL' }], attemptCount: 1 },
      },
    });
  });

  type Stale = { what: string; setup: (p: Partition) => void; input: Input };
  const stale: Stale[] = [
    {
      what: 'an outcome for a call never started',
      setup: () => {},
      input: stepOutcome('o-1', 2, 1, { ok: true, result: 1 }),
    },
    {
      what: 'a duplicate ok outcome of a completed step',
      setup: (p) => p.tick(T0, stepOutcome('o-1', 1, 1, { ok: true, result: 1 })),
      input: stepOutcome('o-1', 1, 1, { ok: true, result: 2 }),
    },
    {
      what: 'a later-attempt outcome of a completed step',
      setup: (p) => p.tick(T0, stepOutcome('o-1', 1, 1, { ok: true, result: 1 })),
      input: stepOutcome('o-1', 1, 2, { ok: true, result: 2 }),
    },
    {
      what: 'a redelivered failed attempt (waiting on its retry)',
      setup: (p) => p.tick(T0, stepOutcome('o-1', 1, 1, failed(true))),
      input: stepOutcome('o-1', 1, 1, failed(true)),
    },
    {
      what: 'an outcome for an attempt not started yet',
      setup: () => {},
      input: stepOutcome('o-1', 1, 2, { ok: true, result: 1 }),
    },
    {
      what: 'an older attempt arriving after a newer one started',
      setup: (p) => {
        p.tick(T0, stepOutcome('o-1', 1, 1, failed(true)));
        p.tick(T0 + 100, timerDue('o-1', 'retry:1:1'));
      },
      input: stepOutcome('o-1', 1, 1, { ok: true, result: 1 }),
    },
    {
      what: 'an outcome for a sleep call',
      setup: (p) => p.tick(T0, intent('o-1', { type: 'sleep', callSeq: 2, durationMs: 10, parentSeq: 1 })),
      input: stepOutcome('o-1', 2, 0, { ok: true, result: 1 }),
    },
    {
      what: 'an outcome for a finished workflow',
      setup: (p) => p.tick(T0, intent('o-1', { type: 'complete', result: null })),
      input: stepOutcome('o-1', 1, 1, { ok: true, result: 1 }),
    },
    {
      what: 'an outcome for an unknown workflow',
      setup: () => {},
      input: stepOutcome('nope', 1, 1, { ok: true, result: 1 }),
    },
  ];

  it.each(stale)('$what writes nothing', ({ setup, input }) => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    setup(p);
    expectNothing(p.tick(T0 + 1_000, input));
  });
});

describe('decide: timers', () => {
  it.each([
    { what: 'at fireAtMs fires', atMs: T0 + 3_000 },
    { what: 'after fireAtMs fires', atMs: T0 + 60_000 },
  ])('a timerDue $what once', ({ atMs }) => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 3_000, parentSeq: 0 }));
    expect(bodies(p.tick(atMs, timerDue('o-1', 'sleep:1')))).toEqual([
      { kind: 'TimerFired', timerId: 'sleep:1', callSeq: 1 },
    ]);
    expectNothing(p.tick(atMs + 1, timerDue('o-1', 'sleep:1')));
    expect(p.workflow('o-1').open.size).toBe(0);
    expect(p.workflow('o-1').recent).toEqual([
      { callSeq: 1, kind: 'sleep', name: 'sleep', outcome: 'ok', attempts: 0, atMs },
    ]);
  });

  it.each([
    {
      what: 'a sleep',
      arm: intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 3_000, parentSeq: 0 }),
      timerId: 'sleep:1',
    },
    {
      what: 'a signal timeout',
      arm: intent('o-1', { type: 'signal', callSeq: 1, name: 'go', timeoutMs: 3_000, parentSeq: 0 }),
      timerId: 'signal:1',
    },
  ])(
    'a timerDue for $what before its fireAtMs writes nothing and hands the timer back',
    ({ arm, timerId }) => {
      const p = new Partition().started('o-1');
      p.tick(T0, arm);
      const effects = p.tick(T0 + 2_999, timerDue('o-1', timerId));
      expect(effects.records).toEqual([]);
      expect(effects.timersNotDue).toEqual([{ workflowId: 'o-1', timerId, fireAtMs: T0 + 3_000 }]);
      expect(p.workflow('o-1').timers.has(timerId)).toBe(true);
    },
  );

  it('a retry timer reported early does not start the next attempt', () => {
    const p = new Partition().started('o-1').stepped('o-1', 1);
    p.tick(T0, stepOutcome('o-1', 1, 1, failed(true)));
    const effects = p.tick(T0 + 99, timerDue('o-1', 'retry:1:1'));
    expect(effects.records).toEqual([]);
    expect(effects.attempts).toEqual([]);
    expect(effects.timersNotDue).toEqual([{ workflowId: 'o-1', timerId: 'retry:1:1', fireAtMs: T0 + 100 }]);
  });

  it.each([
    { what: 'an unknown timer', id: 'o-1', timerId: 'sleep:9' },
    { what: 'an unknown workflow', id: 'nope', timerId: 'sleep:1' },
  ])('a timerDue for $what writes nothing', ({ id, timerId }) => {
    const p = new Partition().started('o-1');
    expectNothing(p.tick(T0 + 3_000, timerDue(id, timerId)));
  });
});
