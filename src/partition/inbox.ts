/**
 * A partition owner's inbox: the one queue every source of inputs (commands, step outcomes, due timers,
 * body intents) writes to, and the tick loop reads from (partition-owner I1).
 *
 * I1. Order is kept per source; inputs a tick could not take go back to the front, in order.
 * I2. `next()` sleeps until an input arrives or `wake()` is called (for stop), never polls.
 */
import type { Input } from '../machine/index.js';

/** The owner's queue of inputs. */
export class Inbox {
  private items: Input[] = [];
  private waiter: (() => void) | undefined;

  /** Inputs waiting. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an input and wakes the loop. */
  push(input: Input): void {
    this.items.push(input);
    this.wake();
  }

  /** Puts inputs a tick did not take back at the front (I1). */
  returnToFront(inputs: readonly Input[]): void {
    if (inputs.length > 0) this.items.unshift(...inputs);
  }

  /** Removes and returns up to `max` inputs. */
  take(max: number): Input[] {
    return this.items.splice(0, max);
  }

  /** Removes and returns up to `max` body intents, in order, leaving every other input in place. */
  takeIntents(max: number): Input[] {
    const intents: Input[] = [];
    const kept: Input[] = [];
    for (const input of this.items) {
      if (input.kind === 'intent' && intents.length < max) intents.push(input);
      else kept.push(input);
    }
    this.items = kept;
    return intents;
  }

  /** Resolves once an input is waiting or `wake()` is called (I2). */
  async next(): Promise<void> {
    if (this.items.length > 0) return;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
    this.waiter = undefined;
  }

  /** Wakes a pending `next()`. */
  wake(): void {
    this.waiter?.();
  }

  /** Drops every input. */
  clear(): void {
    this.items = [];
    this.wake();
  }
}
