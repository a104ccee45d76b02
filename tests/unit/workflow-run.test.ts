/**
 * Proves WorkflowRun live, driven by the real machine (run-journal.ts): every call, steps included, is an
 * intent carrying its callSeq and origin; a call settles only from a committed record, so a step resolves
 * to its journaled result and a retriable failure settles nothing; ctx.now() is the journal time of the
 * record that resumed the body; ctx.random()/ctx.uuid() are a function of the workflow id; a TimerFired
 * ends a sleep or times out a signal wait according to the call's kind, never its timer id; a
 * CallRejected rejects the call with the error class its data names (LimitError, CancelledError,
 * KafkaRejectedError via fromErrorData), and the machine's openCallsMax rejection reaches the body so.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorData, JsonValue } from '../../src/journal/index.js';
import { cancelledError } from '../../src/machine/index.js';
import {
  CancelledError,
  KafkaRejectedError,
  LimitError,
  TerminalError,
  TimeoutError,
  WorkflowError,
  workflow,
} from '../../src/workflow/index.js';
import { callsOf, endingOf, Journal, T0 } from './run-journal.js';

const order = workflow('order', async (ctx) => {
  const valid = await ctx.step('validate', () => true);
  const charge = await ctx.step('charge', ({ idempotencyKey }) => `paid:${idempotencyKey}`);
  const tracking = await ctx.step('ship', () => 'Z1');
  return { valid, charge, tracking };
});

/** What a body saw of an error, as plain data. */
function seen(error: unknown): JsonValue {
  const e = error as Error & { code?: string; details?: JsonValue; reason?: string };
  return { name: e.name, code: e.code ?? null, message: e.message, details: e.details ?? null };
}

describe('WorkflowRun live: steps are intents, results come from the journal', () => {
  it('reports each step when the body makes it and continues only once its StepCompleted is committed', async () => {
    const j = await Journal.live(order);
    expect(j.sink.intents).toEqual([
      { type: 'step', callSeq: 1, name: 'validate', parentSeq: 0, attemptActive: false },
    ]);
    await j.pump(); // StepStarted committed: the attempt may run now, the body still waits
    expect(j.records.map((r) => r.body.kind)).toEqual(['WorkflowStarted', 'StepStarted']);
    expect(j.attempts).toEqual([{ workflowId: 'w-1', callSeq: 1, attempt: 1 }]);
    expect(j.sink.intents).toHaveLength(1);
    await j.runAttempts();
    expect(j.sink.intents[1]).toEqual({
      type: 'step',
      callSeq: 2,
      name: 'charge',
      parentSeq: 1, // made after call 1 in the same async context
      attemptActive: false,
    });
    await j.settle();
    expect(callsOf(j.sink.intents)).toEqual(['1:step:validate', '2:step:charge', '3:step:ship']);
    expect(endingOf(j.sink.intents)).toEqual({
      type: 'complete',
      result: { valid: true, charge: 'paid:w-1/2', tracking: 'Z1' },
    });
    expect(j.records.map((r) => r.body.kind).slice(-2)).toEqual(['StepCompleted', 'WorkflowCompleted']);
  });

  it('a step resolves to the result its committed record holds, not what its function returned', async () => {
    const j = await Journal.live(order);
    await j.pump();
    // The attempt never runs here: a takeover's journal already holds the outcome.
    const done = { attempt: 1, startedAtMs: T0, durationMs: 1 };
    await j.append({ kind: 'StepCompleted', callSeq: 1, name: 'validate', result: 'from-journal', ...done });
    j.attempts.length = 0;
    await j.settle();
    const dated = workflow('dated', async (ctx) =>
      ctx.step('when', () => ({ at: new Date(0), gone: undefined })),
    );
    const k = await Journal.live(dated);
    await k.settle();
    expect(endingOf(j.sink.intents)).toMatchObject({ result: { valid: 'from-journal' } });
    expect(endingOf(k.sink.intents)).toEqual({
      type: 'complete',
      result: { at: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('a retriable failure settles nothing: the retry timer starts attempt 2, whose result the body gets', async () => {
    const attempts: number[] = [];
    const flaky = workflow('flaky', async (ctx) =>
      ctx.step('call', ({ attempt }) => {
        attempts.push(attempt);
        if (attempt === 1) throw new Error('flaky');
        return `ok on ${attempt}`;
      }),
    );
    const j = await Journal.live(flaky);
    await j.settle();
    expect(j.records.map((r) => r.body.kind).slice(-3)).toEqual([
      'StepStarted',
      'StepFailed',
      'TimerScheduled',
    ]);
    expect(j.sink.intents).toHaveLength(1);
    await j.fireTimers(); // TimerFired and StepStarted(2) in one decision; the TimerFired settles nothing
    expect(j.records.map((r) => r.body.kind).slice(-2)).toEqual(['TimerFired', 'StepStarted']);
    expect(j.sink.intents).toHaveLength(1);
    await j.settle();
    expect(attempts).toEqual([1, 2]);
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: 'ok on 2' });
  });
});

describe('WorkflowRun live: deterministic context', () => {
  it('ctx.now() is the start time, then the journal time of the record that resumed the body', async () => {
    const body = workflow('clock', async (ctx) => {
      const times = [ctx.now()];
      await ctx.step('a', () => 1);
      times.push(ctx.now());
      await ctx.sleep('1h');
      times.push(ctx.now());
      return times;
    });
    const j = await Journal.live(body);
    await j.settle();
    await j.fireTimers();
    await j.settle();
    const at = (kind: string): number => j.records.find((r) => r.body.kind === kind)?.atMs ?? -1;
    expect(at('TimerFired')).toBeGreaterThanOrEqual(T0 + 3_600_000);
    expect(endingOf(j.sink.intents)).toEqual({
      type: 'complete',
      result: [T0, at('StepCompleted'), at('TimerFired')],
    });
  });

  const draws = workflow('draws', async (ctx) => ({
    r: [ctx.random(), ctx.random()],
    u: [ctx.uuid(), ctx.uuid()],
  }));

  async function drawn(workflowId: string): Promise<{ r: number[]; u: string[] }> {
    const j = await Journal.live(draws, { workflowId });
    const done = endingOf(j.sink.intents);
    if (done?.type !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(done)}`);
    return done.result as { r: number[]; u: string[] };
  }

  it('ctx.random() and ctx.uuid() are the same for one workflow id and differ across ids', async () => {
    const a1 = await drawn('o-1');
    const a2 = await drawn('o-1');
    const b = await drawn('o-2');
    expect(a2).toEqual(a1);
    expect(b.r[0]).not.toBe(a1.r[0]);
    expect(b.u[0]).not.toBe(a1.u[0]);
    for (const x of a1.r) expect(x >= 0 && x < 1).toBe(true);
    expect(a1.r[0]).not.toBe(a1.r[1]);
    for (const id of a1.u)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a1.u[0]).not.toBe(a1.u[1]);
  });
});

describe('WorkflowRun live: timers and signals', () => {
  it("ctx.sleep('3s') is a sleep intent of 3000 ms that ends when its timer fires", async () => {
    const body = workflow('nap', async (ctx) => {
      await ctx.sleep('3s');
      return 'woke';
    });
    const j = await Journal.live(body);
    expect(j.sink.intents).toEqual([{ type: 'sleep', callSeq: 1, durationMs: 3_000, parentSeq: 0 }]);
    await j.settle();
    expect(j.records.at(-1)?.body).toMatchObject({
      kind: 'TimerScheduled',
      purpose: 'sleep',
      fireAtMs: T0 + 3_010,
    });
    expect(j.ended()).toBe(false);
    await j.fireTimers();
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: 'woke' });
  });

  it('a signal wait resolves with the payload the signal command brought', async () => {
    const body = workflow('wait', async (ctx) => ctx.signal('approve'));
    const j = await Journal.live(body);
    expect(j.sink.intents).toEqual([
      { type: 'signal', callSeq: 1, name: 'approve', timeoutMs: null, parentSeq: 0 },
    ]);
    await j.settle();
    await j.command({ type: 'signal', id: 'w-1', name: 'approve', payload: { by: 'ann' } });
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: { by: 'ann' } });
  });

  it('a signal wait with a timeout rejects with TimeoutError when its timer fires', async () => {
    const body = workflow('wait', async (ctx) => {
      try {
        return await ctx.signal('approve', { timeout: '5m' });
      } catch (error) {
        return seen(error);
      }
    });
    const j = await Journal.live(body);
    await j.settle();
    expect(j.records.map((r) => r.body.kind).slice(-2)).toEqual(['SignalAwaited', 'TimerScheduled']);
    await j.fireTimers();
    expect(endingOf(j.sink.intents)).toMatchObject({ result: { name: 'TimeoutError', code: 'LB_TIMEOUT' } });
  });

  it.each([
    { kind: 'sleep', call: 'sleep', expected: 'resolved' },
    { kind: 'signal wait', call: 'signal', expected: 'TimeoutError' },
    { kind: 'step', call: 'step', expected: 'pending' },
  ])(
    'a TimerFired ends a $kind by the call kind, whatever its timer id says ($expected)',
    async ({ call, expected }) => {
      let outcome = 'pending';
      const body = workflow('timers', async (ctx) => {
        const p =
          call === 'sleep'
            ? ctx.sleep('1h')
            : call === 'signal'
              ? ctx.signal('s', { timeout: '1h' })
              : ctx.step('s', () => 1);
        await p.then(
          () => {
            outcome = 'resolved';
          },
          (error: Error) => {
            outcome = error instanceof TimeoutError ? 'TimeoutError' : error.name;
          },
        );
      });
      const j = await Journal.live(body);
      // Delivered without deciding the intent: an id that parses as nothing, e.g. a writer's private format.
      await j.append({ kind: 'TimerFired', timerId: 'opaque/7', callSeq: 1 });
      expect(outcome).toBe(expected);
    },
  );
});

const error = (name: string, code: string, details: JsonValue = null): ErrorData => ({
  name,
  code,
  message: `${name} said no`,
  details,
});

describe('WorkflowRun live: CallRejected', () => {
  it.each([
    { data: error('LimitError', 'LB_LIMIT', { limit: 'openCallsMax', max: 1, actual: 2 }), type: LimitError },
    { data: cancelledError('changed my mind'), type: CancelledError },
    { data: error('KafkaRejectedError', 'LB_EMIT_REJECTED', { topic: 'nope' }), type: KafkaRejectedError },
    { data: error('TerminalError', 'LB_TERMINAL'), type: TerminalError },
    { data: error('MyError', 'X_MINE', { why: 1 }), type: WorkflowError },
  ])('a CallRejected of $data.name rejects the call with that class and its data', async ({ data, type }) => {
    let caught: unknown;
    const body = workflow('rejected', async (ctx) => {
      try {
        await ctx.emit('receipts', 'k', { n: 1 });
      } catch (e) {
        caught = e;
      }
      return ctx.step('after', () => 'next');
    });
    const j = await Journal.live(body);
    // The owner refused the emit itself (e.g. Kafka said no), so the rejection is the call's only record.
    await j.append({
      kind: 'CallRejected',
      callSeq: 1,
      callKind: 'emit',
      name: 'receipts',
      error: data,
      parentSeq: 0,
    });
    expect(caught).toBeInstanceOf(type);
    expect(caught).toMatchObject({ name: data.name, code: data.code, message: data.message });
    if (caught instanceof CancelledError) expect(caught.reason).toBe('changed my mind');
    else expect((caught as { details: unknown }).details).toEqual(data.details);
    await j.settle();
    expect(j.records.filter((r) => r.body.kind === 'Emitted')).toEqual([]); // the emit intent wrote nothing
    expect(callsOf(j.sink.intents)).toEqual(['1:emit:receipts', '2:step:after']);
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: 'next' });
  });

  it('a call over the machine’s openCallsMax fails with a LimitError naming the limit; the others run', async () => {
    const body = workflow('wide', async (ctx) => {
      const settled = await Promise.allSettled([1, 2, 3].map((n) => ctx.step(`s${n}`, () => n)));
      return settled.map((s) => (s.status === 'fulfilled' ? s.value : seen(s.reason)));
    });
    const j = await Journal.live(body, { machineLimits: { openCallsMax: 2 } });
    await j.settle();
    const done = endingOf(j.sink.intents);
    expect(done).toMatchObject({
      type: 'complete',
      result: [
        1,
        2,
        { name: 'LimitError', code: 'LB_LIMIT', details: { limit: 'openCallsMax', max: 2, actual: 3 } },
      ],
    });
    expect(j.records.filter((r) => r.body.kind === 'StepStarted').map((r) => r.body)).toMatchObject([
      { callSeq: 1 },
      { callSeq: 2 },
    ]);
  });
});
