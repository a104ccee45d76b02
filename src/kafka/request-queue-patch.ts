/**
 * A fix for KafkaJS 2.2.4's request queue, applied once when the first client is made.
 *
 * KafkaJS 2.2.4 re-arms `scheduleCheckPendingRequests` after every check even when nothing is pending,
 * with a negative delay, so every broker connection runs a 1 ms timer loop for as long as it is open
 * (tulios/kafkajs#1556, fix proposed in #1667, unreleased). Measured here: an idle executor with six
 * partitions made ~8,400 timers a second and used ~65 ms of CPU a second doing nothing.
 *
 * KafkaJS also runs a 100 ms interval per connection to time requests out; an executor holds dozens of
 * connections (producers, consumers, admin), so an idle one woke ~150 times a second for it.
 *
 * I1. A check is scheduled only while requests are pending; pending requests are still checked when an
 *     in-flight one completes (KafkaJS calls `checkPendingRequests` then) and, when throttled, at the end of
 *     the throttle — exactly the cases the original code meant to cover.
 * I3. One shared ticker, every REQUEST_TIMEOUT_CHECK_MS, checks the in-flight requests of every open
 *     connection for time-outs and drops closed ones, as each connection's own interval did; it runs only
 *     while a connection is open, and never keeps the process alive by itself.
 * I2. Applied through kafkajs-patches.ts (once, only on the version it was written for).
 */
import { kafkajsModule } from './kafkajs-internals.js';

/** The few members of KafkaJS's RequestQueue the patch touches. */
export interface RequestQueueInternals {
  pending: unknown[];
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  enforceRequestTimeout: boolean;
  isConnected(): boolean;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  destroy(): void;
}

/** KafkaJS's constant: how soon pending requests are checked again when not throttled. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** How often the shared ticker looks for timed-out requests (KafkaJS's interval: 100 ms) (I3). */
export const REQUEST_TIMEOUT_CHECK_MS = 100;

const watched = new Set<RequestQueueInternals>();
let ticker: ReturnType<typeof setInterval> | undefined;

/** Times out overdue requests of every watched queue and forgets closed ones (I3). */
function checkTimeouts(): void {
  const now = Date.now();
  for (const queue of watched) {
    for (const request of queue.inflight.values())
      if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
    if (!queue.isConnected()) queue.destroy();
  }
}

/** The fixed `scheduleRequestTimeoutCheck`: the queue joins the shared ticker (I3). */
function scheduleRequestTimeoutCheck(this: RequestQueueInternals): void {
  if (!this.enforceRequestTimeout) return;
  watched.add(this);
  if (ticker === undefined) {
    ticker = setInterval(checkTimeouts, REQUEST_TIMEOUT_CHECK_MS);
    ticker.unref();
  }
}

/** Queues the shared ticker watches now (tests). */
export function watchedRequestQueues(): number {
  return watched.size;
}

/** The fixed `scheduleCheckPendingRequests` (I1). */
function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId !== null || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  const delayMs = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}

/** KafkaJS's RequestQueue class, as KafkaJS loads it. */
export function kafkajsRequestQueue(): { prototype: RequestQueueInternals } {
  return kafkajsModule('network/requestQueue/index.js');
}

/** Applies the fix to KafkaJS's RequestQueue (I2: call it through patchKafkaJs). */
export function patchRequestQueue(): void {
  const prototype = kafkajsRequestQueue().prototype;
  const destroy = prototype.destroy;
  prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  prototype.scheduleRequestTimeoutCheck = scheduleRequestTimeoutCheck;
  prototype.destroy = function (this: RequestQueueInternals): void {
    destroy.call(this);
    watched.delete(this);
    if (watched.size === 0 && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };
}
