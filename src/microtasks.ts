/**
 * Waiting for the microtask queue to drain, without a turn of the event loop.
 *
 * I1. A `process.nextTick` callback queued from a microtask runs only once the microtask queue is empty:
 *     every promise job queued before it, and every one those queue, has run. Queuing it from a microtask
 *     makes that hold wherever the caller runs (in a timer or I/O callback, nextTick jobs would otherwise
 *     run before the microtasks queued there).
 * I2. Nothing waits for I/O: a socket that became readable meanwhile is read in the next loop turn, as
 *     before. A turn of the loop (`setImmediate`) cost ~0.05 ms here, and ran whatever other I/O callbacks
 *     that turn had first.
 */

/** Runs `fn` once the microtask queue has drained (I1). */
export function afterMicrotasks(fn: () => void): void {
  queueMicrotask(() => process.nextTick(fn));
}

/** Resolves once the microtask queue has drained (I1). */
export function microtasksDrained(): Promise<void> {
  return new Promise<void>((resolve) => afterMicrotasks(resolve));
}
