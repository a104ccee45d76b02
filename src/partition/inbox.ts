/**
 * A partition owner's inbox: the queues every source of inputs writes to (commands, step outcomes, due
 * timers, body intents), and the tick loop reads from (owner.ts I1).
 *
 * I1. Order is kept per queue; inputs a tick could not take go back to the front, in order.
 * I2. Body intents have a queue of their own, so a tick's second round takes them without scanning the
 *     rest, and every take looks at O(what it takes + SCAN_MAX) inputs.
 * I3. `next()` sleeps until an input arrives or `wake()` is called (for stop), never polls; nor does it
 *     return for inputs the last tick skipped, only for news.
 * I4. Commands are bounded by `inboxMax` through the owner (`canAccept`); the other inputs come from
 *     what is live on the partition (its runs, attempts and due timers), so they are bounded by it.
 * I5. Commands are taken in offset order and never past one that is skipped: a tick journals the position
 *     after the last command it took (CommandsConsumed), so every command below it must be in that tick or
 *     an earlier one. Other inputs may be taken around a skipped one.
 * I6. Body intents are taken before commands: under a stream of commands, the workflows already started
 *     reach their next wait (and can leave memory) before more start, so memory follows what is live.
 */
import type { Input } from '../machine/index.js';
import type { RunEntry } from './run-entry.js';

/** What a tick does with an input: takes it, leaves it for later, or drops it (stale). */
export type Verdict = (q: Queued) => 'take' | 'skip' | 'drop';

/** Inputs a take looks at beyond what it takes, at most (I2): skipped ones cost a bounded scan. */
export const SCAN_MAX = 1_000;

/** An input in the inbox; an intent keeps the run that made it, so a stale run's intents can be dropped. */
export interface Queued {
  readonly input: Input;
  readonly run?: RunEntry;
}

function isCommand(q: Queued): boolean {
  const kind = q.input.kind;
  return kind === 'command' || kind === 'badCommand' || kind === 'misrouted';
}

/** A FIFO with O(1) push and shift, and a front for returned items; it keeps nothing it handed out. */
class Fifo {
  private items: (Queued | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: Queued): void {
    this.items.push(item);
  }

  unshift(items: readonly Queued[]): void {
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  shift(): Queued | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined; // a consumed slot must not keep its run alive
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1_024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): Queued | undefined {
    return this.items[this.head];
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** The owner's queues of inputs. */
export class Inbox {
  private readonly others = new Fifo();
  private readonly intents = new Fifo();
  private waiter: (() => void) | undefined;
  private arrived = false;

  /** Inputs waiting. */
  get size(): number {
    return this.others.size + this.intents.size;
  }

  /** Commands, outcomes and timers waiting (I4). */
  get externalSize(): number {
    return this.others.size;
  }

  /** Adds an input and wakes the loop. */
  push(item: Queued): void {
    (item.input.kind === 'intent' ? this.intents : this.others).push(item);
    this.wake();
  }

  /** Puts inputs a tick did not take back at the front of their queues, in order (I1). */
  returnToFront(items: readonly Queued[]): void {
    const intents = items.filter((q) => q.input.kind === 'intent');
    const others = items.filter((q) => q.input.kind !== 'intent');
    if (intents.length > 0) this.intents.unshift(intents);
    if (others.length > 0) this.others.unshift(others);
  }

  /**
   * Removes up to `max` inputs — body intents first, then commands, outcomes and timers — that `verdict`
   * takes; ones it drops are gone, ones it skips stay, in order (I1). At most SCAN_MAX are looked at (I2).
   * Intents go first (I6): work already started moves on before new work comes in.
   */
  take(max: number, verdict: Verdict = () => 'take'): Queued[] {
    const out: Queued[] = [];
    for (const fifo of [this.intents, this.others]) this.takeFrom(fifo, max, verdict, out);
    return out;
  }

  /** Removes up to `max` body intents, in order, as `take` does (I2). */
  takeIntents(max: number, verdict: Verdict = () => 'take'): Queued[] {
    const out: Queued[] = [];
    this.takeFrom(this.intents, max, verdict, out);
    return out;
  }

  private takeFrom(fifo: Fifo, max: number, verdict: Verdict, out: Queued[]): void {
    const skipped: Queued[] = [];
    let commandSkipped = false;
    for (let scanned = 0; out.length < max && fifo.size > 0 && scanned < max + SCAN_MAX; scanned++) {
      const item = fifo.shift();
      if (item === undefined) break;
      const command = isCommand(item);
      const v = command && commandSkipped ? 'skip' : verdict(item); // I5
      if (v === 'take') out.push(item);
      else if (v === 'skip') {
        skipped.push(item);
        commandSkipped ||= command;
      }
    }
    if (skipped.length > 0) fifo.unshift(skipped);
  }

  /** The next input `take` would return first, without taking it. */
  peek(): Queued | undefined {
    return this.others.peek() ?? this.intents.peek();
  }

  /**
   * Resolves once an input is waiting or `wake()` is called (I3). With `fresh`, waiting inputs do not
   * count, only one pushed since the last call: the loop's last tick skipped all of them (they wait for
   * step-queue room, which a step outcome's arrival brings), and polling them would spin.
   */
  async next(fresh = false): Promise<void> {
    const ready = this.arrived || (!fresh && this.size > 0);
    this.arrived = false;
    if (ready) return;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
    this.waiter = undefined;
    this.arrived = false;
  }

  /** Wakes a pending `next()`. */
  wake(): void {
    this.arrived = true;
    this.waiter?.();
  }

  /** Drops every input. */
  clear(): void {
    this.others.clear();
    this.intents.clear();
    this.wake();
  }
}
