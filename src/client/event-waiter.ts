/**
 * Routes `ns.events` messages to whoever waits for them: result waiters by workflow id, status queries by
 * request id. Pure bookkeeping; the Client owns the consumer that feeds it.
 *
 * I1. A waiter is settled at most once and removed when settled or timed out.
 * I2. At most `waitersMax` waiters at once; one more is refused with a LimitError (client.ts I6).
 */
import type { WorkflowEvent } from '../machine/index.js';
import { LimitError } from '../workflow/index.js';

type Listener = (event: WorkflowEvent) => boolean;

/** Registry of event listeners. */
export class EventWaiter {
  private readonly byId = new Map<string, Set<Listener>>();
  private count = 0;

  constructor(private readonly waitersMax: number) {}

  /** Waiters now. */
  get size(): number {
    return this.count;
  }

  /** Delivers `event` to the listeners of its workflow; a listener returning true is removed (I1). */
  dispatch(event: WorkflowEvent): void {
    const listeners = this.byId.get(event.id);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) if (listener(event)) listeners.delete(listener);
    if (listeners.size === 0) this.byId.delete(event.id);
  }

  /** Waits until `accept` returns a value for an event of workflow `id`, or `timeoutMs` passes. */
  wait<T>(
    id: string,
    accept: (event: WorkflowEvent) => T | undefined,
    timeoutMs: number,
    onTimeout: () => Error,
  ): Promise<T> {
    if (this.count >= this.waitersMax) {
      const message = `${this.count} waits are open, the waitersMax limit of this client`;
      return Promise.reject(
        new LimitError(message, { limit: 'waitersMax', max: this.waitersMax, actual: this.count + 1 }),
      ); // I2
    }
    return new Promise<T>((resolve, reject) => {
      const listeners = this.byId.get(id) ?? new Set<Listener>();
      this.byId.set(id, listeners);
      this.count++;
      const remove = (): void => {
        this.count--;
        listeners.delete(listener);
        if (listeners.size === 0 && this.byId.get(id) === listeners) this.byId.delete(id);
      };
      const timer = setTimeout(() => {
        remove();
        reject(onTimeout());
      }, timeoutMs);
      const listener: Listener = (event) => {
        const value = accept(event);
        if (value === undefined) return false;
        clearTimeout(timer);
        this.count--;
        resolve(value);
        return true;
      };
      listeners.add(listener);
    });
  }
}
