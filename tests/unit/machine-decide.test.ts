/**
 * Proves `decide` (driven the way src/partition/tick.ts drives it: decide, then apply its records before
 * the next input): starts are idempotent on id, bad commands go to the DLQ with their code and a
 * CommandRejected record, step outcomes are journaled once with retries and backoff as the policy says,
 * timers never fire early and fire once, signals find the lowest waiting call or wait in the mailbox,
 * intents are idempotent on callSeq, endings write their record and event (and answer a parent), queries
 * answer with a status event, and every workflow's seq numbers run 1, 2, 3, … without gaps.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/commands/command.js';
import type { ChildOutcome, ErrorData, JournalRecord, RecordBody } from '../../src/journal/index.js';
import {
  type Effects,
  type Input,
  type Intent,
  type PartitionState,
  type RetryPolicy,
  retryDelayMs,
  type StepOutcome,
  type WorkflowState,
} from '../../src/machine/index.js';
import { runTick } from '../../src/partition/tick.js';

const WORKFLOWS: ReadonlySet<string> = new Set(['order', 'ship']);
const T0 = 1_700_000_000_000;
const POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialIntervalMs: 100,
  backoffCoefficient: 2,
  maxIntervalMs: 30_000,
};

const boom: ErrorData = { name: 'Error', code: 'LB_STEP_FAILED', message: 'boom', details: null };

/** One partition: state plus every record written, fed one input per tick as the owner does. */
class Partition {
  readonly state: PartitionState = new Map();
  readonly written: JournalRecord[] = [];
  private offset = 0;

  /** Runs one tick with `inputs` at `nowMs` and returns its effects. */
  tick(nowMs: number, ...inputs: Input[]): Effects {
    const { effects } = runTick(this.state, inputs, { nowMs, workflows: WORKFLOWS });
    this.written.push(...effects.records);
    return effects;
  }

  /** A command input with its own offset and raw bytes. */
  command(command: Command): Input {
    const offset = String(this.offset++);
    return {
      kind: 'command',
      command,
      offset,
      raw: { key: Buffer.from(command.id), value: Buffer.from(JSON.stringify(command)) },
    };
  }

  workflow(id: string): WorkflowState {
    const ws = this.state.get(id);
    if (ws === undefined) throw new Error(`no workflow ${id}`);
    return ws;
  }

  /** Starts `id` (workflow "order") at T0. */
  started(id: string, parent: { workflowId: string; callSeq: number } | null = null): this {
    this.tick(T0, this.command(startCommand(id, 'order', parent)));
    return this;
  }
}

function startCommand(
  id: string,
  workflow = 'order',
  parent: { workflowId: string; callSeq: number } | null = null,
): Command {
  return { type: 'start', workflow, id, input: { sku: 'A' }, idempotency: null, parent };
}

function intent(workflowId: string, i: Intent): Input {
  return { kind: 'intent', workflowId, intent: i };
}

function stepOutcome(
  workflowId: string,
  callSeq: number,
  attempt: number,
  outcome: StepOutcome,
  retry = POLICY,
): Input {
  return {
    kind: 'stepOutcome',
    workflowId,
    callSeq,
    name: 'charge',
    attempt,
    startedAtMs: T0,
    durationMs: 5,
    outcome,
    retry,
    jitter: 0.5, // factor exactly 1: the nominal delay
  };
}

function timerDue(workflowId: string, timerId: string): Input {
  return { kind: 'timerDue', workflowId, timerId };
}

const failed = (retriable: boolean, message = 'boom'): StepOutcome => ({
  ok: false,
  retriable,
  error: { ...boom, message },
});

function bodies(effects: Effects): RecordBody[] {
  return effects.records.map((r) => r.body);
}

function kinds(effects: Effects): string[] {
  return effects.records.map((r) => r.body.kind);
}

function expectNothing(effects: Effects): void {
  expect(effects).toEqual({ records: [], events: [], deadLetters: [], emits: [], commands: [] });
}

describe('decide: start', () => {
  it('a start creates the workflow with a WorkflowStarted record at seq 1', () => {
    const p = new Partition();
    const effects = p.tick(T0, p.command(startCommand('o-1')));
    expect(effects.records).toEqual([
      {
        schemaVersion: 2,
        workflowId: 'o-1',
        seq: 1,
        atMs: T0,
        body: {
          kind: 'WorkflowStarted',
          workflow: 'order',
          input: { sku: 'A' },
          idempotencyKey: null,
          parent: null,
        },
      },
    ]);
    expect(p.workflow('o-1').status).toBe('running');
  });

  it('a redelivered start does not create a second workflow', () => {
    const p = new Partition().started('o-1');
    expectNothing(p.tick(T0 + 10, p.command(startCommand('o-1'))));
    expect(p.workflow('o-1').lastSeq).toBe(1);
  });

  it('a start of an id that already finished writes no record but tells waiting clients how it ended', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 5, intent('o-1', { type: 'complete', result: { ok: 1 } }));
    const effects = p.tick(T0 + 10, p.command(startCommand('o-1')));
    expect(effects.records).toEqual([]);
    expect(effects.events).toEqual([
      expect.objectContaining({ type: 'WorkflowStatus', id: 'o-1', status: 'completed', result: { ok: 1 } }),
    ]);
  });

  it('two starts of one id inside one tick make one workflow', () => {
    const p = new Partition();
    const effects = p.tick(T0, p.command(startCommand('o-1')), p.command(startCommand('o-1')));
    expect(kinds(effects)).toEqual(['WorkflowStarted']);
    expect([...p.state.keys()]).toEqual(['o-1']);
  });

  it('a start of an unregistered workflow name goes to the DLQ and is journaled as CommandRejected', () => {
    const p = new Partition();
    const input = p.command(startCommand('o-1', 'refund'));
    const effects = p.tick(T0, input);
    expect(effects.deadLetters).toHaveLength(1);
    const [letter] = effects.deadLetters;
    expect(letter?.code).toBe('LB_CMD_UNKNOWN_WORKFLOW');
    expect(letter?.reason).toContain('"refund"');
    expect(letter?.reason).toContain('order, ship');
    if (input.kind !== 'command') throw new Error('not a command');
    expect(letter?.offset).toBe(input.offset);
    expect(letter?.key).toEqual(input.raw.key);
    expect(letter?.value).toEqual(input.raw.value);
    expect(bodies(effects)).toEqual([
      {
        kind: 'CommandRejected',
        code: 'LB_CMD_UNKNOWN_WORKFLOW',
        reason: letter?.reason,
        sourceOffset: input.offset,
      },
    ]);
    expect(p.state.has('o-1')).toBe(false);
  });
});

describe('decide: commands that cannot apply', () => {
  type Case = { what: string; finished: boolean; command: Command; code: string };
  const cases: Case[] = [
    {
      what: 'a signal to an unknown id',
      finished: false,
      command: { type: 'signal', id: 'nope', name: 'approve', payload: null },
      code: 'LB_CMD_NO_SUCH_WORKFLOW',
    },
    {
      what: 'a cancel of an unknown id',
      finished: false,
      command: { type: 'cancel', id: 'nope', reason: 'r' },
      code: 'LB_CMD_NO_SUCH_WORKFLOW',
    },
    {
      what: 'a signal to a finished workflow',
      finished: true,
      command: { type: 'signal', id: 'o-1', name: 'approve', payload: null },
      code: 'LB_CMD_WORKFLOW_FINISHED',
    },
    {
      what: 'a cancel of a finished workflow',
      finished: true,
      command: { type: 'cancel', id: 'o-1', reason: 'r' },
      code: 'LB_CMD_WORKFLOW_FINISHED',
    },
  ];

  it.each(cases)('$what goes to the DLQ with $code', ({ finished, command, code }) => {
    const p = new Partition().started('o-1');
    if (finished) p.tick(T0 + 1, intent('o-1', { type: 'complete', result: 1 }));
    const effects = p.tick(T0 + 2, p.command(command));
    expect(effects.deadLetters.map((l) => l.code)).toEqual([code]);
    expect(effects.records).toHaveLength(1);
    const [record] = effects.records;
    expect(record?.body).toMatchObject({ kind: 'CommandRejected', code });
    // A rejection for a known id takes its next seq; for an unknown id it is outside any sequence (seq 0).
    expect(record?.seq).toBe(finished ? 3 : 0);
    if (finished) expect(p.workflow('o-1').status).toBe('completed');
  });

  it('an undecodable command naming no workflow goes to the DLQ only', () => {
    const p = new Partition();
    const bad: Input = {
      kind: 'badCommand',
      code: 'LB_CMD_BAD_JSON',
      reason: 'not JSON',
      offset: '7',
      workflowId: null,
      key: null,
      value: Buffer.from('{'),
    };
    const effects = p.tick(T0, bad);
    expect(effects.deadLetters).toEqual([
      { code: 'LB_CMD_BAD_JSON', reason: 'not JSON', offset: '7', key: null, value: Buffer.from('{') },
    ]);
    expect(effects.records).toEqual([]);
  });

  it('a cancel of a running workflow journals CancelRequested once', () => {
    const p = new Partition().started('o-1');
    expect(
      bodies(p.tick(T0 + 1, p.command({ type: 'cancel', id: 'o-1', reason: 'customer asked' }))),
    ).toEqual([{ kind: 'CancelRequested', reason: 'customer asked' }]);
    expectNothing(p.tick(T0 + 2, p.command({ type: 'cancel', id: 'o-1', reason: 'again' })));
  });

  it('a cancel of a stuck workflow ends it as cancelled at once', () => {
    const p = new Partition().started('o-1');
    const error: ErrorData = {
      name: 'NonDeterminismError',
      code: 'LB_NON_DETERMINISM',
      message: 'diverged',
      details: null,
    };
    p.tick(T0 + 1, intent('o-1', { type: 'stuck', error }));
    const effects = p.tick(T0 + 2, p.command({ type: 'cancel', id: 'o-1', reason: 'r' }));
    expect(kinds(effects)).toEqual(['CancelRequested', 'WorkflowCancelled']);
    expect(effects.events.map((e) => e.type)).toEqual(['WorkflowCancelled']);
    expect(p.workflow('o-1').status).toBe('cancelled');
  });
});

describe('decide: step outcomes', () => {
  it('an ok outcome journals StepCompleted with its result and timing', () => {
    const p = new Partition().started('o-1');
    const effects = p.tick(T0 + 10, stepOutcome('o-1', 1, 1, { ok: true, result: { paid: true } }));
    expect(bodies(effects)).toEqual([
      {
        kind: 'StepCompleted',
        callSeq: 1,
        name: 'charge',
        result: { paid: true },
        attempt: 1,
        startedAtMs: T0,
        durationMs: 5,
      },
    ]);
  });

  it('a retriable failure under maxAttempts journals StepFailed with retryAtMs and a retry timer', () => {
    const p = new Partition().started('o-1');
    const now = T0 + 10;
    const effects = p.tick(now, stepOutcome('o-1', 1, 1, failed(true)));
    const retryAtMs = now + retryDelayMs(POLICY, 1, 0.5);
    expect(retryAtMs).toBe(now + 100);
    expect(bodies(effects)).toEqual([
      {
        kind: 'StepFailed',
        callSeq: 1,
        name: 'charge',
        error: boom,
        attempt: 1,
        startedAtMs: T0,
        durationMs: 5,
        retryAtMs,
      },
      { kind: 'TimerScheduled', timerId: 'retry:1:1', callSeq: 1, purpose: 'retry', fireAtMs: retryAtMs },
    ]);
  });

  it('the backoff grows by the coefficient from attempt to attempt', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, stepOutcome('o-1', 1, 1, failed(true)));
    p.tick(T0 + 100, timerDue('o-1', 'retry:1:1'));
    const effects = p.tick(T0 + 150, stepOutcome('o-1', 1, 2, failed(true)));
    expect(effects.records[0]?.body).toMatchObject({
      kind: 'StepFailed',
      attempt: 2,
      retryAtMs: T0 + 150 + 200,
    });
  });

  it('exhausted attempts journal a final StepFailed carrying every attempt error and LB_RETRIES_EXHAUSTED', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, stepOutcome('o-1', 1, 1, failed(true, 'first')));
    p.tick(T0 + 100, timerDue('o-1', 'retry:1:1'));
    p.tick(T0 + 200, stepOutcome('o-1', 1, 2, failed(true, 'second')));
    p.tick(T0 + 400, timerDue('o-1', 'retry:1:2'));
    const effects = p.tick(T0 + 500, stepOutcome('o-1', 1, 3, failed(true, 'third')));
    expect(kinds(effects)).toEqual(['StepFailed']);
    const body = effects.records[0]?.body;
    if (body?.kind !== 'StepFailed') throw new Error('expected StepFailed');
    expect(body.retryAtMs).toBeNull();
    expect(body.attempt).toBe(3);
    expect(body.error.code).toBe('LB_RETRIES_EXHAUSTED');
    expect(body.error.message).toContain('3 attempts');
    expect(body.error.details).toEqual({
      cause: null,
      attempts: [
        { attempt: 1, name: 'Error', code: 'LB_STEP_FAILED', message: 'first' },
        { attempt: 2, name: 'Error', code: 'LB_STEP_FAILED', message: 'second' },
        { attempt: 3, name: 'Error', code: 'LB_STEP_FAILED', message: 'third' },
      ],
    });
    expect(p.workflow('o-1').timers.size).toBe(0);
  });

  it('a non-retriable failure is final at once and keeps its own code', () => {
    const p = new Partition().started('o-1');
    const effects = p.tick(
      T0,
      stepOutcome('o-1', 1, 1, {
        ok: false,
        retriable: false,
        error: { ...boom, name: 'TerminalError', code: 'LB_TERMINAL' },
      }),
    );
    expect(kinds(effects)).toEqual(['StepFailed']);
    expect(effects.records[0]?.body).toMatchObject({
      retryAtMs: null,
      error: {
        name: 'TerminalError',
        code: 'LB_TERMINAL',
        details: { attempts: [{ attempt: 1, code: 'LB_TERMINAL' }] },
      },
    });
  });

  type Stale = { what: string; setup: (p: Partition) => void; input: Input };
  const stale: Stale[] = [
    {
      what: 'a duplicate ok outcome of a completed step',
      setup: (p) => p.tick(T0, stepOutcome('o-1', 1, 1, { ok: true, result: 1 })),
      input: stepOutcome('o-1', 1, 1, { ok: true, result: 2 }),
    },
    {
      what: 'a later-attempt outcome of a completed step',
      setup: (p) => p.tick(T0, stepOutcome('o-1', 1, 1, { ok: true, result: 1 })),
      input: stepOutcome('o-1', 1, 2, { ok: true, result: 2 }),
    },
    {
      what: 'a redelivered failed attempt',
      setup: (p) => p.tick(T0, stepOutcome('o-1', 1, 2, failed(true))),
      input: stepOutcome('o-1', 1, 2, failed(true)),
    },
    {
      what: 'an older attempt arriving after a newer one',
      setup: (p) => p.tick(T0, stepOutcome('o-1', 1, 2, failed(true))),
      input: stepOutcome('o-1', 1, 1, { ok: true, result: 1 }),
    },
    {
      what: 'an outcome for a finished workflow',
      setup: (p) => p.tick(T0, intent('o-1', { type: 'complete', result: null })),
      input: stepOutcome('o-1', 1, 1, { ok: true, result: 1 }),
    },
    {
      what: 'an outcome for an unknown workflow',
      setup: () => {},
      input: stepOutcome('nope', 1, 1, { ok: true, result: 1 }),
    },
  ];

  it.each(stale)('$what writes nothing', ({ setup, input }) => {
    const p = new Partition().started('o-1');
    setup(p);
    expectNothing(p.tick(T0 + 1_000, input));
  });
});

describe('decide: timers', () => {
  it.each([
    { what: 'one ms before fireAtMs writes nothing', atMs: T0 + 2_999, fires: false },
    { what: 'at fireAtMs fires', atMs: T0 + 3_000, fires: true },
    { what: 'after fireAtMs fires', atMs: T0 + 60_000, fires: true },
  ])('a timerDue $what', ({ atMs, fires }) => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 3_000 }));
    const effects = p.tick(atMs, timerDue('o-1', 'sleep:1'));
    expect(bodies(effects)).toEqual(fires ? [{ kind: 'TimerFired', timerId: 'sleep:1', callSeq: 1 }] : []);
  });

  it('a timer fires once: a second timerDue writes nothing', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 3_000 }));
    expect(kinds(p.tick(T0 + 3_000, timerDue('o-1', 'sleep:1')))).toEqual(['TimerFired']);
    expectNothing(p.tick(T0 + 3_001, timerDue('o-1', 'sleep:1')));
    expect(p.workflow('o-1').calls.get(1)?.status).toBe('done');
  });

  it('a timerDue for an unknown timer writes nothing', () => {
    const p = new Partition().started('o-1');
    expectNothing(p.tick(T0 + 3_000, timerDue('o-1', 'sleep:9')));
  });
});

describe('decide: signals', () => {
  it('a signal with waiters is received and consumed by the lowest waiting callSeq', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'signal', callSeq: 3, name: 'approve', timeoutMs: null }));
    p.tick(T0, intent('o-1', { type: 'signal', callSeq: 2, name: 'approve', timeoutMs: null }));
    p.tick(T0, intent('o-1', { type: 'signal', callSeq: 1, name: 'other', timeoutMs: null }));
    const first = p.tick(
      T0 + 5,
      p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: { by: 'ann' } }),
    );
    const [received, consumed] = first.records;
    expect(received?.body).toEqual({ kind: 'SignalReceived', name: 'approve', payload: { by: 'ann' } });
    expect(consumed?.body).toEqual({
      kind: 'SignalConsumed',
      callSeq: 2,
      name: 'approve',
      signalSeq: received?.seq,
      payload: { by: 'ann' },
    });
    const second = p.tick(T0 + 6, p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: 2 }));
    expect(second.records[1]?.body).toMatchObject({ kind: 'SignalConsumed', callSeq: 3 });
    expect(p.workflow('o-1').mailbox).toEqual([]);
    expect([...p.workflow('o-1').awaiting]).toEqual([[1, 'other']]);
  });

  it('a signal without a waiter is buffered, then consumed by a later signal intent', () => {
    const p = new Partition().started('o-1');
    const received = p.tick(
      T0 + 1,
      p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: 'yes' }),
    );
    expect(kinds(received)).toEqual(['SignalReceived']);
    expect(p.workflow('o-1').mailbox).toHaveLength(1);
    const consumed = p.tick(
      T0 + 2,
      intent('o-1', { type: 'signal', callSeq: 1, name: 'approve', timeoutMs: 1_000 }),
    );
    expect(bodies(consumed)).toEqual([
      {
        kind: 'SignalConsumed',
        callSeq: 1,
        name: 'approve',
        signalSeq: received.records[0]?.seq,
        payload: 'yes',
      },
    ]);
    expect(p.workflow('o-1').mailbox).toEqual([]);
  });

  it('a signal wait with a timeout journals SignalAwaited and a signal-timeout timer; its firing settles the wait', () => {
    const p = new Partition().started('o-1');
    const awaited = p.tick(
      T0 + 1,
      intent('o-1', { type: 'signal', callSeq: 1, name: 'approve', timeoutMs: 5_000 }),
    );
    expect(bodies(awaited)).toEqual([
      { kind: 'SignalAwaited', callSeq: 1, name: 'approve' },
      {
        kind: 'TimerScheduled',
        timerId: 'signal:1',
        callSeq: 1,
        purpose: 'signal-timeout',
        fireAtMs: T0 + 5_001,
      },
    ]);
    expect(bodies(p.tick(T0 + 5_001, timerDue('o-1', 'signal:1')))).toEqual([
      { kind: 'TimerFired', timerId: 'signal:1', callSeq: 1 },
    ]);
    const ws = p.workflow('o-1');
    expect(ws.awaiting.size).toBe(0);
    expect(ws.calls.get(1)?.status).toBe('done');
    // A signal after the timeout finds no waiter: it is only buffered.
    expect(
      kinds(p.tick(T0 + 6_000, p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: null }))),
    ).toEqual(['SignalReceived']);
  });

  it('a signal consumed before its timeout cancels the timeout timer', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'signal', callSeq: 1, name: 'approve', timeoutMs: 5_000 }));
    p.tick(T0 + 1, p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: null }));
    expect(p.workflow('o-1').timers.size).toBe(0);
    expectNothing(p.tick(T0 + 5_000, timerDue('o-1', 'signal:1')));
  });
});

describe('decide: intents', () => {
  type Case = { intent: Intent; kinds: string[]; emits: number; commands: number };
  const cases: Case[] = [
    {
      intent: { type: 'sleep', callSeq: 1, durationMs: 10 },
      kinds: ['TimerScheduled'],
      emits: 0,
      commands: 0,
    },
    {
      intent: { type: 'signal', callSeq: 1, name: 'go', timeoutMs: null },
      kinds: ['SignalAwaited'],
      emits: 0,
      commands: 0,
    },
    {
      intent: { type: 'signal', callSeq: 1, name: 'go', timeoutMs: 10 },
      kinds: ['SignalAwaited', 'TimerScheduled'],
      emits: 0,
      commands: 0,
    },
    {
      intent: { type: 'child', callSeq: 1, childId: 'o-1/ship', workflow: 'ship', input: 1 },
      kinds: ['ChildStarted'],
      emits: 0,
      commands: 1,
    },
    {
      intent: { type: 'emit', callSeq: 1, topic: 'out', key: 'k', value: { v: 1 } },
      kinds: ['Emitted'],
      emits: 1,
      commands: 0,
    },
    {
      intent: { type: 'compensation', callSeq: 1, reason: boom, steps: ['charge'] },
      kinds: ['CompensationStarted'],
      emits: 0,
      commands: 0,
    },
  ];

  it.each(cases)('a $intent.type intent writes $kinds once; replayed, it writes nothing', (c) => {
    const p = new Partition().started('o-1');
    const first = p.tick(T0 + 1, intent('o-1', c.intent));
    expect(kinds(first)).toEqual(c.kinds);
    expect(first.emits).toHaveLength(c.emits);
    expect(first.commands).toHaveLength(c.commands);
    expectNothing(p.tick(T0 + 2, intent('o-1', c.intent)));
  });

  it('a child intent routes a start command carrying the parent call', () => {
    const p = new Partition().started('o-1');
    const effects = p.tick(
      T0,
      intent('o-1', { type: 'child', callSeq: 4, childId: 'o-1/ship', workflow: 'ship', input: { to: 'x' } }),
    );
    expect(effects.commands).toEqual([
      {
        type: 'start',
        workflow: 'ship',
        id: 'o-1/ship',
        input: { to: 'x' },
        idempotency: null,
        parent: { workflowId: 'o-1', callSeq: 4 },
      },
    ]);
  });

  type Ending = { intent: Intent; record: RecordBody; event: string; status: string };
  const endings: Ending[] = [
    {
      intent: { type: 'complete', result: { ok: 1 } },
      record: { kind: 'WorkflowCompleted', result: { ok: 1 } },
      event: 'WorkflowCompleted',
      status: 'completed',
    },
    {
      intent: { type: 'fail', error: boom },
      record: { kind: 'WorkflowFailed', error: boom },
      event: 'WorkflowFailed',
      status: 'failed',
    },
    {
      intent: { type: 'cancelled', reason: 'r' },
      record: { kind: 'WorkflowCancelled', reason: 'r' },
      event: 'WorkflowCancelled',
      status: 'cancelled',
    },
  ];

  it.each(endings)(
    'a $intent.type intent writes $record.kind and the $event event; a second one writes nothing',
    (c) => {
      const p = new Partition().started('o-1');
      const effects = p.tick(T0 + 9, intent('o-1', c.intent));
      expect(bodies(effects)).toEqual([c.record]);
      expect(effects.events).toHaveLength(1);
      expect(effects.events[0]).toMatchObject({ type: c.event, id: 'o-1', workflow: 'order', atMs: T0 + 9 });
      expect(effects.commands).toEqual([]); // no parent
      expect(p.workflow('o-1').status).toBe(c.status);
      expectNothing(p.tick(T0 + 10, intent('o-1', c.intent)));
    },
  );

  it('a stuck intent writes WorkflowStuck and its event once for the same error', () => {
    const p = new Partition().started('o-1');
    const error: ErrorData = {
      name: 'NonDeterminismError',
      code: 'LB_NON_DETERMINISM',
      message: 'diverged at call 2',
      details: { callSeq: 2 },
    };
    const effects = p.tick(T0 + 1, intent('o-1', { type: 'stuck', error }));
    expect(bodies(effects)).toEqual([{ kind: 'WorkflowStuck', error }]);
    expect(effects.events.map((e) => e.type)).toEqual(['WorkflowStuck']);
    expect(p.workflow('o-1').status).toBe('stuck');
    expectNothing(p.tick(T0 + 2, intent('o-1', { type: 'stuck', error })));
  });

  it('a complete intent from the fixed body of a stuck workflow ends it completed', () => {
    const p = new Partition().started('o-1');
    const error: ErrorData = {
      name: 'NonDeterminismError',
      code: 'LB_NON_DETERMINISM',
      message: 'diverged',
      details: null,
    };
    p.tick(T0 + 1, intent('o-1', { type: 'stuck', error }));
    const effects = p.tick(T0 + 2, intent('o-1', { type: 'complete', result: 'ok' }));
    expect(kinds(effects)).toEqual(['WorkflowCompleted']);
    expect(p.workflow('o-1').status).toBe('completed');
  });
});

describe('decide: child workflows', () => {
  const parent = { workflowId: 'p-1', callSeq: 4 };

  it.each<{ intent: Intent; outcome: ChildOutcome }>([
    { intent: { type: 'complete', result: 'shipped' }, outcome: { ok: true, result: 'shipped' } },
    { intent: { type: 'fail', error: boom }, outcome: { ok: false, error: boom } },
  ])("a child's $intent.type sends a childResult command to its parent", ({ intent: ending, outcome }) => {
    const p = new Partition().started('c-1', parent);
    const effects = p.tick(T0 + 1, intent('c-1', ending));
    expect(effects.commands).toEqual([
      { type: 'childResult', id: 'p-1', callSeq: 4, childId: 'c-1', outcome },
    ]);
  });

  it("a cancelled child's childResult is a CancelledError with the reason", () => {
    const p = new Partition().started('c-1', parent);
    const effects = p.tick(T0 + 1, intent('c-1', { type: 'cancelled', reason: 'no stock' }));
    expect(effects.commands[0]).toMatchObject({
      type: 'childResult',
      outcome: { ok: false, error: { name: 'CancelledError', code: 'LB_CANCELLED' } },
    });
  });

  it('a cancel of a stuck child answers its parent with a CancelledError', () => {
    const p = new Partition().started('c-1', parent);
    const error: ErrorData = {
      name: 'NonDeterminismError',
      code: 'LB_NON_DETERMINISM',
      message: 'diverged',
      details: null,
    };
    p.tick(T0 + 1, intent('c-1', { type: 'stuck', error }));
    const effects = p.tick(T0 + 2, p.command({ type: 'cancel', id: 'c-1', reason: 'operator' }));
    expect(kinds(effects)).toEqual(['CancelRequested', 'WorkflowCancelled']);
    expect(effects.commands).toHaveLength(1);
    expect(effects.commands[0]).toMatchObject({
      type: 'childResult',
      id: 'p-1',
      callSeq: 4,
      childId: 'c-1',
      outcome: { ok: false, error: { name: 'CancelledError', code: 'LB_CANCELLED' } },
    });
  });

  it('a child cancelled after it recovered from stuck reports the cancel, not the old divergence', () => {
    const p = new Partition().started('c-1', parent);
    const error: ErrorData = {
      name: 'NonDeterminismError',
      code: 'LB_NON_DETERMINISM',
      message: 'diverged',
      details: null,
    };
    p.tick(T0 + 1, intent('c-1', { type: 'stuck', error }));
    p.tick(T0 + 2, stepOutcome('c-1', 1, 1, { ok: true, result: 1 })); // the fixed body makes progress
    expect(p.workflow('c-1').status).toBe('running');
    const effects = p.tick(T0 + 3, intent('c-1', { type: 'cancelled', reason: 'operator' }));
    expect(effects.commands[0]).toMatchObject({
      outcome: { ok: false, error: { name: 'CancelledError', code: 'LB_CANCELLED' } },
    });
  });

  it('a redelivered child start of a finished child answers the parent at once', () => {
    const p = new Partition().started('c-1', parent);
    p.tick(T0 + 1, intent('c-1', { type: 'complete', result: 7 }));
    const effects = p.tick(T0 + 2, p.command(startCommand('c-1', 'order', parent)));
    expect(effects.records).toEqual([]);
    expect(effects.commands).toEqual([
      { type: 'childResult', id: 'p-1', callSeq: 4, childId: 'c-1', outcome: { ok: true, result: 7 } },
    ]);
  });

  it('a childResult completes the parent call once', () => {
    const p = new Partition().started('p-1');
    p.tick(T0, intent('p-1', { type: 'child', callSeq: 4, childId: 'c-1', workflow: 'ship', input: null }));
    const result: Command = {
      type: 'childResult',
      id: 'p-1',
      callSeq: 4,
      childId: 'c-1',
      outcome: { ok: true, result: 7 },
    };
    expect(bodies(p.tick(T0 + 1, p.command(result)))).toEqual([
      { kind: 'ChildCompleted', callSeq: 4, childId: 'c-1', outcome: { ok: true, result: 7 } },
    ]);
    expectNothing(p.tick(T0 + 2, p.command(result)));
  });
});

describe('decide: query', () => {
  it('a query answers with a WorkflowStatus event and writes no record', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 1, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 1_000 }));
    const effects = p.tick(T0 + 2, p.command({ type: 'query', id: 'o-1', requestId: 'q-1' }));
    expect(effects.records).toEqual([]);
    expect(effects.events).toEqual([
      {
        type: 'WorkflowStatus',
        id: 'o-1',
        requestId: 'q-1',
        atMs: T0 + 2,
        status: 'running',
        workflow: 'order',
        summary: {
          startedAtMs: T0,
          updatedAtMs: T0 + 1,
          lastSeq: 2,
          calls: [{ callSeq: 1, kind: 'sleep', name: 'sleep', status: 'pending', attempt: 0 }],
          pendingTimers: [{ timerId: 'sleep:1', purpose: 'sleep', fireAtMs: T0 + 1_001 }],
          cancelReason: null,
        },
      },
    ]);
  });

  it('a query of an unknown id answers status unknown', () => {
    const p = new Partition();
    expect(p.tick(T0, p.command({ type: 'query', id: 'nope', requestId: 'q-2' })).events).toEqual([
      { type: 'WorkflowStatus', id: 'nope', requestId: 'q-2', atMs: T0, status: 'unknown' },
    ]);
  });
});

describe('decide: seq numbers', () => {
  it('seq numbers are gapless per workflow across interleaved workflows and multi-record decisions', () => {
    const p = new Partition();
    p.tick(T0, p.command(startCommand('a')), p.command(startCommand('b')), p.command(startCommand('a')));
    p.tick(
      T0 + 1,
      intent('a', { type: 'signal', callSeq: 1, name: 'go', timeoutMs: 100 }),
      stepOutcome('b', 1, 1, failed(true)),
    );
    p.tick(
      T0 + 2,
      p.command({ type: 'signal', id: 'a', name: 'go', payload: null }),
      p.command({ type: 'signal', id: 'nope', name: 'go', payload: null }),
    );
    p.tick(T0 + 200, timerDue('b', 'retry:1:1'), stepOutcome('b', 1, 2, { ok: true, result: 1 }));
    p.tick(
      T0 + 201,
      intent('a', { type: 'complete', result: null }),
      intent('b', { type: 'fail', error: boom }),
    );
    p.tick(T0 + 202, p.command({ type: 'cancel', id: 'a', reason: 'late' }));
    const seqs = new Map<string, number[]>();
    for (const r of p.written) {
      if (r.seq === 0) continue; // rejections for unknown ids stand outside any sequence
      seqs.set(r.workflowId, [...(seqs.get(r.workflowId) ?? []), r.seq]);
    }
    expect(seqs.get('a')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seqs.get('b')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(p.written.filter((r) => r.seq === 0).map((r) => r.workflowId)).toEqual(['nope']);
    for (const [id, list] of seqs) expect(p.workflow(id).lastSeq).toBe(list.at(-1));
  });
});
