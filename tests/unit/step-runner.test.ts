/**
 * Proves the StepRunner (step-runner.ts I1–I3, I6, I7) with step functions the test settles by hand and
 * fake timers for timeouts:
 *   - at most `stepsInFlightMax` attempts run at once, the rest start in FIFO order (I1);
 *   - `hasRoom()` turns false once `stepQueueMax` attempts wait (I1);
 *   - `active()` is true from `run()` until the outcome is reported, and false after (I7);
 *   - an attempt over its timeout reports a retriable TimeoutError, its StepInfo.signal is aborted (the
 *     function sees it), and its late result is not reported (I2);
 *   - `stop()` aborts running attempts and drops their outcomes and the queued ones (I2);
 *   - TerminalError, and errors whose name or code is in `nonRetryable`, are not retriable (I3);
 *   - a result whose JSON is over `resultBytesMax` UTF-8 bytes (though fewer characters) fails with a
 *     LimitError (I6).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Input, StepOutcome } from '../../src/machine/index.js';
import { stepPolicy, stepRequest } from '../../src/replay/index.js';
import { StepRunner, type StepRunnerLimits } from '../../src/steps/index.js';
import { type StepInfo, type StepOptions, TerminalError } from '../../src/workflow/index.js';

type Reported = Extract<Input, { kind: 'stepOutcome' }>;

const LIMITS: StepRunnerLimits = { stepsInFlightMax: 2, stepQueueMax: 3, resultBytesMax: 1_000 };

/** Lets promise chains and timers' callbacks run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A runner whose step functions block until the test settles them. */
function harness(limits: StepRunnerLimits = LIMITS) {
  const reported: Reported[] = [];
  const activeAtReport: boolean[] = [];
  const runner: StepRunner = new StepRunner(limits, (input) => {
    if (input.kind !== 'stepOutcome') throw new Error(`unexpected ${input.kind}`);
    activeAtReport.push(runner.active(input.workflowId, input.callSeq));
    reported.push(input);
  });
  const calls: {
    callSeq: number;
    info: StepInfo;
    settle: (value: unknown) => void;
    fail: (e: unknown) => void;
  }[] = [];
  const run = (callSeq: number, options: StepOptions = {}, workflowId = 'wf'): void => {
    const fn = (info: StepInfo) =>
      new Promise((settle, fail) => {
        calls.push({ callSeq, info, settle, fail });
      });
    runner.run(stepRequest(workflowId, callSeq, `s${callSeq}`, fn, stepPolicy(options)), 1);
  };
  const call = (callSeq: number) => {
    const found = calls.find((c) => c.callSeq === callSeq);
    if (found === undefined) throw new Error(`step ${callSeq} never started`);
    return found;
  };
  return { runner, reported, activeAtReport, calls, run, call };
}

/** Runs one step function to its outcome. */
async function outcomeOf(
  fn: () => unknown,
  options: StepOptions = {},
  limits = LIMITS,
): Promise<StepOutcome> {
  const reported: Reported[] = [];
  const runner = new StepRunner(limits, (input) => {
    if (input.kind === 'stepOutcome') reported.push(input);
  });
  runner.run(stepRequest('wf', 1, 'one', fn, stepPolicy(options)), 1);
  while (reported.length === 0) await flush();
  const first = reported[0];
  if (first === undefined) throw new Error('no outcome');
  return first.outcome;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('StepRunner: concurrency and queue (I1, I7)', () => {
  it('runs at most stepsInFlightMax attempts at once and starts the rest in FIFO order', async () => {
    const { runner, calls, run, call } = harness();
    for (let seq = 1; seq <= 5; seq++) run(seq);
    await flush();
    expect(calls.map((c) => c.callSeq)).toEqual([1, 2]);
    expect(runner.inFlight).toBe(2);
    expect(runner.waiting).toBe(3);
    call(2).settle('two');
    await flush();
    expect(calls.map((c) => c.callSeq)).toEqual([1, 2, 3]);
    call(1).settle('one');
    call(3).settle('three');
    await flush();
    expect(calls.map((c) => c.callSeq)).toEqual([1, 2, 3, 4, 5]);
    expect(runner.inFlight).toBe(2);
    expect(runner.waiting).toBe(0);
  });

  it('hasRoom() turns false at stepQueueMax waiting attempts and true again once one starts', async () => {
    const { runner, run, call } = harness();
    const room: boolean[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      run(seq);
      room.push(runner.hasRoom());
    }
    expect(room).toEqual([true, true, true, true, false]); // 2 run, then 1, 2, 3 wait
    await flush();
    call(1).settle(1);
    await flush();
    expect(runner.waiting).toBe(2);
    expect(runner.hasRoom()).toBe(true);
  });

  it('active() is true from run() until the outcome is reported', async () => {
    const { runner, reported, activeAtReport, run, call } = harness({ ...LIMITS, stepsInFlightMax: 1 });
    run(1);
    run(2);
    expect([runner.active('wf', 1), runner.active('wf', 2), runner.active('wf', 3)]).toEqual([
      true,
      true,
      false,
    ]);
    expect(runner.active('other', 1)).toBe(false);
    await flush();
    call(1).settle('x');
    await flush();
    expect(reported.map((r) => r.callSeq)).toEqual([1]);
    expect(activeAtReport).toEqual([true]); // no gap before the report
    expect(runner.active('wf', 1)).toBe(false);
    expect(runner.active('wf', 2)).toBe(true);
    call(2).settle('y');
    await flush();
    expect(runner.active('wf', 2)).toBe(false);
  });
});

describe('StepRunner: timeouts and stop (I2)', () => {
  it('an attempt over its timeout reports a retriable TimeoutError, aborts its signal, and its late result is dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { runner, reported, run, call } = harness();
    run(1, { timeout: 1_000 });
    await flush();
    const { info } = call(1);
    const aborted: unknown[] = [];
    info.signal.addEventListener('abort', () => aborted.push(info.signal.reason));
    vi.advanceTimersByTime(999);
    await flush();
    expect(reported).toEqual([]);
    expect(info.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    await flush();
    expect(info.signal.aborted).toBe(true);
    expect(aborted).toHaveLength(1);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.outcome).toMatchObject({
      ok: false,
      retriable: true,
      error: { name: 'TimeoutError' },
    });
    expect(runner.active('wf', 1)).toBe(false); // its slot is free
    call(1).settle('too late');
    await flush();
    expect(reported).toHaveLength(1);
  });

  it('stop() aborts running attempts and drops their outcomes and the queued attempts', async () => {
    const { runner, reported, calls, run, call } = harness();
    for (let seq = 1; seq <= 4; seq++) run(seq);
    await flush();
    runner.stop();
    expect(call(1).info.signal.aborted).toBe(true);
    expect(call(2).info.signal.aborted).toBe(true);
    call(1).settle('done anyway');
    call(2).fail(new Error('aborted'));
    await flush();
    expect(reported).toEqual([]);
    expect(calls.map((c) => c.callSeq)).toEqual([1, 2]); // 3 and 4 never start
    run(5);
    await flush();
    expect(calls).toHaveLength(2);
  });
});

describe('StepRunner: outcomes (I3, I6)', () => {
  class CodedError extends Error {
    constructor(
      override readonly name: string,
      readonly code: string,
    ) {
      super(`${name} ${code}`);
    }
  }

  it.each([
    { what: 'a plain Error', make: () => new Error('flaky'), nonRetryable: [], retriable: true },
    { what: 'a TerminalError', make: () => new TerminalError('no'), nonRetryable: [], retriable: false },
    {
      what: 'an error named in nonRetryable',
      make: () => new CodedError('PaymentDeclined', 'E1'),
      nonRetryable: ['PaymentDeclined'],
      retriable: false,
    },
    {
      what: 'an error whose code is in nonRetryable',
      make: () => new CodedError('Whatever', 'CARD_EXPIRED'),
      nonRetryable: ['CARD_EXPIRED'],
      retriable: false,
    },
    {
      what: 'an error nonRetryable does not name',
      make: () => new CodedError('Whatever', 'E2'),
      nonRetryable: ['Other'],
      retriable: true,
    },
  ])('$what: retriable $retriable', async ({ make, nonRetryable, retriable }) => {
    const outcome = await outcomeOf(
      () => {
        throw make();
      },
      { retry: { nonRetryable: [...nonRetryable] } },
    );
    expect(outcome).toMatchObject({ ok: false, retriable });
  });

  it('a result over resultBytesMax UTF-8 bytes fails with a LimitError though it has fewer characters', async () => {
    const value = 'é'.repeat(10); // JSON: 12 characters, 22 bytes
    const limits = { ...LIMITS, resultBytesMax: 16 };
    expect(JSON.stringify(value).length).toBeLessThan(16);
    const outcome = await outcomeOf(() => value, {}, limits);
    expect(outcome).toMatchObject({
      ok: false,
      retriable: false,
      error: { name: 'LimitError', details: { limit: 'stepResultBytesMax', max: 16, actual: 22 } },
    });
    expect(await outcomeOf(() => 'e'.repeat(10), {}, limits)).toEqual({ ok: true, result: 'e'.repeat(10) });
  });
});
