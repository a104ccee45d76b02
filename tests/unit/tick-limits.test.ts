/**
 * Proves a tick's limits and bookkeeping (tick.ts I2, I3; step-runner I6): a round of decisions takes
 * inputs in order while they fit its byte budget and leaves the rest untouched; the first input of a
 * tick's first round is always taken (`firstAlways`) so a tick never stalls, while a second round takes
 * nothing that does not fit; `taken` and `bytes` say what was taken; `touched` names exactly the workflows
 * whose sequence a taken input extended; `nextCommandOffset` is one past the highest command offset taken;
 * records applied in a round reach the timer observer and are seen by later inputs of the same round;
 * mergeTicks adds two rounds up. And a step result too large for the journal fails the step with a
 * LimitError before it can reach a tick.
 */
import { describe, expect, it } from 'vitest';
import {
  applyRecord,
  type Command,
  decide,
  defaultMachineLimits,
  type Input,
  type PartitionState,
  type PendingTimer,
  type TimerObserver,
  type WorkflowState,
} from '../../src/machine/index.js';
import { estimateBytes, mergeTicks, runTick } from '../../src/partition/tick.js';
import { stepPolicy, stepRequest } from '../../src/replay/index.js';
import { StepRunner } from '../../src/steps/index.js';

const raw = { key: null, value: null };
const command = (c: Command, offset: number): Input => ({
  kind: 'command',
  command: c,
  offset: String(offset),
  raw,
});
const start = (id: string, offset: number, input = 'x'.repeat(400)): Input =>
  command({ type: 'start', workflow: 'w', id, input, idempotency: null, parent: null }, offset);
const ctx = { nowMs: 1_000, workflows: new Set(['w']), limits: defaultMachineLimits };

/** A timer observer that ignores timers. */
const NO_TIMERS: TimerObserver = { armed: () => undefined, removed: () => undefined };

/** The budget one input's decision takes, measured on a fresh state as runTick measures it. */
const sizeOf = (input: Input, state: PartitionState = new Map()): number =>
  estimateBytes(decide(state, input, ctx));

/** A state holding workflow `id`, started at offset 0 (its only record: WorkflowStarted). */
function withWorkflow(id: string): Map<string, WorkflowState> {
  const state = new Map<string, WorkflowState>();
  for (const r of decide(state, start(id, 0), ctx).records) applyRecord(state, r);
  return state;
}

describe('tick byte budget', () => {
  const inputs = [start('a', 10), start('b', 11), start('c', 12)];
  const two = sizeOf(inputs[0] as Input) + sizeOf(inputs[1] as Input);

  it.each([
    ['exactly two inputs', two, 2],
    ['one byte less than two inputs', two - 1, 1],
    ['room for all three', 3 * two, 3],
  ])('with a budget of %s, takes the inputs that fit, in order', (_what, bytesMax, taken) => {
    const state = new Map<string, WorkflowState>();
    const tick = runTick(state, inputs, ctx, bytesMax, NO_TIMERS, true);
    const ids = ['a', 'b', 'c'].slice(0, taken);
    expect(tick.taken).toBe(taken);
    expect(tick.effects.records.map((r) => r.workflowId)).toEqual(ids);
    expect(tick.bytes).toBe(inputs.slice(0, taken).reduce((sum, i) => sum + sizeOf(i), 0));
    expect(tick.bytes).toBeLessThanOrEqual(bytesMax);
    expect([...tick.touched]).toEqual(ids);
    expect(tick.nextCommandOffset).toBe(10 + taken);
    expect([...state.keys()]).toEqual(ids); // inputs not taken changed nothing
  });

  it('takes the first input over the budget when firstAlways (a tick never stalls), and nothing after it', () => {
    const state = new Map<string, WorkflowState>();
    const big = start('a', 0, 'x'.repeat(5_000));
    const tick = runTick(state, [big, start('b', 1, 'y')], ctx, 1_000, NO_TIMERS, true);
    expect(tick.taken).toBe(1);
    expect(tick.bytes).toBe(sizeOf(big));
    expect(tick.bytes).toBeGreaterThan(1_000);
    expect(tick.effects.records.map((r) => r.workflowId)).toEqual(['a']);
    expect(tick.nextCommandOffset).toBe(1);
  });

  it('takes nothing that does not fit without firstAlways (a second round), leaving state and offsets alone', () => {
    const state = new Map<string, WorkflowState>();
    const tick = runTick(
      state,
      [start('a', 0, 'x'.repeat(5_000)), start('b', 1, 'y')],
      ctx,
      1_000,
      NO_TIMERS,
      false,
    );
    expect(tick.taken).toBe(0);
    expect(tick.bytes).toBe(0);
    expect(tick.effects.records).toEqual([]);
    expect(tick.effects.events).toEqual([]);
    expect(tick.touched.size).toBe(0);
    expect(tick.nextCommandOffset).toBeUndefined();
    expect(state.size).toBe(0);
  });

  it('a second round still takes what fits', () => {
    const small = start('b', 1, 'y');
    const tick = runTick(new Map(), [small], ctx, sizeOf(small), NO_TIMERS, false);
    expect(tick.taken).toBe(1);
  });
});

describe('tick offsets and touched workflows', () => {
  const misrouted: Input = {
    kind: 'misrouted',
    command: { type: 'cancel', id: 'elsewhere', reason: 'r' },
    offset: '40',
  };
  const bad: Input = {
    kind: 'badCommand',
    code: 'LB_CMD_BAD_JSON',
    reason: 'bad',
    offset: '7',
    workflowId: null,
    key: null,
    value: null,
  };
  const timerDue: Input = { kind: 'timerDue', workflowId: 'a', timerId: 'sleep:1' };
  it.each([
    ['commands out of order: one past the highest', [start('a', 5), start('b', 3)], 6],
    ['a misrouted command counts', [start('a', 5), misrouted], 41],
    ['a command that failed to decode counts', [bad], 8],
    ['no command: undefined', [timerDue], undefined],
  ])('nextCommandOffset with %s', (_what, inputs, expected) => {
    expect(runTick(withWorkflow('a'), inputs, ctx, 1_000_000, NO_TIMERS, true).nextCommandOffset).toBe(
      expected,
    );
  });

  it('touches a workflow only when a taken input extends its sequence', () => {
    const state = withWorkflow('a');
    const query = command({ type: 'query', id: 'a', requestId: 'q-1' }, 1);
    const signal = command({ type: 'signal', id: 'a', name: 's', payload: 1 }, 2);
    expect(runTick(state, [query], ctx, 1_000_000, NO_TIMERS, true).touched).toEqual(new Set());
    expect(runTick(state, [signal], ctx, 1_000_000, NO_TIMERS, true).touched).toEqual(new Set(['a']));
  });

  it('does not touch a finished workflow whose rejected command is journaled outside its sequence (seq 0)', () => {
    const state = withWorkflow('a');
    const done = runTick(
      state,
      [{ kind: 'intent', workflowId: 'a', intent: { type: 'complete', result: 1 } }],
      ctx,
      1e6,
      NO_TIMERS,
      true,
    );
    expect(done.touched).toEqual(new Set(['a']));
    const late = runTick(
      state,
      [command({ type: 'signal', id: 'a', name: 's', payload: 1 }, 3)],
      ctx,
      1e6,
      NO_TIMERS,
      true,
    );
    expect(late.effects.records.map((r) => [r.body.kind, r.seq])).toEqual([['CommandRejected', 0]]);
    expect(late.touched).toEqual(new Set());
    expect(late.nextCommandOffset).toBe(4);
  });

  it('applies each decision before the next input, so two starts of one id make one workflow', () => {
    const state = new Map<string, WorkflowState>();
    const tick = runTick(state, [start('a', 0), start('a', 1)], ctx, 1_000_000, NO_TIMERS, true);
    expect(tick.taken).toBe(2);
    expect(tick.effects.records.map((r) => r.body.kind)).toEqual(['WorkflowStarted']);
    expect(state.get('a')?.lastSeq).toBe(1);
    expect(tick.nextCommandOffset).toBe(2);
  });

  it('reports the timers its records arm to the observer', () => {
    const armed: [string, PendingTimer][] = [];
    const observer: TimerObserver = { armed: (ws, t) => armed.push([ws.id, t]), removed: () => undefined };
    const sleep: Input = {
      kind: 'intent',
      workflowId: 'a',
      intent: { type: 'sleep', callSeq: 1, durationMs: 500, parentSeq: 0 },
    };
    runTick(withWorkflow('a'), [sleep], ctx, 1_000_000, observer, true);
    expect(armed).toEqual([['a', { timerId: 'sleep:1', callSeq: 1, purpose: 'sleep', fireAtMs: 1_500 }]]);
  });

  it('mergeTicks adds two rounds: effects in order, touched united, the highest offset, taken and bytes summed', () => {
    const state = new Map<string, WorkflowState>();
    const first = runTick(state, [start('a', 4)], ctx, 1_000_000, NO_TIMERS, true);
    const second = runTick(state, [start('b', 2)], ctx, 1_000_000, NO_TIMERS, false);
    const merged = mergeTicks(first, second);
    expect(merged.effects.records.map((r) => r.workflowId)).toEqual(['a', 'b']);
    expect(merged.touched).toEqual(new Set(['a', 'b']));
    expect(merged.nextCommandOffset).toBe(5);
    expect([merged.taken, merged.bytes]).toEqual([2, first.bytes + second.bytes]);
    const none = runTick(state, [], ctx, 1_000_000, NO_TIMERS, false);
    expect(mergeTicks(none, none).nextCommandOffset).toBeUndefined();
  });
});

describe('step result limit', () => {
  it('fails a step whose result is over resultBytesMax with a non-retriable LimitError', async () => {
    const outcomes: Input[] = [];
    const limits = { stepsInFlightMax: 1, stepQueueMax: 10, resultBytesMax: 100 };
    const runner = new StepRunner(limits, (input) => outcomes.push(input));
    runner.run(
      stepRequest('w-1', 1, 'big', () => 'x'.repeat(200), stepPolicy({})),
      1,
    );
    while (outcomes.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const outcome = outcomes[0];
    expect(outcome).toMatchObject({
      kind: 'stepOutcome',
      outcome: {
        ok: false,
        retriable: false,
        error: { name: 'LimitError', details: { limit: 'stepResultBytesMax', max: 100, actual: 202 } },
      },
    });
  });
});
