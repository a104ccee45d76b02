/**
 * `decide(state, input, ctx) → effects`: the pure core of the partition owner (DESIGN §3). Given what the
 * partition knows and one input, it says which journal records, events, dead letters, emits and routed
 * commands to write. It never changes state: the owner applies the records it returns.
 *
 * I1. Pure and deterministic: time, jitter and ids come in `input` and `ctx` (STYLE §1).
 * I2. Stale inputs write nothing: an outcome for a call already done, a duplicate attempt, a timer already
 *     fired or not yet due (a timer never fires before its fireAtMs), anything for a finished workflow.
 * I3. A failed attempt is retried while the policy allows and the error is retriable; the final failure
 *     carries every attempt's error (STYLE §3).
 */
import { ErrorCode } from '../errors.js';
import type { ErrorData } from '../journal/index.js';
import { assertNever } from './assert.js';
import { type DecideContext, decideCommand, reject } from './decide-command.js';
import { decideIntent } from './decide-intent.js';
import { Decision } from './decision.js';
import type { Effects } from './effects.js';
import type { Input } from './inputs.js';
import { retryDelayMs } from './retry-delay.js';
import { isTerminal, type PartitionState } from './state.js';

export type { DecideContext } from './decide-command.js';

type StepOutcomeInput = Extract<Input, { kind: 'stepOutcome' }>;

function finalError(
  input: StepOutcomeInput,
  error: ErrorData,
  previous: readonly ErrorData[],
  exhausted: boolean,
): ErrorData {
  const attempts = [...previous, error].map((e, i) => ({
    attempt: i + 1,
    name: e.name,
    code: e.code,
    message: e.message,
  }));
  const message = exhausted
    ? `step "${input.name}" failed after ${input.attempt} attempts: ${error.message}`
    : error.message;
  return {
    name: error.name,
    code: exhausted ? ErrorCode.RetriesExhausted : error.code,
    message,
    details: { cause: error.details, attempts },
  };
}

function stepOutcome(state: PartitionState, d: Decision, input: StepOutcomeInput, nowMs: number): void {
  const ws = state.get(input.workflowId);
  if (ws === undefined || isTerminal(ws.status)) return;
  const call = ws.calls.get(input.callSeq);
  if (call !== undefined && (call.status === 'done' || input.attempt <= call.attempt)) return; // I2
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
  const retry = outcome.retriable && input.attempt < input.retry.maxAttempts;
  if (retry) {
    const retryAtMs = nowMs + retryDelayMs(input.retry, input.attempt, input.jitter);
    d.record(ws, { kind: 'StepFailed', ...timing, error: outcome.error, retryAtMs });
    const timerId = `retry:${input.callSeq}:${input.attempt}`;
    d.record(ws, {
      kind: 'TimerScheduled',
      timerId,
      callSeq: input.callSeq,
      purpose: 'retry',
      fireAtMs: retryAtMs,
    });
    return;
  }
  const error = finalError(input, outcome.error, call?.errors ?? [], outcome.retriable);
  d.record(ws, { kind: 'StepFailed', ...timing, error, retryAtMs: null });
}

/** Decides the effects of one input (I1–I3). */
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
    case 'timerDue': {
      const ws = state.get(input.workflowId);
      const timer = ws?.timers.get(input.timerId);
      if (ws !== undefined && timer !== undefined && !isTerminal(ws.status) && ctx.nowMs >= timer.fireAtMs) {
        d.record(ws, { kind: 'TimerFired', timerId: timer.timerId, callSeq: timer.callSeq });
      }
      break;
    }
    case 'intent': {
      const ws = state.get(input.workflowId);
      if (ws !== undefined) decideIntent(ws, d, input.intent, ctx.nowMs);
      break;
    }
    default:
      assertNever(input, 'input kind');
  }
  return d.effects;
}
