/**
 * Proves the TimerWheel (with vitest fake timers and an injected clock, so no real time passes): it never
 * reports a timer before the clock reaches its fireAtMs, even when the Node timer fires while the clock
 * lags; it reports every due timer once, in fireAt order; moving, cancelling and dropping a workflow's
 * timers remove them; clear() leaves no Node timer behind.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DueTimer, TimerWheel } from '../../src/timers/index.js';

/** A wheel on a clock the test sets by hand, and what it reported. */
function wheel(): { wheel: TimerWheel; due: string[]; setNow: (ms: number) => void } {
  let nowMs = 0;
  const due: string[] = [];
  const w = new TimerWheel(
    (d: DueTimer) => due.push(`${d.workflowId}/${d.timerId}`),
    () => nowMs,
  );
  return { wheel: w, due, setNow: (ms) => (nowMs = ms) };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('TimerWheel', () => {
  it('never reports a timer before its fireAtMs, even when the Node timer fires while the clock lags', () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('o-1', 'sleep:1', 1_000);
    setNow(400); // the clock lags the Node timer by 600 ms
    vi.advanceTimersByTime(1_000);
    expect(due).toEqual([]);
    setNow(999);
    vi.advanceTimersByTime(600);
    expect(due).toEqual([]);
    expect(w.size).toBe(1);
    setNow(1_000);
    vi.advanceTimersByTime(1);
    expect(due).toEqual(['o-1/sleep:1']);
    expect(w.size).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(due).toEqual(['o-1/sleep:1']); // once
  });

  it('reports a timer already due at once', () => {
    const { wheel: w, due, setNow } = wheel();
    setNow(5_000);
    w.schedule('o-1', 'retry:1:1', 4_000);
    vi.advanceTimersByTime(0);
    expect(due).toEqual(['o-1/retry:1:1']);
  });

  it('reports due timers in fireAt order, whatever order they were scheduled in', () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('c', 'sleep:1', 300);
    w.schedule('a', 'sleep:1', 100);
    w.schedule('d', 'sleep:1', 400);
    w.schedule('b', 'sleep:1', 200);
    setNow(1_000); // all four are due when the first Node timer fires
    vi.advanceTimersByTime(100);
    expect(due).toEqual(['a/sleep:1', 'b/sleep:1', 'c/sleep:1', 'd/sleep:1']);
  });

  it('reports timers one by one as the clock reaches each', () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('o-1', 'late', 200);
    w.schedule('o-1', 'early', 100);
    setNow(100);
    vi.advanceTimersByTime(100);
    expect(due).toEqual(['o-1/early']);
    setNow(200);
    vi.advanceTimersByTime(100);
    expect(due).toEqual(['o-1/early', 'o-1/late']);
  });

  it('a rescheduled timer fires at its new time only', () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('o-1', 't', 100);
    w.schedule('o-1', 't', 500);
    setNow(100);
    vi.advanceTimersByTime(100);
    expect(due).toEqual([]);
    expect(w.size).toBe(1);
    setNow(500);
    vi.advanceTimersByTime(400);
    expect(due).toEqual(['o-1/t']);
  });

  it('a cancelled timer is never reported; the others still are', () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('o-1', 'signal:2', 100);
    w.schedule('o-1', 'sleep:3', 100);
    w.cancel('o-1', 'signal:2');
    w.cancel('o-1', 'not-there');
    expect(w.size).toBe(1);
    setNow(100);
    vi.advanceTimersByTime(100);
    expect(due).toEqual(['o-1/sleep:3']);
  });

  it("dropWorkflow removes that workflow's timers and no other's", () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('o-1', 'sleep:1', 100);
    w.schedule('o-1', 'retry:2:1', 150);
    w.schedule('o-2', 'sleep:1', 120);
    w.dropWorkflow('o-1');
    expect(w.size).toBe(1);
    setNow(1_000);
    vi.advanceTimersByTime(1_000);
    expect(due).toEqual(['o-2/sleep:1']);
  });

  it('timers of different workflows with the same timerId are distinct', () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('o-1', 'sleep:1', 100);
    w.schedule('o-2', 'sleep:1', 100);
    w.cancel('o-1', 'sleep:1');
    setNow(100);
    vi.advanceTimersByTime(100);
    expect(due).toEqual(['o-2/sleep:1']);
  });

  it('clear() removes every timer and leaves no Node timer armed', () => {
    const { wheel: w, due, setNow } = wheel();
    w.schedule('o-1', 'sleep:1', 100);
    w.schedule('o-2', 'sleep:1', 200);
    expect(vi.getTimerCount()).toBe(1); // one Node timer, for the earliest entry
    w.clear();
    expect(w.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    setNow(1_000);
    vi.advanceTimersByTime(1_000);
    expect(due).toEqual([]);
  });

  it('a timer beyond the setTimeout limit is not reported when the capped Node timer fires', () => {
    const { wheel: w, due, setNow } = wheel();
    const far = 3_000_000_000; // > 2^31 − 1 ms
    w.schedule('o-1', 'sleep:1', far);
    setNow(2_147_483_647);
    vi.advanceTimersByTime(2_147_483_647);
    expect(due).toEqual([]);
    setNow(far);
    vi.advanceTimersByTime(far - 2_147_483_647);
    expect(due).toEqual(['o-1/sleep:1']);
  });
});
