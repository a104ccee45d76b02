/**
 * Proves the binary min-heap under the timer queue (timer-heap.ts I1): items come out in `compare` order
 * whatever order they went in (table of shapes, and seeded random interleavings of push and pop checked
 * against a sorted reference; the seed is printed); peek never removes; an empty heap pops undefined;
 * drain empties it; equal items all come out; and push and pop cost O(log n) comparisons.
 */
import { describe, expect, it } from 'vitest';
import { Heap } from '../../src/timers/index.js';

const byNumber = (a: number, b: number): number => a - b;

function popAll<T>(heap: Heap<T>): T[] {
  const out: T[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
  return out;
}

/** Small seeded PRNG (an LCG), so a failing case can be replayed from its printed seed. */
function seededRandom(seed: number): () => number {
  let state = seed % 2_147_483_647 || 1;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

describe('Heap ordering', () => {
  it.each([
    ['ascending', [1, 2, 3, 4, 5, 6, 7]],
    ['descending', [7, 6, 5, 4, 3, 2, 1]],
    ['interleaved', [4, 1, 7, 3, 6, 2, 5]],
    ['with duplicates', [3, 1, 3, 2, 1, 3, 2]],
    ['one item', [42]],
    ['negative and fractional', [0.5, -3, 2, -0.25, 1e9, -1e9]],
  ])('pops %s pushes in ascending order', (_shape, items) => {
    const heap = new Heap(byNumber);
    for (const item of items) heap.push(item);
    expect(heap.size).toBe(items.length);
    expect(popAll(heap)).toEqual([...items].sort(byNumber));
    expect(heap.size).toBe(0);
  });

  it('peek shows the first item without removing it; an empty heap peeks and pops undefined', () => {
    const heap = new Heap(byNumber);
    expect([heap.peek(), heap.pop(), heap.size]).toEqual([undefined, undefined, 0]);
    heap.push(5);
    heap.push(2);
    expect([heap.peek(), heap.peek(), heap.size]).toEqual([2, 2, 2]);
  });

  it('orders by the comparator only: equal items all come out, next to each other', () => {
    const heap = new Heap<{ at: number; id: string }>((a, b) => a.at - b.at);
    const items = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => ({ at: i % 2, id }));
    for (const item of items) heap.push(item);
    const out = popAll(heap);
    expect(out.map((i) => i.at)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(out.map((i) => i.id).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('drain removes every item and leaves an empty heap that still works', () => {
    const heap = new Heap(byNumber);
    for (const item of [3, 1, 2]) heap.push(item);
    expect(heap.drain().sort(byNumber)).toEqual([1, 2, 3]);
    expect(heap.size).toBe(0);
    heap.push(9);
    heap.push(8);
    expect(popAll(heap)).toEqual([8, 9]);
  });
});

describe('Heap against a sorted reference (seeded)', () => {
  it('agrees with a sorted array over random pushes and pops', () => {
    const seed = Number(process.env.HEAP_SEED ?? Date.now() % 1_000_000);
    console.log(`timer heap seed: ${seed} (rerun with HEAP_SEED=${seed})`);
    const random = seededRandom(seed);
    for (let round = 0; round < 20; round++) {
      const heap = new Heap(byNumber);
      const reference: number[] = [];
      const ops = 200 + Math.floor(random() * 2_000);
      for (let op = 0; op < ops; op++) {
        if (random() < 0.6) {
          const item = Math.floor(random() * 500); // a small range, so ties are frequent
          heap.push(item);
          reference.push(item);
          reference.sort(byNumber);
        } else {
          expect(heap.pop(), `seed ${seed}, round ${round}, op ${op}`).toBe(reference.shift());
        }
        expect(heap.peek(), `seed ${seed}, round ${round}, op ${op}`).toBe(reference[0]);
        expect(heap.size).toBe(reference.length);
      }
      expect(popAll(heap), `seed ${seed}, round ${round}`).toEqual(reference);
    }
  });
});

describe('Heap cost', () => {
  it('push and pop each take at most 2·log2(n) + 2 comparisons for 100,000 items', () => {
    let compares = 0;
    const heap = new Heap<number>((a, b) => {
      compares++;
      return a - b;
    });
    const n = 100_000;
    const bound = 2 * Math.log2(n) + 2;
    const random = seededRandom(7);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const before = compares;
      heap.push(Math.floor(random() * 1e9));
      worst = Math.max(worst, compares - before);
    }
    expect(worst).toBeLessThanOrEqual(bound);
    worst = 0;
    for (let i = 0; i < n; i++) {
      const before = compares;
      heap.pop();
      worst = Math.max(worst, compares - before);
    }
    expect(worst).toBeLessThanOrEqual(bound);
  });
});
