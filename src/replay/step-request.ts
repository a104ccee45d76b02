/**
 * What the workflow runtime hands the step runner for one step call, and how step options become it.
 *
 * I1. Options are parsed and checked when the body calls `ctx.step`, before a call number is taken: a bad
 *     option throws at the call (the same on every replay) and never leaves a hole in the numbering.
 */
import { ConfigError } from '../errors.js';
import type { RetryPolicy } from '../machine/index.js';
import { type StepInfo, type StepOptions, toMs } from '../workflow/index.js';

/** Most attempts a step may ask for (each attempt is journaled, so this bounds a step's history). */
export const STEP_ATTEMPTS_MAX = 1_000;

/** How a step call runs: its retry policy and timeout, parsed once (I1). */
export interface StepPolicy {
  readonly retry: RetryPolicy;
  readonly nonRetryable: readonly string[];
  readonly timeoutMs: number | null;
}

/** One step call, ready to run any attempt of. */
export interface StepRequest extends StepPolicy {
  readonly workflowId: string;
  readonly callSeq: number;
  readonly name: string;
  readonly fn: (info: StepInfo) => unknown;
}

/** Defaults of a step's retry policy. */
export const defaultRetry: RetryPolicy = {
  maxAttempts: 3,
  initialIntervalMs: 100,
  backoffCoefficient: 2,
  maxIntervalMs: 30_000,
};

/** Compensations retry longer than steps: an undo that gives up leaves the books wrong. */
export const compensationRetry: RetryPolicy = {
  maxAttempts: 10,
  initialIntervalMs: 200,
  backoffCoefficient: 2,
  maxIntervalMs: 60_000,
};

function checkedAttempts(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > STEP_ATTEMPTS_MAX)
    throw new ConfigError(
      `retry.maxAttempts must be an integer from 1 to ${STEP_ATTEMPTS_MAX}, not ${value}.`,
    );
  return value;
}

function checkedCoefficient(value: number): number {
  if (!Number.isFinite(value) || value < 1 || value > 100)
    throw new ConfigError(`retry.backoffCoefficient must be from 1 to 100, not ${value}.`);
  return value;
}

/** Parses the options a body passed to `ctx.step` (durations parsed here, once; I1). */
export function stepPolicy(options: StepOptions, base: RetryPolicy = defaultRetry): StepPolicy {
  const r = options.retry ?? {};
  const retry: RetryPolicy = {
    maxAttempts: checkedAttempts(r.maxAttempts ?? base.maxAttempts),
    initialIntervalMs:
      r.initialInterval === undefined
        ? base.initialIntervalMs
        : toMs(r.initialInterval, 'retry.initialInterval'),
    backoffCoefficient: checkedCoefficient(r.backoffCoefficient ?? base.backoffCoefficient),
    maxIntervalMs:
      r.maxInterval === undefined ? base.maxIntervalMs : toMs(r.maxInterval, 'retry.maxInterval'),
  };
  const timeoutMs = options.timeout === undefined ? null : toMs(options.timeout, 'step timeout');
  return { retry, nonRetryable: r.nonRetryable ?? [], timeoutMs };
}

/** Builds a StepRequest from a parsed policy. */
export function stepRequest(
  workflowId: string,
  callSeq: number,
  name: string,
  fn: (info: StepInfo) => unknown,
  policy: StepPolicy,
): StepRequest {
  return { workflowId, callSeq, name, fn, ...policy };
}
