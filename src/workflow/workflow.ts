/**
 * The user API: `workflow(name, body)` and the context a body receives.
 *
 * I1. A body must be deterministic: everything non-deterministic goes through `ctx` (steps, time,
 *     randomness, ids), so a replayed body makes the same calls in the same order.
 * I2. A step's `fn` runs at least once per attempt, its result is recorded exactly once; `fn` receives a
 *     stable `idempotencyKey` (`<workflowId>/<callSeq>`) to dedupe downstream effects.
 */
import type { JsonValue } from '../journal/index.js';
import type { Duration } from './duration.js';

/** What a step function receives. */
export interface StepInfo {
  /** `<workflowId>/<callSeq>`: the same on every attempt and after a takeover (I2). Never change its form. */
  readonly idempotencyKey: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly workflowId: string;
  readonly stepName: string;
  /**
   * Aborted when this attempt times out (`timeout`) or its owner stops: stop work and let the attempt end.
   * Whatever the attempt returns after that is ignored; the next attempt, if any, runs on its own.
   */
  readonly signal: AbortSignal;
}

/** Retry policy of a step; durations as {@link Duration}. */
export interface RetryOptions {
  /** Total attempts including the first; 1 means no retry. Default 3. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt. Default '100ms'. */
  readonly initialInterval?: Duration;
  /** Growth of the delay per attempt. Default 2. */
  readonly backoffCoefficient?: number;
  /** Upper bound of the delay. Default '30s'. */
  readonly maxInterval?: Duration;
  /** Error names or codes that fail the step at once. `TerminalError` never retries either. */
  readonly nonRetryable?: readonly string[];
}

/** Options of `ctx.step`. */
export interface StepOptions {
  readonly retry?: RetryOptions;
  /** Time limit of one attempt; an attempt over it fails with TimeoutError (and may be retried). */
  readonly timeout?: Duration;
  /** Undo for this step: runs durably, in reverse order, if the workflow later fails or is cancelled. */
  readonly compensate?: (info: StepInfo) => unknown;
}

/** The context a workflow body receives. */
export interface WorkflowContext {
  readonly workflowId: string;
  readonly workflowName: string;
  /** Runs `fn` as a durable step and returns its journaled result. */
  step<T>(name: string, fn: (info: StepInfo) => T | Promise<T>, options?: StepOptions): Promise<Awaited<T>>;
  /** A durable timer: resolves once `duration` has passed, across restarts and takeovers. */
  sleep(duration: Duration): Promise<void>;
  /** Waits for the signal `name`; with a timeout, rejects with TimeoutError when it passes first. */
  signal<T = JsonValue>(name: string, options?: { readonly timeout?: Duration }): Promise<T>;
  /** Workflow time: the journal time of the event that last resumed the body (deterministic). */
  now(): number;
  /** A deterministic pseudo-random number in [0, 1), the same on every replay. */
  random(): number;
  /** A deterministic UUID (v4 format), the same on every replay. */
  uuid(): string;
  /** Starts the child workflow `id` and waits for its result (it may run on another partition). */
  child<I, O>(definition: WorkflowDefinition<I, O>, id: string, input: I): Promise<O>;
  /** Writes `value` to `topic` exactly once, in the same transaction as the journal record. */
  emit(topic: string, key: string, value: JsonValue): Promise<void>;
}

/** A workflow body. */
export type WorkflowBody<I, O> = (ctx: WorkflowContext, input: I) => Promise<O>;

/** A registered workflow: its name and body. */
export interface WorkflowDefinition<I = unknown, O = unknown> {
  readonly kind: 'logbook.workflow';
  readonly name: string;
  readonly body: WorkflowBody<I, O>;
}

/** Any workflow, whatever its input and output types (inputs arrive as JSON at run time). */
export type AnyWorkflowDefinition = WorkflowDefinition<never, unknown>;

/** Defines a workflow. Export it from a module and give it to an Executor (or `logbook worker`). */
export function workflow<I = unknown, O = unknown>(
  name: string,
  body: WorkflowBody<I, O>,
): WorkflowDefinition<I, O> {
  if (name.length === 0) throw new TypeError('workflow name must not be empty');
  return { kind: 'logbook.workflow', name, body };
}

/** True for values made by {@link workflow} (used to find workflows among a module's exports). */
export function isWorkflowDefinition(value: unknown): value is AnyWorkflowDefinition {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'logbook.workflow'
  );
}
