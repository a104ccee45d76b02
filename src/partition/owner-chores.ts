/**
 * A partition owner's chores between ticks (owner.ts I8): resuming the workflows that need their bodies
 * after a takeover, evicting idle workflows, refilling the timer heap from the cache's index, expiring
 * finished summaries past their retention and deleting the history of finished workflows.
 *
 * I1. Each chore is bounded per round (EVICTION_SCAN_MAX, the heap's refill batch, EXPIRE_BATCH_MAX,
 *     PURGE_BATCH_MAX), so a round's cost never depends on how many workflows ever ran.
 * I2. Resumes after a takeover go a bounded number at a time (`resumesInFlightMax`), and only while the
 *     hot set has room, so a partition with many active workflows comes back without a memory spike.
 * I3. A backlog drains in a run of rounds, not one per interval: a round that stopped at its bound with
 *     work left wakes the loop for another, so 100,000 idle workflows leave memory in seconds while ticks
 *     still run between rounds.
 */
import { type Clock, sleepOn, type TimerHandle } from '../clock.js';
import { errorMessage } from '../errors.js';
import type { TimerQueue } from '../timers/index.js';
import type { HotSet } from './hot-set.js';
import type { Inbox } from './inbox.js';
import type { OwnerStats } from './owner-config.js';
import type { OwnerDeps } from './owner-deps.js';
import type { RunRegistry } from './run-registry.js';

/** Finished summaries expired per round, at most (I1). */
export const EXPIRE_BATCH_MAX = 1_000;
/**
 * History keys of finished workflows deleted per round, at most (I1). A round runs between two ticks of the
 * partition, so this bounds how long a tick can wait for it: 10,000 deletes took tens of ms and showed as
 * the W1 benchmark's p99; a backlog is worked off in more, shorter rounds instead.
 */
export const PURGE_BATCH_MAX = 1_000;

/** The parts of an owner its chores work on. */
export interface ChoreParts {
  readonly deps: OwnerDeps;
  readonly hot: HotSet;
  readonly runs: RunRegistry;
  readonly inbox: Inbox;
  readonly timers: TimerQueue;
  readonly stats: OwnerStats;
  readonly running: () => boolean;
  readonly signal: AbortSignal;
}

/** The chores of one owner. */
export class Chores {
  private timer: TimerHandle | undefined;
  private confirmTimer: TimerHandle | undefined;
  private lastRetentionMs = 0;
  /** The last retention round stopped at its bound: the next round does not wait for the interval. */
  private cacheBacklog = false;

  constructor(private readonly parts: ChoreParts) {}

  private get clock(): Clock {
    return this.parts.deps.clock;
  }

  /** Wakes the loop every `housekeepingIntervalMs`, so a quiet partition does its chores too. */
  schedule(): void {
    if (!this.parts.running()) return;
    this.timer = this.clock.setTimer(() => {
      this.parts.inbox.wake();
      this.schedule();
    }, this.parts.deps.limits.housekeepingIntervalMs);
  }

  /**
   * Wakes the loop at `dueAtMs`, when the confirmation of waiting single-produce ticks falls due
   * (owner-tick.ts I10); undefined: nothing waits.
   */
  wakeToConfirm(dueAtMs: number | undefined): void {
    if (dueAtMs === undefined || this.confirmTimer !== undefined || !this.parts.running()) return;
    const delayMs = Math.max(0, dueAtMs - this.clock.now());
    this.confirmTimer = this.clock.setTimer(() => {
      this.confirmTimer = undefined;
      this.parts.inbox.wake();
    }, delayMs);
  }

  /** Stops waking the loop. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    if (this.confirmTimer !== undefined) this.clock.clearTimer(this.confirmTimer);
    this.timer = undefined;
    this.confirmTimer = undefined;
  }

  /** One round of chores (I1). */
  async run(): Promise<void> {
    const { deps, hot, runs, timers, stats } = this.parts;
    const nowMs = this.clock.now();
    const eviction = hot.evict(nowMs, deps.limits.idleEvictMs, (id) => runs.holds(id));
    if (eviction.ids.length > 0) {
      runs.forget(eviction.ids);
      stats.evictedWorkflows += eviction.ids.length;
    }
    if (timers.needsRefill()) await timers.refill();
    let backlog = eviction.more;
    if (this.cacheBacklog || nowMs - this.lastRetentionMs >= deps.limits.housekeepingIntervalMs) {
      this.lastRetentionMs = nowMs;
      const expired = await deps.cache.expire(nowMs - deps.limits.finishedRetentionMs, EXPIRE_BATCH_MAX);
      const purged = await deps.cache.purge(PURGE_BATCH_MAX);
      this.cacheBacklog = expired >= EXPIRE_BATCH_MAX || purged >= PURGE_BATCH_MAX;
      backlog ||= this.cacheBacklog;
    }
    stats.hotWorkflows = hot.size;
    stats.timersInMemory = timers.size;
    if (backlog) this.parts.inbox.wake(); // I3: another bounded round soon, between ticks
  }

  /** Resumes every workflow that needs its body now, a bounded number at a time (I2). */
  async resumeActive(): Promise<void> {
    const { deps, hot, runs, stats } = this.parts;
    try {
      for await (const id of deps.cache.activeIds()) {
        while (
          this.parts.running() &&
          (runs.resumesPending >= deps.limits.resumesInFlightMax || !hot.hasRoom())
        )
          await sleepOn(this.clock, 10, this.parts.signal);
        if (!this.parts.running()) return;
        runs.resume(id);
        stats.resumedWorkflows++;
      }
    } catch (error) {
      deps.logger.log('error', 'could not list the workflows to resume', {
        error: errorMessage(error),
      });
    }
  }
}
