/**
 * Decisions for what a workflow body asked for (its intents) and for how it ended.
 *
 * I1. Intents are idempotent on callSeq: a replayed body re-reports every call it makes, and a call the
 *     journal already holds writes nothing new. Terminal intents for a finished workflow write nothing.
 * I2. A signal wait takes the oldest matching signal already in the mailbox; otherwise it is journaled
 *     (SignalAwaited) so that a signal arriving later, on any owner, finds its waiter.
 */
import type { Decision } from './decision.js';
import type { Intent } from './inputs.js';
import { isTerminal, type WorkflowState } from './state.js';
import { childResultFor } from './workflow-outcome.js';

function ending(
  ws: WorkflowState,
  d: Decision,
  intent: Intent & { type: 'complete' | 'fail' | 'cancelled' },
  nowMs: number,
): void {
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
  intent: Intent & { type: 'signal' },
  nowMs: number,
): void {
  const waiting = new Set(ws.awaiting.values());
  const signal = ws.mailbox.find((s) => s.name === intent.name);
  if (signal !== undefined && !waiting.has(intent.name)) {
    d.record(ws, {
      kind: 'SignalConsumed',
      callSeq: intent.callSeq,
      name: intent.name,
      signalSeq: signal.seq,
      payload: signal.payload,
    });
    return;
  }
  d.record(ws, { kind: 'SignalAwaited', callSeq: intent.callSeq, name: intent.name });
  if (intent.timeoutMs !== null) {
    const timerId = `signal:${intent.callSeq}`;
    d.record(ws, {
      kind: 'TimerScheduled',
      timerId,
      callSeq: intent.callSeq,
      purpose: 'signal-timeout',
      fireAtMs: nowMs + intent.timeoutMs,
    });
  }
}

/** Decides the records for one body intent (I1). */
export function decideIntent(ws: WorkflowState, d: Decision, intent: Intent, nowMs: number): void {
  if (isTerminal(ws.status)) return;
  if (intent.type === 'complete' || intent.type === 'fail' || intent.type === 'cancelled') {
    ending(ws, d, intent, nowMs);
    return;
  }
  if (intent.type === 'stuck') {
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
  }
  if (ws.calls.has(intent.callSeq)) return; // I1
  switch (intent.type) {
    case 'sleep': {
      const timerId = `sleep:${intent.callSeq}`;
      d.record(ws, {
        kind: 'TimerScheduled',
        timerId,
        callSeq: intent.callSeq,
        purpose: 'sleep',
        fireAtMs: nowMs + intent.durationMs,
      });
      return;
    }
    case 'signal':
      signalWait(ws, d, intent, nowMs);
      return;
    case 'child':
      d.record(ws, {
        kind: 'ChildStarted',
        callSeq: intent.callSeq,
        childId: intent.childId,
        workflow: intent.workflow,
      });
      d.effects.commands.push({
        type: 'start',
        workflow: intent.workflow,
        id: intent.childId,
        input: intent.input,
        idempotency: null,
        parent: { workflowId: ws.id, callSeq: intent.callSeq },
      });
      return;
    case 'emit':
      d.record(ws, { kind: 'Emitted', callSeq: intent.callSeq, topic: intent.topic, key: intent.key });
      d.effects.emits.push({ topic: intent.topic, key: intent.key, value: intent.value });
      return;
    case 'compensation':
      d.record(ws, {
        kind: 'CompensationStarted',
        callSeq: intent.callSeq,
        reason: intent.reason,
        steps: intent.steps,
      });
      return;
  }
}
