/**
 * Virtual time for the simulation: the owner's clock and timers run on it, and the driver moves it forward
 * by hand, firing due timers in time order.
 */
import type { Clock, TimerHandle } from '../../../src/clock.js';

interface Pending {
  readonly id: number;
  readonly atMs: number;
  readonly fn: () => void;
}

/** A Clock whose time moves only when `advance` is called. */
export class VirtualClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(startMs: number) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { id, atMs: this.nowMs + Math.max(0, delayMs), fn });
    return id as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    this.pending.delete(handle as unknown as number);
  }

  /** Moves time forward by `ms`, running each timer that comes due, in time order. */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending.values())
        if (p.atMs <= until && (next === undefined || p.atMs < next.atMs)) next = p;
      if (next === undefined) break;
      this.pending.delete(next.id);
      this.nowMs = Math.max(this.nowMs, next.atMs);
      next.fn();
    }
    this.nowMs = until;
  }
}
