/**
 * The client's command batcher (src/client/command-batcher.ts): concurrent commands share a produce (one
 * that goes out once the microtask queue drains, before the next loop turn), each produce keeps to its
 * limits, each caller learns its own produce's outcome, and the queue is bounded.
 */
import { describe, expect, it } from 'vitest';
import { type BatchedMessage, CommandBatcher } from '../../src/client/command-batcher.js';
import { microtasksDrained } from '../../src/event-loop.js';
import { LimitError } from '../../src/workflow/index.js';

const message = (i: number, bytes = 10): BatchedMessage => ({ key: `k${i}`, value: Buffer.alloc(bytes, i) });

/** A produce that records its batches and waits for `release` before it acknowledges. */
function recorder() {
  const batches: string[][] = [];
  let gate: (() => void) | undefined;
  let failNext: Error | undefined;
  const produce = async (messages: readonly BatchedMessage[]): Promise<void> => {
    batches.push(messages.map((m) => m.key));
    await new Promise<void>((resolve) => {
      gate = resolve;
    });
    const error = failNext;
    failNext = undefined;
    if (error !== undefined) throw error;
  };
  return {
    batches,
    produce,
    release: () => gate?.(),
    failNextWith: (error: Error) => {
      failNext = error;
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CommandBatcher', () => {
  it('sends the commands of one turn as one produce, and those sent meanwhile as the next', async () => {
    const r = recorder();
    const batcher = new CommandBatcher(r.produce);
    const first = Array.from({ length: 100 }, (_, i) => batcher.send(message(i)));
    await turn();
    expect(r.batches.map((b) => b.length)).toEqual([100]);
    const second = Array.from({ length: 30 }, (_, i) => batcher.send(message(100 + i)));
    await turn();
    expect(r.batches).toHaveLength(1); // waits for the produce in flight
    r.release();
    await Promise.all(first);
    await turn();
    expect(r.batches.map((b) => b.length)).toEqual([100, 30]);
    r.release();
    await Promise.all(second);
    expect(batcher.queued).toBe(0);
  });

  it('sends once the microtask queue drains, without a loop turn, with every command asked for in the drain', async () => {
    const r = recorder();
    const batcher = new CommandBatcher(r.produce);
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    // Callers woken together (say by one event batch) reach send() after different numbers of awaits.
    const sends = [0, 1, 2].map(async (depth) => {
      for (let i = 0; i < depth * 50; i++) await null;
      return batcher.send(message(depth));
    });
    await microtasksDrained();
    expect(r.batches).toEqual([['k0', 'k1', 'k2']]);
    expect(turned).toBe(false);
    r.release();
    await Promise.all(sends);
  });

  it('keeps each produce within batchMax commands and batchBytesMax bytes, never splitting one', async () => {
    const r = recorder();
    const batcher = new CommandBatcher(r.produce, { batchMax: 4, batchBytesMax: 100, queuedMax: 1_000 });
    const sent = [
      ...Array.from({ length: 6 }, (_, i) => batcher.send(message(i))), // 6 × 10 B: 4 + 2 by count
      batcher.send(message(6, 70)),
      batcher.send(message(7, 70)), // 70 + 70 > 100: two produces
      batcher.send(message(8, 150)), // over the byte budget alone: sent alone, whole
    ];
    for (let i = 0; i < 10; i++) {
      await turn();
      r.release();
    }
    await Promise.all(sent);
    expect(r.batches).toEqual([['k0', 'k1', 'k2', 'k3'], ['k4', 'k5', 'k6'], ['k7'], ['k8']]);
  });

  it("rejects exactly the callers whose produce failed, with that produce's error", async () => {
    const r = recorder();
    const batcher = new CommandBatcher(r.produce);
    const failed = [batcher.send(message(0)), batcher.send(message(1))];
    await turn();
    const later = batcher.send(message(2));
    r.failNextWith(new Error('broker down'));
    r.release();
    await expect(Promise.all(failed)).rejects.toThrow('broker down');
    await turn();
    r.release();
    await expect(later).resolves.toBeUndefined();
  });

  it('refuses a command past queuedMax with a LimitError, and takes more once the queue drains', async () => {
    const r = recorder();
    const batcher = new CommandBatcher(r.produce, { batchMax: 10, batchBytesMax: 1_000, queuedMax: 3 });
    const ok = [batcher.send(message(0)), batcher.send(message(1)), batcher.send(message(2))];
    await expect(batcher.send(message(3))).rejects.toBeInstanceOf(LimitError);
    await turn();
    r.release();
    await Promise.all(ok);
    const more = batcher.send(message(4));
    await turn();
    r.release();
    await expect(more).resolves.toBeUndefined();
  });
});
