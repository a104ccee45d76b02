/**
 * Proves the machine's limits (limits.ts I1, I2; decide-intent.ts I4; decide-command.ts I2;
 * workflow-outcome.ts I1), each crossed with small custom limits: a signal over mailboxMax or
 * mailboxBytesMax goes to the DLQ (LB_CMD_MAILBOX_FULL) with a CommandRejected, unless a call waits for it;
 * a call over openCallsMax is rejected with a LimitError naming the limit; a call over workflowCallsMax
 * fails the workflow with a LimitError; and a status answer stays bounded (DESCRIBE_ITEMS_MAX open calls and
 * timers, with how many were left out) however many calls a workflow holds.
 */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/journal/index.js';
import {
  ATTEMPT_ERRORS_MAX,
  applyRecord,
  DESCRIBE_ITEMS_MAX,
  defaultMachineLimits,
  type Intent,
  type MachineLimits,
  statusSummary,
} from '../../src/machine/index.js';
import { ERROR_MESSAGE_BYTES_MAX } from '../../src/workflow/errors.js';
import { bodies, boom, expectNothing, intent, kinds, Partition, stepIntent, T0 } from './machine-harness.js';

const limits = (overrides: Partial<MachineLimits>): MachineLimits => ({
  ...defaultMachineLimits,
  ...overrides,
});
const sleep = (callSeq: number): Intent => ({ type: 'sleep', callSeq, durationMs: 1_000, parentSeq: 0 });

describe('mailbox limits', () => {
  const signal = (p: Partition, payload: string, name = 'note') =>
    p.command({ type: 'signal', id: 'o-1', name, payload });

  it.each([
    { what: 'mailboxMax (count)', limit: limits({ mailboxMax: 2 }), payload: 'x', reason: 'mailboxMax 2' },
    // "xxxxxxxx" is 10 bytes of JSON: two fit in 20, a third would pass it.
    {
      what: 'mailboxBytesMax',
      limit: limits({ mailboxBytesMax: 20 }),
      payload: 'x'.repeat(8),
      reason: 'mailboxBytesMax (20)',
    },
  ])(
    'a signal over $what goes to the DLQ with LB_CMD_MAILBOX_FULL and a CommandRejected',
    ({ limit, payload, reason }) => {
      const p = new Partition(limit).started('o-1');
      expect(kinds(p.tick(T0 + 1, signal(p, payload)))).toEqual(['SignalReceived']);
      expect(kinds(p.tick(T0 + 2, signal(p, payload)))).toEqual(['SignalReceived']);
      const effects = p.tick(T0 + 3, signal(p, payload));
      expect(effects.deadLetters).toHaveLength(1);
      expect(effects.deadLetters[0]?.code).toBe('LB_CMD_MAILBOX_FULL');
      expect(effects.deadLetters[0]?.reason).toContain(reason);
      expect(effects.records.map((r) => [r.seq, r.body])).toEqual([
        [
          4,
          {
            kind: 'CommandRejected',
            code: 'LB_CMD_MAILBOX_FULL',
            reason: effects.deadLetters[0]?.reason,
            sourceOffset: '3',
          },
        ],
      ]);
      expect(p.workflow('o-1').mailbox).toHaveLength(2);
    },
  );

  it('a signal a call waits for is taken even when the mailbox is full', () => {
    const p = new Partition(limits({ mailboxMax: 1 })).started('o-1');
    p.tick(T0 + 1, signal(p, 'held'));
    p.tick(T0 + 2, intent('o-1', { type: 'signal', callSeq: 1, name: 'go', timeoutMs: null, parentSeq: 0 }));
    const effects = p.tick(T0 + 3, signal(p, 'yes', 'go'));
    expect(kinds(effects)).toEqual(['SignalReceived', 'SignalConsumed']);
    expect(effects.deadLetters).toEqual([]);
  });

  it('a consumed signal frees its room in the mailbox', () => {
    const p = new Partition(limits({ mailboxMax: 1 })).started('o-1');
    p.tick(T0 + 1, signal(p, 'first'));
    p.tick(
      T0 + 2,
      intent('o-1', { type: 'signal', callSeq: 1, name: 'note', timeoutMs: null, parentSeq: 0 }),
    );
    expect(kinds(p.tick(T0 + 3, signal(p, 'second')))).toEqual(['SignalReceived']);
  });
});

describe('openCallsMax', () => {
  it('a call over openCallsMax is rejected with a LimitError naming the limit', () => {
    const p = new Partition(limits({ openCallsMax: 2 })).started('o-1');
    p.tick(T0, intent('o-1', sleep(1)), intent('o-1', sleep(2)));
    const effects = p.tick(T0 + 1, stepIntent('o-1', 3, 'charge', false, 2));
    expect(bodies(effects)).toEqual([
      {
        kind: 'CallRejected',
        callSeq: 3,
        callKind: 'step',
        name: 'charge',
        error: {
          name: 'LimitError',
          code: 'LB_LIMIT',
          message: 'workflow o-1 has 2 calls open, the openCallsMax limit',
          details: { limit: 'openCallsMax', max: 2, actual: 3 },
        },
        parentSeq: 2,
      },
    ]);
    expect(effects.attempts).toEqual([]);
    const ws = p.workflow('o-1');
    expect(ws.status).toBe('running');
    expect([...ws.open.keys()]).toEqual([1, 2]);
    expectNothing(p.tick(T0 + 2, stepIntent('o-1', 3))); // the rejected call is closed
  });

  it('an open call re-reported at the limit is not rejected, and a closed call frees room', () => {
    const p = new Partition(limits({ openCallsMax: 1 })).started('o-1').stepped('o-1', 1);
    expect(kinds(p.tick(T0 + 1, stepIntent('o-1', 1, 'charge', false)))).toEqual(['StepStarted']); // a lost attempt
    p.tick(
      T0 + 2,
      intent('o-1', {
        type: 'rejected',
        callSeq: 1,
        callKind: 'step',
        name: 'charge',
        error: boom,
        parentSeq: 0,
      }),
    );
    p.tick(T0 + 3, stepIntent('o-1', 2));
    expect(kinds(p.tick(T0 + 4, stepIntent('o-1', 3)))).toEqual(['CallRejected']);
  });

  it('a rejected intent is journaled even at the limit', () => {
    const p = new Partition(limits({ openCallsMax: 1 })).started('o-1');
    p.tick(T0, intent('o-1', sleep(1)));
    const effects = p.tick(
      T0 + 1,
      intent('o-1', {
        type: 'rejected',
        callSeq: 2,
        callKind: 'emit',
        name: 'out',
        error: boom,
        parentSeq: 1,
      }),
    );
    expect(effects.records[0]?.body).toMatchObject({ kind: 'CallRejected', callSeq: 2, error: boom });
  });
});

describe('workflowCallsMax', () => {
  it('a call over workflowCallsMax fails the workflow with a LimitError', () => {
    const p = new Partition(limits({ workflowCallsMax: 3 })).started('o-1');
    p.tick(T0, intent('o-1', sleep(1)), intent('o-1', sleep(2)), intent('o-1', sleep(3)));
    const effects = p.tick(T0 + 1, intent('o-1', sleep(4)));
    const error = {
      name: 'LimitError',
      code: 'LB_LIMIT',
      message: 'workflow o-1 made 3 calls, the workflowCallsMax limit; it fails so its history stays bounded',
      details: { limit: 'workflowCallsMax', max: 3, actual: 4 },
    };
    expect(bodies(effects)).toEqual([{ kind: 'WorkflowFailed', error }]);
    expect(effects.events).toEqual([
      { type: 'WorkflowFailed', id: 'o-1', workflow: 'order', atMs: T0 + 1, error },
    ]);
    const ws = p.workflow('o-1');
    expect(ws.status).toBe('failed');
    expect(ws.timers.size).toBe(0);
  });

  it('calls closed long ago still count', () => {
    const p = new Partition(limits({ workflowCallsMax: 2 })).started('o-1');
    p.tick(T0, intent('o-1', { type: 'emit', callSeq: 1, topic: 't', key: 'k', value: 1, parentSeq: 0 }));
    p.tick(
      T0,
      intent('o-1', { type: 'rejected', callSeq: 2, callKind: 'step', name: 's', error: boom, parentSeq: 1 }),
    );
    expect(p.workflow('o-1').open.size).toBe(0);
    expect(kinds(p.tick(T0 + 1, stepIntent('o-1', 3)))).toEqual(['WorkflowFailed']);
  });

  it('a child that crosses workflowCallsMax answers its parent with the LimitError', () => {
    const p = new Partition(limits({ workflowCallsMax: 0 })).started('c-1', {
      workflowId: 'p-1',
      callSeq: 2,
    });
    const effects = p.tick(T0 + 1, intent('c-1', sleep(1)));
    expect(effects.commands).toEqual([
      {
        type: 'childResult',
        id: 'p-1',
        callSeq: 2,
        childId: 'c-1',
        outcome: {
          ok: false,
          error: expect.objectContaining({
            name: 'LimitError',
            details: expect.objectContaining({ limit: 'workflowCallsMax' }),
          }),
        },
      },
    ]);
  });
});

describe('status answers stay bounded', () => {
  /** A running workflow o-1 holding `n` open steps, each retrying after `failures` failed attempts. */
  function crowded(n: number, failures: number, message = 'boom'): Partition {
    const p = new Partition().started('o-1');
    const records: JournalRecord[] = [];
    let seq = 1;
    const add = (body: JournalRecord['body']) =>
      records.push({ schemaVersion: 3, workflowId: 'o-1', seq: ++seq, atMs: T0 + seq, body });
    for (let callSeq = 1; callSeq <= n; callSeq++) {
      add({ kind: 'StepStarted', callSeq, name: `step-${callSeq}`, attempt: 1, parentSeq: 0 });
      for (let attempt = 1; attempt <= failures; attempt++) {
        if (attempt > 1)
          add({ kind: 'StepStarted', callSeq, name: `step-${callSeq}`, attempt, parentSeq: -1 });
        const error = { ...boom, message };
        add({
          kind: 'StepFailed',
          callSeq,
          name: `step-${callSeq}`,
          error,
          attempt,
          startedAtMs: T0,
          durationMs: 1,
          retryAtMs: T0 + 1,
        });
      }
      add({
        kind: 'TimerScheduled',
        timerId: `retry:${callSeq}`,
        callSeq,
        purpose: 'retry',
        fireAtMs: T0 + 1,
        parentSeq: -1,
      });
    }
    for (const record of records) applyRecord(p.state, record);
    return p;
  }

  it(`a workflow with 5,000 open calls answers a query with ${DESCRIBE_ITEMS_MAX} of them and the count left out`, () => {
    const p = crowded(5_000, 1);
    expect(p.workflow('o-1').open.size).toBe(5_000);
    const [event] = p.tick(T0 + 1, p.command({ type: 'query', id: 'o-1', requestId: 'q' })).events;
    if (event?.type !== 'WorkflowStatus') throw new Error('expected a WorkflowStatus event');
    const summary = event.summary as Record<string, unknown[] | number>;
    expect(summary.openCalls).toHaveLength(DESCRIBE_ITEMS_MAX);
    expect(summary.openCallsOmitted).toBe(5_000 - DESCRIBE_ITEMS_MAX);
    expect(summary.pendingTimers).toHaveLength(DESCRIBE_ITEMS_MAX);
    expect(summary.pendingTimersOmitted).toBe(5_000 - DESCRIBE_ITEMS_MAX);
    expect(summary.callCount).toBe(5_000);
    expect(JSON.stringify(event).length).toBeLessThan(40_000);
  });

  it('a status answer fits a 1 MiB events message even when its open calls hold the longest error messages', () => {
    // Found: openCalls lists each call's last ATTEMPT_ERRORS_MAX errors in full, so 100 calls with
    // 4 KiB messages make a ~4 MiB WorkflowStatus event, over Kafka's default max.message.bytes.
    const p = crowded(DESCRIBE_ITEMS_MAX, ATTEMPT_ERRORS_MAX, 'm'.repeat(ERROR_MESSAGE_BYTES_MAX));
    const event = statusSummary(p.workflow('o-1'), 'o-1', 'q', T0);
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(1024 * 1024);
  });
});
