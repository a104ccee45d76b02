/**
 * Proves the journal tools' folds hold only what is open (issue 8: memory bounded by the workflows still
 * running in the partition being read, not by how many ever ran): after a thousand workflows have ended,
 * the structural verifier, the code check, the list fold and the export filter hold none of them, and a
 * partition's end releases its running ones; meanwhile each still counts and checks every workflow.
 */
import { describe, expect, it } from 'vitest';
import { CodeCheck, WorkflowListFold } from '../../src/audit/index.js';
import { ExportSelection } from '../../src/cli/journal-export.js';
import { type JournalRecord, JournalVerifier } from '../../src/journal/index.js';
import { workflow } from '../../src/workflow/index.js';
import { Journal } from './run-journal.js';

const order = workflow('order', async (ctx) => {
  await ctx.step('validate', () => true);
  await ctx.step('charge', () => 1);
  return ctx.step('ship', () => 'Z1');
});

const ENDED = 1_000;
const RUNNING = 3;

/** ENDED finished histories and RUNNING cut after their first step, interleaved as a partition holds them. */
async function partitionRecords(): Promise<JournalRecord[]> {
  const live = await Journal.live(order, { input: null });
  await live.settle();
  const template = live.records;
  const records: JournalRecord[] = [];
  for (let n = 0; n < ENDED + RUNNING; n++) {
    const history = n < ENDED ? template : template.slice(0, 3);
    records.push(...history.map((r) => ({ ...r, workflowId: `w-${n}`, atMs: r.atMs + n })));
  }
  return records;
}

describe('the journal tools hold only open workflows', () => {
  it('forget each workflow at its end, and the running ones at the end of their partition', async () => {
    const records = await partitionRecords();
    const verifier = new JournalVerifier();
    const code = new CodeCheck(new Map([['order', order]]));
    const list = new WorkflowListFold({ limit: 5 });
    const selection = new ExportSelection({ workflow: 'order' });
    let exported = 0;
    for (const r of records) {
      verifier.add(r, 0);
      await code.add(r);
      list.add(r, 0);
      if (selection.accepts(r)) exported++;
    }
    expect([verifier.openWorkflows, code.openHistories, list.openWorkflows, selection.openWorkflows]).toEqual(
      [RUNNING, RUNNING, RUNNING, RUNNING],
    );
    verifier.endPartition(0);
    await code.endPartition();
    list.endPartition(0);
    selection.endPartition();
    expect([verifier.openWorkflows, code.openHistories, list.openWorkflows, selection.openWorkflows]).toEqual(
      [0, 0, 0, 0],
    );
    expect(verifier.report()).toMatchObject({
      workflows: ENDED + RUNNING,
      byStatus: { completed: ENDED, running: RUNNING },
      problemCount: 0,
    });
    expect(code.report()).toMatchObject({ checked: ENDED + RUNNING, running: RUNNING, divergedCount: 0 });
    expect(list.result()).toHaveLength(5);
    expect(exported).toBe(records.length);
  });
});
