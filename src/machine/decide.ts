/**
 * `decide(state, input, ctx) → effects`: the pure core of the partition owner (DESIGN §3). Given what the
 * partition knows and one input, it says which journal records, events, dead letters, emits and routed
 * commands to write, and which step attempts to start after the commit. It never changes state: the owner
 * applies the records it returns.
 *
 * I1. Pure and deterministic: time, jitter and ids come in `input` and `ctx` (STYLE §1).
 * I2. Stale inputs write nothing: an outcome for a call that is closed or for an attempt that is not the
 *     latest started one, a timer already fired, anything for a finished workflow. A timer never fires
 *     before its fireAtMs: one reported early goes back to the queue (effects.timersNotDue).
 * I3. A failed attempt is retried while the policy allows and the error is retriable; the final failure
 *     carries the attempts' errors (the latest ATTEMPT_ERRORS_MAX, state.ts) and their count (STYLE §3).
 * I4. A retry timer that fires starts the next attempt in the same decision (decide-intent.ts I3).
 */
import { ErrorCode } from '../errors.js';
import type { ErrorData, JsonValue } from '../journal/index.js';
import { assertNever } from './assert.js';
import { type DecideContext, decideCommand, reject } from './decide-command.js';
import { decideIntent, startAttempt } from './decide-intent.js';
import { Decision } from './decision.js';
import type { Effects } from './effects.js';
import type { Input } from './inputs.js';
import { retryDelayMs } from './retry-delay.js';
import { ATTEMPT_ERRORS_MAX, isTerminal, type OpenCall, type PartitionState } from './state.js';

export type { DecideContext } from './decide-command.js';

type StepOutcomeInput = Extract<Input, { kind: 'stepOutcome' }>;

function finalError(
  input: StepOutcomeInput,
  error: ErrorData,
  call: OpenCall,
  exhausted: boolean,
): ErrorData {
  const attempts: JsonValue[] = [
    ...call.errors,
    { attempt: input.attempt, name: error.name, code: error.code, message: error.message },
  ]
    .slice(-ATTEMPT_ERRORS_MAX)
    .map((e) => ({ ...e }));
  const message = exhausted
    ? `step "${input.name}" failed after ${input.attempt} attempts: ${error.message}`
    : error.message;
  return {
    name: error.name,
    code: exhausted ? ErrorCode.RetriesExhausted : error.code,
    message,
    details: { cause: error.details, attempts, attemptCount: input.attempt },
  };
}

function stepOutcome(state: PartitionState, d: Decision, input: StepOutcomeInput, nowMs: number): void {
  const ws = state.get(input.workflowId);
  if (ws === undefined || isTerminal(ws.status)) return;
  const call = ws.open.get(input.callSeq);
  if (call === undefined || call.kind !== 'step' || !call.attemptOpen || input.attempt !== call.attempt)
    return; // I2
  const timing = {
    callSeq: input.callSeq,
    name: input.name,
    attempt: input.attempt,
    startedAtMs: input.startedAtMs,
    durationMs: input.durationMs,
  };
  const { outcome } = input;
  if (outcome.ok) {
    d.record(ws, { kind: 'StepCompleted', ...timing, result: outcome.result });
    return;
  }
  if (outcome.retriable && input.attempt < input.retry.maxAttempts) {
    const retryAtMs = nowMs + retryDelayMs(input.retry, input.attempt, input.jitter);
    d.record(ws, { kind: 'StepFailed', ...timing, error: outcome.error, retryAtMs });
    const timerId = `retry:${input.callSeq}:${input.attempt}`;
    const timer = { timerId, callSeq: input.callSeq, purpose: 'retry', fireAtMs: retryAtMs } as const;
    d.record(ws, { kind: 'TimerScheduled', ...timer, parentSeq: -1 });
    return;
  }
  const error = finalError(input, outcome.error, call, outcome.retriable);
  d.record(ws, { kind: 'StepFailed', ...timing, error, retryAtMs: null });
}

function timerDue(
  state: PartitionState,
  d: Decision,
  input: Extract<Input, { kind: 'timerDue' }>,
  nowMs: number,
): void {
  const ws = state.get(input.workflowId);
  const timer = ws?.timers.get(input.timerId);
  if (ws === undefined || timer === undefined || isTerminal(ws.status)) return; // I2: fired or dropped
  if (nowMs < timer.fireAtMs) {
    d.effects.timersNotDue.push({ workflowId: ws.id, timerId: timer.timerId, fireAtMs: timer.fireAtMs });
    return;
  }
  d.record(ws, { kind: 'TimerFired', timerId: timer.timerId, callSeq: timer.callSeq });
  const call = ws.open.get(timer.callSeq);
  if (timer.purpose === 'retry' && call !== undefined && ws.status !== 'stuck') {
    // A stuck body is parked: its step runs again when a fixed deployment's body asks for it.
    startAttempt(ws, d, timer.callSeq, call.name, call.attempt + 1); // I4
  }
}

/** Decides the effects of one input (I1–I4). */
export function decide(state: PartitionState, input: Input, ctx: DecideContext): Effects {
  const d = new Decision(ctx.nowMs, ctx.epoch ?? 0);
  switch (input.kind) {
    case 'command':
      decideCommand(state, d, input.command, input, ctx);
      break;
    case 'badCommand':
      reject(state, d, input);
      break;
    case 'stepOutcome':
      stepOutcome(state, d, input, ctx.nowMs);
      break;
    case 'misrouted':
      d.effects.commands.push(input.command); // routed by its id to the partition that owns it
      break;
    case 'timerDue':
      timerDue(state, d, input, ctx.nowMs);
      break;
    case 'intent': {
      const ws = state.get(input.workflowId);
      if (ws !== undefined) decideIntent(ws, d, input.intent, ctx.nowMs, ctx.limits);
      break;
    }
    default:
      assertNever(input, 'input kind');
  }
  return d.effects;
}
