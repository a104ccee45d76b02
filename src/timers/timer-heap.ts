/**
 * A binary min-heap: push and pop in O(log n), peek in O(1). Used for the nearest timers of a partition.
 *
 * I1. `compare(a, b) < 0` means a comes out first; equal items come out in no particular order.
 */

/** A min-heap of T ordered by `compare` (I1). */
export class Heap<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  /** Items held. */
  get size(): number {
    return this.items.length;
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds an item. */
  push(item: T): void {
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Removes every item and returns them, in no particular order. */
  drain(): T[] {
    return this.items.splice(0, this.items.length);
  }

  private at(i: number): T {
    return this.items[i] as T;
  }

  private swap(i: number, j: number): void {
    const t = this.at(i);
    this.items[i] = this.at(j);
    this.items[j] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(this.at(i), this.at(parent)) >= 0) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < n && this.compare(this.at(left), this.at(least)) < 0) least = left;
      if (right < n && this.compare(this.at(right), this.at(least)) < 0) least = right;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }
}
