/**
 * Proves the partition's timer queue (timer-queue.ts I1–I4) on a fake Clock advanced by hand and an
 * in-memory TimerSource sorted exactly like the cache's timer index (and, once, the real PartitionCache
 * over MemoryKvStore): a timer is never reported before the clock reaches it, even when the Node timer
 * fires while the clock lags; removal is lazy but a removed (or re-armed) timer never fires; a timer the
 * machine finds not due is held again; timers committed before the first refill wait in the index; with
 * heapMax 100, 10,000 timers keep memory at heapMax + 1 and all fire in index order, loaded by refill;
 * stop() forgets everything; and arm, cancel and fire cost O(log n), counted structurally.
 */
import { describe, expect, it } from 'vitest';
import { MemoryKvStore, PartitionCache, timerSortKey } from '../../src/cache/index.js';
import { timerKey } from '../../src/cache/keys.js';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { type TimerEntry, TimerQueue, type TimerSource } from '../../src/timers/index.js';

/** A clock the test moves by hand; timers run only when it is advanced (or fired early on purpose). */
class FakeClock implements Clock {
  private nowMs = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { readonly atMs: number; readonly fn: () => void }>();

  now(): number {
    return this.nowMs;
  }
  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = ++this.nextId;
    this.timers.set(id, { atMs: this.nowMs + Math.max(0, delayMs), fn });
    return { id } as unknown as TimerHandle; // opaque to the queue
  }
  clearTimer(handle: TimerHandle): void {
    this.timers.delete((handle as unknown as { id: number }).id);
  }
  /** Node timers armed now. */
  get armed(): number {
    return this.timers.size;
  }
  /** Moves to `ms`, running each timer due on the way at its own time (and those they arm). */
  advanceTo(ms: number): void {
    for (;;) {
      const next = [...this.timers]
        .filter(([, t]) => t.atMs <= ms)
        .sort(([, a], [, b]) => a.atMs - b.atMs)[0];
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].atMs);
      next[1].fn();
    }
    this.nowMs = Math.max(this.nowMs, ms);
  }
  /** Runs every armed timer without moving the clock: a Node timer firing while the clock lags. */
  fireEarly(): void {
    for (const [id, t] of [...this.timers]) {
      this.timers.delete(id);
      t.fn();
    }
  }
}

/** The order of the cache's timer index: fire time, then the key's bytes after it. */
const indexOrder = (a: TimerEntry, b: TimerEntry): number =>
  a.fireAtMs - b.fireAtMs || Buffer.compare(a.sortKey, b.sortKey);

const entry = (workflowId: string, fireAtMs: number, timerId = 'sleep:1'): TimerEntry => ({
  workflowId,
  timerId,
  fireAtMs,
  sortKey: timerSortKey(workflowId, timerId),
});

/** An in-memory timer index, in index order; counts its reads. */
class MemorySource implements TimerSource {
  readonly entries: TimerEntry[] = [];
  reads = 0;
  add(e: TimerEntry): void {
    const at = this.lowerBound(e);
    this.entries.splice(at, 0, e);
  }
  delete(workflowId: string, timerId: string): void {
    const at = this.entries.findIndex((e) => e.workflowId === workflowId && e.timerId === timerId);
    if (at >= 0) this.entries.splice(at, 1);
  }
  async timersFrom(from: TimerEntry | undefined, limit: number): Promise<TimerEntry[]> {
    this.reads++;
    const start = from === undefined ? 0 : this.lowerBound(from);
    return this.entries.slice(start, start + limit);
  }
  private lowerBound(e: TimerEntry): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (indexOrder(this.entries[mid] as TimerEntry, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Harness {
  readonly clock: FakeClock;
  readonly source: MemorySource;
  readonly queue: TimerQueue;
  /** Reported timers: `workflowId/timerId`, the clock time it was reported at, and its fire time. */
  readonly due: { readonly key: string; readonly atMs: number; readonly fireAtMs: number }[];
  /** Commits a new timer as the owner does: into the index, then tells the queue. */
  arm(e: TimerEntry): void;
  /** The owner's between-tick step: refill while the queue asks for it. */
  refill(): Promise<void>;
}

/** A queue whose reported timers are fired as the machine fires them: removed from the index and the queue. */
function harness(heapMax: number, source: TimerSource & Partial<MemorySource> = new MemorySource()): Harness {
  const clock = new FakeClock();
  const fireAt = new Map<string, number>();
  const due: Harness['due'][number][] = [];
  const queue = new TimerQueue(
    source,
    ({ workflowId, timerId }) => {
      const key = `${workflowId}/${timerId}`;
      due.push({ key, atMs: clock.now(), fireAtMs: fireAt.get(key) ?? Number.NaN });
      source.delete?.(workflowId, timerId); // TimerFired committed
      queue.removed(workflowId, timerId);
    },
    clock,
    { heapMax },
  );
  return {
    clock,
    source: source as MemorySource,
    queue,
    due,
    arm: (e) => {
      fireAt.set(`${e.workflowId}/${e.timerId}`, e.fireAtMs);
      source.add?.(e);
      queue.armed(e);
    },
    refill: async () => {
      while (queue.needsRefill()) await queue.refill();
    },
  };
}

const keys = (h: Harness): string[] => h.due.map((d) => d.key);

/** Entries the queue's heap holds, removed ones included: what its memory is (the heap is private). */
const heapLength = (queue: TimerQueue): number => (queue as unknown as { heap: { size: number } }).heap.size;

describe('TimerQueue timing', () => {
  it('never reports a timer before the clock reaches it, even when the Node timer fires while the clock lags', async () => {
    const h = harness(100);
    await h.refill();
    h.arm(entry('a', 1_000));
    h.clock.fireEarly(); // the Node timer fires at clock time 0
    expect(h.due).toEqual([]);
    expect(h.clock.armed).toBe(1); // re-armed for the same timer
    h.clock.advanceTo(999);
    expect(h.due).toEqual([]);
    h.clock.advanceTo(1_000);
    expect(h.due).toEqual([{ key: 'a/sleep:1', atMs: 1_000, fireAtMs: 1_000 }]);
    expect(h.queue.size).toBe(0);
  });

  it('reports due timers once each, in index order (fire time, then id bytes), ties included', async () => {
    const h = harness(100);
    await h.refill();
    for (const e of [entry('b', 50), entry('a', 50), entry('c', 10), entry('a', 50, 'retry:2:1')]) h.arm(e);
    h.clock.advanceTo(100);
    h.clock.advanceTo(200);
    expect(keys(h)).toEqual(['c/sleep:1', 'a/retry:2:1', 'a/sleep:1', 'b/sleep:1']);
  });
});

describe('TimerQueue removal', () => {
  it('forgets a removed timer lazily: it never fires, and the others still do', async () => {
    const h = harness(100);
    await h.refill();
    for (const e of [entry('a', 100), entry('b', 200), entry('c', 300)]) h.arm(e);
    h.queue.removed('b', 'sleep:1');
    expect(h.queue.size).toBe(2);
    h.clock.advanceTo(1_000);
    expect(keys(h)).toEqual(['a/sleep:1', 'c/sleep:1']);
  });

  it('a timer removed and armed again fires once, at its new time', async () => {
    const h = harness(100);
    await h.refill();
    h.arm(entry('a', 100));
    h.queue.removed('a', 'sleep:1');
    h.arm(entry('a', 400));
    h.clock.advanceTo(300);
    expect(h.due).toEqual([]);
    h.clock.advanceTo(1_000);
    expect(h.due).toEqual([{ key: 'a/sleep:1', atMs: 400, fireAtMs: 400 }]);
  });

  it('does not keep removed timers in memory beyond heapMax + 1 (I3)', async () => {
    const h = harness(100);
    await h.refill();
    h.arm(entry('keep', 10 * 3_600_000));
    for (let i = 0; i < 10_000; i++) {
      h.arm(entry(`w${i}`, 3_600_000 + i)); // a signal timeout an hour out …
      h.queue.removed(`w${i}`, 'sleep:1'); // … that the signal made moot
    }
    expect(h.queue.size).toBe(1);
    expect(heapLength(h.queue)).toBeLessThanOrEqual(101);
  });
});

describe('TimerQueue and the machine', () => {
  it('holds again a timer the machine found not due (notDue) and reports it again', async () => {
    const h = harness(100);
    await h.refill();
    const a = entry('a', 100);
    h.arm(a);
    h.clock.advanceTo(100);
    expect(h.queue.size).toBe(0);
    h.queue.notDue(a); // the machine's clock read 99
    expect(h.queue.size).toBe(1);
    h.clock.advanceTo(101);
    expect(keys(h)).toEqual(['a/sleep:1', 'a/sleep:1']);
  });

  it('leaves timers committed before the first refill in the index, and refill loads them', async () => {
    const h = harness(100);
    h.arm(entry('a', 100));
    expect(h.queue.size).toBe(0);
    expect(h.queue.needsRefill()).toBe(true);
    await h.refill();
    expect(h.queue.size).toBe(1);
    h.clock.advanceTo(100);
    expect(keys(h)).toEqual(['a/sleep:1']);
  });

  it('stop() clears its Node timer and forgets every timer', async () => {
    const h = harness(100);
    await h.refill();
    h.arm(entry('a', 100));
    h.queue.stop();
    expect([h.queue.size, h.clock.armed, h.queue.needsRefill()]).toEqual([0, 0, false]);
    h.arm(entry('b', 50));
    await h.queue.refill();
    h.clock.advanceTo(1_000);
    expect(h.due).toEqual([]);
  });

  it('refuses a heapMax below 2', () => {
    expect(
      () => new TimerQueue(new MemorySource(), () => undefined, new FakeClock(), { heapMax: 1 }),
    ).toThrow(RangeError);
  });
});

describe('TimerQueue memory bound (heapMax)', () => {
  it('holds at most heapMax + 1 of 10,000 timers, and fires all of them in index order from refills', async () => {
    const h = harness(100);
    await h.refill();
    const all: TimerEntry[] = [];
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      const e = entry(`w-${(i * 7_919) % 10_000}`, 1_000 + ((i * 104_729) % 50_000)); // scattered, with ties
      all.push(e);
      h.arm(e);
      largest = Math.max(largest, h.queue.size, heapLength(h.queue));
    }
    const readsBefore = h.source.reads;
    for (let t = 0; h.due.length < all.length && t <= 60_000; t += 250) {
      h.clock.advanceTo(t);
      await h.refill();
      largest = Math.max(largest, h.queue.size, heapLength(h.queue));
    }
    expect(largest).toBeLessThanOrEqual(101);
    expect(h.source.reads - readsBefore).toBeGreaterThan(10_000 / 100); // loaded by refill, ~heapMax/2 at a time
    expect(keys(h)).toEqual([...all].sort(indexOrder).map((e) => `${e.workflowId}/${e.timerId}`));
    for (const d of h.due) expect(d.atMs, d.key).toBeGreaterThanOrEqual(d.fireAtMs); // never early
  });

  it('past heapMax keeps the earlier half; a timer armed past the new horizon waits in the index', async () => {
    const h = harness(4);
    await h.refill();
    for (const at of [100, 200, 300, 400, 500]) h.arm(entry(`t${at}`, at));
    expect(h.queue.size).toBe(2); // 100 and 200; the horizon is now 300
    h.arm(entry('t600', 600));
    expect(h.queue.size).toBe(2);
    h.arm(entry('t50', 50));
    expect(h.queue.size).toBe(3);
    for (let t = 0; t <= 700; t += 50) {
      h.clock.advanceTo(t);
      await h.refill();
    }
    expect(keys(h)).toEqual(
      ['t50', 't100', 't200', 't300', 't400', 't500', 't600'].map((id) => `${id}/sleep:1`),
    );
  });

  it('agrees with the real cache index (PartitionCache over MemoryKvStore), odd ids included', async () => {
    const store = new MemoryKvStore();
    const cache = new PartitionCache(store, 3);
    const ids = ['b', 'a/b', 'a\u0000', '🚀-sleep', 'a😀b', 'ab', 'a', 'z', 'é', '\uffff'];
    const all = ids.flatMap((id, i) => [entry(id, 100 + (i % 3)), entry(id, 100 + (i % 3), 'retry:1:1')]);
    const put = (e: TimerEntry) => ({
      type: 'put' as const,
      key: timerKey(3, e.fireAtMs, e.workflowId, e.timerId),
      value: Buffer.alloc(0),
    });
    await store.write(all.map(put));
    const fired: TimerEntry[] = [];
    // TimerFired commits delete the index keys before the next refill, as the owner's ticks do.
    const source = {
      timersFrom: async (from: TimerEntry | undefined, limit: number) => {
        await store.write(fired.splice(0).map((e) => ({ type: 'del' as const, key: put(e).key })));
        return cache.timersFrom(from, limit);
      },
      delete: (workflowId: string, timerId: string) => {
        fired.push(...all.filter((e) => e.workflowId === workflowId && e.timerId === timerId));
      },
    };
    const h = harness(4, source);
    for (let round = 0; round < 100 && h.due.length < all.length; round++) {
      await h.refill();
      h.clock.advanceTo(100 + round);
    }
    expect(keys(h)).toEqual([...all].sort(indexOrder).map((e) => `${e.workflowId}/${e.timerId}`));
  });
});

describe('TimerQueue cost', () => {
  it('arms, cancels and fires 100,000 timers with O(log n) comparisons each (under 40)', async () => {
    const n = 100_000;
    const counter = { reads: 0 }; // reads of fireAtMs: two per comparison, and a few outside them
    /** A timer entry that counts reads of its fire time. */
    class Counted implements TimerEntry {
      readonly timerId = 'sleep:1';
      readonly sortKey: Buffer;
      constructor(
        readonly workflowId: string,
        private readonly at: number,
      ) {
        this.sortKey = timerSortKey(workflowId, this.timerId);
      }
      get fireAtMs(): number {
        counter.reads++;
        return this.at;
      }
    }
    const entries = Array.from({ length: n }, (_, i) => new Counted(`w${i}`, 1_000 + ((i * 7_919) % n) * 10));
    const perFire: number[] = [];
    let last = 0;
    const clock = new FakeClock();
    const onDue = (): void => {
      perFire.push(counter.reads - last);
      last = counter.reads;
    };
    const queue = new TimerQueue({ timersFrom: async () => [] }, onDue, clock, { heapMax: 4 * n });
    await queue.refill(); // the index is empty: every timer armed from now on is held in memory
    let worstArm = 0;
    for (const e of entries) {
      const before = counter.reads;
      queue.armed(e);
      worstArm = Math.max(worstArm, counter.reads - before);
    }
    const beforeCancel = counter.reads;
    for (let i = 0; i < n; i += 2) queue.removed(`w${i}`, 'sleep:1');
    expect(counter.reads - beforeCancel).toBe(0); // removal is lazy: O(1) now, one pop when it comes up
    last = counter.reads;
    clock.advanceTo(20 * n);
    expect(perFire).toHaveLength(n / 2);
    expect(worstArm / 2).toBeLessThan(40);
    // A fire pays its own pop plus one pop per cancelled timer that came up before it.
    const order = entries.map((e, i) => ({ i, at: e.fireAtMs })).sort((a, b) => a.at - b.at);
    const popsBefore: number[] = [];
    let cancelled = 0;
    for (const { i } of order) {
      if (i % 2 === 0) cancelled++;
      else {
        popsBefore.push(cancelled + 1);
        cancelled = 0;
      }
    }
    const worstPerPop = Math.max(...perFire.map((r, k) => r / 2 / (popsBefore[k] ?? 1)));
    expect(worstPerPop).toBeLessThan(40);
  });
});
