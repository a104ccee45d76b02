/**
 * Proves step retries and compensations on the real broker (DESIGN §4, §5): a failing step is retried on
 * journaled timers with exponential backoff inside the ±20 % jitter, and its retry timer never fires
 * early; a `nonRetryable` error fails the step at once; exhausted retries fail the workflow with every
 * attempt's error; and when a later step fails terminally, completed steps' compensations run durably in
 * reverse order before the workflow fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, TerminalError, workflow } from '../../src/index.js';
import type { JournalRecord, RecordBody } from '../../src/journal/index.js';
import { Engine, recordsOf } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';

type Body<K extends RecordBody['kind']> = Extract<RecordBody, { kind: K }>;

function kinds(records: readonly JournalRecord[]): string[] {
  return records.map((r) => r.body.kind);
}

function only<K extends RecordBody['kind']>(
  records: readonly JournalRecord[],
  kind: K,
): Array<JournalRecord & { body: Body<K> }> {
  return records.filter((r): r is JournalRecord & { body: Body<K> } => r.body.kind === kind);
}

class CardDeclined extends Error {
  override readonly name = 'CardDeclined';
}

/** Nominal backoff before attempt n+1 is initial · 2ⁿ⁻¹, jittered by ±20 %, rounded to whole ms. */
function expectWithinJitter(actualMs: number, nominalMs: number): void {
  const slackMs = 2; // rounding
  expect(actualMs).toBeGreaterThanOrEqual(nominalMs * 0.8 - slackMs);
  expect(actualMs).toBeLessThanOrEqual(nominalMs * 1.2 + slackMs);
}

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('step retries', () => {
  it('a step failing twice then succeeding is retried on journaled timers with 200 ms and 400 ms backoff, never early', async () => {
    engine = new Engine(uniqueNamespace('retry'));
    const attempts: number[] = [];
    const flaky = workflow('flaky', async (ctx) => {
      const value = await ctx.step(
        'charge',
        ({ attempt }) => {
          attempts.push(attempt);
          if (attempt < 3) throw new Error(`transient failure ${attempt}`);
          return { charged: true, attempt };
        },
        { retry: { maxAttempts: 5, initialInterval: '200ms', backoffCoefficient: 2 } },
      );
      return value;
    });
    await engine.executor({ workflows: [flaky] });
    const client = engine.client();
    const handle = await client.start(flaky, { id: 'f-1' });
    expect(await handle.result({ timeout: '20s' })).toEqual({ charged: true, attempt: 3 });
    expect(attempts).toEqual([1, 2, 3]);

    const records = recordsOf(await engine.journal(), 'f-1');
    expect(kinds(records)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepFailed',
      'TimerScheduled',
      'TimerFired',
      'StepStarted', // the retry timer's firing starts the next attempt in the same decision
      'StepFailed',
      'TimerScheduled',
      'TimerFired',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    expect(only(records, 'StepStarted').map((r) => r.body.attempt)).toEqual([1, 2, 3]);
    const failed = only(records, 'StepFailed');
    expect(failed.map((r) => r.body.attempt)).toEqual([1, 2]);
    expect(failed.map((r) => r.body.error.message)).toEqual(['transient failure 1', 'transient failure 2']);
    const scheduled = only(records, 'TimerScheduled');
    expect(scheduled.map((r) => r.body.purpose)).toEqual(['retry', 'retry']);
    const fired = only(records, 'TimerFired');
    const completed = only(records, 'StepCompleted');
    expect(completed).toHaveLength(1);
    expect(completed[0]?.body.attempt).toBe(3);
    expect(completed[0]?.body.name).toBe('charge');

    const nominal = [200, 400];
    for (const [i, f] of failed.entries()) {
      const retryAtMs = f.body.retryAtMs;
      expect(retryAtMs).not.toBeNull();
      expectWithinJitter((retryAtMs ?? 0) - f.atMs, nominal[i] ?? 0);
      expect(scheduled[i]?.body.fireAtMs).toBe(retryAtMs);
      expect(scheduled[i]?.body.timerId).toBe(fired[i]?.body.timerId);
      expect(fired[i]?.atMs).toBeGreaterThanOrEqual(retryAtMs ?? Number.POSITIVE_INFINITY); // never early
    }
  });

  it('an error listed in nonRetryable fails the step at once and the workflow with that error', async () => {
    engine = new Engine(uniqueNamespace('nonretry'));
    const attempts: number[] = [];
    const pay = workflow('pay', async (ctx) => {
      await ctx.step(
        'reservePayment',
        ({ attempt }) => {
          attempts.push(attempt);
          throw new CardDeclined('card 4242 declined');
        },
        { retry: { maxAttempts: 5, initialInterval: '20ms', nonRetryable: ['CardDeclined'] } },
      );
      return 'unreachable';
    });
    await engine.executor({ workflows: [pay] });
    const client = engine.client();
    const handle = await client.start(pay, { id: 'p-1' });
    const error = await handle.result({ timeout: '20s' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('CardDeclined');
    expect((error as Error).message).toContain('card 4242 declined');
    expect(attempts).toEqual([1]);

    const records = recordsOf(await engine.journal(), 'p-1');
    const failed = only(records, 'StepFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.body.attempt).toBe(1);
    expect(failed[0]?.body.retryAtMs).toBeNull();
    expect(failed[0]?.body.error.name).toBe('CardDeclined');
    expect(only(records, 'TimerScheduled')).toHaveLength(0);
    expect(kinds(records).at(-1)).toBe('WorkflowFailed');
    expect(only(records, 'WorkflowFailed')[0]?.body.error.name).toBe('CardDeclined');
  });

  it('exhausted attempts fail the workflow with LB_RETRIES_EXHAUSTED and every attempt’s error', async () => {
    engine = new Engine(uniqueNamespace('exhaust'));
    const doomed = workflow('doomed', async (ctx) => {
      await ctx.step(
        'alwaysFails',
        ({ attempt }) => {
          throw new Error(`boom on attempt ${attempt}`);
        },
        { retry: { maxAttempts: 3, initialInterval: '20ms' } },
      );
      return 'unreachable';
    });
    await engine.executor({ workflows: [doomed] });
    const client = engine.client();
    const handle = await client.start(doomed, { id: 'd-1' });
    const error = await handle.result({ timeout: '20s' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: unknown }).code).toBe(ErrorCode.RetriesExhausted);

    const records = recordsOf(await engine.journal(), 'd-1');
    const failedSteps = only(records, 'StepFailed');
    expect(failedSteps.map((r) => r.body.attempt)).toEqual([1, 2, 3]);
    expect(failedSteps.map((r) => r.body.retryAtMs === null)).toEqual([false, false, true]);
    const workflowFailed = only(records, 'WorkflowFailed');
    expect(workflowFailed).toHaveLength(1);
    expect(kinds(records).at(-1)).toBe('WorkflowFailed');
    const failure = workflowFailed[0]?.body.error;
    expect(failure?.code).toBe(ErrorCode.RetriesExhausted);
    const details = failure?.details as { attempts?: Array<{ attempt: number; message: string }> };
    expect(details.attempts).toHaveLength(3);
    expect(details.attempts?.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(details.attempts?.map((a) => a.message)).toEqual([
      'boom on attempt 1',
      'boom on attempt 2',
      'boom on attempt 3',
    ]);
  });
});

describe('compensations', () => {
  it('when a later step fails terminally, completed steps are compensated in reverse order, then the workflow fails', async () => {
    engine = new Engine(uniqueNamespace('compensate'));
    const calls: string[] = [];
    const trip = workflow('trip', async (ctx) => {
      await ctx.step('a', () => calls.push('a'), { compensate: () => calls.push('undo a') });
      await ctx.step('b', () => calls.push('b'), { compensate: () => calls.push('undo b') });
      await ctx.step('c', () => {
        calls.push('c');
        throw new TerminalError('no seats left');
      });
      return 'unreachable';
    });
    await engine.executor({ workflows: [trip] });
    const client = engine.client();
    const handle = await client.start(trip, { id: 't-1' });
    const error = await handle.result({ timeout: '20s' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TerminalError);
    expect(calls).toEqual(['a', 'b', 'c', 'undo b', 'undo a']);

    const records = recordsOf(await engine.journal(), 't-1');
    expect(kinds(records)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepFailed',
      'CompensationStarted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'WorkflowFailed',
    ]);
    const started = only(records, 'CompensationStarted');
    expect(started[0]?.body.steps).toEqual(['b', 'a']);
    expect(started[0]?.body.reason.message).toBe('no seats left');
    expect(only(records, 'StepCompleted').map((r) => r.body.name)).toEqual([
      'a',
      'b',
      'compensate:b',
      'compensate:a',
    ]);
    expect(only(records, 'StepFailed')[0]?.body.retryAtMs).toBeNull();
    expect(only(records, 'WorkflowFailed')[0]?.body.error.name).toBe('TerminalError');
  });
});
