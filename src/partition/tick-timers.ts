/**
 * A committed tick's timers, handed to the owner's timer queue (owner-tick.ts I1): the ones it armed and
 * removed, in the order the machine did, and the ones reported due that the machine found not due yet.
 *
 * I1. The queue hears of a timer only after the tick that armed or removed it was written, and in the
 *     same order as the cache's timer index (cache-changes.ts I3), so the two never disagree.
 */
import { type TimerEvent, timerSortKey } from '../cache/index.js';
import type { TimerNotDue } from '../machine/index.js';
import type { TimerQueue } from '../timers/index.js';

/** Hands a committed tick's timers to `timers` (I1); returns the change in pending timers. */
export function queueTickTimers(
  timers: TimerQueue,
  events: readonly TimerEvent[],
  notDue: readonly TimerNotDue[],
): number {
  let pendingDelta = 0;
  for (const e of events) {
    pendingDelta += e.armed ? 1 : -1; // index puts and deletes, one for one (cache-changes.ts)
    const entry = {
      workflowId: e.workflowId,
      timerId: e.timer.timerId,
      fireAtMs: e.timer.fireAtMs,
      sortKey: timerSortKey(e.workflowId, e.timer.timerId),
    };
    if (e.armed) timers.armed(entry);
    else timers.removed(e.workflowId, e.timer.timerId);
  }
  for (const t of notDue) timers.notDue({ ...t, sortKey: timerSortKey(t.workflowId, t.timerId) });
  return pendingDelta;
}
