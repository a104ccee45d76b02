/**
 * Inputs to `decide`: everything that can move a partition forward. They are made at the edges (the
 * command reader, the step runner, the timer wheel, the workflow runtime) and carry every value the
 * machine must not make itself: the time, jitter, ids (STYLE §1).
 */
import type { Command } from '../commands/command.js';
import type { ErrorData, JsonValue } from '../journal/index.js';

/** A retry policy with every duration in milliseconds (durations are parsed once, at the API boundary). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number;
}

/** What a workflow body asked for, as its runtime reports it. Every intent names its body call. */
export type Intent =
  | { readonly type: 'sleep'; readonly callSeq: number; readonly durationMs: number }
  | {
      readonly type: 'signal';
      readonly callSeq: number;
      readonly name: string;
      readonly timeoutMs: number | null;
    }
  | {
      readonly type: 'child';
      readonly callSeq: number;
      readonly childId: string;
      readonly workflow: string;
      readonly input: JsonValue;
    }
  | {
      readonly type: 'emit';
      readonly callSeq: number;
      readonly topic: string;
      readonly key: string;
      readonly value: JsonValue;
    }
  | {
      readonly type: 'compensation';
      readonly callSeq: number;
      readonly reason: ErrorData;
      readonly steps: readonly string[];
    }
  | { readonly type: 'complete'; readonly result: JsonValue }
  | { readonly type: 'fail'; readonly error: ErrorData }
  | { readonly type: 'cancelled'; readonly reason: string }
  | { readonly type: 'stuck'; readonly error: ErrorData };

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
  | { readonly kind: 'command'; readonly command: Command; readonly offset: string; readonly raw: RawMessage }
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
  | { readonly kind: 'misrouted'; readonly command: Command; readonly offset: string }
  | { readonly kind: 'intent'; readonly workflowId: string; readonly intent: Intent };

/** Every input kind. */
export type InputKind = Input['kind'];
