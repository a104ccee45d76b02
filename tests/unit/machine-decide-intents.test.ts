/**
 * Proves how `decide` journals what a body asks for (decide-intent.ts I1, I2): each kind of call intent
 * writes its opening record(s) once, carrying its origin (parentSeq), and a replayed intent for a call
 * the journal holds writes nothing — also in workflows a v1/v2 writer started; a `rejected` intent journals
 * CallRejected and closes the call; endings write their record and event once; a stuck intent writes
 * WorkflowStuck once per error, and a fixed body may still end a stuck workflow.
 */
import { describe, expect, it } from 'vitest';
import type { RecordBody } from '../../src/journal/index.js';
import { applyRecord, type Intent } from '../../src/machine/index.js';
import {
  bodies,
  boom,
  diverged,
  expectNothing,
  intent,
  journal,
  kinds,
  Partition,
  startedBody,
  T0,
} from './machine-harness.js';

type Case = { intent: Intent; records: RecordBody[]; emits: number; commands: number; attempts: number };
const cases: Case[] = [
  {
    intent: { type: 'step', callSeq: 1, name: 'charge', parentSeq: 0, attemptActive: false },
    records: [{ kind: 'StepStarted', callSeq: 1, name: 'charge', attempt: 1, parentSeq: 0 }],
    emits: 0,
    commands: 0,
    attempts: 1,
  },
  {
    intent: { type: 'sleep', callSeq: 1, durationMs: 10, parentSeq: 0 },
    records: [
      {
        kind: 'TimerScheduled',
        timerId: 'sleep:1',
        callSeq: 1,
        purpose: 'sleep',
        fireAtMs: T0 + 11,
        parentSeq: 0,
      },
    ],
    emits: 0,
    commands: 0,
    attempts: 0,
  },
  {
    intent: { type: 'signal', callSeq: 1, name: 'go', timeoutMs: null, parentSeq: 0 },
    records: [{ kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 }],
    emits: 0,
    commands: 0,
    attempts: 0,
  },
  {
    intent: { type: 'signal', callSeq: 1, name: 'go', timeoutMs: 10, parentSeq: 0 },
    records: [
      { kind: 'SignalAwaited', callSeq: 1, name: 'go', parentSeq: 0 },
      {
        kind: 'TimerScheduled',
        timerId: 'signal:1',
        callSeq: 1,
        purpose: 'signal-timeout',
        fireAtMs: T0 + 11,
        parentSeq: -1,
      },
    ],
    emits: 0,
    commands: 0,
    attempts: 0,
  },
  {
    intent: { type: 'child', callSeq: 1, childId: 'o-1/ship', workflow: 'ship', input: 1, parentSeq: 0 },
    records: [{ kind: 'ChildStarted', callSeq: 1, childId: 'o-1/ship', workflow: 'ship', parentSeq: 0 }],
    emits: 0,
    commands: 1,
    attempts: 0,
  },
  {
    intent: { type: 'emit', callSeq: 1, topic: 'out', key: 'k', value: { v: 1 }, parentSeq: 0 },
    records: [{ kind: 'Emitted', callSeq: 1, topic: 'out', key: 'k', parentSeq: 0 }],
    emits: 1,
    commands: 0,
    attempts: 0,
  },
  {
    intent: { type: 'compensation', callSeq: 1, reason: boom, steps: ['charge'], parentSeq: 0 },
    records: [{ kind: 'CompensationStarted', callSeq: 1, reason: boom, steps: ['charge'], parentSeq: 0 }],
    emits: 0,
    commands: 0,
    attempts: 0,
  },
  {
    intent: { type: 'rejected', callSeq: 1, callKind: 'emit', name: 'out', error: boom, parentSeq: 0 },
    records: [{ kind: 'CallRejected', callSeq: 1, callKind: 'emit', name: 'out', error: boom, parentSeq: 0 }],
    emits: 0,
    commands: 0,
    attempts: 0,
  },
];

describe('decide: call intents', () => {
  it.each(cases)('a $intent.type intent writes its records once; replayed, it writes nothing', (c) => {
    const p = new Partition().started('o-1');
    const first = p.tick(T0 + 1, intent('o-1', c.intent));
    expect(bodies(first)).toEqual(c.records);
    expect(first.emits).toHaveLength(c.emits);
    expect(first.commands).toHaveLength(c.commands);
    expect(first.attempts).toHaveLength(c.attempts);
    expect(p.workflow('o-1').callCount).toBe(1);
    // A replayed body re-reports the call; a step's attempt is then running here.
    const again = c.intent.type === 'step' ? { ...c.intent, attemptActive: true } : c.intent;
    expectNothing(p.tick(T0 + 2, intent('o-1', again)));
  });

  it('an emit intent hands its value to the emits and closes the call at once', () => {
    const p = new Partition().started('o-1');
    const effects = p.tick(
      T0,
      intent('o-1', { type: 'emit', callSeq: 1, topic: 'out', key: 'k', value: { v: 1 }, parentSeq: 0 }),
    );
    expect(effects.emits).toEqual([{ workflowId: 'o-1', topic: 'out', key: 'k', value: { v: 1 } }]);
    expect(p.workflow('o-1').open.size).toBe(0);
  });

  it('a child intent routes a start command carrying the parent call', () => {
    const p = new Partition().started('o-1');
    const effects = p.tick(
      T0,
      intent('o-1', {
        type: 'child',
        callSeq: 4,
        childId: 'o-1/ship',
        workflow: 'ship',
        input: { to: 'x' },
        parentSeq: 3,
      }),
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

  it('a rejected intent closes the call as rejected; later outcomes for it write nothing', () => {
    const p = new Partition().started('o-1');
    p.tick(
      T0,
      intent('o-1', {
        type: 'rejected',
        callSeq: 1,
        callKind: 'step',
        name: 'charge',
        error: boom,
        parentSeq: 0,
      }),
    );
    const ws = p.workflow('o-1');
    expect(ws.open.size).toBe(0);
    expect(ws.recent).toEqual([
      { callSeq: 1, kind: 'step', name: 'charge', outcome: 'rejected', attempts: 0, atMs: T0 },
    ]);
    expectNothing(
      p.tick(
        T0 + 1,
        intent('o-1', { type: 'step', callSeq: 1, name: 'charge', parentSeq: 0, attemptActive: false }),
      ),
    );
  });

  it('a rejected intent for a call already open writes nothing: the machine decided that call already', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 10, parentSeq: 0 }));
    expectNothing(
      p.tick(
        T0 + 1,
        intent('o-1', {
          type: 'rejected',
          callSeq: 1,
          callKind: 'sleep',
          name: 'sleep',
          error: boom,
          parentSeq: 0,
        }),
      ),
    );
    expect(p.workflow('o-1').open.has(1)).toBe(true);
  });

  it('an intent for an unknown workflow writes nothing', () => {
    expectNothing(
      new Partition().tick(T0, intent('nope', { type: 'sleep', callSeq: 1, durationMs: 1, parentSeq: 0 })),
    );
  });
});

describe('decide: replayed intents of a workflow a v2 writer started', () => {
  /**
   * A partition holding o-1 as a v2 writer left it: calls 1 (emit), 2 (sleep) and 3 (step) closed. v2
   * journaled every call but a step when it was made, so only steps need legacyClosed (state.ts I3).
   */
  function legacy(): Partition {
    const p = new Partition();
    const history: RecordBody[] = [
      startedBody,
      { kind: 'Emitted', callSeq: 1, topic: 'out', key: 'k', parentSeq: -1 },
      {
        kind: 'TimerScheduled',
        timerId: 'sleep:2',
        callSeq: 2,
        purpose: 'sleep',
        fireAtMs: T0,
        parentSeq: -1,
      },
      { kind: 'TimerFired', timerId: 'sleep:2', callSeq: 2 },
      {
        kind: 'StepCompleted',
        callSeq: 3,
        name: 'charge',
        result: 1,
        attempt: 1,
        startedAtMs: T0,
        durationMs: 1,
      },
    ];
    for (const record of journal('o-1', history, { schemaVersion: 2 })) applyRecord(p.state, record);
    expect(p.workflow('o-1').legacySteps).toBe(true);
    return p;
  }

  it.each<Intent>([
    { type: 'emit', callSeq: 1, topic: 'out', key: 'k', value: 1, parentSeq: 0 },
    { type: 'sleep', callSeq: 2, durationMs: 10, parentSeq: 0 },
    { type: 'step', callSeq: 3, name: 'charge', parentSeq: 0, attemptActive: false },
  ])('a replayed $type intent for a closed call writes nothing', (replayed) => {
    const p = legacy();
    expectNothing(p.tick(T0 + 10, intent('o-1', replayed)));
  });

  it('a step the v2 writer never journaled (it was running) starts attempt 1', () => {
    const p = legacy();
    const effects = p.tick(
      T0 + 10,
      intent('o-1', { type: 'step', callSeq: 4, name: 'ship', parentSeq: 0, attemptActive: false }),
    );
    expect(bodies(effects)).toEqual([
      { kind: 'StepStarted', callSeq: 4, name: 'ship', attempt: 1, parentSeq: 0 },
    ]);
  });
});

describe('decide: endings', () => {
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
      p.tick(T0 + 1, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 1_000, parentSeq: 0 }));
      const effects = p.tick(T0 + 9, intent('o-1', c.intent));
      expect(bodies(effects)).toEqual([c.record]);
      expect(effects.events).toHaveLength(1);
      expect(effects.events[0]).toMatchObject({ type: c.event, id: 'o-1', workflow: 'order', atMs: T0 + 9 });
      expect(effects.commands).toEqual([]); // no parent
      const ws = p.workflow('o-1');
      expect(ws.status).toBe(c.status);
      expect(ws.open.size).toBe(0);
      expect(ws.timers.size).toBe(0);
      expect(p.timers.events).toEqual(['armed sleep:1', 'removed sleep:1']);
      expectNothing(p.tick(T0 + 10, intent('o-1', c.intent)));
      expectNothing(
        p.tick(T0 + 10, intent('o-1', { type: 'sleep', callSeq: 2, durationMs: 1, parentSeq: 0 })),
      );
    },
  );

  it('a stuck intent writes WorkflowStuck and its event once for the same error', () => {
    const p = new Partition().started('o-1');
    const error = { ...diverged, message: 'diverged at call 2', details: { callSeq: 2 } };
    const effects = p.tick(T0 + 1, intent('o-1', { type: 'stuck', error }));
    expect(bodies(effects)).toEqual([{ kind: 'WorkflowStuck', error }]);
    expect(effects.events.map((e) => e.type)).toEqual(['WorkflowStuck']);
    expect(p.workflow('o-1').status).toBe('stuck');
    expect(p.workflow('o-1').error).toEqual(error);
    expectNothing(p.tick(T0 + 2, intent('o-1', { type: 'stuck', error })));
    expect(
      kinds(
        p.tick(T0 + 3, intent('o-1', { type: 'stuck', error: { ...error, message: 'diverged at call 3' } })),
      ),
    ).toEqual(['WorkflowStuck']);
  });

  it('a complete intent from the fixed body of a stuck workflow ends it completed', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 1, intent('o-1', { type: 'stuck', error: diverged }));
    const effects = p.tick(T0 + 2, intent('o-1', { type: 'complete', result: 'ok' }));
    expect(kinds(effects)).toEqual(['WorkflowCompleted']);
    expect(p.workflow('o-1').status).toBe('completed');
  });
});
