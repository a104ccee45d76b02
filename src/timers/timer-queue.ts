/**
 * A partition's pending timers: every one is in the cache's timer index (ordered by fire time), and the
 * nearest ones are also in an in-memory heap that one Node timer is armed for. A timer reaching its time
 * becomes a `timerDue` input; it fires because the machine then journals TimerFired (STYLE §1).
 *
 * I1. Never early: a timer is reported only once the clock has reached its fireAtMs; the machine checks
 *     again and sends back one it finds not due (`notDue`).
 * I2. The heap holds exactly the index's timers that sort below `horizon`, except those reported due and
 *     not decided yet. Timers at or above the horizon stay in the index only; when the heap runs dry below
 *     the horizon, `refill` loads the next `heapMax / 2` from the index. Arm, fire and removal are O(log n);
 *     a removal is lazy (the heap entry is skipped when it comes up).
 * I3. Memory is bounded by `heapMax` whatever the number of pending timers: when the heap grows past it,
 *     the later half goes back to living in the index only and the horizon moves down; removed entries
 *     are dropped once they outnumber the pending ones (plus a small slack).
 * I4. The queue holds nothing the journal does not: a new owner rebuilds it from the cache's index.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { Heap } from './timer-heap.js';

/** A pending timer as the queue and the cache index know it. */
export interface TimerEntry {
  readonly workflowId: string;
  readonly timerId: string;
  readonly fireAtMs: number;
  /** The entry's position in the cache index (after fireAtMs): orders entries exactly as the index does. */
  readonly sortKey: Buffer;
}

/** Where the queue reads timers that are not in memory: the cache's index, in index order. */
export interface TimerSource {
  /** Up to `limit` entries at or after `from` (undefined: the first), in index order. */
  timersFrom(from: TimerEntry | undefined, limit: number): Promise<TimerEntry[]>;
}

/** Limits of a TimerQueue. */
export interface TimerQueueLimits {
  /** Timers held in memory at most (I3). */
  readonly heapMax: number;
}

function compare(a: TimerEntry, b: TimerEntry): number {
  return a.fireAtMs - b.fireAtMs || Buffer.compare(a.sortKey, b.sortKey);
}

const memberKey = (workflowId: string, timerId: string): string => `${timerId}\u0000${workflowId}`;

/** Removed entries the heap may hold beyond twice the pending ones before it is compacted (I3). */
const COMPACT_SLACK = 64;

/** The timers of one partition. */
export class TimerQueue {
  private readonly heap = new Heap<TimerEntry>(compare);
  /** Entries in the heap that are still pending, by workflow and timer id (lazy removal, I2). */
  private readonly members = new Map<string, TimerEntry>();
  /** Everything sorting below this is in memory; undefined: nothing has been loaded yet. */
  private horizon: TimerEntry | undefined;
  /** True when the index holds nothing at or above the horizon. */
  private exhausted = false;
  private handle: TimerHandle | undefined;
  private armedForMs = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly source: TimerSource,
    private readonly onDue: (due: { workflowId: string; timerId: string }) => void,
    private readonly clock: Clock,
    private readonly limits: TimerQueueLimits,
  ) {
    if (!(limits.heapMax >= 2)) throw new RangeError('heapMax must be ≥ 2');
  }

  /** Timers in memory. */
  get size(): number {
    return this.members.size;
  }

  /** True when timers may be waiting in the index below what the heap holds (call `refill`). */
  needsRefill(): boolean {
    return !this.stopped && !this.exhausted && this.members.size === 0;
  }

  /** Loads the next timers from the index (I2); the owner calls it between ticks. */
  async refill(): Promise<void> {
    const batch = Math.max(1, Math.floor(this.limits.heapMax / 2));
    const entries = await this.source.timersFrom(this.horizon, batch + 1);
    if (this.stopped) return;
    const loaded = entries.slice(0, batch);
    for (const entry of loaded) this.add(entry);
    const next = entries[batch];
    this.exhausted = next === undefined;
    this.horizon = next;
    this.arm();
  }

  /** A timer was committed (TimerScheduled): hold it in memory if it sorts below the horizon (I2). */
  armed(entry: TimerEntry): void {
    if (this.stopped) return;
    if (this.horizon !== undefined && compare(entry, this.horizon) >= 0) return; // stays in the index
    if (this.horizon === undefined && !this.exhausted) return; // nothing loaded yet: refill finds it
    this.add(entry);
    if (this.members.size > this.limits.heapMax) this.shrink();
    if (entry.fireAtMs < this.armedForMs) this.arm();
  }

  /** A timer stopped being pending (fired, consumed, dropped): forget it (lazy, I2). */
  removed(workflowId: string, timerId: string): void {
    this.members.delete(memberKey(workflowId, timerId));
    // I3: removed entries wait in the heap until they come up; past twice the live ones, drop them now.
    if (this.heap.size > 2 * this.members.size + COMPACT_SLACK) this.compact();
  }

  /** Rebuilds the heap from the pending entries only (O(n), amortised over the removals that led here). */
  private compact(): void {
    this.heap.drain();
    for (const entry of this.members.values()) this.heap.push(entry);
  }

  /** The machine found a reported timer not due yet (I1): hold it again. */
  notDue(entry: TimerEntry): void {
    this.armed(entry);
  }

  /** Stops the Node timer and forgets everything (the owner is going away). */
  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.clock.clearTimer(this.handle);
    this.handle = undefined;
    this.members.clear();
    this.heap.drain();
  }

  private add(entry: TimerEntry): void {
    this.members.set(memberKey(entry.workflowId, entry.timerId), entry);
    this.heap.push(entry);
  }

  /** Keeps the earlier half in memory and moves the horizon to the first entry let go (I3). */
  private shrink(): void {
    const live = this.heap.drain().filter((e) => this.members.get(memberKey(e.workflowId, e.timerId)) === e);
    live.sort(compare);
    const keep = live.slice(0, Math.floor(this.limits.heapMax / 2));
    this.members.clear();
    for (const entry of keep) this.add(entry);
    this.horizon = live[keep.length];
    this.exhausted = this.horizon === undefined;
  }

  /** The first entry that is still pending, dropping removed ones (lazy removal, I2). */
  private first(): TimerEntry | undefined {
    for (let top = this.heap.peek(); top !== undefined; top = this.heap.peek()) {
      if (this.members.get(memberKey(top.workflowId, top.timerId)) === top) return top;
      this.heap.pop();
    }
    return undefined;
  }

  private arm(): void {
    if (this.handle !== undefined) this.clock.clearTimer(this.handle);
    this.handle = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
    const next = this.first();
    if (next === undefined || this.stopped) return;
    this.armedForMs = next.fireAtMs;
    this.handle = this.clock.setTimer(() => this.fire(), next.fireAtMs - this.clock.now());
  }

  private fire(): void {
    this.handle = undefined;
    const nowMs = this.clock.now();
    for (let next = this.first(); next !== undefined && next.fireAtMs <= nowMs; next = this.first()) {
      this.heap.pop();
      this.members.delete(memberKey(next.workflowId, next.timerId));
      this.onDue({ workflowId: next.workflowId, timerId: next.timerId }); // I1
    }
    this.arm();
  }
}
