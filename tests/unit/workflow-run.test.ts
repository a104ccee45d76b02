/**
 * Proves WorkflowRun, the runtime of a workflow body: it numbers the body's ctx calls, asks for the next
 * call only after the journal settled the previous one, and reports the result; a body replayed against
 * its history makes the same calls and returns the same result; a body that diverges from its history
 * parks as stuck with a NonDeterminismError naming the call; a failure runs the compensations of completed
 * steps in reverse order before failing; a cancel rejects the pending call; ctx.now(), ctx.random() and
 * ctx.uuid() are deterministic; sleeps and signal timeouts are journal-driven. Records are delivered by
 * hand, as the partition owner delivers committed records; the body runs between deliveries.
 */
import { describe, expect, it } from 'vitest';
import {
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type JsonValue,
  type RecordBody,
} from '../../src/journal/index.js';
import { applyRecord, type Intent, type PartitionState } from '../../src/machine/index.js';
import { type RecordedCall, type RunSink, type StepRequest, WorkflowRun } from '../../src/replay/index.js';
import {
  CancelledError,
  TimeoutError,
  type WorkflowBody,
  type WorkflowDefinition,
  workflow,
} from '../../src/workflow/index.js';

const T0 = 1_700_000_000_000;

/** A sink that keeps what the run reported. */
class RecordingSink implements RunSink {
  readonly intents: Intent[] = [];
  readonly steps: StepRequest[] = [];
  readonly intentIds = new Set<string>();
  intent(workflowId: string, intent: Intent): void {
    this.intentIds.add(workflowId);
    this.intents.push(intent);
  }
  step(request: StepRequest): void {
    this.steps.push(request);
  }
  stepNames(): string[] {
    return this.steps.map((s) => `${s.callSeq}:${s.name}`);
  }
}

/** Lets the body run up to its next ctx call (its continuations are microtasks). */
async function drain(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

/** A run of `definition` with its own sink, and a journal to deliver records from. */
class Harness {
  readonly sink = new RecordingSink();
  readonly run: WorkflowRun;
  private seq = 1; // WorkflowStarted

  constructor(
    definition: WorkflowDefinition,
    readonly workflowId = 'o-1',
    recorded: ReadonlyMap<number, RecordedCall> = new Map(),
    input: JsonValue = { sku: 'A' },
  ) {
    this.run = new WorkflowRun(definition, workflowId, input, T0, recorded, this.sink);
  }

  async start(): Promise<this> {
    this.run.start();
    await drain();
    return this;
  }

  /** Delivers one committed record at `atMs` and lets the body continue. */
  async deliver(body: RecordBody, atMs = T0 + this.seq * 10): Promise<void> {
    this.seq++;
    this.run.deliver({
      schemaVersion: JOURNAL_SCHEMA_VERSION,
      workflowId: this.workflowId,
      seq: this.seq,
      atMs,
      body,
    });
    await drain();
  }

  async completeStep(callSeq: number, name: string, result: JsonValue, atMs?: number): Promise<void> {
    await this.deliver(
      { kind: 'StepCompleted', callSeq, name, result, attempt: 1, startedAtMs: T0, durationMs: 1 },
      atMs,
    );
  }
}

function started(workflowId: string): JournalRecord {
  return {
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    workflowId,
    seq: 1,
    atMs: T0,
    body: {
      kind: 'WorkflowStarted',
      workflow: 'order',
      input: { sku: 'A' },
      idempotencyKey: null,
      parent: null,
    },
  };
}

/** The recorded calls of a history, as the partition owner derives them from machine state. */
function recordedCalls(history: readonly JournalRecord[]): Map<number, RecordedCall> {
  const state: PartitionState = new Map();
  for (const record of history) applyRecord(state, record);
  const ws = state.get(history[0]?.workflowId ?? '');
  return new Map([...(ws?.calls ?? [])].map(([seq, c]) => [seq, { kind: c.kind, name: c.name }]));
}

function completed(
  workflowId: string,
  seq: number,
  callSeq: number,
  name: string,
  result: JsonValue,
): JournalRecord {
  return {
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    workflowId,
    seq,
    atMs: T0 + seq * 10,
    body: { kind: 'StepCompleted', callSeq, name, result, attempt: 1, startedAtMs: T0, durationMs: 1 },
  };
}

const order = workflow('order', async (ctx) => {
  const valid = await ctx.step('validate', () => true);
  const charge = await ctx.step('charge', () => 42);
  const tracking = await ctx.step('ship', () => 'Z1');
  return { valid, charge, tracking };
});

const ORDER_HISTORY: readonly JournalRecord[] = [
  started('o-1'),
  completed('o-1', 2, 1, 'validate', true),
  completed('o-1', 3, 2, 'charge', 42),
  completed('o-1', 4, 3, 'ship', 'Z1'),
];

describe('WorkflowRun: live', () => {
  it('asks for each step only after the previous one is journaled, then completes with the result', async () => {
    const h = await new Harness(order).start();
    expect(h.sink.stepNames()).toEqual(['1:validate']);
    expect(h.sink.steps[0]).toMatchObject({ workflowId: 'o-1', retry: { maxAttempts: 3 } });
    await drain();
    expect(h.sink.stepNames()).toEqual(['1:validate']); // still waiting: nothing is committed yet
    await h.completeStep(1, 'validate', true);
    expect(h.sink.stepNames()).toEqual(['1:validate', '2:charge']);
    await h.completeStep(2, 'charge', 42);
    expect(h.sink.stepNames()).toEqual(['1:validate', '2:charge', '3:ship']);
    expect(h.sink.intents).toEqual([]);
    await h.completeStep(3, 'ship', 'Z1');
    expect(h.sink.intents).toEqual([
      { type: 'complete', result: { valid: true, charge: 42, tracking: 'Z1' } },
    ]);
    expect([...h.sink.intentIds]).toEqual(['o-1']);
  });

  it('a step returns the journaled result, not what its function returned', async () => {
    const h = await new Harness(order).start();
    await h.completeStep(1, 'validate', 'from-journal');
    await h.completeStep(2, 'charge', 7);
    await h.completeStep(3, 'ship', null);
    expect(h.sink.intents).toEqual([
      { type: 'complete', result: { valid: 'from-journal', charge: 7, tracking: null } },
    ]);
  });

  it('a retriable StepFailed does not settle the step', async () => {
    const h = await new Harness(order).start();
    const error = { name: 'Error', code: 'LB_STEP_FAILED', message: 'flaky', details: null };
    await h.deliver({
      kind: 'StepFailed',
      callSeq: 1,
      name: 'validate',
      error,
      attempt: 1,
      startedAtMs: T0,
      durationMs: 1,
      retryAtMs: T0 + 100,
    });
    expect(h.sink.stepNames()).toEqual(['1:validate']);
    expect(h.sink.intents).toEqual([]);
    expect(h.run.stepCall(1)?.name).toBe('validate');
  });
});

describe('WorkflowRun: replay', () => {
  it('a body fed its full history re-issues the same calls and completes with the same result', async () => {
    const live = await new Harness(order).start();
    for (const record of ORDER_HISTORY.slice(1)) {
      if (record.body.kind === 'StepCompleted')
        await live.completeStep(record.body.callSeq, record.body.name, record.body.result);
    }

    const sink = new RecordingSink();
    const replay = new WorkflowRun(order, 'o-1', { sku: 'A' }, T0, recordedCalls(ORDER_HISTORY), sink);
    replay.start();
    for (const record of ORDER_HISTORY) {
      replay.deliver(record);
      await drain();
    }
    expect(sink.stepNames()).toEqual(live.sink.stepNames());
    expect(sink.intents).toEqual(live.sink.intents);
    expect(sink.intents).toEqual([{ type: 'complete', result: { valid: true, charge: 42, tracking: 'Z1' } }]);
    expect(replay.isStuck()).toBe(false);
  });

  it.each<{ what: string; body: WorkflowBody<unknown, unknown>; callSeq: number }>([
    {
      what: 'a step name differs',
      body: async (ctx) => {
        await ctx.step('validate', () => true);
        await ctx.step('refund', () => 0);
        return 'never';
      },
      callSeq: 2,
    },
    {
      what: 'the call kind differs',
      body: async (ctx) => {
        await ctx.sleep('1s');
        return 'never';
      },
      callSeq: 1,
    },
    {
      what: 'the body returns before its recorded calls end',
      body: async (ctx) => {
        await ctx.step('validate', () => true);
        return 'early';
      },
      callSeq: 2,
    },
  ])(
    'a body whose calls diverge from the journal ($what) parks stuck at that call',
    async ({ body, callSeq }) => {
      const sink = new RecordingSink();
      const run = new WorkflowRun(
        workflow('order', body),
        'o-1',
        null,
        T0,
        recordedCalls(ORDER_HISTORY),
        sink,
      );
      run.start();
      for (const record of ORDER_HISTORY) {
        run.deliver(record);
        await drain();
      }
      expect(run.isStuck()).toBe(true);
      expect(sink.intents).toHaveLength(1);
      const [stuck] = sink.intents;
      if (stuck?.type !== 'stuck') throw new Error(`expected a stuck intent, got ${JSON.stringify(stuck)}`);
      expect(stuck.error.name).toBe('NonDeterminismError');
      expect(stuck.error.code).toBe('LB_NON_DETERMINISM');
      expect(stuck.error.message).toContain(`at call ${callSeq}`);
      expect(stuck.error.details).toMatchObject({ callSeq });
      // The diverging call never reaches the step runner.
      expect(sink.steps.every((s) => s.callSeq < callSeq)).toBe(true);
    },
  );
});

describe('WorkflowRun: compensation', () => {
  const undo = {
    reserve: () => 'unreserved',
    charge: () => 'refunded',
  };
  const saga = workflow('order', async (ctx) => {
    await ctx.step('reserve', () => 1, { compensate: undo.reserve });
    await ctx.step('log', () => 2);
    await ctx.step('charge', () => 3, { compensate: undo.charge });
    await ctx.step('ship', () => 4);
    return 'shipped';
  });
  const shipError = {
    name: 'CarrierDown',
    code: 'LB_RETRIES_EXHAUSTED',
    message: 'no carrier',
    details: { attempts: [] },
  };

  async function failedAtShip(): Promise<Harness> {
    const h = await new Harness(saga).start();
    await h.completeStep(1, 'reserve', 1);
    await h.completeStep(2, 'log', 2);
    await h.completeStep(3, 'charge', 3);
    await h.deliver({
      kind: 'StepFailed',
      callSeq: 4,
      name: 'ship',
      error: shipError,
      attempt: 3,
      startedAtMs: T0,
      durationMs: 1,
      retryAtMs: null,
    });
    return h;
  }

  it('a final StepFailed leads to a compensation intent listing compensable steps in reverse order', async () => {
    const h = await failedAtShip();
    expect(h.sink.intents).toEqual([
      { type: 'compensation', callSeq: 5, reason: shipError, steps: ['charge', 'reserve'] },
    ]);
  });

  it('compensation steps run one by one as compensate:<name>, then the workflow fails with the cause', async () => {
    const h = await failedAtShip();
    expect(h.sink.stepNames().slice(4)).toEqual(['6:compensate:charge']);
    const first = h.sink.steps[4];
    expect(first?.fn).toBe(undo.charge);
    expect(first?.retry.maxAttempts).toBe(10); // compensations retry longer than steps
    await h.completeStep(6, 'compensate:charge', 'refunded');
    expect(h.sink.stepNames().slice(4)).toEqual(['6:compensate:charge', '7:compensate:reserve']);
    expect(h.sink.steps[5]?.fn).toBe(undo.reserve);
    expect(h.sink.intents.map((i) => i.type)).toEqual(['compensation']);
    await h.completeStep(7, 'compensate:reserve', 'unreserved');
    expect(h.sink.intents.map((i) => i.type)).toEqual(['compensation', 'fail']);
    expect(h.sink.intents[1]).toEqual({ type: 'fail', error: shipError });
  });

  it('a failed compensation is reported in the failure details and the rest still run', async () => {
    const h = await failedAtShip();
    const undoError = {
      name: 'Error',
      code: 'LB_RETRIES_EXHAUSTED',
      message: 'refund failed',
      details: null,
    };
    await h.deliver({
      kind: 'StepFailed',
      callSeq: 6,
      name: 'compensate:charge',
      error: undoError,
      attempt: 10,
      startedAtMs: T0,
      durationMs: 1,
      retryAtMs: null,
    });
    expect(h.sink.stepNames().at(-1)).toBe('7:compensate:reserve');
    await h.completeStep(7, 'compensate:reserve', 'unreserved');
    expect(h.sink.intents[1]).toMatchObject({
      type: 'fail',
      error: {
        name: 'CarrierDown',
        details: {
          cause: { attempts: [] },
          compensationFailures: [{ step: 'charge', error: { message: 'refund failed' } }],
        },
      },
    });
  });

  it('a failure with nothing to compensate fails at once', async () => {
    const h = await new Harness(order).start();
    const error = { name: 'TerminalError', code: 'LB_TERMINAL', message: 'invalid', details: null };
    await h.deliver({
      kind: 'StepFailed',
      callSeq: 1,
      name: 'validate',
      error,
      attempt: 1,
      startedAtMs: T0,
      durationMs: 1,
      retryAtMs: null,
    });
    expect(h.sink.intents).toEqual([{ type: 'fail', error }]);
  });
});

describe('WorkflowRun: cancellation', () => {
  it('CancelRequested rejects the pending call with CancelledError and ends cancelled', async () => {
    const seen: unknown[] = [];
    const body = workflow('order', async (ctx) => {
      try {
        await ctx.step('validate', () => true);
      } catch (error) {
        seen.push(error);
        throw error;
      }
      return 'never';
    });
    const h = await new Harness(body).start();
    await h.deliver({ kind: 'CancelRequested', reason: 'customer asked' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(CancelledError);
    expect(seen[0]).toMatchObject({ name: 'CancelledError', code: 'LB_CANCELLED', reason: 'customer asked' });
    expect(h.sink.intents).toEqual([{ type: 'cancelled', reason: 'customer asked' }]);
  });

  it('after a cancel, a new call rejects at once and never reaches the step runner', async () => {
    const seen: string[] = [];
    const body = workflow('order', async (ctx) => {
      try {
        await ctx.step('validate', () => true);
      } catch {
        seen.push('first');
      }
      await ctx.step('charge', () => 1);
      return 'never';
    });
    const h = await new Harness(body).start();
    await h.deliver({ kind: 'CancelRequested', reason: 'r' });
    expect(seen).toEqual(['first']);
    expect(h.sink.stepNames()).toEqual(['1:validate']);
    expect(h.sink.intents).toEqual([{ type: 'cancelled', reason: 'r' }]);
  });

  it('a cancel runs the compensations of completed steps before ending cancelled', async () => {
    const body = workflow('order', async (ctx) => {
      await ctx.step('reserve', () => 1, { compensate: () => 0 });
      await ctx.sleep('1h');
      return 'never';
    });
    const h = await new Harness(body).start();
    await h.completeStep(1, 'reserve', 1);
    await h.deliver({ kind: 'CancelRequested', reason: 'r' });
    expect(h.sink.intents.map((i) => i.type)).toEqual(['sleep', 'compensation']);
    expect(h.sink.stepNames()).toEqual(['1:reserve', '4:compensate:reserve']);
    await h.completeStep(4, 'compensate:reserve', 0);
    expect(h.sink.intents.at(-1)).toEqual({ type: 'cancelled', reason: 'r' });
  });
});

describe('WorkflowRun: deterministic context', () => {
  it('ctx.now() is the start time, then the time of the last delivered record', async () => {
    const times: number[] = [];
    const body = workflow('order', async (ctx) => {
      times.push(ctx.now());
      await ctx.step('a', () => 1);
      times.push(ctx.now());
      await ctx.step('b', () => 2);
      times.push(ctx.now());
      return times;
    });
    const h = await new Harness(body).start();
    await h.completeStep(1, 'a', 1, T0 + 1_234);
    await h.completeStep(2, 'b', 2, T0 + 9_876);
    expect(times).toEqual([T0, T0 + 1_234, T0 + 9_876]);
  });

  const draws = workflow('order', async (ctx) => ({
    r: [ctx.random(), ctx.random()],
    u: [ctx.uuid(), ctx.uuid()],
  }));

  async function drawn(workflowId: string): Promise<JsonValue> {
    const h = await new Harness(draws, workflowId).start();
    const [done] = h.sink.intents;
    if (done?.type !== 'complete') throw new Error('expected complete');
    return done.result;
  }

  it('ctx.random() and ctx.uuid() are the same across runs of one workflow id and differ across ids', async () => {
    const a1 = await drawn('o-1');
    const a2 = await drawn('o-1');
    const b = await drawn('o-2');
    expect(a2).toEqual(a1);
    expect(b).not.toEqual(a1);
    const { r, u } = a1 as { r: number[]; u: string[] };
    for (const x of r) expect(x >= 0 && x < 1).toBe(true);
    expect(r[0]).not.toBe(r[1]);
    for (const id of u)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(u[0]).not.toBe(u[1]);
    const other = b as { r: number[]; u: string[] };
    expect(other.r[0]).not.toBe(r[0]);
    expect(other.u[0]).not.toBe(u[0]);
  });

  it("ctx.sleep('3s') reports a sleep intent of 3000 ms and resumes when its timer fires", async () => {
    const body = workflow('order', async (ctx) => {
      await ctx.sleep('3s');
      return 'woke';
    });
    const h = await new Harness(body).start();
    expect(h.sink.intents).toEqual([{ type: 'sleep', callSeq: 1, durationMs: 3_000 }]);
    await h.deliver({
      kind: 'TimerScheduled',
      timerId: 'sleep:1',
      callSeq: 1,
      purpose: 'sleep',
      fireAtMs: T0 + 3_000,
    });
    expect(h.sink.intents).toHaveLength(1);
    await h.deliver({ kind: 'TimerFired', timerId: 'sleep:1', callSeq: 1 });
    expect(h.sink.intents[1]).toEqual({ type: 'complete', result: 'woke' });
  });

  it('a signal wait with a timeout rejects with TimeoutError when TimerFired signal:<callSeq> arrives', async () => {
    const seen: unknown[] = [];
    const body = workflow('order', async (ctx) => {
      await ctx.step('validate', () => true);
      try {
        return await ctx.signal('approve', { timeout: '5m' });
      } catch (error) {
        seen.push(error);
        return 'timed out';
      }
    });
    const h = await new Harness(body).start();
    await h.completeStep(1, 'validate', true);
    expect(h.sink.intents).toEqual([{ type: 'signal', callSeq: 2, name: 'approve', timeoutMs: 300_000 }]);
    await h.deliver({ kind: 'SignalAwaited', callSeq: 2, name: 'approve' });
    expect(seen).toEqual([]);
    await h.deliver({ kind: 'TimerFired', timerId: 'signal:2', callSeq: 2 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(TimeoutError);
    expect(seen[0]).toMatchObject({ name: 'TimeoutError', code: 'LB_TIMEOUT' });
    expect(h.sink.intents.at(-1)).toEqual({ type: 'complete', result: 'timed out' });
  });

  it('a signal wait resolves with the payload of the SignalConsumed record', async () => {
    const body = workflow('order', async (ctx) => ctx.signal('approve'));
    const h = await new Harness(body).start();
    expect(h.sink.intents).toEqual([{ type: 'signal', callSeq: 1, name: 'approve', timeoutMs: null }]);
    await h.deliver({
      kind: 'SignalConsumed',
      callSeq: 1,
      name: 'approve',
      signalSeq: 2,
      payload: { by: 'ann' },
    });
    expect(h.sink.intents.at(-1)).toEqual({ type: 'complete', result: { by: 'ann' } });
  });
});
