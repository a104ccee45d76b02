/**
 * What the workflow runtime hands the step runner for one step call, and how step options become it.
 */
import type { RetryPolicy } from '../machine/index.js';
import { type StepInfo, type StepOptions, toMs } from '../workflow/index.js';

/** One step call, ready to run any attempt of. */
export interface StepRequest {
  readonly workflowId: string;
  readonly callSeq: number;
  readonly name: string;
  readonly fn: (info: StepInfo) => unknown;
  readonly retry: RetryPolicy;
  readonly nonRetryable: readonly string[];
  readonly timeoutMs: number | null;
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

/** Builds a StepRequest from the options a body passed to `ctx.step` (durations parsed here, once). */
export function stepRequest(
  workflowId: string,
  callSeq: number,
  name: string,
  fn: (info: StepInfo) => unknown,
  options: StepOptions,
  base: RetryPolicy = defaultRetry,
): StepRequest {
  const r = options.retry ?? {};
  const retry: RetryPolicy = {
    maxAttempts: r.maxAttempts ?? base.maxAttempts,
    initialIntervalMs:
      r.initialInterval === undefined
        ? base.initialIntervalMs
        : toMs(r.initialInterval, 'retry.initialInterval'),
    backoffCoefficient: r.backoffCoefficient ?? base.backoffCoefficient,
    maxIntervalMs:
      r.maxInterval === undefined ? base.maxIntervalMs : toMs(r.maxInterval, 'retry.maxInterval'),
  };
  const timeoutMs = options.timeout === undefined ? null : toMs(options.timeout, 'step timeout');
  return { workflowId, callSeq, name, fn, retry, nonRetryable: r.nonRetryable ?? [], timeoutMs };
}
