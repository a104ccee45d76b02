/**
 * Proves how child workflows talk to their parents through the machine (decide-command.ts I1, I3;
 * decide-intent.ts endings): a child intent journals ChildStarted and routes a start carrying the parent
 * call; a child's ending (completed, failed, cancelled — also a stuck child cancelled at once) sends its
 * parent a childResult; a childResult closes the parent's call once and is stale for anything else; and a
 * parent never waits forever on a child that cannot run: an unregistered child workflow or an id used by
 * another running workflow fails the parent's call, a redelivered start of the same parent writes nothing,
 * and a start of a child that already finished answers the parent at once.
 */
import { describe, expect, it } from 'vitest';
import type { ChildOutcome } from '../../src/journal/index.js';
import type { Command, Intent } from '../../src/machine/index.js';
import {
  bodies,
  boom,
  diverged,
  expectNothing,
  intent,
  kinds,
  Partition,
  startCommand,
  stepIntent,
  T0,
} from './machine-harness.js';

const parent = { workflowId: 'p-1', callSeq: 4 };
const childResult = (outcome: ChildOutcome, callSeq = 4, childId = 'c-1'): Command => ({
  type: 'childResult',
  id: 'p-1',
  callSeq,
  childId,
  outcome,
});
const cancelledOutcome = { ok: false, error: { name: 'CancelledError', code: 'LB_CANCELLED' } };

describe('child results to the parent', () => {
  it.each<{ ending: Intent; outcome: ChildOutcome }>([
    { ending: { type: 'complete', result: 'shipped' }, outcome: { ok: true, result: 'shipped' } },
    { ending: { type: 'fail', error: boom }, outcome: { ok: false, error: boom } },
  ])("a child's $ending.type sends a childResult command to its parent", ({ ending, outcome }) => {
    const p = new Partition().started('c-1', parent);
    const effects = p.tick(T0 + 1, intent('c-1', ending));
    expect(effects.commands).toEqual([childResult(outcome)]);
  });

  it("a cancelled child's childResult is a CancelledError with the reason", () => {
    const p = new Partition().started('c-1', parent);
    const effects = p.tick(T0 + 1, intent('c-1', { type: 'cancelled', reason: 'no stock' }));
    expect(effects.commands).toHaveLength(1);
    expect(effects.commands[0]).toMatchObject({ type: 'childResult', outcome: cancelledOutcome });
    expect(JSON.stringify(effects.commands[0])).toContain('no stock');
  });

  it('a cancel of a stuck child answers its parent with a CancelledError', () => {
    const p = new Partition().started('c-1', parent);
    p.tick(T0 + 1, intent('c-1', { type: 'stuck', error: diverged }));
    const effects = p.tick(T0 + 2, p.command({ type: 'cancel', id: 'c-1', reason: 'operator' }));
    expect(kinds(effects)).toEqual(['CancelRequested', 'WorkflowCancelled']);
    expect(effects.commands).toHaveLength(1);
    expect(effects.commands[0]).toMatchObject({
      type: 'childResult',
      id: 'p-1',
      callSeq: 4,
      childId: 'c-1',
      outcome: cancelledOutcome,
    });
  });

  it('a child cancelled after it recovered from stuck reports the cancel, not the old divergence', () => {
    const p = new Partition().started('c-1', parent).stepped('c-1', 1);
    p.tick(T0 + 1, intent('c-1', { type: 'stuck', error: diverged }));
    // A fixed deployment's body makes a new call: the workflow runs again.
    p.tick(T0 + 2, intent('c-1', { type: 'sleep', callSeq: 2, durationMs: 1_000, parentSeq: 1 }));
    expect(p.workflow('c-1').status).toBe('running');
    const effects = p.tick(T0 + 3, intent('c-1', { type: 'cancelled', reason: 'operator' }));
    expect(effects.commands[0]).toMatchObject({ outcome: cancelledOutcome });
  });

  it('a top-level workflow ending sends no childResult', () => {
    const p = new Partition().started('o-1');
    expect(p.tick(T0 + 1, intent('o-1', { type: 'complete', result: 1 })).commands).toEqual([]);
  });
});

describe('the parent side', () => {
  it('a child intent journals ChildStarted and routes the child start', () => {
    const p = new Partition().started('p-1');
    const effects = p.tick(
      T0,
      intent('p-1', { type: 'child', callSeq: 4, childId: 'c-1', workflow: 'ship', input: 7, parentSeq: 3 }),
    );
    expect(bodies(effects)).toEqual([
      { kind: 'ChildStarted', callSeq: 4, childId: 'c-1', workflow: 'ship', parentSeq: 3 },
    ]);
    expect(effects.commands).toEqual([
      { type: 'start', workflow: 'ship', id: 'c-1', input: 7, idempotency: null, parent },
    ]);
    expect(p.workflow('p-1').open.get(4)).toMatchObject({ kind: 'child', name: 'ship' });
  });

  it.each<ChildOutcome>([
    { ok: true, result: 7 },
    { ok: false, error: boom },
  ])('a childResult closes the parent call once (ok: $ok)', (outcome) => {
    const p = new Partition().started('p-1');
    p.tick(
      T0,
      intent('p-1', {
        type: 'child',
        callSeq: 4,
        childId: 'c-1',
        workflow: 'ship',
        input: null,
        parentSeq: 0,
      }),
    );
    expect(bodies(p.tick(T0 + 1, p.command(childResult(outcome))))).toEqual([
      { kind: 'ChildCompleted', callSeq: 4, childId: 'c-1', outcome },
    ]);
    const ws = p.workflow('p-1');
    expect(ws.open.size).toBe(0);
    expect(ws.recent).toEqual([
      {
        callSeq: 4,
        kind: 'child',
        name: 'ship',
        outcome: outcome.ok ? 'ok' : 'failed',
        attempts: 0,
        atMs: T0 + 1,
      },
    ]);
    expectNothing(p.tick(T0 + 2, p.command(childResult(outcome))));
  });

  it.each([
    { what: 'a call that is not a child', setup: (p: Partition) => p.tick(T0, stepIntent('p-1', 4)) },
    { what: 'a call never made', setup: () => undefined },
    {
      what: 'a finished parent',
      setup: (p: Partition) => {
        p.tick(
          T0,
          intent('p-1', {
            type: 'child',
            callSeq: 4,
            childId: 'c-1',
            workflow: 'ship',
            input: null,
            parentSeq: 0,
          }),
        );
        p.tick(T0, intent('p-1', { type: 'fail', error: boom }));
      },
    },
  ])('a childResult for $what writes nothing', ({ setup }) => {
    const p = new Partition().started('p-1');
    setup(p);
    expectNothing(p.tick(T0 + 1, p.command(childResult({ ok: true, result: 1 }))));
  });

  it('a childResult for an unknown parent writes nothing', () => {
    const p = new Partition();
    expectNothing(p.tick(T0, p.command(childResult({ ok: true, result: 1 }))));
  });
});

describe('child starts that cannot run', () => {
  it('fail the parent call when the child workflow is not registered', () => {
    const p = new Partition();
    const effects = p.tick(T0, p.command(startCommand('c-1', 'nope', { workflowId: 'p-1', callSeq: 3 })));
    expect(effects.deadLetters.map((l) => l.code)).toEqual(['LB_CMD_UNKNOWN_WORKFLOW']);
    expect(effects.commands).toEqual([
      {
        type: 'childResult',
        id: 'p-1',
        callSeq: 3,
        childId: 'c-1',
        outcome: {
          ok: false,
          error: expect.objectContaining({ name: 'TerminalError', code: 'LB_CMD_UNKNOWN_WORKFLOW' }),
        },
      },
    ]);
    expect(p.state.has('c-1')).toBe(false);
  });

  it('fail the parent call when the child id is used by another running workflow', () => {
    const p = new Partition();
    p.tick(T0, p.command(startCommand('c-1', 'ship'))); // a top-level workflow already has this id
    const effects = p.tick(T0, p.command(startCommand('c-1', 'ship', { workflowId: 'p-1', callSeq: 3 })));
    expect(effects.records).toEqual([]);
    expect(effects.commands).toEqual([
      expect.objectContaining({
        type: 'childResult',
        id: 'p-1',
        callSeq: 3,
        childId: 'c-1',
        outcome: { ok: false, error: expect.objectContaining({ code: 'LB_CHILD_FAILED' }) },
      }),
    ]);
  });

  it('write nothing for a redelivered start of the same parent call', () => {
    const p = new Partition();
    const first = p.tick(T0, p.command(startCommand('c-1', 'ship', parent)));
    expect(first.records[0]?.body).toMatchObject({ kind: 'WorkflowStarted', parent });
    expectNothing(p.tick(T0, p.command(startCommand('c-1', 'ship', parent))));
  });

  it('answer the parent at once for a redelivered start of a finished child', () => {
    const p = new Partition().started('c-1', parent);
    p.tick(T0 + 1, intent('c-1', { type: 'complete', result: 7 }));
    const effects = p.tick(T0 + 2, p.command(startCommand('c-1', 'order', parent)));
    expect(effects.records).toEqual([]);
    expect(effects.commands).toEqual([childResult({ ok: true, result: 7 })]);
  });
});
