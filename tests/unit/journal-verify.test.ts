/**
 * Proves `verifyJournal` (the audit behind `logbook journal verify`) accepts a journal that keeps every
 * writer rule and reports each kind of violation with its rule, workflow and seq.
 */
import { describe, expect, it } from 'vitest';
import { type JournalRecord, type RecordBody, verifyJournal } from '../../src/journal/index.js';

const rec = (workflowId: string, seq: number, body: RecordBody): JournalRecord => ({
  schemaVersion: 2,
  workflowId,
  seq,
  atMs: 1_000 + seq,
  body,
});
const started: RecordBody = {
  kind: 'WorkflowStarted',
  workflow: 'w',
  input: null,
  idempotencyKey: null,
  parent: null,
  trace: null,
};
const step = (callSeq: number): RecordBody => ({
  kind: 'StepCompleted',
  callSeq,
  name: `s${callSeq}`,
  result: null,
  attempt: 1,
  startedAtMs: 1,
  durationMs: 1,
});
const done: RecordBody = { kind: 'WorkflowCompleted', result: 1 };
const consumed = (nextOffset: number): RecordBody => ({ kind: 'CommandsConsumed', partition: 0, nextOffset });

const good: JournalRecord[] = [
  rec('', 0, { kind: 'OwnerClaimed', partition: 0, claimId: 'c', executorId: 'e' }),
  rec('a', 1, started),
  rec('', 0, consumed(1)),
  rec('a', 2, step(1)),
  rec('b', 1, started),
  rec('', 0, consumed(2)),
  rec('a', 3, done),
  rec('x', 0, { kind: 'CommandRejected', code: 'LB_CMD_NO_SUCH_WORKFLOW', reason: 'r', sourceOffset: '3' }),
];

describe('verifyJournal', () => {
  it('accepts a journal that keeps every rule and counts workflows by status', () => {
    const report = verifyJournal(good);
    expect(report.problems).toEqual([]);
    expect(report.workflows).toBe(2);
    expect(report.byStatus).toEqual({ completed: 1, running: 1 });
  });

  it.each([
    ['R1', 'a seq gap', [rec('a', 1, started), rec('a', 3, step(1))], 'a', 3],
    ['R1', 'a repeated seq', [rec('a', 1, started), rec('a', 2, step(1)), rec('a', 2, step(2))], 'a', 2],
    ['R2', 'a workflow that does not begin with WorkflowStarted', [rec('a', 1, step(1))], 'a', 1],
    [
      'R2',
      'a record after the terminal one',
      [rec('a', 1, started), rec('a', 2, done), rec('a', 3, step(1))],
      'a',
      3,
    ],
    ['R3', 'a command position going back', [rec('', 0, consumed(5)), rec('', 0, consumed(4))], '', 0],
    [
      'R4',
      'a step call completed twice',
      [rec('a', 1, started), rec('a', 2, step(1)), rec('a', 3, step(1))],
      'a',
      3,
    ],
  ] as const)('reports %s for %s', (rule, _what, records, workflowId, seq) => {
    const report = verifyJournal(records);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ rule, workflowId, seq });
    expect(report.problems[0]?.message.length).toBeGreaterThan(5);
  });
});
