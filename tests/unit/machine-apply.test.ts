/**
 * Proves `applyRecord` and the workflow lifecycle: folding the same records from scratch gives the same
 * state every time (a new owner reaches exactly the old one's state); every record kind folds into the
 * open calls, timers, mailbox and waits its records describe; a seq gap, a repeated seq or a record for an
 * unknown workflow is a bug (InvariantError); a terminal workflow keeps no open calls, timers, waits or
 * mailbox, and after it only a CommandRejected may follow; and the lifecycle table allows exactly its legal
 * transitions, so illegal ones throw, also when a record would cause one.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord, RecordBody } from '../../src/journal/index.js';
import {
  applyRecord,
  InvariantError,
  type PartitionState,
  transition,
  type WorkflowStatus,
} from '../../src/machine/index.js';
import { boom, diverged, fold, journal, startedBody, T0, TimerLog } from './machine-harness.js';

/** A history touching every per-workflow record kind, still running at its end. */
const RUNNING: readonly RecordBody[] = [
  startedBody,
  { kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 1, parentSeq: 0 },
  {
    kind: 'StepFailed',
    callSeq: 1,
    name: 'charge',
    error: boom,
    attempt: 1,
    startedAtMs: T0,
    durationMs: 3,
    retryAtMs: T0 + 100,
  },
  {
    kind: 'TimerScheduled',
    timerId: 'retry:1:1',
    callSeq: 1,
    purpose: 'retry',
    fireAtMs: T0 + 100,
    parentSeq: -1,
  },
  { kind: 'TimerFired', timerId: 'retry:1:1', callSeq: 1 },
  { kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 2, parentSeq: -1 },
  {
    kind: 'StepCompleted',
    callSeq: 1,
    name: 'charge',
    result: { paid: 3 },
    attempt: 2,
    startedAtMs: T0 + 100,
    durationMs: 4,
  },
  {
    kind: 'TimerScheduled',
    timerId: 'sleep:2',
    callSeq: 2,
    purpose: 'sleep',
    fireAtMs: T0 + 5_000,
    parentSeq: 1,
  },
  { kind: 'TimerFired', timerId: 'sleep:2', callSeq: 2 },
  { kind: 'SignalReceived', name: 'early', payload: 1 }, // seq 10
  { kind: 'SignalAwaited', callSeq: 3, name: 'approve', parentSeq: 2 },
  {
    kind: 'TimerScheduled',
    timerId: 'signal:3',
    callSeq: 3,
    purpose: 'signal-timeout',
    fireAtMs: T0 + 9_000,
    parentSeq: -1,
  },
  { kind: 'SignalReceived', name: 'approve', payload: { by: 'ann' } }, // seq 13
  {
    kind: 'SignalConsumed',
    callSeq: 3,
    name: 'approve',
    signalSeq: 13,
    payload: { by: 'ann' },
    parentSeq: -1,
  },
  { kind: 'ChildStarted', callSeq: 4, childId: 'o-1/ship', workflow: 'ship', parentSeq: 3 },
  { kind: 'ChildCompleted', callSeq: 4, childId: 'o-1/ship', outcome: { ok: true, result: 'Z1' } },
  { kind: 'Emitted', callSeq: 5, topic: 'orders.out', key: 'o-1', parentSeq: 4 },
  { kind: 'CommandRejected', code: 'LB_CMD_MAILBOX_FULL', reason: 'r', sourceOffset: '9' },
  { kind: 'CallRejected', callSeq: 6, callKind: 'emit', name: 'big', error: boom, parentSeq: 5 },
  { kind: 'SignalAwaited', callSeq: 7, name: 'never', parentSeq: 6 },
  {
    kind: 'TimerScheduled',
    timerId: 'sleep:8',
    callSeq: 8,
    purpose: 'sleep',
    fireAtMs: T0 + 99_000,
    parentSeq: 6,
  },
  { kind: 'StepStarted', callSeq: 9, name: 'ship', attempt: 1, parentSeq: 6 },
  { kind: 'CompensationStarted', callSeq: 10, reason: boom, steps: ['charge'], parentSeq: 6 },
  { kind: 'CancelRequested', reason: 'customer asked' },
];

describe('applyRecord determinism', () => {
  const records: JournalRecord[] = [
    {
      schemaVersion: 3,
      workflowId: '',
      seq: 0,
      atMs: T0,
      body: { kind: 'OwnerClaimed', partition: 0, claimId: 'c', executorId: 'e' },
    },
    ...journal('o-1', RUNNING),
    ...journal('o-2', [startedBody, { kind: 'WorkflowCompleted', result: 2 }]),
    {
      schemaVersion: 3,
      workflowId: 'never',
      seq: 0,
      atMs: T0,
      body: { kind: 'CommandRejected', code: 'LB_CMD_NO_SUCH_WORKFLOW', reason: 'r', sourceOffset: '1' },
    },
  ];

  it('folding the same records twice from scratch gives deep-equal states', () => {
    const first = fold(records);
    const second = fold(records);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect([...first.keys()]).toEqual(['o-1', 'o-2']);
  });

  it('folds every kind into the open calls, timers, mailbox and waits its records describe', () => {
    const ws = fold(records).get('o-1');
    if (ws === undefined) throw new Error('o-1 not folded');
    expect(ws.status).toBe('running');
    expect(ws.legacySteps).toBe(false);
    expect(ws.lastSeq).toBe(RUNNING.length);
    expect(ws.updatedAtMs).toBe(T0 + RUNNING.length);
    expect(ws.maxCallSeq).toBe(10);
    expect(ws.callCount).toBe(10);
    expect(ws.cancelReason).toBe('customer asked');
    expect(ws.mailbox).toEqual([{ seq: 10, name: 'early', payload: 1, bytes: 1 }]);
    expect([...ws.awaiting]).toEqual([[7, 'never']]);
    expect([...ws.timers.keys()]).toEqual(['sleep:8']);
    expect([...ws.open].map(([seq, c]) => [seq, c.kind, c.name])).toEqual([
      [7, 'signal', 'never'],
      [8, 'sleep', 'sleep'],
      [9, 'step', 'ship'],
    ]);
    expect(ws.recent.map((c) => [c.callSeq, c.kind, c.outcome, c.attempts])).toEqual([
      [1, 'step', 'ok', 2],
      [2, 'sleep', 'ok', 0],
      [3, 'signal', 'ok', 0],
      [4, 'child', 'ok', 0],
      [5, 'emit', 'ok', 0],
      [6, 'emit', 'rejected', 0],
      [10, 'compensation', 'ok', 0],
    ]);
    expect(ws.legacyClosed.size).toBe(0);
  });

  it('a partition-level record touches no workflow', () => {
    const state: PartitionState & Map<string, unknown> = new Map();
    const touched = applyRecord(state, {
      schemaVersion: 3,
      workflowId: '',
      seq: 0,
      atMs: T0,
      body: { kind: 'OwnerClaimed', partition: 1, claimId: 'c', executorId: 'e' },
    });
    expect(touched).toBeUndefined();
    expect(state.size).toBe(0);
  });
});

describe('applyRecord invariants', () => {
  it.each([
    { what: 'a seq gap', seq: 4 },
    { what: 'a repeated seq', seq: 2 },
    { what: 'a seq going back', seq: 1 },
  ])('$what throws InvariantError and leaves lastSeq', ({ seq }) => {
    const state = fold(journal('o-1', [startedBody, { kind: 'CancelRequested', reason: 'r' }]));
    const record: JournalRecord = {
      schemaVersion: 3,
      workflowId: 'o-1',
      seq,
      atMs: T0,
      body: { kind: 'CancelRequested', reason: 'again' },
    };
    expect(() => applyRecord(state, record)).toThrow(InvariantError);
    expect(state.get('o-1')?.lastSeq).toBe(2);
    expect(state.get('o-1')?.cancelReason).toBe('r');
  });

  it('a record for a workflow that never started throws InvariantError', () => {
    const record: JournalRecord = {
      schemaVersion: 3,
      workflowId: 'ghost',
      seq: 1,
      atMs: T0,
      body: { kind: 'CancelRequested', reason: 'r' },
    };
    expect(() => applyRecord(new Map(), record)).toThrow(InvariantError);
  });

  it('a SignalConsumed of a signal not in the mailbox throws InvariantError', () => {
    const state = fold(journal('o-1', [startedBody]));
    const record: JournalRecord = {
      schemaVersion: 3,
      workflowId: 'o-1',
      seq: 2,
      atMs: T0,
      body: {
        kind: 'SignalConsumed',
        callSeq: 1,
        name: 'approve',
        signalSeq: 99,
        payload: null,
        parentSeq: 0,
      },
    };
    expect(() => applyRecord(state, record)).toThrow(InvariantError);
  });

  it('an InvariantError carries the bug code', () => {
    expect(() => transition('completed', 'running', 'o-1')).toThrow(
      expect.objectContaining({ name: 'InvariantError', code: 'LB_BUG' }),
    );
  });
});

describe('applyRecord terminal workflows', () => {
  it.each<{ ending: RecordBody; status: WorkflowStatus }>([
    { ending: { kind: 'WorkflowCompleted', result: { done: true } }, status: 'completed' },
    { ending: { kind: 'WorkflowFailed', error: boom }, status: 'failed' },
    { ending: { kind: 'WorkflowCancelled', reason: 'r' }, status: 'cancelled' },
  ])('$ending.kind clears open calls, timers, waits and mailbox', ({ ending, status }) => {
    const log = new TimerLog();
    const state = fold(journal('o-1', [...RUNNING, ending]), log);
    const ws = state.get('o-1');
    expect(ws?.status).toBe(status);
    expect(ws?.open.size).toBe(0);
    expect(ws?.timers.size).toBe(0);
    expect(ws?.awaiting.size).toBe(0);
    expect(ws?.mailbox).toEqual([]);
    expect(ws?.lastSeq).toBe(RUNNING.length + 1);
    expect(log.events.at(-1)).toBe('removed sleep:8'); // the observer hears of the timer the end dropped
    if (ending.kind === 'WorkflowCompleted') expect(ws?.result).toEqual({ done: true });
    if (ending.kind === 'WorkflowFailed') expect(ws?.error).toEqual(boom);
  });

  it('a legacy CommandRejected after the end takes its seq and changes nothing else', () => {
    const state = fold([
      ...journal('o-1', [startedBody, { kind: 'WorkflowCompleted', result: 1 }], { schemaVersion: 2 }),
      ...journal(
        'o-1',
        [{ kind: 'CommandRejected', code: 'LB_CMD_WORKFLOW_FINISHED', reason: 'r', sourceOffset: '3' }],
        { schemaVersion: 2, firstSeq: 3 },
      ),
    ]);
    expect(state.get('o-1')?.lastSeq).toBe(3);
    expect(state.get('o-1')?.status).toBe('completed');
    expect(state.get('o-1')?.result).toBe(1);
  });

  it('a CommandRejected outside the sequence (seq 0) leaves a finished workflow untouched', () => {
    const state = fold(journal('o-1', [startedBody, { kind: 'WorkflowCompleted', result: 1 }]));
    const before = structuredClone(state.get('o-1'));
    const touched = applyRecord(state, {
      schemaVersion: 3,
      workflowId: 'o-1',
      seq: 0,
      atMs: T0 + 50,
      body: { kind: 'CommandRejected', code: 'LB_CMD_WORKFLOW_FINISHED', reason: 'r', sourceOffset: '3' },
    });
    expect(touched?.id).toBe('o-1');
    expect(state.get('o-1')).toEqual(before);
  });
});

describe('workflow lifecycle transitions', () => {
  const STATUSES: readonly WorkflowStatus[] = ['running', 'stuck', 'completed', 'failed', 'cancelled'];
  const LEGAL: Readonly<Record<WorkflowStatus, readonly WorkflowStatus[]>> = {
    running: ['running', 'stuck', 'completed', 'failed', 'cancelled'],
    // A fixed deployment replays a stuck body past its divergence; it may then end any way at all.
    stuck: ['running', 'stuck', 'completed', 'failed', 'cancelled'],
    completed: [],
    failed: [],
    cancelled: [],
  };
  const table = STATUSES.flatMap((from) =>
    STATUSES.map((to) => ({ from, to, legal: LEGAL[from].includes(to) })),
  );

  it.each(table)('$from → $to is legal: $legal', ({ from, to, legal }) => {
    if (legal) expect(transition(from, to, 'o-1')).toBe(to);
    else expect(() => transition(from, to, 'o-1')).toThrow(InvariantError);
  });

  it.each<RecordBody>([
    { kind: 'WorkflowCompleted', result: 2 },
    { kind: 'WorkflowFailed', error: boom },
    { kind: 'WorkflowCancelled', reason: 'r' },
    { kind: 'WorkflowStuck', error: diverged },
    { kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 1, parentSeq: 0 },
    { kind: 'SignalReceived', name: 'late', payload: null },
  ])('$kind after the workflow completed throws InvariantError', (body) => {
    const state = fold(journal('o-1', [startedBody, { kind: 'WorkflowCompleted', result: 1 }]));
    const record: JournalRecord = { schemaVersion: 3, workflowId: 'o-1', seq: 3, atMs: T0, body };
    expect(() => applyRecord(state, record)).toThrow(InvariantError);
  });

  it.each<RecordBody>([
    { kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 1, parentSeq: 0 },
    { kind: 'TimerScheduled', timerId: 'sleep:1', callSeq: 1, purpose: 'sleep', fireAtMs: T0, parentSeq: 0 },
    { kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 },
    { kind: 'ChildStarted', callSeq: 1, childId: 'c-1', workflow: 'ship', parentSeq: 0 },
    { kind: 'Emitted', callSeq: 1, topic: 't', key: 'k', parentSeq: 0 },
  ])('a stuck workflow goes back to running when a fixed body makes a new call ($kind)', (body) => {
    const state = fold(journal('o-1', [startedBody, { kind: 'WorkflowStuck', error: diverged }, body]));
    expect(state.get('o-1')?.status).toBe('running');
  });

  it('a stuck workflow stays stuck on records that are not a new call of its body', () => {
    const state = fold(
      journal('o-1', [
        startedBody,
        { kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 1, parentSeq: 0 },
        { kind: 'WorkflowStuck', error: diverged },
        // An attempt of before the divergence ends, a signal comes, a retry is scheduled: none of it is
        // the body moving on.
        {
          kind: 'StepFailed',
          callSeq: 1,
          name: 'charge',
          error: boom,
          attempt: 1,
          startedAtMs: T0,
          durationMs: 1,
          retryAtMs: T0 + 5,
        },
        {
          kind: 'TimerScheduled',
          timerId: 'retry:1:1',
          callSeq: 1,
          purpose: 'retry',
          fireAtMs: T0 + 5,
          parentSeq: -1,
        },
        { kind: 'SignalReceived', name: 'go', payload: null },
        { kind: 'CancelRequested', reason: 'r' },
      ]),
    );
    expect(state.get('o-1')?.status).toBe('stuck');
  });

  it('a stuck workflow whose fixed body returns at once ends completed', () => {
    // Replayed calls write nothing, so a fixed body that returns after its recorded calls writes only
    // WorkflowCompleted while the workflow is still stuck.
    const state = fold(
      journal('o-1', [
        startedBody,
        { kind: 'WorkflowStuck', error: diverged },
        { kind: 'WorkflowCompleted', result: 'ok' },
      ]),
    );
    expect(state.get('o-1')?.status).toBe('completed');
  });
});
