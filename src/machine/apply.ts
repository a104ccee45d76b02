/**
 * `applyRecord(state, record)`: folds one journal record into a partition's state. Catch-up after a
 * takeover and live processing call this same function, so a new owner reaches exactly the old one's state.
 *
 * I1. Pure: no I/O, no clock; the record carries its own time (`atMs`).
 * I2. Records of one workflow arrive in seq order without gaps; a gap or repeat is a bug (assert), since
 *     only the fenced owner writes, in transactions, and the reader is read_committed.
 * I3. Every record kind has a handler (the map's type makes a new kind fail to compile until handled).
 * I4. Closing a call drops everything that waited on it: its timers and its signal wait (state.ts I2).
 * I5. Timers appear and disappear only through `TimerObserver`, so the cache's timer index follows the
 *     state exactly (cache/cache-changes.ts).
 */
import type { BodyOf, ErrorData, JournalRecord, RecordKind } from '../journal/index.js';
import { assertBug } from './assert.js';
import {
  ATTEMPT_ERRORS_MAX,
  CALL_KINDS,
  type CallKind,
  isCompensationStep,
  isTerminal,
  type OpenCall,
  type PartitionState,
  type PendingTimer,
  RECENT_CALLS_MAX,
  type RecentCall,
  type WorkflowState,
} from './state.js';
import { transition } from './transition.js';

/** Told of every timer that becomes pending or stops being pending (I5). */
export interface TimerObserver {
  armed(ws: WorkflowState, timer: PendingTimer): void;
  removed(ws: WorkflowState, timer: PendingTimer): void;
}

const NO_OBSERVER: TimerObserver = { armed: () => undefined, removed: () => undefined };

interface Ctx {
  readonly ws: WorkflowState;
  readonly record: JournalRecord;
  readonly timers: TimerObserver;
}

type Handler<K extends RecordKind> = (c: Ctx, body: BodyOf<K>) => void;

function noteCall(ws: WorkflowState, callSeq: number): void {
  if (callSeq > ws.maxCallSeq) {
    ws.maxCallSeq = callSeq;
    ws.callCount++;
  }
}

/** Opens call `callSeq` (or returns it if open already). */
function open(ws: WorkflowState, callSeq: number, kind: CallKind, name: string): OpenCall {
  let call = ws.open.get(callSeq);
  if (call === undefined) {
    call = {
      kind,
      name,
      compensation: kind === 'step' && isCompensationStep(name),
      attempt: 0,
      attemptOpen: false,
      retrying: false,
      errors: [],
      lastError: null,
    };
    ws.open.set(callSeq, call);
    noteCall(ws, callSeq);
  }
  return call;
}

function remember(ws: WorkflowState, entry: RecentCall): void {
  ws.recent.push(entry);
  if (ws.recent.length > RECENT_CALLS_MAX) ws.recent.splice(0, ws.recent.length - RECENT_CALLS_MAX);
}

/** Closes call `callSeq` and drops what waited on it (I4); a call never opened is counted and closed. */
function close(c: Ctx, callSeq: number, kind: CallKind, name: string, outcome: RecentCall['outcome']): void {
  const { ws } = c;
  const call = ws.open.get(callSeq);
  noteCall(ws, callSeq);
  ws.open.delete(callSeq);
  ws.awaiting.delete(callSeq);
  for (const timer of [...ws.timers.values()]) {
    if (timer.callSeq === callSeq) dropTimer(c, timer);
  }
  const callKind = call?.kind ?? kind;
  if (ws.legacySteps && callKind === 'step') ws.legacyClosed.add(callSeq);
  remember(ws, {
    callSeq,
    kind: callKind,
    name: call?.name ?? name,
    outcome,
    attempts: call?.attempt ?? 0,
    atMs: c.record.atMs,
  });
}

function dropTimer(c: Ctx, timer: PendingTimer): void {
  c.ws.timers.delete(timer.timerId);
  c.timers.removed(c.ws, timer);
}

function failAttempt(call: OpenCall, attempt: number, error: ErrorData): void {
  call.errors.push({ attempt, name: error.name, code: error.code, message: error.message });
  if (call.errors.length > ATTEMPT_ERRORS_MAX) call.errors.splice(0, call.errors.length - ATTEMPT_ERRORS_MAX);
  call.lastError = error;
  call.attempt = Math.max(call.attempt, attempt);
  call.attemptOpen = false;
}

function finish(c: Ctx, to: 'completed' | 'failed' | 'cancelled'): void {
  const { ws } = c;
  ws.status = transition(ws.status, to, ws.id);
  for (const timer of [...ws.timers.values()]) dropTimer(c, timer);
  ws.open.clear();
  ws.awaiting.clear();
  ws.mailbox.length = 0;
  ws.legacyClosed.clear();
}

function callKindOf(text: string): CallKind {
  return CALL_KINDS.find((k) => k === text) ?? 'step';
}

const handlers: { readonly [K in RecordKind]: Handler<K> } = {
  WorkflowStarted: () => {
    // Creation happens in applyRecord, which needs the record's envelope.
  },
  StepStarted: ({ ws }, b) => {
    const call = open(ws, b.callSeq, 'step', b.name);
    call.attempt = Math.max(call.attempt, b.attempt);
    call.attemptOpen = true;
    call.retrying = false;
  },
  StepCompleted: (c, b) => {
    const call = open(c.ws, b.callSeq, 'step', b.name);
    call.attempt = Math.max(call.attempt, b.attempt);
    close(c, b.callSeq, 'step', b.name, 'ok');
  },
  StepFailed: (c, b) => {
    const call = open(c.ws, b.callSeq, 'step', b.name);
    failAttempt(call, b.attempt, b.error);
    if (b.retryAtMs === null) close(c, b.callSeq, 'step', b.name, 'failed');
    else call.retrying = true;
  },
  TimerScheduled: (c, b) => {
    const timer = { timerId: b.timerId, callSeq: b.callSeq, purpose: b.purpose, fireAtMs: b.fireAtMs };
    c.ws.timers.set(b.timerId, timer);
    c.timers.armed(c.ws, timer);
    if (b.purpose === 'sleep') open(c.ws, b.callSeq, 'sleep', 'sleep');
  },
  TimerFired: (c, b) => {
    const timer = c.ws.timers.get(b.timerId);
    if (timer !== undefined) dropTimer(c, timer);
    if (timer?.purpose === 'sleep') close(c, b.callSeq, 'sleep', 'sleep', 'ok');
    if (timer?.purpose === 'signal-timeout') close(c, b.callSeq, 'signal', '', 'timeout');
    const call = c.ws.open.get(b.callSeq);
    if (timer?.purpose === 'retry' && call !== undefined) call.retrying = false;
  },
  SignalReceived: ({ ws, record }, b) => {
    const bytes = Buffer.byteLength(JSON.stringify(b.payload), 'utf8');
    ws.mailbox.push({ seq: record.seq, name: b.name, payload: b.payload, bytes });
  },
  SignalAwaited: ({ ws }, b) => {
    open(ws, b.callSeq, 'signal', b.name);
    ws.awaiting.set(b.callSeq, b.name);
  },
  SignalConsumed: (c, b) => {
    const index = c.ws.mailbox.findIndex((s) => s.seq === b.signalSeq);
    assertBug(index >= 0, `SignalConsumed of unknown signal seq ${b.signalSeq} in ${c.ws.id}`);
    c.ws.mailbox.splice(index, 1);
    close(c, b.callSeq, 'signal', b.name, 'ok');
  },
  CancelRequested: ({ ws }, b) => {
    ws.cancelReason = b.reason;
  },
  CompensationStarted: (c, b) => {
    close(c, b.callSeq, 'compensation', 'compensation', 'ok');
  },
  ChildStarted: ({ ws }, b) => {
    open(ws, b.callSeq, 'child', b.workflow);
  },
  ChildCompleted: (c, b) => {
    close(c, b.callSeq, 'child', '', b.outcome.ok ? 'ok' : 'failed');
  },
  Emitted: (c, b) => {
    close(c, b.callSeq, 'emit', b.topic, 'ok');
  },
  CallRejected: (c, b) => {
    close(c, b.callSeq, callKindOf(b.callKind), b.name, 'rejected');
  },
  WorkflowCompleted: (c, b) => {
    c.ws.result = b.result;
    finish(c, 'completed');
  },
  WorkflowFailed: (c, b) => {
    c.ws.error = b.error;
    finish(c, 'failed');
  },
  WorkflowCancelled: (c) => {
    finish(c, 'cancelled');
  },
  WorkflowStuck: ({ ws }, b) => {
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

/** A fresh state for a WorkflowStarted record. */
export function newWorkflowState(record: JournalRecord, body: BodyOf<'WorkflowStarted'>): WorkflowState {
  return {
    id: record.workflowId,
    workflow: body.workflow,
    parent: body.parent,
    ...(body.trace === null ? {} : { trace: body.trace }),
    startedAtMs: record.atMs,
    legacySteps: record.schemaVersion < 3,
    status: 'running',
    lastSeq: 0,
    updatedAtMs: record.atMs,
    maxCallSeq: 0,
    callCount: 0,
    open: new Map(),
    timers: new Map(),
    mailbox: [],
    awaiting: new Map(),
    legacyClosed: new Set(),
    recent: [],
    cancelReason: null,
    result: null,
    error: null,
  };
}

/**
 * Records only a body makes when it calls (transition.ts I2): a stuck workflow runs again when a fixed
 * deployment's body makes a new call, never because an attempt or a timer of before the divergence ended.
 */
function isProgress(body: JournalRecord['body']): boolean {
  switch (body.kind) {
    case 'StepStarted':
    case 'SignalAwaited':
    case 'ChildStarted':
    case 'Emitted':
    case 'CompensationStarted':
      return true;
    case 'TimerScheduled':
      return body.purpose === 'sleep';
    default:
      return false;
  }
}

/** Folds `record` into `state`; returns the workflow it touched, or undefined for partition records. */
export function applyRecord(
  state: PartitionState,
  record: JournalRecord,
  timers: TimerObserver = NO_OBSERVER,
): WorkflowState | undefined {
  if (record.workflowId === '') return undefined;
  const { body } = record;
  let ws = state.get(record.workflowId);
  if (body.kind === 'WorkflowStarted' && ws === undefined) {
    ws = newWorkflowState(record, body);
    state.set(ws.id, ws);
  }
  if (ws === undefined) {
    // CommandRejected may name an id that never started; nothing to fold.
    assertBug(body.kind === 'CommandRejected', `${body.kind} for unknown workflow ${record.workflowId}`);
    return undefined;
  }
  if (body.kind === 'CommandRejected' && record.seq === 0) return ws; // a rejection outside the seq (decision.ts)
  assertBug(record.seq === ws.lastSeq + 1, `seq ${record.seq} after ${ws.lastSeq} for ${ws.id} (I2)`);
  ws.lastSeq = record.seq;
  ws.updatedAtMs = record.atMs;
  if (isTerminal(ws.status)) {
    // Writers before v3 journaled a rejected command for a finished workflow inside its sequence.
    assertBug(body.kind === 'CommandRejected', `${body.kind} after ${ws.id} ended (${ws.status})`);
    return ws;
  }
  if (ws.status === 'stuck' && isProgress(body)) ws.status = transition(ws.status, 'running', ws.id);
  (handlers[body.kind] as Handler<typeof body.kind>)({ ws, record, timers }, body as never);
  return ws;
}
