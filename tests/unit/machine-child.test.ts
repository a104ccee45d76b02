/**
 * Proves a parent never waits forever on a child that cannot run (decide-command I3): a child start for a
 * workflow the child's owner does not know, or for an id already used by another running workflow, fails
 * the parent's call with a childResult; a redelivered child start of the same parent writes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/commands/command.js';
import type { Input, PartitionState } from '../../src/machine/index.js';
import { runTick } from '../../src/partition/tick.js';

const T0 = 1_700_000_000_000;
const WORKFLOWS: ReadonlySet<string> = new Set(['order', 'receipt']);
let offset = 0;
const command = (c: Command): Input => ({
  kind: 'command',
  command: c,
  offset: String(offset++),
  raw: { key: null, value: null },
});
const start = (id: string, workflow: string, parent: { workflowId: string; callSeq: number } | null): Input =>
  command({ type: 'start', workflow, id, input: null, idempotency: null, parent });
const tick = (state: PartitionState, ...inputs: Input[]) =>
  runTick(state, inputs, { nowMs: T0, workflows: WORKFLOWS }).effects;

describe('child starts that cannot run', () => {
  it('fail the parent call when the child workflow is not registered', () => {
    const effects = tick(new Map(), start('c-1', 'nope', { workflowId: 'p-1', callSeq: 3 }));
    expect(effects.deadLetters).toHaveLength(1);
    expect(effects.commands).toEqual([
      expect.objectContaining({
        type: 'childResult',
        id: 'p-1',
        callSeq: 3,
        childId: 'c-1',
        outcome: expect.objectContaining({ ok: false }),
      }),
    ]);
  });

  it('fail the parent call when the child id is used by another running workflow', () => {
    const state: PartitionState = new Map();
    tick(state, start('c-1', 'receipt', null)); // a top-level workflow already has this id
    const effects = tick(state, start('c-1', 'receipt', { workflowId: 'p-1', callSeq: 3 }));
    expect(effects.records).toEqual([]);
    expect(effects.commands).toEqual([
      expect.objectContaining({ type: 'childResult', id: 'p-1', callSeq: 3, childId: 'c-1' }),
    ]);
  });

  it('write nothing for a redelivered start of the same parent call', () => {
    const state: PartitionState = new Map();
    const parent = { workflowId: 'p-1', callSeq: 3 };
    tick(state, start('c-1', 'receipt', parent));
    const effects = tick(state, start('c-1', 'receipt', parent));
    expect(effects.records).toEqual([]);
    expect(effects.commands).toEqual([]);
  });
});
