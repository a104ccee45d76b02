/**
 * The KafkaJS request-queue fix (src/kafka/request-queue-patch.ts): an idle connection schedules no timer,
 * a throttled one still checks its pending requests, and the shared ticker still times requests out.
 * The ticker runs on fake timers and a fake Date moved by hand, one tick at a time, not raced against a
 * wall-clock wait.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { patchKafkaJs } from '../../src/kafka/kafkajs-patches.js';
import {
  kafkajsRequestQueue,
  REQUEST_TIMEOUT_CHECK_MS,
  type RequestQueueInternals,
  watchedRequestQueues,
} from '../../src/kafka/request-queue-patch.js';

type QueueClass = new (options: Record<string, unknown>) => RequestQueueInternals;

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function newQueue(connected: { value: boolean }): RequestQueueInternals {
  const RequestQueue = kafkajsRequestQueue() as unknown as QueueClass;
  return new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 50,
    enforceRequestTimeout: true,
    clientId: 'test',
    broker: 'nowhere:9092',
    logger: silent,
    isConnected: () => connected.value,
  });
}

const queues: RequestQueueInternals[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
  vi.useRealTimers();
});

/** Fakes the ticker's interval and clock (Date); no queue is watched, so the ticker starts on them. */
function fakeTickerTime(): void {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  expect(watchedRequestQueues(), 'no queue watched: the ticker starts on the fake timers').toBe(0);
}

describe('KafkaJS request queue, patched', () => {
  it('is patched for the installed KafkaJS version', () => {
    expect(patchKafkaJs()).toBe(true);
  });

  it('schedules no check when nothing is pending (KafkaJS 2.2.4 looped every 1 ms)', () => {
    patchKafkaJs();
    const queue = newQueue({ value: true });
    queues.push(queue);
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('checks pending requests again at the end of a throttle', () => {
    patchKafkaJs();
    const queue = newQueue({ value: true });
    queues.push(queue);
    queue.pending.push({});
    queue.throttledUntil = Date.now() + 1_000;
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
  });

  it('times an overdue in-flight request out on the shared ticker, and forgets a destroyed queue', () => {
    patchKafkaJs();
    fakeTickerTime();
    const queue = newQueue({ value: true });
    queues.push(queue);
    queue.scheduleRequestTimeoutCheck();
    expect(watchedRequestQueues()).toBe(1);
    let timedOut = 0;
    queue.inflight.set(1, { sentAt: Date.now(), requestTimeout: 50, timeoutRequest: () => void timedOut++ });
    vi.advanceTimersByTime(REQUEST_TIMEOUT_CHECK_MS); // one tick, 100 ms after the send: overdue
    expect(timedOut).toBeGreaterThan(0);
    queue.inflight.clear();
    queue.destroy();
    expect(watchedRequestQueues()).toBe(0);
  });

  it('drops a queue whose connection closed', () => {
    patchKafkaJs();
    fakeTickerTime();
    const connected = { value: true };
    const queue = newQueue(connected);
    queues.push(queue);
    queue.scheduleRequestTimeoutCheck();
    expect(watchedRequestQueues()).toBe(1);
    connected.value = false;
    vi.advanceTimersByTime(REQUEST_TIMEOUT_CHECK_MS); // one tick
    expect(watchedRequestQueues()).toBe(0);
  });
});
