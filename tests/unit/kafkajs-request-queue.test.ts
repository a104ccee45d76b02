/**
 * The KafkaJS request-queue fix (src/kafka/request-queue-patch.ts): an idle connection schedules no timer,
 * a throttled one still checks its pending requests, and the shared ticker still times requests out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { patchKafkaJs } from '../../src/kafka/kafkajs-patches.js';
import {
  kafkajsRequestQueue,
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
});

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

  it('times an overdue in-flight request out on the shared ticker, and forgets a destroyed queue', async () => {
    patchKafkaJs();
    const before = watchedRequestQueues();
    const queue = newQueue({ value: true });
    queues.push(queue);
    queue.scheduleRequestTimeoutCheck();
    expect(watchedRequestQueues()).toBe(before + 1);
    let timedOut = 0;
    queue.inflight.set(1, { sentAt: Date.now(), requestTimeout: 50, timeoutRequest: () => void timedOut++ });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(timedOut).toBeGreaterThan(0);
    queue.inflight.clear();
    queue.destroy();
    expect(watchedRequestQueues()).toBe(before);
  });

  it('drops a queue whose connection closed', async () => {
    patchKafkaJs();
    const before = watchedRequestQueues();
    const connected = { value: true };
    const queue = newQueue(connected);
    queues.push(queue);
    queue.scheduleRequestTimeoutCheck();
    expect(watchedRequestQueues()).toBe(before + 1);
    connected.value = false;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(watchedRequestQueues()).toBe(before);
  });
});
