/**
 * Proves the pure parts of the journal tools (issue 8) on histories written the way the owner writes them
 * (run-journal.ts): the timeline has one line per record with its call, attempt, duration, summary and
 * outcome, and says how the workflow ended; `--at` folding shows the state at an offset or a time; the list fold keeps the newest matching workflows within its limit;
 * admin pages merge and decode strictly; the export filter selects by time, name and id.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowSummaryJson } from '../../src/admin/api-types.js';
import {
  mergeSummaries,
  PointInTimeFold,
  SUMMARY_CHARS_MAX,
  summarize,
  TIMELINE_HEADER,
  timelineEnding,
  timelineLine,
  WorkflowListFold,
} from '../../src/audit/index.js';
import { decodeWorkflowPage } from '../../src/cli/admin-list.js';
import { ExportSelection } from '../../src/cli/journal-export.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { type WorkflowBody, workflow } from '../../src/workflow/index.js';
import { Journal } from './run-journal.js';

type Body = WorkflowBody<{ sku: string }, unknown>;

const orderBody: Body = async (ctx, input) => {
  const valid = await ctx.step('validate', () => input.sku.length > 0);
  const charge = await ctx.step('charge', () => ({ paid: input.sku }));
  const ship = await ctx.step('ship', () => 'Z1');
  return { valid, charge, ship };
};

/** The full journal of `body` run live to its end, as workflow `id`. */
async function historyOf(body: Body, id = 'w-1', name = 'order'): Promise<JournalRecord[]> {
  const live = await Journal.live(workflow(name, body), { input: { sku: 'A' }, workflowId: id });
  await live.settle();
  return live.records;
}

const kinds = (records: readonly JournalRecord[]): string[] => records.map((r) => r.body.kind);

describe('the timeline', () => {
  it('has one line per record, with call, attempt, duration, summary and outcome, and says how it ended', async () => {
    const records = await historyOf(orderBody);
    const lines = records.map((r, i) => timelineLine(r, 100 + i));
    expect(TIMELINE_HEADER).toMatch(/^offset\s+time\s+seq\s+kind\s+call\s+att\s+took\s+summary\s+outcome$/);
    expect(lines.map((l) => l.split(/\s+/)[3])).toEqual(kinds(records));
    expect(lines[0]).toMatch(
      /^100\s+2023-11-14T22:13:20\.000Z\s+1\s+WorkflowStarted\s+order\s+\{"sku":"A"\}\s+started$/,
    );
    expect(lines[2]).toMatch(/^102 .* 3\s+StepCompleted\s+#1 validate\s+1\s+1ms\s+true\s+ok$/);
    expect(lines.at(-1)).toMatch(
      /WorkflowCompleted\s+\{"valid":true,"charge":\{"paid":"A"\},"ship":"Z1"\}\s+completed$/,
    );
    expect(timelineEnding(records[0], records.at(-1), records.length)).toMatch(
      /^ended: completed after \d+ ms, 8 records$/,
    );
    expect(timelineEnding(records[0], records[3], 4)).toMatch(/^not ended: 4 records, .*\(StepStarted\)$/);
    expect(timelineEnding(undefined, undefined, 0)).toBe('no records for this workflow in the journal');
  });

  it('cuts a value longer than its column with … and keeps a space before the next column', () => {
    const record: JournalRecord = {
      schemaVersion: 4,
      workflowId: 'o-1',
      seq: 4,
      atMs: 1_700_000_000_000,
      body: {
        kind: 'StepStarted',
        callSeq: 4,
        name: 'compensate:validateInventory',
        attempt: 1,
        parentSeq: 3,
      },
    };
    expect(timelineLine(record, 29)).toMatch(/\s#4 compensate:validate\S*… 1\s+attempt started$/);
  });

  it.each([
    ['a short value whole', 'abc', '"abc"'],
    ['a long value cut with an ellipsis', 'x'.repeat(100), `"${'x'.repeat(SUMMARY_CHARS_MAX - 2)}…`],
    ['a newline escaped', 'a\nb', '"a\\nb"'],
  ])('summarize keeps %s', (_what, value, expected) => {
    expect(summarize(value)).toBe(expected);
    expect(summarize(value).length).toBeLessThanOrEqual(SUMMARY_CHARS_MAX);
  });
});

describe('--at folding', () => {
  it('shows the workflow at an offset between step 1 and step 2: running, step 1 finished, step 2 pending', async () => {
    const records = await historyOf(orderBody);
    const at = kinds(records).indexOf('StepStarted', 2); // the StepStarted of call 2
    const fold = new PointInTimeFold('w-1', { kind: 'offset', offset: at });
    for (const [offset, r] of records.entries()) fold.add(r, offset);
    expect(fold.snapshot()).toMatchObject({
      status: 'running',
      records: at + 1,
      lastOffset: at,
      finishedCalls: [{ callSeq: 1, kind: 'step', name: 'validate', outcome: 'ok' }],
      pendingCalls: [{ callSeq: 2, kind: 'step', name: 'charge', state: 'attempt running', attempt: 1 }],
      timers: [],
    });
  });

  it('at a time folds the records up to it, and before the start there is no workflow', async () => {
    const records = await historyOf(orderBody);
    const last = records.at(-1);
    const end = new PointInTimeFold('w-1', { kind: 'time', atMs: last?.atMs ?? 0 });
    for (const r of records) end.add(r, r.seq);
    expect(end.snapshot()).toMatchObject({
      status: 'completed',
      records: 8,
      pendingCalls: [],
      result: { ship: 'Z1' },
    });
    const before = new PointInTimeFold('w-1', { kind: 'time', atMs: (records[0]?.atMs ?? 0) - 1 });
    for (const r of records) before.add(r, r.seq);
    expect(before.snapshot()).toBeUndefined();
  });
});

const summary = (
  id: string,
  status: WorkflowSummaryJson['status'],
  s: number,
  name = 'w',
): WorkflowSummaryJson => ({
  id,
  workflow: name,
  status,
  partition: 0,
  startedAt: new Date(s * 1000).toISOString(),
  updatedAt: new Date(s * 1000).toISOString(),
});

describe('the workflow list', () => {
  it('folds the journal into the newest matching workflows, running ones when their partition ends', async () => {
    const ended = await historyOf(orderBody, 'done-1');
    const later = (await historyOf(orderBody, 'done-2')).map((r) => ({ ...r, atMs: r.atMs + 1000 }));
    const open = (await historyOf(orderBody, 'open-1')).slice(0, 3);
    const all = new WorkflowListFold({ limit: 10 });
    const completed = new WorkflowListFold({ limit: 1, status: 'completed' });
    for (const r of [...ended, ...later, ...open]) {
      all.add(r, 0);
      completed.add(r, 0);
    }
    expect(all.result().map((s) => s.id)).toEqual(['done-2', 'done-1']); // open-1 waits for its partition's end
    all.endPartition(0);
    expect(all.result().map((s) => `${s.id}:${s.status}`)).toEqual([
      'done-2:completed',
      'done-1:completed',
      'open-1:running',
    ]);
    expect(completed.result().map((s) => s.id)).toEqual(['done-2']);
  });

  it('merges admin pages: each id once, newest first, filtered, within the limit', () => {
    const merged = mergeSummaries(
      [
        [summary('a', 'running', 1), summary('b', 'failed', 3)],
        [summary('c', 'running', 2), summary('a', 'running', 1)],
      ],
      { limit: 2, status: 'running' },
    );
    expect(merged.map((s) => s.id)).toEqual(['c', 'a']);
  });

  it.each([
    ['a page', { items: [summary('a', 'stuck', 1)], nextCursor: 'n' }, true],
    ['no items array', { nextCursor: null }, false],
    [
      'an unknown status',
      { items: [{ ...summary('a', 'stuck', 1), status: 'sleeping' }], nextCursor: null },
      false,
    ],
    [
      'a missing partition',
      { items: [{ ...summary('a', 'stuck', 1), partition: undefined }], nextCursor: null },
      false,
    ],
    ['not an object', 'items', false],
  ])('decodes %s strictly', (_what, value, ok) => {
    expect(decodeWorkflowPage(value) !== undefined).toBe(ok);
  });
});

describe('the export filter', () => {
  it('selects by time window, workflow name and id; partition records only without a name or id', async () => {
    const a = await historyOf(orderBody, 'a', 'order');
    const b = await historyOf(orderBody, 'b', 'other');
    const claim: JournalRecord = {
      schemaVersion: 3,
      workflowId: '',
      seq: 0,
      atMs: a[0]?.atMs ?? 0,
      body: { kind: 'OwnerClaimed', partition: 0, claimId: 'c', executorId: 'e' },
    };
    const journal = [claim, ...a, ...b];
    const select = (filter: ConstructorParameters<typeof ExportSelection>[0]) => {
      const selection = new ExportSelection(filter);
      return journal.filter((r) => selection.accepts(r));
    };
    expect(select({})).toHaveLength(journal.length);
    expect(select({ workflow: 'other' })).toEqual(b);
    expect(select({ id: 'a' })).toEqual(a);
    const from = a[2]?.atMs ?? 0;
    const to = a[5]?.atMs ?? 0;
    expect(select({ fromMs: from, toMs: to })).toEqual(journal.filter((r) => r.atMs >= from && r.atMs < to));
  });
});
