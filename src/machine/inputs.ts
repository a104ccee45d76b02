/**
 * Inputs to `decide`: everything that can move a partition forward. They are made at the edges (the
 * command reader, the step runner, the timer queue, the workflow runtime) and carry every value the
 * machine must not make itself: the time, jitter, ids (STYLE §1).
 *
 * I1. Every intent that makes a call names its callSeq and its origin `parentSeq` (records.ts I5).
 */
import type { ErrorData, JsonValue, TraceContext } from '../journal/index.js';
import type { Command } from './command.js';
import type { CallKind } from './state.js';

/** A retry policy with every duration in milliseconds (durations are parsed once, at the API boundary). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number;
}

/** What a workflow body asked for, as its runtime reports it (I1). */
export type Intent =
  | {
      readonly type: 'step';
      readonly callSeq: number;
      readonly name: string;
      readonly parentSeq: number;
      /** True while an attempt of this call is queued or running on this owner (set at the edge). */
      readonly attemptActive: boolean;
    }
  | {
      readonly type: 'sleep';
      readonly callSeq: number;
      readonly durationMs: number;
      readonly parentSeq: number;
    }
  | {
      readonly type: 'signal';
      readonly callSeq: number;
      readonly name: string;
      readonly timeoutMs: number | null;
      readonly parentSeq: number;
    }
  | {
      readonly type: 'child';
      readonly callSeq: number;
      readonly childId: string;
      readonly workflow: string;
      readonly input: JsonValue;
      readonly parentSeq: number;
    }
  | {
      readonly type: 'emit';
      readonly callSeq: number;
      readonly topic: string;
      readonly key: string;
      readonly value: JsonValue;
      readonly parentSeq: number;
    }
  | {
      readonly type: 'compensation';
      readonly callSeq: number;
      readonly reason: ErrorData;
      readonly steps: readonly string[];
      readonly parentSeq: number;
    }
  /** A call that fails without running: a value over a limit, or one Kafka refused (found at the edge). */
  | {
      readonly type: 'rejected';
      readonly callSeq: number;
      readonly callKind: CallKind;
      readonly name: string;
      readonly error: ErrorData;
      readonly parentSeq: number;
    }
  | { readonly type: 'complete'; readonly result: JsonValue }
  | { readonly type: 'fail'; readonly error: ErrorData }
  | { readonly type: 'cancelled'; readonly reason: string }
  | { readonly type: 'stuck'; readonly error: ErrorData };

/** The intents that make a call, and so carry a callSeq. */
export type CallIntent = Extract<Intent, { readonly callSeq: number }>;

/** How one step attempt ended. */
export type StepOutcome =
  | { readonly ok: true; readonly result: JsonValue }
  | { readonly ok: false; readonly error: ErrorData; readonly retriable: boolean };

/** The bytes of a command message as it arrived, kept for the DLQ (never re-encoded). */
export interface RawMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** One input to decide, discriminated on `kind`. */
export type Input =
  | {
      readonly kind: 'command';
      readonly command: Command;
      readonly offset: string;
      readonly raw: RawMessage;
      /** The message's valid W3C trace context headers, if it had any (checked at the edge). */
      readonly trace?: TraceContext;
    }
  | {
      readonly kind: 'badCommand';
      readonly code: string;
      readonly reason: string;
      readonly offset: string;
      /** The id the command named, when it could be read; its rejection is then journaled too. */
      readonly workflowId: string | null;
      readonly key: Buffer | null;
      readonly value: Buffer | null;
    }
  | {
      readonly kind: 'stepOutcome';
      readonly workflowId: string;
      readonly callSeq: number;
      readonly name: string;
      readonly attempt: number;
      readonly startedAtMs: number;
      readonly durationMs: number;
      readonly outcome: StepOutcome;
      readonly retry: RetryPolicy;
      /** Uniform in [0, 1), made at the edge; spreads retries of many workflows apart. */
      readonly jitter: number;
    }
  | { readonly kind: 'timerDue'; readonly workflowId: string; readonly timerId: string }
  /** A command read on a partition its id does not hash to (e.g. produced without a key): forwarded. */
  | {
      readonly kind: 'misrouted';
      readonly command: Command;
      readonly offset: string;
      /** The trace context it arrived with, forwarded with it. */
      readonly trace?: TraceContext;
    }
  | { readonly kind: 'intent'; readonly workflowId: string; readonly intent: Intent };

/** Every input kind. */
export type InputKind = Input['kind'];

/** The workflow an input is about, or undefined for inputs about no single workflow. */
export function inputWorkflowId(input: Input): string | undefined {
  switch (input.kind) {
    case 'command':
      return input.command.id;
    case 'badCommand':
      return input.workflowId ?? undefined;
    case 'misrouted':
      return undefined;
    default:
      return input.workflowId;
  }
}
