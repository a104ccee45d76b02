/**
 * Decisions for what a workflow body asked for (its intents) and for how it ended.
 *
 * I1. Intents are idempotent on callSeq: a replayed body re-reports every call it makes, and a call the
 *     journal already holds writes nothing new — except a step whose last attempt was lost with its owner
 *     (StepStarted with no outcome, and no attempt running here), which starts its next attempt.
 * I2. A signal wait takes the oldest matching signal already in the mailbox; otherwise it is journaled
 *     (SignalAwaited) so that a signal arriving later, on any owner, finds its waiter.
 * I3. A step attempt starts only by decision: StepStarted is journaled and the attempt runs once it is
 *     committed (effects.attempts). After a cancel only compensation steps start (decide-command.ts I4).
 * I4. Limits: a call over `openCallsMax` is rejected; a call over `workflowCallsMax` fails the workflow,
 *     so a runaway body's history stays bounded (limits.ts).
 */
import type { Decision } from './decision.js';
import type { CallIntent, Intent } from './inputs.js';
import { cancelledError, limitError, type MachineLimits } from './limits.js';
import { isClosedCall, isCompensationStep, isTerminal, type WorkflowState } from './state.js';
import { childResultFor } from './workflow-outcome.js';

type Ending = Intent & { type: 'complete' | 'fail' | 'cancelled' };

function ending(ws: WorkflowState, d: Decision, intent: Ending, nowMs: number): void {
  const base = { id: ws.id, workflow: ws.workflow, atMs: nowMs };
  if (intent.type === 'complete') {
    d.record(ws, { kind: 'WorkflowCompleted', result: intent.result });
    d.effects.events.push({ type: 'WorkflowCompleted', ...base, result: intent.result });
  } else if (intent.type === 'fail') {
    d.record(ws, { kind: 'WorkflowFailed', error: intent.error });
    d.effects.events.push({ type: 'WorkflowFailed', ...base, error: intent.error });
  } else {
    d.record(ws, { kind: 'WorkflowCancelled', reason: intent.reason });
    d.effects.events.push({ type: 'WorkflowCancelled', ...base });
  }
  if (ws.parent !== null) {
    // The child's outcome as the parent will journal it, computed from the state this decision leads to.
    const status = intent.type === 'complete' ? 'completed' : intent.type === 'fail' ? 'failed' : 'cancelled';
    const after: WorkflowState = {
      ...ws,
      status,
      result: intent.type === 'complete' ? intent.result : null,
      error: intent.type === 'fail' ? intent.error : ws.error,
      cancelReason: intent.type === 'cancelled' ? intent.reason : ws.cancelReason,
    };
    d.effects.commands.push(childResultFor(after, ws.parent));
  }
}

function signalWait(
  ws: WorkflowState,
  d: Decision,
  intent: CallIntent & { type: 'signal' },
  nowMs: number,
): void {
  const waiting = new Set(ws.awaiting.values());
  const signal = ws.mailbox.find((s) => s.name === intent.name);
  const { callSeq, parentSeq } = intent;
  if (signal !== undefined && !waiting.has(intent.name)) {
    d.record(ws, {
      kind: 'SignalConsumed',
      callSeq,
      name: intent.name,
      signalSeq: signal.seq,
      payload: signal.payload,
      parentSeq,
    });
    return;
  }
  d.record(ws, { kind: 'SignalAwaited', callSeq, name: intent.name, parentSeq });
  if (intent.timeoutMs !== null) {
    const fireAtMs = nowMs + intent.timeoutMs;
    const timer = { timerId: `signal:${callSeq}`, callSeq, purpose: 'signal-timeout', fireAtMs } as const;
    d.record(ws, { kind: 'TimerScheduled', ...timer, parentSeq: -1 });
  }
}

/** Starts attempt `attempt` of step call `callSeq` once this decision commits (I3). */
export function startAttempt(
  ws: WorkflowState,
  d: Decision,
  callSeq: number,
  name: string,
  attempt: number,
  parentSeq = -1,
): void {
  d.record(ws, { kind: 'StepStarted', callSeq, name, attempt, parentSeq });
  d.effects.attempts.push({ workflowId: ws.id, callSeq, attempt });
}

function step(ws: WorkflowState, d: Decision, intent: CallIntent & { type: 'step' }): void {
  const call = ws.open.get(intent.callSeq);
  if (call !== undefined) {
    // I1: a replayed body re-reports the call; only a lost attempt (no outcome, none running) runs again.
    const lost = !call.retrying && !(call.attemptOpen && intent.attemptActive);
    if (call.kind === 'step' && lost) startAttempt(ws, d, intent.callSeq, call.name, call.attempt + 1);
    return;
  }
  startAttempt(ws, d, intent.callSeq, intent.name, 1, intent.parentSeq);
}

/** What each kind of call intent journals when it is new and allowed. */
function newCall(ws: WorkflowState, d: Decision, intent: CallIntent, nowMs: number): void {
  const { callSeq, parentSeq } = intent;
  switch (intent.type) {
    case 'step':
      step(ws, d, intent);
      return;
    case 'sleep': {
      const timer = { timerId: `sleep:${callSeq}`, callSeq, purpose: 'sleep' } as const;
      d.record(ws, { kind: 'TimerScheduled', ...timer, fireAtMs: nowMs + intent.durationMs, parentSeq });
      return;
    }
    case 'signal':
      signalWait(ws, d, intent, nowMs);
      return;
    case 'child':
      d.record(ws, {
        kind: 'ChildStarted',
        callSeq,
        childId: intent.childId,
        workflow: intent.workflow,
        parentSeq,
      });
      d.effects.commands.push({
        type: 'start',
        workflow: intent.workflow,
        id: intent.childId,
        input: intent.input,
        idempotency: null,
        parent: { workflowId: ws.id, callSeq },
      });
      return;
    case 'emit':
      d.record(ws, { kind: 'Emitted', callSeq, topic: intent.topic, key: intent.key, parentSeq });
      d.effects.emits.push({ workflowId: ws.id, topic: intent.topic, key: intent.key, value: intent.value });
      return;
    case 'compensation':
      d.record(ws, {
        kind: 'CompensationStarted',
        callSeq,
        reason: intent.reason,
        steps: intent.steps,
        parentSeq,
      });
      return;
    case 'rejected':
      d.record(ws, {
        kind: 'CallRejected',
        callSeq,
        callKind: intent.callKind,
        name: intent.name,
        error: intent.error,
        parentSeq,
      });
      return;
  }
}

function callName(intent: CallIntent): string {
  switch (intent.type) {
    case 'step':
    case 'signal':
    case 'rejected':
      return intent.name;
    case 'child':
      return intent.workflow;
    case 'emit':
      return intent.topic;
    default:
      return intent.type;
  }
}

/** True for calls a cancel leaves alone: compensation steps and the compensation marker (I3). */
function survivesCancel(intent: CallIntent): boolean {
  return intent.type === 'compensation' || (intent.type === 'step' && isCompensationStep(intent.name));
}

/** Decides a call intent: idempotency (I1), cancel (I3), limits (I4), then the call itself. */
function decideCall(
  ws: WorkflowState,
  d: Decision,
  intent: CallIntent,
  nowMs: number,
  limits: MachineLimits,
): void {
  if (ws.open.has(intent.callSeq)) {
    if (intent.type === 'step') step(ws, d, intent);
    return;
  }
  const kind = intent.type === 'rejected' ? intent.callKind : intent.type;
  if (isClosedCall(ws, intent.callSeq, kind)) return; // I1
  const { callSeq, parentSeq } = intent;
  const callKind = intent.type === 'rejected' ? intent.callKind : intent.type;
  const base = { kind: 'CallRejected', callSeq, callKind, name: callName(intent), parentSeq } as const;
  if (ws.cancelReason !== null && !survivesCancel(intent) && intent.type !== 'rejected') {
    d.record(ws, { ...base, error: cancelledError(ws.cancelReason) });
    return;
  }
  if (ws.callCount >= limits.workflowCallsMax) {
    const message = `workflow ${ws.id} made ${ws.callCount} calls, the workflowCallsMax limit; it fails so its history stays bounded`;
    ending(
      ws,
      d,
      {
        type: 'fail',
        error: limitError('workflowCallsMax', limits.workflowCallsMax, ws.callCount + 1, message),
      },
      nowMs,
    );
    return;
  }
  if (ws.open.size >= limits.openCallsMax && intent.type !== 'rejected') {
    const message = `workflow ${ws.id} has ${ws.open.size} calls open, the openCallsMax limit`;
    d.record(ws, {
      ...base,
      error: limitError('openCallsMax', limits.openCallsMax, ws.open.size + 1, message),
    });
    return;
  }
  newCall(ws, d, intent, nowMs);
}

/** Decides the records for one body intent (I1–I4). */
export function decideIntent(
  ws: WorkflowState,
  d: Decision,
  intent: Intent,
  nowMs: number,
  limits: MachineLimits,
): void {
  if (isTerminal(ws.status)) return;
  switch (intent.type) {
    case 'complete':
    case 'fail':
    case 'cancelled':
      ending(ws, d, intent, nowMs);
      return;
    case 'stuck':
      if (ws.status === 'stuck' && ws.error?.message === intent.error.message) return;
      d.record(ws, { kind: 'WorkflowStuck', error: intent.error });
      d.effects.events.push({
        type: 'WorkflowStuck',
        id: ws.id,
        workflow: ws.workflow,
        atMs: nowMs,
        error: intent.error,
      });
      return;
    default:
      decideCall(ws, d, intent, nowMs, limits);
  }
}
