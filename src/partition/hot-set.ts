/**
 * The workflows a partition owner holds in memory: their states and their live runs. Everything else is
 * in the cache and comes back on demand (a tick loads what its inputs name; a run is rebuilt by replay).
 *
 * I1. Bounded: at most `hotWorkflowsMax` states. Finished workflows leave at once; wakeable ones that
 *     were idle for `idleEvictMs` leave after a tick; past the bound, the least recently active wakeable
 *     ones leave first. A workflow that needs its body (not wakeable) or whose run is replaying stays.
 * I2. A tick sees hot states plus the ones it loaded or created (`TickView`); nothing it loaded or
 *     created becomes hot before the tick commits, and a failed tick drops every state it touched — the
 *     cache still holds their committed form (owner-tick.ts I3).
 * I3. Each scan for eviction looks at a bounded number of entries, so a tick's cost stays bounded.
 */
import { isTerminal, isWakeable, type PartitionState, type WorkflowState } from '../machine/index.js';
import type { RunEntry } from './run-entry.js';

/** Entries an eviction scan looks at, at most (I3). */
export const EVICTION_SCAN_MAX = 1_000;

/** The states one tick sees (I2). */
export class TickView implements PartitionState {
  /** States loaded from the cache or created by this tick, by id. */
  readonly local = new Map<string, WorkflowState>();

  constructor(private readonly hot: HotSet) {}

  get(id: string): WorkflowState | undefined {
    return this.hot.state(id) ?? this.local.get(id);
  }

  set(id: string, ws: WorkflowState): void {
    this.local.set(id, ws);
  }
}

/** A partition's in-memory workflows. */
export class HotSet {
  private readonly states = new Map<string, WorkflowState>();
  /** Ids by last activity, oldest first (Map order), with the time. */
  private readonly activity = new Map<string, number>();
  readonly runs = new Map<string, RunEntry>();

  constructor(private readonly max: number) {}

  /** States held. */
  get size(): number {
    return this.states.size;
  }

  /** True when another state may come in (I1). */
  hasRoom(): boolean {
    return this.states.size < this.max;
  }

  state(id: string): WorkflowState | undefined {
    return this.states.get(id);
  }

  /** Holds `ws` (a committed state) and marks it active now. */
  hold(ws: WorkflowState, nowMs: number): void {
    this.states.set(ws.id, ws);
    this.touch(ws.id, nowMs);
  }

  /** Marks `id` active now. */
  touch(id: string, nowMs: number): void {
    if (!this.states.has(id)) return;
    this.activity.delete(id);
    this.activity.set(id, nowMs);
  }

  /** Drops `id`'s state and run. */
  drop(id: string): void {
    this.states.delete(id);
    this.activity.delete(id);
    this.runs.delete(id);
  }

  /** After a commit: keeps what the tick loaded or created if it still runs; finished ones leave (I1, I2). */
  commit(view: TickView, touched: Iterable<string>, nowMs: number): void {
    for (const ws of view.local.values()) if (!isTerminal(ws.status)) this.hold(ws, nowMs);
    for (const id of touched) {
      const ws = this.states.get(id);
      if (ws !== undefined && isTerminal(ws.status)) this.drop(id);
      else this.touch(id, nowMs);
    }
  }

  /**
   * Evicts idle wakeable workflows, and past the bound the least recently active wakeable ones (I1, I3);
   * `busy(id)` vetoes one (an attempt held for it, say). Returns the ids evicted, and `more` when the
   * scan stopped at its bound having evicted some: another round would likely evict more.
   */
  evict(nowMs: number, idleMs: number, busy: (id: string) => boolean): { ids: string[]; more: boolean } {
    const evicted: string[] = [];
    let scanned = 0;
    for (const [id, activeAtMs] of this.activity) {
      if (++scanned > EVICTION_SCAN_MAX) return { ids: evicted, more: evicted.length > 0 };
      const over = this.states.size > this.max;
      if (!over && nowMs - activeAtMs < idleMs) break; // the rest were active more recently
      const ws = this.states.get(id);
      const replaying = this.runs.get(id)?.replaying === true;
      if (ws === undefined || !isWakeable(ws) || replaying || busy(id)) continue;
      this.drop(id);
      evicted.push(id);
    }
    return { ids: evicted, more: false };
  }
}
