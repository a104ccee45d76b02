/**
 * Proves live delivery and replay hand a run its records the same way (run-registry I5): a body whose
 * parallel branches await to different depths makes its calls in the same order whether a tick's records
 * arrive together (live) or one by one from history (replay after a takeover) — so it is not parked as
 * stuck for a divergence it never had.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord, RecordBody } from '../../src/journal/index.js';
import { applyRecord, type PartitionState } from '../../src/machine/index.js';
import { RunRegistry } from '../../src/partition/run-registry.js';
import type { StepRequest } from '../../src/replay/index.js';
import type { StepRunner } from '../../src/steps/index.js';
import { TimerWheel } from '../../src/timers/index.js';
import { workflow } from '../../src/workflow/index.js';

const helper = async (value: unknown): Promise<unknown> => {
  await Promise.resolve();
  return value;
};
const branches = workflow('branches', async (ctx) => {
  await Promise.all([
    (async () => {
      const a = await ctx.step('a', () => 1);
      await helper(a);
      await ctx.step('x', () => 1);
    })(),
    (async () => {
      await ctx.step('b', () => 1);
      await ctx.step('y', () => 1);
    })(),
  ]);
  return 'done';
});

const rec = (seq: number, body: RecordBody): JournalRecord => ({
  schemaVersion: 2,
  workflowId: 'w-1',
  seq,
  atMs: 5,
  body,
});
const started = rec(1, {
  kind: 'WorkflowStarted',
  workflow: 'branches',
  input: null,
  idempotencyKey: null,
  parent: null,
});
const completed = (seq: number, callSeq: number, name: string): JournalRecord =>
  rec(seq, { kind: 'StepCompleted', callSeq, name, result: 1, attempt: 1, startedAtMs: 0, durationMs: 0 });
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function registry(state: PartitionState, calls: string[]): RunRegistry {
  const runner = {
    run: (request: StepRequest) => void calls.push(`${request.callSeq}:${request.name}`),
  } as unknown as StepRunner;
  const wheel = new TimerWheel(() => undefined);
  return new RunRegistry(state, new Map([['branches', branches]]), runner, wheel, () => undefined);
}

describe('RunRegistry delivery', () => {
  it('numbers parallel calls the same live (a tick at once) and on replay (one record at a time)', async () => {
    const liveState: PartitionState = new Map();
    const liveCalls: string[] = [];
    const live = registry(liveState, liveCalls);
    applyRecord(liveState, started);
    await live.deliver([started]);
    const tick = [completed(2, 1, 'a'), completed(3, 2, 'b')]; // both steps finished in one tick
    for (const r of tick) applyRecord(liveState, r);
    await live.deliver(tick);
    await drain();

    const replayState: PartitionState = new Map();
    for (const r of [started, ...tick]) applyRecord(replayState, r);
    const ws = replayState.get('w-1');
    if (ws === undefined) throw new Error('no state');
    const replayCalls: string[] = [];
    await registry(replayState, replayCalls).resume(ws, [...ws.history]);
    await drain();

    const later = (calls: string[]): string[] => calls.filter((c) => c.endsWith(':x') || c.endsWith(':y'));
    expect(liveCalls.slice(0, 2)).toEqual(['1:a', '2:b']);
    expect(later(liveCalls)).toHaveLength(2);
    expect(later(replayCalls)).toEqual(later(liveCalls)); // same callSeq for the same step, live and replayed
  });
});
