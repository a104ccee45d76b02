/**
 * Waiting on the event loop: for the microtask queue to drain (no turn of the loop), or for one turn.
 *
 * I1. A `process.nextTick` callback queued from a microtask runs only once the microtask queue is empty:
 *     every promise job queued before it, and every one those queue, has run. Queuing it from a microtask
 *     makes that hold wherever the caller runs (in a timer or I/O callback, nextTick jobs would otherwise
 *     run before the microtasks queued there).
 * I2. It waits for promise jobs only. Work that goes through another `process.nextTick` queued ahead of
 *     it (and the promise jobs that one then queues), a timer or I/O may still be pending; a loop turn
 *     (`setImmediate`, ~0.05 ms here, and a poll of every socket) caught the first kind too. Callers use it
 *     where late work only costs batching: a body call that comes late goes into the next tick, a command
 *     into the next produce.
 */

/** Runs `fn` once the microtask queue has drained (I1). */
export function afterMicrotasks(fn: () => void): void {
  queueMicrotask(() => process.nextTick(fn));
}

/** Resolves once the microtask queue has drained (I1). */
export function microtasksDrained(): Promise<void> {
  return new Promise<void>((resolve) => afterMicrotasks(resolve));
}

/** Resolves after one turn of the event loop: I/O that became ready meanwhile has been handled. */
export function loopTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
