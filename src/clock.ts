/**
 * Time at the edges: the wall clock and timers, behind one interface so a simulation can drive an owner
 * on virtual time (tests/unit/simulation). The machine never sees this: time reaches it as inputs.
 */

/** A timer handle, opaque to its user. */
export type TimerHandle = { readonly __timer: unique symbol } | NodeJS.Timeout;

/** The clock and timers an edge component uses. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Largest delay a Node timer takes (2^31 − 1 ms); longer waits are re-armed. */
export const TIMER_DELAY_MAX_MS = 2_147_483_647;

/** The process's wall clock and Node timers (unref'd: a pending timer never keeps a process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, delayMs) => {
    const handle = setTimeout(fn, Math.min(Math.max(0, delayMs), TIMER_DELAY_MAX_MS));
    handle.unref();
    return handle;
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`, or at once when `signal` aborts (a stopping owner never waits out a backoff). */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const handle = clock.setTimer(() => {
      signal?.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = (): void => {
      clock.clearTimer(handle);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
  });
}
