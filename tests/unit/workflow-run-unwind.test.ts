/**
 * Proves how a WorkflowRun unwinds, driven by the real machine (run-journal.ts): after a failure it
 * journals a compensation marker listing the compensable steps in reverse completion order, runs each
 * compensation as a durable `compensate:<name>` step (with the longer compensation retry policy), then
 * reports `fail` with the cause and any compensation failures; a cancel rejects open calls through
 * CallRejected (CancelledError), calls made after it are rejected by the machine and never start, and the
 * run ends with a `cancelled` intent when no compensation failed (a `fail` intent when one did).
 */
import { describe, expect, it } from 'vitest';
import { CancelledError, TerminalError, workflow } from '../../src/workflow/index.js';
import { callsOf, endingOf, Journal } from './run-journal.js';

/** A saga whose `ship` fails for good; undo log and the compensation requests' retry policies. */
function saga(options: { failUndoOf?: string } = {}) {
  const undone: string[] = [];
  const undo = (name: string) => () => {
    undone.push(name);
    if (name === options.failUndoOf) throw new TerminalError(`undo of ${name} failed`);
    return `undid ${name}`;
  };
  const definition = workflow('saga', async (ctx) => {
    await ctx.step('reserve', () => 1, { compensate: undo('reserve') });
    await ctx.step('log', () => 2);
    await ctx.step('charge', () => 3, { compensate: undo('charge') });
    await ctx.step('ship', () => {
      throw new TerminalError('no carrier');
    });
    return 'shipped';
  });
  return { definition, undone };
}

describe('WorkflowRun: compensation after a failure', () => {
  it('journals the compensable steps in reverse, runs their undo as compensate:<name> steps, then fails with the cause', async () => {
    const { definition, undone } = saga();
    const j = await Journal.live(definition);
    await j.settle();
    const marker = j.sink.intents.find((i) => i.type === 'compensation');
    expect(marker).toMatchObject({
      type: 'compensation',
      callSeq: 5,
      steps: ['charge', 'reserve'],
      reason: { name: 'TerminalError', message: 'no carrier' },
    });
    expect(callsOf(j.sink.intents).slice(4)).toEqual([
      '5:compensation:',
      '6:step:compensate:charge',
      '7:step:compensate:reserve',
    ]);
    expect(undone).toEqual(['charge', 'reserve']);
    expect(j.records.map((r) => r.body.kind)).toContain('CompensationStarted');
    expect(endingOf(j.sink.intents)).toMatchObject({
      type: 'fail',
      error: { name: 'TerminalError', code: 'LB_TERMINAL', message: 'no carrier' },
    });
    expect(j.ws.status).toBe('failed');
  });

  it('a compensation step retries on the compensation policy (10 attempts), not the step default', async () => {
    const { definition } = saga();
    const j = await Journal.live(definition);
    for (let i = 0; i < 12 && j.run.stepCall(6) === undefined; i++) {
      await j.pump();
      await j.runAttempts();
    }
    expect(j.run.stepCall(6)).toMatchObject({ name: 'compensate:charge', retry: { maxAttempts: 10 } });
    expect(j.run.stepCall(3)).toBeUndefined(); // a completed step's request is released
  });

  it('a step that failed for good is released too: its request is dropped and its undo is not counted', async () => {
    // compensationsMax counts the undos a run holds; a failed step never completed, so it holds none.
    const body = workflow('retrying', async (ctx) => {
      for (let i = 0; i < 3; i++) {
        await ctx
          .step(`try${i}`, () => Promise.reject(new TerminalError('down')), { compensate: () => 'undo' })
          .catch(() => undefined);
      }
      return ctx.step('book', () => 'booked', { compensate: () => 'unbook' });
    });
    const j = await Journal.live(body, { runLimits: { compensationsMax: 2 } });
    await j.settle();
    expect(endingOf(j.sink.intents)).toEqual({ type: 'complete', result: 'booked' });
    expect(j.run.stepCall(1)).toBeUndefined();
  });

  it('a failed compensation is reported in the failure details and the remaining ones still run', async () => {
    const { definition, undone } = saga({ failUndoOf: 'charge' });
    const j = await Journal.live(definition);
    await j.settle();
    expect(undone).toEqual(['charge', 'reserve']);
    expect(endingOf(j.sink.intents)).toMatchObject({
      type: 'fail',
      error: {
        name: 'TerminalError',
        message: 'no carrier',
        details: {
          compensationFailures: [
            { step: 'charge', error: { name: 'TerminalError', message: 'undo of charge failed' } },
          ],
        },
      },
    });
  });

  it('a failure with nothing to compensate fails at once, without a compensation marker', async () => {
    const body = workflow('plain', async (ctx) => {
      await ctx.step('validate', () => {
        throw new TerminalError('invalid');
      });
      return 'never';
    });
    const j = await Journal.live(body);
    await j.settle();
    expect(j.sink.intents.map((i) => i.type)).toEqual(['step', 'fail']);
    expect(endingOf(j.sink.intents)).toMatchObject({ error: { name: 'TerminalError', message: 'invalid' } });
  });
});

describe('WorkflowRun: cancellation', () => {
  it('a cancel rejects the open call with CancelledError through CallRejected and ends `cancelled`', async () => {
    const errors: unknown[] = [];
    const body = workflow('held', async (ctx) => {
      try {
        await ctx.signal('never');
      } catch (error) {
        errors.push(error);
        throw error;
      }
      return 'never';
    });
    const j = await Journal.live(body);
    await j.settle();
    await j.command({ type: 'cancel', id: 'w-1', reason: 'customer asked' });
    expect(j.records.map((r) => r.body.kind).slice(-2)).toEqual(['CancelRequested', 'CallRejected']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CancelledError);
    expect(errors[0]).toMatchObject({ code: 'LB_CANCELLED', reason: 'customer asked' });
    await j.settle();
    expect(endingOf(j.sink.intents)).toEqual({ type: 'cancelled', reason: 'customer asked' });
    expect(j.ws.status).toBe('cancelled');
  });

  it('a call made after the cancel is rejected by the machine and its attempt never starts', async () => {
    const caught: string[] = [];
    const body = workflow('stubborn', async (ctx) => {
      try {
        await ctx.sleep('1h');
      } catch (error) {
        caught.push((error as Error).name);
      }
      await ctx.step('charge', () => 1);
      return 'never';
    });
    const j = await Journal.live(body);
    await j.settle();
    await j.command({ type: 'cancel', id: 'w-1', reason: 'r' });
    await j.settle();
    expect(caught).toEqual(['CancelledError']);
    expect(callsOf(j.sink.intents)).toEqual(['1:sleep:', '2:step:charge']);
    expect(j.records.filter((r) => r.body.kind === 'StepStarted')).toEqual([]);
    expect(j.records.at(-2)?.body).toMatchObject({
      kind: 'CallRejected',
      callSeq: 2,
      error: { name: 'CancelledError' },
    });
    expect(endingOf(j.sink.intents)).toEqual({ type: 'cancelled', reason: 'r' });
  });

  it.each([
    { what: 'every compensation succeeds', failUndoOf: undefined, ending: 'cancelled' },
    { what: 'a compensation fails', failUndoOf: 'reserve', ending: 'fail' },
  ])(
    'a cancel runs the compensations of completed steps; $what → $ending',
    async ({ failUndoOf, ending }) => {
      const undone: string[] = [];
      const body = workflow('hold', async (ctx) => {
        await ctx.step('reserve', () => 1, {
          compensate: () => {
            undone.push('reserve');
            if (failUndoOf === 'reserve') throw new TerminalError('cannot release');
          },
        });
        await ctx.sleep('1h');
        return 'never';
      });
      const j = await Journal.live(body);
      await j.settle();
      await j.command({ type: 'cancel', id: 'w-1', reason: 'r' });
      await j.settle();
      expect(undone).toEqual(['reserve']);
      expect(callsOf(j.sink.intents)).toEqual([
        '1:step:reserve',
        '2:sleep:',
        '3:compensation:',
        '4:step:compensate:reserve',
      ]);
      const done = endingOf(j.sink.intents);
      if (ending === 'cancelled') expect(done).toEqual({ type: 'cancelled', reason: 'r' });
      else
        expect(done).toMatchObject({
          type: 'fail',
          error: { name: 'CancelledError', details: { compensationFailures: [{ step: 'reserve' }] } },
        });
    },
  );
});
