/**
 * Proves how `decide` handles commands (decide-command.ts I1, I2), driven the way tick.ts drives it:
 * starts are idempotent on id; commands that cannot apply go to the DLQ with their code and a
 * CommandRejected record — in the workflow's sequence while it runs, outside it (seq 0) for unknown or
 * finished ids; signals find the lowest waiting call or wait in the mailbox; queries answer with a status
 * event; misrouted commands are forwarded; and every workflow's seq numbers run 1, 2, 3, … without gaps.
 */
import { describe, expect, it } from 'vitest';
import type { Command, Input } from '../../src/machine/index.js';
import {
  bodies,
  boom,
  expectNothing,
  failed,
  intent,
  kinds,
  Partition,
  startCommand,
  stepIntent,
  stepOutcome,
  T0,
  timerDue,
} from './machine-harness.js';

describe('decide: start', () => {
  it('a start creates the workflow with a v4 WorkflowStarted record at seq 1', () => {
    const p = new Partition();
    const effects = p.tick(T0, p.command(startCommand('o-1')));
    expect(effects.records).toEqual([
      {
        schemaVersion: 4,
        workflowId: 'o-1',
        seq: 1,
        atMs: T0,
        body: {
          kind: 'WorkflowStarted',
          workflow: 'order',
          input: { sku: 'A' },
          idempotencyKey: null,
          parent: null,
          trace: null,
        },
      },
    ]);
    const ws = p.workflow('o-1');
    expect(ws.status).toBe('running');
    expect(ws.legacySteps).toBe(false);
    expect(ws.trace).toBeUndefined();
  });

  it('a start with a trace context keeps it in WorkflowStarted and in the workflow state', () => {
    const p = new Partition();
    const trace = {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'a=1',
    };
    const effects = p.tick(T0, { ...p.command(startCommand('o-t')), trace } as Input);
    expect(effects.records[0]?.body).toMatchObject({ kind: 'WorkflowStarted', trace });
    expect(p.workflow('o-t').trace).toEqual(trace);
  });

  it('a redelivered start does not create a second workflow', () => {
    const p = new Partition().started('o-1');
    expectNothing(p.tick(T0 + 10, p.command(startCommand('o-1'))));
    expect(p.workflow('o-1').lastSeq).toBe(1);
  });

  it('a start of an id that already finished writes no record but tells waiting clients how it ended', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 5, intent('o-1', { type: 'complete', result: { ok: 1 } }));
    const effects = p.tick(T0 + 10, p.command(startCommand('o-1')));
    expect(effects.records).toEqual([]);
    expect(effects.events).toEqual([
      expect.objectContaining({ type: 'WorkflowStatus', id: 'o-1', status: 'completed', result: { ok: 1 } }),
    ]);
  });

  it('two starts of one id inside one tick make one workflow', () => {
    const p = new Partition();
    const effects = p.tick(T0, p.command(startCommand('o-1')), p.command(startCommand('o-1')));
    expect(kinds(effects)).toEqual(['WorkflowStarted']);
    expect([...p.state.keys()]).toEqual(['o-1']);
  });

  it('a start of an unregistered workflow name goes to the DLQ and is journaled as CommandRejected (seq 0)', () => {
    const p = new Partition();
    const input = p.command(startCommand('o-1', 'refund'));
    const effects = p.tick(T0, input);
    expect(effects.deadLetters).toHaveLength(1);
    const [letter] = effects.deadLetters;
    expect(letter?.code).toBe('LB_CMD_UNKNOWN_WORKFLOW');
    expect(letter?.reason).toContain('"refund"');
    expect(letter?.reason).toContain('order, ship');
    if (input.kind !== 'command') throw new Error('not a command');
    expect(letter?.offset).toBe(input.offset);
    expect(letter?.key).toEqual(input.raw.key);
    expect(letter?.value).toEqual(input.raw.value);
    expect(effects.records.map((r) => r.seq)).toEqual([0]);
    expect(bodies(effects)).toEqual([
      {
        kind: 'CommandRejected',
        code: 'LB_CMD_UNKNOWN_WORKFLOW',
        reason: letter?.reason,
        sourceOffset: input.offset,
      },
    ]);
    expect(p.state.has('o-1')).toBe(false);
  });
});

describe('decide: commands that cannot apply', () => {
  type Case = { what: string; finished: boolean; command: Command; code: string };
  const cases: Case[] = [
    {
      what: 'a signal to an unknown id',
      finished: false,
      command: { type: 'signal', id: 'nope', name: 'approve', payload: null },
      code: 'LB_CMD_NO_SUCH_WORKFLOW',
    },
    {
      what: 'a cancel of an unknown id',
      finished: false,
      command: { type: 'cancel', id: 'nope', reason: 'r' },
      code: 'LB_CMD_NO_SUCH_WORKFLOW',
    },
    {
      what: 'a signal to a finished workflow',
      finished: true,
      command: { type: 'signal', id: 'o-1', name: 'approve', payload: null },
      code: 'LB_CMD_WORKFLOW_FINISHED',
    },
    {
      what: 'a cancel of a finished workflow',
      finished: true,
      command: { type: 'cancel', id: 'o-1', reason: 'r' },
      code: 'LB_CMD_WORKFLOW_FINISHED',
    },
  ];

  it.each(cases)(
    '$what goes to the DLQ with $code and a CommandRejected outside the sequence (seq 0)',
    ({ finished, command, code }) => {
      const p = new Partition().started('o-1');
      if (finished) p.tick(T0 + 1, intent('o-1', { type: 'complete', result: 1 }));
      const effects = p.tick(T0 + 2, p.command(command));
      expect(effects.deadLetters.map((l) => l.code)).toEqual([code]);
      expect(effects.records).toHaveLength(1);
      const [record] = effects.records;
      expect(record?.body).toMatchObject({ kind: 'CommandRejected', code });
      expect(record?.workflowId).toBe(command.id);
      expect(record?.seq).toBe(0);
      expect(p.workflow('o-1').lastSeq).toBe(finished ? 2 : 1);
      if (finished) expect(p.workflow('o-1').status).toBe('completed');
    },
  );

  it('a badCommand naming a running workflow is journaled in its sequence', () => {
    const p = new Partition().started('o-1');
    const bad: Input = {
      kind: 'badCommand',
      code: 'LB_CMD_SCHEMA_VIOLATION',
      reason: 'payload missing',
      offset: '7',
      workflowId: 'o-1',
      key: Buffer.from('o-1'),
      value: Buffer.from('{}'),
    };
    const effects = p.tick(T0 + 1, bad);
    expect(effects.deadLetters.map((l) => l.code)).toEqual(['LB_CMD_SCHEMA_VIOLATION']);
    expect(effects.records.map((r) => [r.seq, r.body.kind])).toEqual([[2, 'CommandRejected']]);
    expect(p.workflow('o-1').lastSeq).toBe(2);
  });

  it('an undecodable command naming no workflow goes to the DLQ only', () => {
    const p = new Partition();
    const bad: Input = {
      kind: 'badCommand',
      code: 'LB_CMD_BAD_JSON',
      reason: 'not JSON',
      offset: '7',
      workflowId: null,
      key: null,
      value: Buffer.from('{'),
    };
    const effects = p.tick(T0, bad);
    expect(effects.deadLetters).toEqual([
      { code: 'LB_CMD_BAD_JSON', reason: 'not JSON', offset: '7', key: null, value: Buffer.from('{') },
    ]);
    expect(effects.records).toEqual([]);
  });

  it('a misrouted command is forwarded as it is and writes nothing', () => {
    const p = new Partition();
    const command = startCommand('o-9');
    const effects = p.tick(T0, { kind: 'misrouted', command, offset: '3' });
    expect(effects.commands).toEqual([command]);
    expect(effects.records).toEqual([]);
    expect(p.state.size).toBe(0);
  });
});

describe('decide: signals', () => {
  it('a signal with waiters is received and consumed by the lowest waiting callSeq', () => {
    const p = new Partition().started('o-1');
    p.tick(T0, intent('o-1', { type: 'signal', callSeq: 1, name: 'other', timeoutMs: null, parentSeq: 0 }));
    p.tick(T0, intent('o-1', { type: 'signal', callSeq: 2, name: 'approve', timeoutMs: null, parentSeq: 0 }));
    p.tick(T0, intent('o-1', { type: 'signal', callSeq: 3, name: 'approve', timeoutMs: null, parentSeq: 0 }));
    const first = p.tick(
      T0 + 5,
      p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: { by: 'ann' } }),
    );
    const [received, consumed] = first.records;
    expect(received?.body).toEqual({ kind: 'SignalReceived', name: 'approve', payload: { by: 'ann' } });
    expect(consumed?.body).toEqual({
      kind: 'SignalConsumed',
      callSeq: 2,
      name: 'approve',
      signalSeq: received?.seq,
      payload: { by: 'ann' },
      parentSeq: -1,
    });
    const second = p.tick(T0 + 6, p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: 2 }));
    expect(second.records[1]?.body).toMatchObject({ kind: 'SignalConsumed', callSeq: 3 });
    expect(p.workflow('o-1').mailbox).toEqual([]);
    expect([...p.workflow('o-1').awaiting]).toEqual([[1, 'other']]);
    expect([...p.workflow('o-1').open.keys()]).toEqual([1]);
  });

  it('a signal without a waiter is buffered, then consumed by a later signal intent that opens the call', () => {
    const p = new Partition().started('o-1');
    const received = p.tick(
      T0 + 1,
      p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: 'yes' }),
    );
    expect(kinds(received)).toEqual(['SignalReceived']);
    expect(p.workflow('o-1').mailbox).toEqual([{ seq: 2, name: 'approve', payload: 'yes', bytes: 5 }]);
    const consumed = p.tick(
      T0 + 2,
      intent('o-1', { type: 'signal', callSeq: 1, name: 'approve', timeoutMs: 1_000, parentSeq: 0 }),
    );
    expect(bodies(consumed)).toEqual([
      {
        kind: 'SignalConsumed',
        callSeq: 1,
        name: 'approve',
        signalSeq: received.records[0]?.seq,
        payload: 'yes',
        parentSeq: 0,
      },
    ]);
    expect(p.workflow('o-1').mailbox).toEqual([]);
    expect(p.workflow('o-1').timers.size).toBe(0);
  });

  it('a signal wait with a timeout journals SignalAwaited and a signal-timeout timer; its firing settles the wait', () => {
    const p = new Partition().started('o-1');
    const awaited = p.tick(
      T0 + 1,
      intent('o-1', { type: 'signal', callSeq: 1, name: 'approve', timeoutMs: 5_000, parentSeq: 0 }),
    );
    expect(bodies(awaited)).toEqual([
      { kind: 'SignalAwaited', callSeq: 1, name: 'approve', parentSeq: 0 },
      {
        kind: 'TimerScheduled',
        timerId: 'signal:1',
        callSeq: 1,
        purpose: 'signal-timeout',
        fireAtMs: T0 + 5_001,
        parentSeq: -1,
      },
    ]);
    expect(bodies(p.tick(T0 + 5_001, timerDue('o-1', 'signal:1')))).toEqual([
      { kind: 'TimerFired', timerId: 'signal:1', callSeq: 1 },
    ]);
    const ws = p.workflow('o-1');
    expect(ws.awaiting.size).toBe(0);
    expect(ws.open.size).toBe(0);
    expect(ws.recent).toEqual([expect.objectContaining({ callSeq: 1, kind: 'signal', outcome: 'timeout' })]);
    // A signal after the timeout finds no waiter: it is only buffered.
    expect(
      kinds(p.tick(T0 + 6_000, p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: null }))),
    ).toEqual(['SignalReceived']);
  });

  it('a signal consumed before its timeout drops the timeout timer', () => {
    const p = new Partition().started('o-1');
    p.tick(
      T0,
      intent('o-1', { type: 'signal', callSeq: 1, name: 'approve', timeoutMs: 5_000, parentSeq: 0 }),
    );
    p.tick(T0 + 1, p.command({ type: 'signal', id: 'o-1', name: 'approve', payload: null }));
    expect(p.workflow('o-1').timers.size).toBe(0);
    expect(p.timers.events).toEqual(['armed signal:1', 'removed signal:1']);
    expectNothing(p.tick(T0 + 5_000, timerDue('o-1', 'signal:1')));
  });
});

describe('decide: query', () => {
  it('a query answers with a WorkflowStatus event and writes no record', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 1, intent('o-1', { type: 'sleep', callSeq: 1, durationMs: 1_000, parentSeq: 0 }));
    const effects = p.tick(T0 + 2, p.command({ type: 'query', id: 'o-1', requestId: 'q-1' }));
    expect(effects.records).toEqual([]);
    expect(effects.events).toEqual([
      {
        type: 'WorkflowStatus',
        id: 'o-1',
        requestId: 'q-1',
        atMs: T0 + 2,
        status: 'running',
        workflow: 'order',
        summary: {
          startedAtMs: T0,
          updatedAtMs: T0 + 1,
          lastSeq: 2,
          callCount: 1,
          openCalls: [
            {
              callSeq: 1,
              kind: 'sleep',
              name: 'sleep',
              attempt: 0,
              running: false,
              retrying: false,
              errors: [],
            },
          ],
          openCallsOmitted: 0,
          recentCalls: [],
          pendingTimers: [{ timerId: 'sleep:1', purpose: 'sleep', fireAtMs: T0 + 1_001 }],
          pendingTimersOmitted: 0,
          signalsWaiting: 0,
          cancelReason: null,
        },
      },
    ]);
  });

  it('a query of a failed workflow carries its error', () => {
    const p = new Partition().started('o-1');
    p.tick(T0 + 1, intent('o-1', { type: 'fail', error: boom }));
    const [event] = p.tick(T0 + 2, p.command({ type: 'query', id: 'o-1', requestId: 'q-1' })).events;
    expect(event).toMatchObject({ status: 'failed', error: boom });
    expect(event).not.toHaveProperty('result');
  });

  it('a query of an unknown id answers status unknown', () => {
    const p = new Partition();
    expect(p.tick(T0, p.command({ type: 'query', id: 'nope', requestId: 'q-2' })).events).toEqual([
      { type: 'WorkflowStatus', id: 'nope', requestId: 'q-2', atMs: T0, status: 'unknown' },
    ]);
  });
});

describe('decide: seq numbers', () => {
  it('seq numbers are gapless per workflow across interleaved workflows and multi-record decisions', () => {
    const p = new Partition();
    p.tick(T0, p.command(startCommand('a')), p.command(startCommand('b')), p.command(startCommand('a')));
    p.tick(
      T0 + 1,
      intent('a', { type: 'signal', callSeq: 1, name: 'go', timeoutMs: 100, parentSeq: 0 }),
      stepIntent('b', 1),
      stepOutcome('b', 1, 1, failed(true)),
    );
    p.tick(
      T0 + 2,
      p.command({ type: 'signal', id: 'a', name: 'go', payload: null }),
      p.command({ type: 'signal', id: 'nope', name: 'go', payload: null }),
    );
    p.tick(T0 + 200, timerDue('b', 'retry:1:1'), stepOutcome('b', 1, 2, { ok: true, result: 1 }));
    p.tick(
      T0 + 201,
      intent('a', { type: 'complete', result: null }),
      intent('b', { type: 'fail', error: boom }),
    );
    p.tick(T0 + 202, p.command({ type: 'cancel', id: 'a', reason: 'late' }));
    const seqs = new Map<string, number[]>();
    for (const r of p.written) {
      if (r.seq === 0) continue; // rejections for unknown or finished ids stand outside any sequence
      seqs.set(r.workflowId, [...(seqs.get(r.workflowId) ?? []), r.seq]);
    }
    expect(seqs.get('a')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs.get('b')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(p.written.filter((r) => r.seq === 0).map((r) => r.workflowId)).toEqual(['nope', 'a']);
    for (const [id, list] of seqs) expect(p.workflow(id).lastSeq).toBe(list.at(-1));
  });
});
