/**
 * Proves CallMatcher and recordedCall (call-matcher.ts): which records open a call and what they say about
 * it; identity matching by (parentSeq, rank) whatever order the calls are made in (I1); a call of another
 * kind or name diverges, naming the journaled call; a call the history does not hold gets a callSeq above
 * every journaled one (I2); legacy histories match by call order, holes included; firstUnmatched names
 * the lowest journaled call not re-made; matched entries are released, so the unmatched count reaches 0
 * and an identity matches once (I3); only a call's first record counts, and nothing is added once sealed.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord, RecordBody } from '../../src/journal/index.js';
import { CallMatcher, type RecordedCall, recordedCall } from '../../src/replay/index.js';

const error = { name: 'LimitError', code: 'LB_LIMIT', message: 'no', details: null };
const timing = { attempt: 1, startedAtMs: 0, durationMs: 1 };
const rec = (body: RecordBody, schemaVersion = 3): JournalRecord => ({
  schemaVersion,
  workflowId: 'w',
  seq: 1,
  atMs: 0,
  body,
});
const started = (callSeq: number, name: string, parentSeq: number): JournalRecord =>
  rec({ kind: 'StepStarted', callSeq, name, attempt: 1, parentSeq });
const sleep = (callSeq: number, parentSeq: number): JournalRecord =>
  rec({
    kind: 'TimerScheduled',
    timerId: `sleep:${callSeq}`,
    callSeq,
    purpose: 'sleep',
    fireAtMs: 9,
    parentSeq,
  });

describe('recordedCall', () => {
  it.each<{ body: RecordBody; call: RecordedCall | undefined }>([
    {
      body: { kind: 'StepStarted', callSeq: 1, name: 'a', attempt: 1, parentSeq: 0 },
      call: { callSeq: 1, kind: 'step', name: 'a', parentSeq: 0 },
    },
    {
      body: { kind: 'StepCompleted', callSeq: 2, name: 'a', result: 1, ...timing },
      call: { callSeq: 2, kind: 'step', name: 'a', parentSeq: -1 },
    },
    {
      body: { kind: 'StepFailed', callSeq: 2, name: 'a', error, retryAtMs: null, ...timing },
      call: { callSeq: 2, kind: 'step', name: 'a', parentSeq: -1 },
    },
    { body: sleep(3, 2).body, call: { callSeq: 3, kind: 'sleep', name: 'sleep', parentSeq: 2 } },
    {
      body: {
        kind: 'TimerScheduled',
        timerId: 'retry:1:1',
        callSeq: 1,
        purpose: 'retry',
        fireAtMs: 9,
        parentSeq: -1,
      },
      call: undefined,
    },
    {
      body: {
        kind: 'TimerScheduled',
        timerId: 'signal:4',
        callSeq: 4,
        purpose: 'signal-timeout',
        fireAtMs: 9,
        parentSeq: -1,
      },
      call: undefined,
    },
    { body: { kind: 'TimerFired', timerId: 'sleep:3', callSeq: 3 }, call: undefined },
    {
      body: { kind: 'SignalAwaited', callSeq: 4, name: 'ok', parentSeq: 3 },
      call: { callSeq: 4, kind: 'signal', name: 'ok', parentSeq: 3 },
    },
    {
      body: { kind: 'SignalConsumed', callSeq: 4, name: 'ok', signalSeq: 2, payload: null, parentSeq: 3 },
      call: { callSeq: 4, kind: 'signal', name: 'ok', parentSeq: 3 },
    },
    {
      body: { kind: 'CompensationStarted', callSeq: 5, reason: error, steps: ['a'], parentSeq: 4 },
      call: { callSeq: 5, kind: 'compensation', name: 'compensation', parentSeq: 4 },
    },
    {
      body: { kind: 'ChildStarted', callSeq: 6, childId: 'c', workflow: 'kid', parentSeq: 5 },
      call: { callSeq: 6, kind: 'child', name: 'kid', parentSeq: 5 },
    },
    {
      body: { kind: 'ChildCompleted', callSeq: 6, childId: 'c', outcome: { ok: true, result: 1 } },
      call: undefined,
    },
    {
      body: { kind: 'Emitted', callSeq: 7, topic: 't', key: 'k', parentSeq: 6 },
      call: { callSeq: 7, kind: 'emit', name: 't', parentSeq: 6 },
    },
    {
      body: { kind: 'CallRejected', callSeq: 8, callKind: 'child', name: 'kid', error, parentSeq: 7 },
      call: { callSeq: 8, kind: 'child', name: 'kid', parentSeq: 7 },
    },
    { body: { kind: 'CancelRequested', reason: 'r' }, call: undefined },
    { body: { kind: 'WorkflowCompleted', result: null }, call: undefined },
  ])('$body.kind → $call.kind', ({ body, call }) => {
    expect(recordedCall(rec(body))).toEqual(call);
  });
});

describe('CallMatcher: identity (v3 histories)', () => {
  /** Journal order: 1 (0,0), 2 (1,0), 3 (0,1) sleep, 4 (2,0), 5 (1,1). */
  function history(): CallMatcher {
    const m = new CallMatcher(false);
    for (const r of [
      started(1, 'a', 0),
      started(2, 'b', 1),
      sleep(3, 0),
      started(4, 'c', 2),
      started(5, 'd', 1),
    ])
      m.add(r);
    m.sealed();
    return m;
  }

  it('gives each call the callSeq of its (parentSeq, rank), in whatever order the calls are made', () => {
    const m = history();
    expect(m.unmatched).toBe(5);
    expect(m.match(1, 1, 'step', 'd')).toEqual({ kind: 'journaled', callSeq: 5 });
    expect(m.match(2, 0, 'step', 'c')).toEqual({ kind: 'journaled', callSeq: 4 });
    expect(m.match(0, 1, 'sleep', 'sleep')).toEqual({ kind: 'journaled', callSeq: 3 });
    expect(m.match(0, 0, 'step', 'a')).toEqual({ kind: 'journaled', callSeq: 1 });
    expect(m.match(1, 0, 'step', 'b')).toEqual({ kind: 'journaled', callSeq: 2 });
    expect(m.unmatched).toBe(0); // I3: every entry released
    expect(m.firstUnmatched()).toBeUndefined();
  });

  it.each([
    {
      what: 'another name',
      kind: 'step',
      name: 'z',
      expected: { callSeq: 2, kind: 'step', name: 'b', parentSeq: 1 },
    },
    {
      what: 'another kind',
      kind: 'signal',
      name: 'b',
      expected: { callSeq: 2, kind: 'step', name: 'b', parentSeq: 1 },
    },
  ] as const)(
    'a call of $what at a journaled identity diverges, naming the journaled call',
    ({ kind, name, expected }) => {
      const m = history();
      expect(m.match(1, 0, kind, name)).toEqual({ kind: 'diverged', callSeq: 2, expected });
      expect(m.unmatched).toBe(5); // a divergence releases nothing
    },
  );

  it('a call at an identity the history does not hold is new, numbered above every journaled call', () => {
    const m = history();
    expect(m.match(1, 2, 'step', 'e')).toEqual({ kind: 'new', callSeq: 6 });
    expect(m.match(9, 0, 'step', 'f')).toEqual({ kind: 'new', callSeq: 7 });
    expect(m.unmatched).toBe(5);
    const live = new CallMatcher(false);
    live.sealed();
    expect([1, 2, 3].map((r) => live.match(0, r - 1, 'step', 's').callSeq)).toEqual([1, 2, 3]);
  });

  it('an identity matches once: made again after it matched, it is a new call', () => {
    const m = history();
    expect(m.match(0, 0, 'step', 'a')).toEqual({ kind: 'journaled', callSeq: 1 });
    expect(m.match(0, 0, 'step', 'a')).toEqual({ kind: 'new', callSeq: 6 });
  });

  it('firstUnmatched names the lowest journaled call not made again', () => {
    const m = history();
    expect(m.firstUnmatched()).toEqual({ callSeq: 1, kind: 'step', name: 'a', parentSeq: 0 });
    m.match(0, 0, 'step', 'a');
    m.match(1, 0, 'step', 'b');
    expect(m.firstUnmatched()).toEqual({ callSeq: 3, kind: 'sleep', name: 'sleep', parentSeq: 0 });
  });

  it('counts each call once, by its first record, and ignores records that open no call; sealed, it adds nothing', () => {
    const m = new CallMatcher(false);
    m.add(
      rec({
        kind: 'WorkflowStarted',
        workflow: 'w',
        input: null,
        idempotencyKey: null,
        parent: null,
        trace: null,
      }),
    );
    m.add(started(1, 'a', 0));
    m.add(rec({ kind: 'StepFailed', callSeq: 1, name: 'a', error, retryAtMs: 5, ...timing }));
    m.add(
      rec({
        kind: 'TimerScheduled',
        timerId: 'retry:1:1',
        callSeq: 1,
        purpose: 'retry',
        fireAtMs: 5,
        parentSeq: -1,
      }),
    );
    m.add(rec({ kind: 'StepStarted', callSeq: 1, name: 'a', attempt: 2, parentSeq: -1 }));
    m.add(rec({ kind: 'StepCompleted', callSeq: 1, name: 'a', result: 1, ...timing }));
    m.add(rec({ kind: 'CallRejected', callSeq: 2, callKind: 'emit', name: 't', error, parentSeq: 1 }));
    expect(m.unmatched).toBe(2);
    m.sealed();
    m.add(started(3, 'late', 2));
    expect(m.unmatched).toBe(2);
    expect(m.match(0, 0, 'step', 'a')).toEqual({ kind: 'journaled', callSeq: 1 });
    expect(m.match(1, 0, 'emit', 't')).toEqual({ kind: 'journaled', callSeq: 2 });
    expect(m.match(2, 0, 'step', 'late')).toEqual({ kind: 'new', callSeq: 3 });
    expect(m.unmatched).toBe(0);
  });
});

describe('CallMatcher: legacy (v1/v2 histories)', () => {
  /** v2: call 1 was in flight (no record yet), 2 ended, 3 is a sleep, 4 a signal. */
  function legacy(): CallMatcher {
    const m = new CallMatcher(true);
    m.add(rec({ kind: 'StepCompleted', callSeq: 2, name: 'b', result: 1, ...timing }, 2));
    m.add(
      rec(
        {
          kind: 'TimerScheduled',
          timerId: 'sleep:3',
          callSeq: 3,
          purpose: 'sleep',
          fireAtMs: 9,
          parentSeq: -1,
        },
        2,
      ),
    );
    m.add(rec({ kind: 'SignalAwaited', callSeq: 4, name: 'ok', parentSeq: -1 }, 2));
    m.sealed();
    return m;
  }

  it('numbers calls in the order the body makes them, whatever their origin, holes included', () => {
    const m = legacy();
    expect(m.unmatched).toBe(3);
    expect(m.match(0, 0, 'step', 'a')).toEqual({ kind: 'new', callSeq: 1 }); // the hole: never journaled
    expect(m.match(0, 1, 'step', 'b')).toEqual({ kind: 'journaled', callSeq: 2 });
    expect(m.match(7, 3, 'sleep', 'sleep')).toEqual({ kind: 'journaled', callSeq: 3 });
    expect(m.firstUnmatched()).toEqual({ callSeq: 4, kind: 'signal', name: 'ok', parentSeq: -1 });
    expect(m.match(3, 0, 'signal', 'ok')).toEqual({ kind: 'journaled', callSeq: 4 });
    expect(m.match(4, 0, 'step', 'c')).toEqual({ kind: 'new', callSeq: 5 });
    expect(m.unmatched).toBe(0);
  });

  it('a call that differs from the journaled call at its position diverges', () => {
    const m = legacy();
    m.match(0, 0, 'step', 'a');
    expect(m.match(1, 0, 'step', 'x')).toEqual({
      kind: 'diverged',
      callSeq: 2,
      expected: { callSeq: 2, kind: 'step', name: 'b', parentSeq: -1 },
    });
  });
});
