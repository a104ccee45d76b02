/**
 * Proves the limits a WorkflowRun checks at the call (workflow-run.ts I5, run-context.ts I1), driven by the
 * real machine (run-journal.ts): a value over a RunLimits limit or a malformed id or name still takes its
 * call number and fails that call through a `rejected` intent, journaled as CallRejected, with a
 * LimitError (naming the limit) or a TerminalError the body can catch, and the next call keeps its number;
 * a workflow result over workflowResultBytesMax fails the workflow (after its compensations) with a
 * LimitError; a bad ctx.step, ctx.sleep or ctx.signal option throws a ConfigError at the call without
 * taking a call number (step-request.ts I1).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { JsonValue } from '../../src/journal/index.js';
import { STEP_ATTEMPTS_MAX } from '../../src/replay/index.js';
import { LimitError, TerminalError, type WorkflowContext, workflow } from '../../src/workflow/index.js';
import { callsOf, endingOf, Journal } from './run-journal.js';

const other = workflow('other', async () => 'child');
const runLimits = {
  childInputBytesMax: 100,
  emitBytesMax: 100,
  workflowResultBytesMax: 100,
  compensationsMax: 1,
};
const big = 'x'.repeat(200);

interface Row {
  readonly what: string;
  readonly call: (ctx: WorkflowContext) => Promise<unknown>;
  readonly callKind: string;
  readonly name: string;
  readonly type: typeof LimitError | typeof TerminalError;
  readonly details?: JsonValue;
  /** The rejected call's number (calls before it in `call` take the ones below). */
  readonly callSeq?: number;
}

const rows: readonly Row[] = [
  {
    what: 'a child input over childInputBytesMax',
    call: (ctx) => ctx.child(other, 'c-1', { big }),
    callKind: 'child',
    name: 'other',
    type: LimitError,
    details: { limit: 'childInputBytesMax', max: 100, actual: 210 },
  },
  {
    what: 'an emit over emitBytesMax (key and value)',
    call: (ctx) => ctx.emit('receipts', 'key', big),
    callKind: 'emit',
    name: 'receipts',
    type: LimitError,
    details: { limit: 'emitBytesMax', max: 100, actual: 205 },
  },
  {
    what: "a child id ''",
    call: (ctx) => ctx.child(other, '', null),
    callKind: 'child',
    name: 'other',
    type: TerminalError,
  },
  {
    what: 'a child id reserved for Logbook',
    call: (ctx) => ctx.child(other, '__x', null),
    callKind: 'child',
    name: 'other',
    type: TerminalError,
  },
  {
    what: 'a child input that is not JSON',
    call: (ctx) => ctx.child(other, 'c-1', { n: 1n } as unknown as JsonValue),
    callKind: 'child',
    name: 'other',
    type: TerminalError,
  },
  {
    what: "a step name ''",
    call: (ctx) => ctx.step('', () => 1),
    callKind: 'step',
    name: '',
    type: TerminalError,
  },
  {
    what: 'a step name of 257 characters',
    call: (ctx) => ctx.step('s'.repeat(257), () => 1),
    callKind: 'step',
    name: 's'.repeat(257),
    type: TerminalError,
  },
  {
    what: "a signal name ''",
    call: (ctx) => ctx.signal(''),
    callKind: 'signal',
    name: '',
    type: TerminalError,
  },
  {
    what: "an emit topic ''",
    call: (ctx) => ctx.emit('', 'k', 1),
    callKind: 'emit',
    name: '',
    type: TerminalError,
  },
  {
    what: 'an emit key that is not a string',
    call: (ctx) => ctx.emit('receipts', 7 as unknown as string, 1),
    callKind: 'emit',
    name: 'receipts',
    type: TerminalError,
  },
  {
    what: 'a compensable step over compensationsMax',
    call: async (ctx) => {
      await ctx.step('first', () => 1, { compensate: () => 0 });
      return ctx.step('second', () => 2, { compensate: () => 0 });
    },
    callKind: 'step',
    name: 'second',
    type: LimitError,
    details: { limit: 'compensationsMax', max: 1, actual: 2 },
    callSeq: 2,
  },
];

describe('WorkflowRun limits at the call', () => {
  it.each(rows)(
    '$what fails that call with a $type.name through CallRejected; the next call keeps its number',
    async (row) => {
      let caught: unknown;
      const body = workflow('limited', async (ctx) => {
        try {
          await row.call(ctx);
        } catch (error) {
          caught = error;
        }
        return ctx.step('after', () => 'next');
      });
      const j = await Journal.live(body, { runLimits });
      await j.settle();
      const callSeq = row.callSeq ?? 1;
      const error = { name: row.type === LimitError ? 'LimitError' : 'TerminalError' };
      const rejected = { type: 'rejected', callSeq, callKind: row.callKind, name: row.name, error };
      expect(j.sink.intents.find((i) => i.type === 'rejected')).toMatchObject(rejected);
      expect(j.records.find((r) => r.body.kind === 'CallRejected')?.body).toMatchObject({ callSeq, error });
      expect(caught).toBeInstanceOf(row.type);
      if (row.details !== undefined) expect(caught).toMatchObject({ code: 'LB_LIMIT', details: row.details });
      expect(callsOf(j.sink.intents).at(-1)).toBe(`${callSeq + 1}:step:after`);
      expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: 'next' });
    },
  );

  it('a workflow result over workflowResultBytesMax fails the workflow with a LimitError, after its compensations', async () => {
    const body = workflow('bulky', async (ctx) => {
      await ctx.step('reserve', () => 1, { compensate: () => 'released' });
      return big;
    });
    const j = await Journal.live(body, { runLimits });
    await j.settle();
    expect(j.sink.intents.map((i) => i.type)).toEqual(['step', 'compensation', 'step', 'fail']);
    expect(endingOf(j.sink.intents)).toMatchObject({
      type: 'fail',
      error: {
        name: 'LimitError',
        code: 'LB_LIMIT',
        details: { limit: 'workflowResultBytesMax', max: 100, actual: 202 },
      },
    });
    expect(j.records.at(-1)?.body.kind).toBe('WorkflowFailed');
  });

  it('a workflow result within the limit completes (undefined becomes null)', async () => {
    const j = await Journal.live(
      workflow('small', async () => undefined),
      { runLimits },
    );
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: null });
  });

  it.each<{ what: string; bad: (ctx: WorkflowContext) => unknown }>([
    { what: 'ctx.step maxAttempts 0', bad: (ctx) => ctx.step('s', () => 1, { retry: { maxAttempts: 0 } }) },
    {
      what: `ctx.step maxAttempts ${STEP_ATTEMPTS_MAX + 1}`,
      bad: (ctx) => ctx.step('s', () => 1, { retry: { maxAttempts: STEP_ATTEMPTS_MAX + 1 } }),
    },
    {
      what: 'ctx.step maxAttempts 5000',
      bad: (ctx) => ctx.step('s', () => 1, { retry: { maxAttempts: 5000 } }),
    },
    {
      what: 'ctx.step maxAttempts 1.5',
      bad: (ctx) => ctx.step('s', () => 1, { retry: { maxAttempts: 1.5 } }),
    },
    {
      what: 'ctx.step backoffCoefficient 0',
      bad: (ctx) => ctx.step('s', () => 1, { retry: { backoffCoefficient: 0 } }),
    },
    { what: "ctx.step timeout 'soon'", bad: (ctx) => ctx.step('s', () => 1, { timeout: 'soon' }) },
    {
      what: 'ctx.step initialInterval -1',
      bad: (ctx) => ctx.step('s', () => 1, { retry: { initialInterval: -1 } }),
    },
    { what: "ctx.sleep('soon')", bad: (ctx) => ctx.sleep('soon') },
    { what: "ctx.signal timeout '1 week'", bad: (ctx) => ctx.signal('s', { timeout: '1 week' }) },
  ])('$what throws a ConfigError at the call without taking a call number', async ({ bad }) => {
    let thrown: unknown;
    const body = workflow('options', async (ctx) => {
      try {
        void bad(ctx); // thrown synchronously, before any call is numbered
      } catch (error) {
        thrown = error;
      }
      return ctx.step('next', ({ idempotencyKey }) => idempotencyKey);
    });
    const j = await Journal.live(body);
    await j.settle();
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(callsOf(j.sink.intents)).toEqual(['1:step:next']);
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: 'w-1/1' });
  });
});
