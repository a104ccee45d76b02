/**
 * Backoff for step retries: exponential with jitter. Pure: the jitter arrives as an input and the
 * resulting `retryAtMs` is journaled, so a replay or a new owner never recomputes it.
 *
 * I1. The delay before attempt n+1 is min(initial · coefficientⁿ⁻¹, max), scaled by a factor in
 *     [1 − JITTER, 1 + JITTER) from the jitter input; never negative.
 */
import type { RetryPolicy } from './inputs.js';

/** Spread of the jitter around the nominal delay: ±20 %. */
export const RETRY_JITTER = 0.2;

/** Delay in ms after failed attempt `attempt` (1-based), for `jitter` uniform in [0, 1) (I1). */
export function retryDelayMs(policy: RetryPolicy, attempt: number, jitter: number): number {
  const nominal = Math.min(
    policy.initialIntervalMs * policy.backoffCoefficient ** Math.max(0, attempt - 1),
    policy.maxIntervalMs,
  );
  return Math.max(0, Math.round(nominal * (1 - RETRY_JITTER + 2 * RETRY_JITTER * jitter)));
}
