/**
 * The adaptive fetch wait (src/kafka/fetch-wait.ts): short while records flow, a partition is paused, the
 * group was just joined or a seek woke it; long once nothing came for `idleAfterMs`; never longer than a
 * third of the group session; and `stop` tells the listeners (one per fetch in flight) once.
 */
import { describe, expect, it } from 'vitest';
import { FetchWait, fetchWaitLimits, IDLE_AFTER_MS, IDLE_FETCH_WAIT_MS } from '../../src/kafka/fetch-wait.js';

const limits = { activeMs: 100, idleMs: 2_000, idleAfterMs: 1_000 };

describe('a fetch wait', () => {
  it('is short until nothing came for idleAfterMs, then long', () => {
    const wait = new FetchWait(limits, 0);
    expect(wait.next(1, 0, 0)).toBe(100);
    expect(wait.next(1, 0, 999)).toBe(100);
    expect(wait.next(1, 0, 1_000)).toBe(2_000);
    expect(wait.next(1, 0, 60_000)).toBe(2_000);
  });

  it('is short again after a fetch that brought records, and idle again idleAfterMs later', () => {
    const wait = new FetchWait(limits, 0);
    expect(wait.next(1, 0, 0)).toBe(100); // the group's first generation: just joined
    wait.fetched(0, 5_000);
    expect(wait.next(1, 0, 5_000)).toBe(2_000); // an empty fetch is not activity
    wait.fetched(3, 5_000);
    expect(wait.next(1, 0, 5_001)).toBe(100);
    expect(wait.next(1, 0, 6_000)).toBe(2_000);
  });

  it('stays short while a partition is paused, so a resume never waits out a long fetch', () => {
    const wait = new FetchWait(limits, 0);
    for (let now = 0; now <= 10_000; now += 500) {
      expect(wait.next(1, 1, now)).toBe(100); // fetched while paused
      wait.fetched(0, now);
      expect(wait.next(1, 0, now + 400)).toBe(100);
    }
    wait.fetched(0, 10_500); // resumed at 10,000: quiet since then
    expect(wait.next(1, 0, 10_900)).toBe(100);
    expect(wait.next(1, 0, 11_000)).toBe(2_000);
  });

  it('is short after the group is joined again (a new generation) and after a wake', () => {
    const wait = new FetchWait(limits, 0);
    expect(wait.next(1, 0, 0)).toBe(100);
    expect(wait.next(1, 0, 5_000)).toBe(2_000);
    expect(wait.next(2, 0, 6_000)).toBe(100); // a rebalance: hear of the next one soon
    expect(wait.next(2, 0, 7_000)).toBe(2_000);
    wait.wake(8_000);
    expect(wait.next(2, 0, 8_500)).toBe(100);
  });

  it('is short for a fetch made while a partition is paused, even after a long quiet', () => {
    const wait = new FetchWait(limits, 0);
    expect(wait.next(1, 0, 0)).toBe(100);
    expect(wait.next(1, 0, 5_000)).toBe(2_000);
    expect(wait.next(1, 2, 6_000)).toBe(100);
  });

  it('tells the listeners of its stop once, and keeps none that unsubscribed', () => {
    const wait = new FetchWait(limits, 0);
    const told: string[] = [];
    const offA = wait.onStop(() => told.push('a'));
    wait.onStop(() => told.push('b'));
    expect(wait.listening).toBe(2);
    offA();
    expect(wait.listening).toBe(1);
    expect(wait.stopped).toBe(false);
    wait.stop();
    wait.stop();
    expect(told).toEqual(['b']);
    expect(wait.stopped).toBe(true);
    expect(wait.listening).toBe(0);
  });

  it('refuses limits where the idle wait is shorter than the active one, or a wait is not positive', () => {
    expect(() => new FetchWait({ activeMs: 500, idleMs: 100, idleAfterMs: 0 }, 0)).toThrow(RangeError);
    expect(() => new FetchWait({ activeMs: 0, idleMs: 100, idleAfterMs: 0 }, 0)).toThrow(RangeError);
    expect(() => new FetchWait({ activeMs: 100, idleMs: 100, idleAfterMs: -1 }, 0)).toThrow(RangeError);
  });
});

describe("a consumer's fetch waits", () => {
  it('wait IDLE_FETCH_WAIT_MS when idle, but at most a third of the group session', () => {
    expect(fetchWaitLimits(500, 30_000)).toEqual({
      activeMs: 500,
      idleMs: IDLE_FETCH_WAIT_MS,
      idleAfterMs: IDLE_AFTER_MS,
    });
    expect(fetchWaitLimits(500, 6_000).idleMs).toBe(2_000);
    expect(fetchWaitLimits(500, 1_200).idleMs).toBe(500); // never below the active wait
  });
});
