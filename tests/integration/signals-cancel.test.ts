import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, TimeoutError, workflow } from '../../src/index.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { Engine, recordsOf } from '../support/engine.js';
import { gate } from '../support/gate.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

function kinds(records: readonly JournalRecord[]): string[] {
  return records.map((r) => r.body.kind);
}

/** Polls the journal until workflow `id` has a record of `kind`; returns the workflow's records. */
async function journalUntil(engine: Engine, id: string, kind: string): Promise<JournalRecord[]> {
  return waitFor(
    async () => {
      const records = recordsOf(await engine.journal(), id);
      return records.some((r) => r.body.kind === kind) ? records : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 100, message: `workflow ${id} never journaled ${kind}` },
  );
}

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('signals', () => {
  it('a signal sent as a raw JSON command wakes the waiting body with its payload', async () => {
    engine = new Engine(uniqueNamespace('rawsignal'));
    const approval = workflow('approval', async (ctx) => {
      const answer = await ctx.signal<{ ok: boolean }>('approval');
      return { answer };
    });
    await engine.executor({ workflows: [approval] });
    const client = engine.client();
    const handle = await client.start(approval, { id: 'a-1' });
    await journalUntil(engine, 'a-1', 'SignalAwaited');

    const producer = await engine.rawProducer();
    await producer.send({
      topic: `${engine.namespace}.commands`,
      acks: -1,
      messages: [
        { key: 'a-1', value: '{"type":"signal","id":"a-1","name":"approval","payload":{"ok":true}}' },
      ],
    });

    expect(await handle.result({ timeout: '20s' })).toEqual({ answer: { ok: true } });
    const records = recordsOf(await engine.journal(), 'a-1');
    expect(kinds(records)).toEqual([
      'WorkflowStarted',
      'SignalAwaited',
      'SignalReceived',
      'SignalConsumed',
      'WorkflowCompleted',
    ]);
    const received = records[2];
    const consumed = records[3];
    expect(received?.body).toMatchObject({ name: 'approval', payload: { ok: true } });
    expect(consumed?.body).toMatchObject({
      name: 'approval',
      payload: { ok: true },
      signalSeq: received?.seq,
      callSeq: records[1]?.body.kind === 'SignalAwaited' ? records[1].body.callSeq : -1,
    });
  });

  it('a signal sent before the body waits for it is buffered and consumed when the body asks', async () => {
    engine = new Engine(uniqueNamespace('earlysignal'));
    // The body is held inside `busy` until the signal is journaled, so it is in the mailbox before the
    // body asks for it.
    const busy = gate();
    const later = workflow('later', async (ctx) => {
      await ctx.step('busy', async () => {
        await busy.promise;
        return 'done';
      });
      const payload = await ctx.signal('approval');
      return { payload };
    });
    await engine.executor({ workflows: [later] });
    const client = engine.client();
    const handle = await client.start(later, { id: 'l-1' });
    try {
      await journalUntil(engine, 'l-1', 'StepStarted');
      await client.signal('l-1', 'approval', { ok: 'early' });
      await journalUntil(engine, 'l-1', 'SignalReceived');
    } finally {
      busy.open();
    }

    expect(await handle.result({ timeout: '20s' })).toEqual({ payload: { ok: 'early' } });
    const records = recordsOf(await engine.journal(), 'l-1');
    // The signal was in the mailbox before the body asked, so no SignalAwaited is ever journaled.
    expect(kinds(records)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'SignalReceived',
      'StepCompleted',
      'SignalConsumed',
      'WorkflowCompleted',
    ]);
    const received = records.find((r) => r.body.kind === 'SignalReceived');
    const consumed = records.find((r) => r.body.kind === 'SignalConsumed');
    expect(consumed?.body).toMatchObject({ name: 'approval', signalSeq: received?.seq });
  });

  it('a signal wait that times out raises TimeoutError in the body', async () => {
    engine = new Engine(uniqueNamespace('sigtimeout'));
    const impatient = workflow('impatient', async (ctx) => {
      try {
        await ctx.signal('never', { timeout: '300ms' });
        return { timedOut: false, name: '' };
      } catch (err) {
        return { timedOut: err instanceof TimeoutError, name: (err as Error).name };
      }
    });
    await engine.executor({ workflows: [impatient] });
    const client = engine.client();
    const handle = await client.start(impatient, { id: 'i-1' });

    expect(await handle.result({ timeout: '20s' })).toEqual({ timedOut: true, name: 'TimeoutError' });
    const records = recordsOf(await engine.journal(), 'i-1');
    expect(kinds(records)).toEqual([
      'WorkflowStarted',
      'SignalAwaited',
      'TimerScheduled',
      'TimerFired',
      'WorkflowCompleted',
    ]);
    const scheduled = records[2];
    const fired = records[3];
    expect(scheduled?.body).toMatchObject({ purpose: 'signal-timeout' });
    const fireAtMs = scheduled?.body.kind === 'TimerScheduled' ? scheduled.body.fireAtMs : 0;
    expect(fireAtMs - (scheduled?.atMs ?? 0)).toBe(300);
    expect(fired?.atMs).toBeGreaterThanOrEqual(fireAtMs);
  });
});

describe('cancel', () => {
  it('cancelling a running workflow runs its compensations and ends it WorkflowCancelled', async () => {
    engine = new Engine(uniqueNamespace('cancel'));
    const undone: string[] = [];
    const order = workflow('order', async (ctx) => {
      await ctx.step('a', () => 'reserved', { compensate: () => undone.push('a') });
      await ctx.signal('never');
      return 'unreachable';
    });
    await engine.executor({ workflows: [order] });
    const client = engine.client();
    const handle = await client.start(order, { id: 'c-1' });
    await journalUntil(engine, 'c-1', 'SignalAwaited');

    await client.cancel('c-1', 'customer changed mind');
    const error = await handle.result({ timeout: '20s' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect(undone).toEqual(['a']);

    const records = recordsOf(await engine.journal(), 'c-1');
    expect(kinds(records)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'SignalAwaited',
      'CancelRequested',
      'CallRejected', // the open signal wait, rejected by the cancel (decide-command.ts I4)
      'CompensationStarted',
      'StepStarted',
      'StepCompleted',
      'WorkflowCancelled',
    ]);
    expect(records[4]?.body).toMatchObject({ reason: 'customer changed mind' });
    expect(records[5]?.body).toMatchObject({
      callSeq: 2,
      callKind: 'signal',
      error: { name: 'CancelledError' },
    });
    expect(records[6]?.body).toMatchObject({ steps: ['a'] });
    expect(records[8]?.body).toMatchObject({ name: 'compensate:a' });
    expect(records[9]?.body).toMatchObject({ reason: 'customer changed mind' });
  });

  it('a cancel during a step’s retry backoff stops the step: no attempt starts after the cancel', async () => {
    engine = new Engine(uniqueNamespace('cancelretry'));
    const attemptStarts: number[] = [];
    const undone: string[] = [];
    const order = workflow('order', async (ctx) => {
      await ctx.step('a', () => 'reserved', { compensate: () => undone.push('a') });
      await ctx.step(
        'b',
        () => {
          attemptStarts.push(Date.now());
          throw new Error('gateway unavailable');
        },
        // A backoff far longer than the test: the cancel surely arrives while the retry waits.
        { retry: { maxAttempts: 5, initialInterval: '1h', backoffCoefficient: 1 } },
      );
      return 'unreachable';
    });
    await engine.executor({ workflows: [order] });
    const client = engine.client();
    const handle = await client.start(order, { id: 'cr-1' });
    await journalUntil(engine, 'cr-1', 'TimerScheduled'); // b failed once and waits for its retry

    await client.cancel('cr-1', 'customer changed mind');
    const error = await handle.result({ timeout: '20s' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect(undone).toEqual(['a']);

    const records = recordsOf(await engine.journal(), 'cr-1');
    const cancelIndex = records.findIndex((r) => r.body.kind === 'CancelRequested');
    expect(cancelIndex).toBeGreaterThan(0);
    const cancelAt = records[cancelIndex]?.atMs ?? 0;
    const afterCancel = records.slice(cancelIndex);
    // The cancel rejects step b (dropping its retry timer), a's compensation runs, the workflow ends:
    // b is neither fired nor re-run.
    expect(kinds(afterCancel)).toEqual([
      'CancelRequested',
      'CallRejected',
      'CompensationStarted',
      'StepStarted',
      'StepCompleted',
      'WorkflowCancelled',
    ]);
    expect(afterCancel[1]?.body).toMatchObject({ callKind: 'step', name: 'b' });
    expect(records.filter((r) => r.body.kind === 'TimerFired')).toHaveLength(0);
    expect(attemptStarts).toHaveLength(1);
    expect(attemptStarts.filter((t) => t >= cancelAt)).toEqual([]);
  });
});
