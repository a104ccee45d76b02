/**
 * Proves `applyRecord` and the workflow lifecycle: folding the same records from scratch gives the same
 * state every time (a new owner reaches exactly the old one's state); a seq gap, a repeated seq or a
 * record for an unknown workflow is a bug (InvariantError); a terminal workflow drops its history, timers
 * and waits; and the lifecycle table allows exactly its legal transitions, so illegal ones throw, also
 * when a record would cause one.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorData, JournalRecord, RecordBody } from '../../src/journal/index.js';
import {
  applyRecord,
  InvariantError,
  type PartitionState,
  transition,
  type WorkflowStatus,
} from '../../src/machine/index.js';

const T0 = 1_700_000_000_000;
const boom: ErrorData = { name: 'Error', code: 'LB_STEP_FAILED', message: 'boom', details: null };
const stuckError: ErrorData = {
  name: 'NonDeterminismError',
  code: 'LB_NON_DETERMINISM',
  message: 'diverged',
  details: null,
};

/** Records of one workflow, numbered 1, 2, … one ms apart. */
function journal(workflowId: string, bodies: readonly RecordBody[], firstSeq = 1): JournalRecord[] {
  return bodies.map((body, i) => ({
    schemaVersion: 2,
    workflowId,
    seq: firstSeq + i,
    atMs: T0 + firstSeq + i,
    body,
  }));
}

const started: RecordBody = {
  kind: 'WorkflowStarted',
  workflow: 'order',
  input: { sku: 'A' },
  idempotencyKey: 'k',
  parent: null,
};

/** A history touching every per-workflow record kind, still running at its end. */
const RUNNING: readonly RecordBody[] = [
  started,
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
  { kind: 'TimerScheduled', timerId: 'retry:1:1', callSeq: 1, purpose: 'retry', fireAtMs: T0 + 100 },
  { kind: 'TimerFired', timerId: 'retry:1:1', callSeq: 1 },
  {
    kind: 'StepCompleted',
    callSeq: 1,
    name: 'charge',
    result: { paid: 3 },
    attempt: 2,
    startedAtMs: T0 + 100,
    durationMs: 4,
  },
  { kind: 'TimerScheduled', timerId: 'sleep:2', callSeq: 2, purpose: 'sleep', fireAtMs: T0 + 5_000 },
  { kind: 'TimerFired', timerId: 'sleep:2', callSeq: 2 },
  { kind: 'SignalReceived', name: 'early', payload: 1 },
  { kind: 'SignalAwaited', callSeq: 3, name: 'approve' },
  {
    kind: 'TimerScheduled',
    timerId: 'signal:3',
    callSeq: 3,
    purpose: 'signal-timeout',
    fireAtMs: T0 + 9_000,
  },
  { kind: 'SignalReceived', name: 'approve', payload: { by: 'ann' } },
  { kind: 'SignalConsumed', callSeq: 3, name: 'approve', signalSeq: 11, payload: { by: 'ann' } },
  { kind: 'ChildStarted', callSeq: 4, childId: 'o-1/ship', workflow: 'ship' },
  { kind: 'ChildCompleted', callSeq: 4, childId: 'o-1/ship', outcome: { ok: true, result: 'Z1' } },
  { kind: 'Emitted', callSeq: 5, topic: 'orders.out', key: 'o-1' },
  { kind: 'CommandRejected', code: 'LB_CMD_WORKFLOW_FINISHED', reason: 'r', sourceOffset: '9' },
  { kind: 'SignalAwaited', callSeq: 6, name: 'never' },
  { kind: 'TimerScheduled', timerId: 'sleep:7', callSeq: 7, purpose: 'sleep', fireAtMs: T0 + 99_000 },
  { kind: 'CancelRequested', reason: 'customer asked' },
];

function fold(records: readonly JournalRecord[]): PartitionState {
  const state: PartitionState = new Map();
  for (const record of records) applyRecord(state, record);
  return state;
}

describe('applyRecord determinism', () => {
  const records: JournalRecord[] = [
    {
      schemaVersion: 2,
      workflowId: '',
      seq: 0,
      atMs: T0,
      body: { kind: 'OwnerClaimed', partition: 0, claimId: 'c', executorId: 'e' },
    },
    ...journal('o-1', RUNNING),
    ...journal('o-2', [started, { kind: 'WorkflowCompleted', result: 2 }]),
    {
      schemaVersion: 2,
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

  it('folds every kind into the state its records describe', () => {
    const ws = fold(records).get('o-1');
    expect(ws?.status).toBe('running');
    expect(ws?.lastSeq).toBe(RUNNING.length);
    expect(ws?.updatedAtMs).toBe(T0 + RUNNING.length);
    expect(ws?.history).toHaveLength(RUNNING.length);
    expect(ws?.cancelReason).toBe('customer asked');
    expect(ws?.mailbox).toEqual([{ seq: 8, name: 'early', payload: 1 }]);
    expect([...(ws?.awaiting ?? [])]).toEqual([[6, 'never']]);
    expect([...(ws?.timers.keys() ?? [])]).toEqual(['sleep:7']);
    expect(ws?.calls.get(1)).toEqual({
      kind: 'step',
      name: 'charge',
      status: 'done',
      attempt: 2,
      errors: [boom],
    });
    const statuses = [...(ws?.calls ?? [])].map(([seq, c]) => [seq, c.kind, c.status]);
    expect(statuses).toEqual([
      [1, 'step', 'done'],
      [2, 'sleep', 'done'],
      [3, 'signal', 'done'],
      [4, 'child', 'done'],
      [5, 'emit', 'done'],
      [6, 'signal', 'pending'],
      [7, 'sleep', 'pending'],
    ]);
  });

  it('a partition-level record touches no workflow', () => {
    const state: PartitionState = new Map();
    const touched = applyRecord(state, {
      schemaVersion: 2,
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
  ])('$what throws InvariantError', ({ seq }) => {
    const state = fold(journal('o-1', [started, { kind: 'CancelRequested', reason: 'r' }]));
    const record: JournalRecord = {
      schemaVersion: 2,
      workflowId: 'o-1',
      seq,
      atMs: T0,
      body: { kind: 'CancelRequested', reason: 'again' },
    };
    expect(() => applyRecord(state, record)).toThrow(InvariantError);
    expect(state.get('o-1')?.lastSeq).toBe(2);
  });

  it('a record for a workflow that never started throws InvariantError', () => {
    const state: PartitionState = new Map();
    const record: JournalRecord = {
      schemaVersion: 2,
      workflowId: 'ghost',
      seq: 1,
      atMs: T0,
      body: { kind: 'CancelRequested', reason: 'r' },
    };
    expect(() => applyRecord(state, record)).toThrow(InvariantError);
  });

  it('a SignalConsumed of a signal not in the mailbox throws InvariantError', () => {
    const state = fold(journal('o-1', [started]));
    const record: JournalRecord = {
      schemaVersion: 2,
      workflowId: 'o-1',
      seq: 2,
      atMs: T0,
      body: { kind: 'SignalConsumed', callSeq: 1, name: 'approve', signalSeq: 99, payload: null },
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
  ])('$ending.kind drops the history, timers and waits', ({ ending, status }) => {
    const state = fold(journal('o-1', [...RUNNING, ending]));
    const ws = state.get('o-1');
    expect(ws?.status).toBe(status);
    expect(ws?.history).toEqual([]);
    expect(ws?.timers.size).toBe(0);
    expect(ws?.awaiting.size).toBe(0);
    expect(ws?.lastSeq).toBe(RUNNING.length + 1);
    if (ending.kind === 'WorkflowCompleted') expect(ws?.result).toEqual({ done: true });
    if (ending.kind === 'WorkflowFailed') expect(ws?.error).toEqual(boom);
  });

  it('a record after the end still takes its seq but adds no history', () => {
    const state = fold(
      journal('o-1', [
        started,
        { kind: 'WorkflowCompleted', result: 1 },
        { kind: 'CommandRejected', code: 'LB_CMD_WORKFLOW_FINISHED', reason: 'r', sourceOffset: '3' },
      ]),
    );
    expect(state.get('o-1')?.lastSeq).toBe(3);
    expect(state.get('o-1')?.history).toEqual([]);
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
    { kind: 'WorkflowStuck', error: stuckError },
  ])('$kind after the workflow completed throws InvariantError', (body) => {
    const state = fold(journal('o-1', [started, { kind: 'WorkflowCompleted', result: 1 }]));
    const record: JournalRecord = { schemaVersion: 2, workflowId: 'o-1', seq: 3, atMs: T0, body };
    expect(() => applyRecord(state, record)).toThrow(InvariantError);
  });

  it('a stuck workflow goes back to running when its replay makes progress', () => {
    const state = fold(
      journal('o-1', [
        started,
        { kind: 'WorkflowStuck', error: stuckError },
        {
          kind: 'StepCompleted',
          callSeq: 1,
          name: 'charge',
          result: 1,
          attempt: 1,
          startedAtMs: T0,
          durationMs: 1,
        },
      ]),
    );
    expect(state.get('o-1')?.status).toBe('running');
  });

  it('a stuck workflow whose fixed body returns at once ends completed', () => {
    // Replayed calls write nothing, so a fixed body that returns after its recorded calls writes only
    // WorkflowCompleted while the workflow is still stuck.
    const state = fold(
      journal('o-1', [
        started,
        { kind: 'WorkflowStuck', error: stuckError },
        { kind: 'WorkflowCompleted', result: 'ok' },
      ]),
    );
    expect(state.get('o-1')?.status).toBe('completed');
  });
});
