/** Timers: the partition's timer queue (nearest timers in a heap, the rest in the cache's index). */
export { Heap } from './timer-heap.js';
export { type TimerEntry, TimerQueue, type TimerQueueLimits, type TimerSource } from './timer-queue.js';
