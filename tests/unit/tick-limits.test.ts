/**
 * Proves a tick's limits that keep a partition from wedging (tick.ts I3, step-runner I6): a tick stops
 * taking inputs at its byte budget and hands the rest back in order, and a step result too large for the
 * journal fails the step with a TerminalError instead of failing every commit after it.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/commands/command.js';
import type { Input, PartitionState } from '../../src/machine/index.js';
import { runTick } from '../../src/partition/tick.js';
import { stepRequest } from '../../src/replay/index.js';
import { StepRunner } from '../../src/steps/index.js';

const start = (id: string, offset: number, input: string): Input => {
  const command: Command = { type: 'start', workflow: 'w', id, input, idempotency: null, parent: null };
  return { kind: 'command', command, offset: String(offset), raw: { key: null, value: null } };
};
const ctx = { nowMs: 1, workflows: new Set(['w']) };

describe('tick byte budget', () => {
  it('takes inputs until the budget and returns the rest, in order, with the offset of those taken only', () => {
    const state: PartitionState = new Map();
    const inputs = [
      start('a', 0, 'x'.repeat(400)),
      start('b', 1, 'x'.repeat(400)),
      start('c', 2, 'x'.repeat(400)),
    ];
    const tick = runTick(state, inputs, ctx, 1_200); // each start is ~520 bytes: two fit
    expect(tick.effects.records.map((r) => r.workflowId)).toEqual(['a', 'b']);
    expect(tick.leftover).toEqual([inputs[2]]);
    expect(tick.nextCommandOffset).toBe(2);
    expect(state.has('c')).toBe(false); // the leftover input changed nothing
  });

  it('always takes the first input, even over the budget, so a tick never stalls', () => {
    const tick = runTick(new Map(), [start('a', 0, 'x'.repeat(5_000))], ctx, 1_000);
    expect(tick.effects.records).toHaveLength(1);
    expect(tick.leftover).toEqual([]);
  });
});

describe('step result limit', () => {
  it('fails a step whose result is over resultBytesMax with a non-retriable TerminalError', async () => {
    const outcomes: Input[] = [];
    const runner = new StepRunner({ stepsInFlightMax: 1, resultBytesMax: 100 }, (input) =>
      outcomes.push(input),
    );
    runner.run(
      stepRequest('w-1', 1, 'big', () => 'x'.repeat(200), {}),
      1,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const outcome = outcomes[0];
    expect(outcome?.kind).toBe('stepOutcome');
    if (outcome?.kind !== 'stepOutcome') return;
    expect(outcome.outcome).toMatchObject({ ok: false, retriable: false, error: { name: 'TerminalError' } });
  });
});
