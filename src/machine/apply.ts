/**
 * `applyRecord(state, record)`: folds one journal record into a partition's state. Catch-up after a
 * takeover and live processing call this same function, so a new owner reaches exactly the old one's state.
 *
 * I1. Pure: no I/O, no clock; the record carries its own time (`atMs`).
 * I2. Records of one workflow arrive in seq order without gaps; a gap or repeat is a bug (assert), since
 *     only the fenced owner writes, in transactions, and the reader is read_committed.
 * I3. Every record kind has a handler (the map's type makes a new kind fail to compile until handled).
 * I4. After CancelRequested, only compensation steps are retried: other retry timers are dropped.
 */
import type { BodyOf, JournalRecord, RecordKind } from '../journal/index.js';
import { assertBug } from './assert.js';
import {
  type CallKind,
  type CallState,
  isCompensationStep,
  isTerminal,
  type PartitionState,
  type WorkflowState,
} from './state.js';
import { transition } from './transition.js';

type Handler<K extends RecordKind> = (ws: WorkflowState, body: BodyOf<K>, record: JournalRecord) => void;

function call(ws: WorkflowState, callSeq: number, kind: CallKind, name: string): CallState {
  let state = ws.calls.get(callSeq);
  if (state === undefined) {
    state = { kind, name, status: 'pending', attempt: 0, errors: [] };
    ws.calls.set(callSeq, state);
  }
  return state;
}

function finish(ws: WorkflowState, to: 'completed' | 'failed' | 'cancelled'): void {
  ws.status = transition(ws.status, to, ws.id);
  ws.history.length = 0; // state.ts I2
  ws.timers.clear();
  ws.awaiting.clear();
}

const handlers: { readonly [K in RecordKind]: Handler<K> } = {
  WorkflowStarted: () => {
    // Creation happens in applyRecord, which needs the record's envelope.
  },
  StepCompleted: (ws, b) => {
    const c = call(ws, b.callSeq, 'step', b.name);
    c.status = 'done';
    c.attempt = b.attempt;
  },
  StepFailed: (ws, b) => {
    const c = call(ws, b.callSeq, 'step', b.name);
    c.errors.push(b.error);
    c.attempt = b.attempt;
    c.status = b.retryAtMs === null ? 'done' : 'retrying';
  },
  TimerScheduled: (ws, b) => {
    ws.timers.set(b.timerId, {
      timerId: b.timerId,
      callSeq: b.callSeq,
      purpose: b.purpose,
      fireAtMs: b.fireAtMs,
    });
    if (b.purpose === 'sleep') call(ws, b.callSeq, 'sleep', 'sleep');
  },
  TimerFired: (ws, b) => {
    const timer = ws.timers.get(b.timerId);
    ws.timers.delete(b.timerId);
    if (timer?.purpose === 'sleep') call(ws, b.callSeq, 'sleep', 'sleep').status = 'done';
    if (timer?.purpose === 'retry') call(ws, b.callSeq, 'step', '').status = 'pending';
    if (timer?.purpose === 'signal-timeout' && ws.awaiting.delete(b.callSeq)) {
      call(ws, b.callSeq, 'signal', '').status = 'done';
    }
  },
  SignalReceived: (ws, b, r) => {
    ws.mailbox.push({ seq: r.seq, name: b.name, payload: b.payload });
  },
  SignalAwaited: (ws, b) => {
    call(ws, b.callSeq, 'signal', b.name);
    ws.awaiting.set(b.callSeq, b.name);
  },
  SignalConsumed: (ws, b) => {
    call(ws, b.callSeq, 'signal', b.name).status = 'done';
    ws.awaiting.delete(b.callSeq);
    const index = ws.mailbox.findIndex((s) => s.seq === b.signalSeq);
    assertBug(index >= 0, `SignalConsumed of unknown signal seq ${b.signalSeq} in ${ws.id}`);
    ws.mailbox.splice(index, 1);
    for (const [timerId, timer] of ws.timers) {
      if (timer.callSeq === b.callSeq && timer.purpose === 'signal-timeout') ws.timers.delete(timerId);
    }
  },
  CancelRequested: (ws, b) => {
    ws.cancelReason = b.reason;
    // A cancel stops every retry but a compensation's (I4): the body's calls were rejected.
    for (const [timerId, timer] of ws.timers) {
      const c = ws.calls.get(timer.callSeq);
      if (timer.purpose === 'retry' && !(c !== undefined && isCompensationStep(c.name)))
        ws.timers.delete(timerId);
    }
  },
  CompensationStarted: (ws, b) => {
    call(ws, b.callSeq, 'compensation', 'compensation').status = 'done';
  },
  ChildStarted: (ws, b) => {
    call(ws, b.callSeq, 'child', b.workflow);
  },
  ChildCompleted: (ws, b) => {
    call(ws, b.callSeq, 'child', '').status = 'done';
  },
  Emitted: (ws, b) => {
    call(ws, b.callSeq, 'emit', b.topic).status = 'done';
  },
  WorkflowCompleted: (ws, b) => {
    ws.result = b.result;
    finish(ws, 'completed');
  },
  WorkflowFailed: (ws, b) => {
    ws.error = b.error;
    finish(ws, 'failed');
  },
  WorkflowCancelled: (ws) => {
    finish(ws, 'cancelled');
  },
  WorkflowStuck: (ws, b) => {
    ws.error = b.error;
    ws.status = transition(ws.status, 'stuck', ws.id);
  },
  CommandRejected: () => {
    // Audit only: the command went to the DLQ; the workflow's state does not change.
  },
  OwnerClaimed: () => {
    // Partition-level marker; applyRecord returns before dispatch for workflowId "".
  },
  CommandsConsumed: () => {
    // Partition-level command position; the owner reads it during catch-up.
  },
};

function createWorkflow(record: JournalRecord, body: BodyOf<'WorkflowStarted'>): WorkflowState {
  return {
    id: record.workflowId,
    workflow: body.workflow,
    input: body.input,
    parent: body.parent,
    startedAtMs: record.atMs,
    status: 'running',
    lastSeq: 0,
    updatedAtMs: record.atMs,
    calls: new Map(),
    timers: new Map(),
    mailbox: [],
    awaiting: new Map(),
    cancelReason: null,
    result: null,
    error: null,
    history: [],
  };
}

/** Folds `record` into `state`; returns the workflow it touched, or undefined for partition records. */
export function applyRecord(state: PartitionState, record: JournalRecord): WorkflowState | undefined {
  if (record.workflowId === '') return undefined;
  const { body } = record;
  let ws = state.get(record.workflowId);
  if (body.kind === 'WorkflowStarted' && ws === undefined) {
    ws = createWorkflow(record, body);
    state.set(ws.id, ws);
  }
  if (ws === undefined) {
    // CommandRejected may name an id that never started; nothing to fold.
    assertBug(body.kind === 'CommandRejected', `${body.kind} for unknown workflow ${record.workflowId}`);
    return undefined;
  }
  assertBug(record.seq === ws.lastSeq + 1, `seq ${record.seq} after ${ws.lastSeq} for ${ws.id} (I2)`);
  ws.lastSeq = record.seq;
  ws.updatedAtMs = record.atMs;
  if (ws.status === 'stuck' && body.kind !== 'WorkflowStuck' && !isTerminal(ws.status)) {
    if (isProgress(body.kind)) ws.status = transition(ws.status, 'running', ws.id);
  }
  if (!isTerminal(ws.status)) ws.history.push(record);
  (handlers[body.kind] as Handler<typeof body.kind>)(ws, body as never, record);
  return ws;
}

function isProgress(kind: RecordKind): boolean {
  return (
    kind === 'StepCompleted' || kind === 'StepFailed' || kind === 'TimerScheduled' || kind === 'SignalAwaited'
  );
}
