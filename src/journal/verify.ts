/**
 * Journal verification for audits (`logbook journal verify`): checks that a journal, as read, obeys the
 * rules every Logbook writer keeps. Pure: it takes decoded records in offset order per partition.
 *
 * Rules checked (each violation is reported, none stops the check):
 *   R1. Each workflow's seqs are 1, 2, 3, … without gaps or repeats.
 *   R2. Each workflow's first record is WorkflowStarted, and nothing follows a terminal record.
 *   R3. Partition-level records (OwnerClaimed, CommandsConsumed) have workflowId "" and seq 0, and
 *       CommandsConsumed positions never go backwards within a partition.
 *   R4. Each step call has at most one StepCompleted (exactly-once recorded results).
 */
import type { JournalRecord } from './records.js';

/** One rule violation. */
export interface JournalProblem {
  readonly rule: 'R1' | 'R2' | 'R3' | 'R4';
  readonly workflowId: string;
  readonly seq: number;
  readonly message: string;
}

/** What a verification found. */
export interface JournalReport {
  readonly records: number;
  readonly workflows: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly problems: readonly JournalProblem[];
}

const TERMINAL: Readonly<Record<string, string>> = {
  WorkflowCompleted: 'completed',
  WorkflowFailed: 'failed',
  WorkflowCancelled: 'cancelled',
};

interface Seen {
  lastSeq: number;
  status: string;
  readonly completedCalls: Set<number>;
}

function partitionRecord(
  r: JournalRecord,
  partitionOf: (r: JournalRecord) => number,
  positions: Map<number, number>,
  problems: JournalProblem[],
): void {
  if (r.seq !== 0)
    problems.push({
      rule: 'R3',
      workflowId: '',
      seq: r.seq,
      message: `${r.body.kind} has seq ${r.seq}, not 0`,
    });
  if (r.body.kind !== 'CommandsConsumed') return;
  const p = partitionOf(r);
  const before = positions.get(p) ?? 0;
  if (r.body.nextOffset < before) {
    problems.push({
      rule: 'R3',
      workflowId: '',
      seq: 0,
      message: `partition ${p} command position went back from ${before} to ${r.body.nextOffset}`,
    });
  }
  positions.set(p, Math.max(before, r.body.nextOffset));
}

/** Verifies `records` (offset order per partition) against R1–R4. */
export function verifyJournal(records: readonly JournalRecord[]): JournalReport {
  const problems: JournalProblem[] = [];
  const workflows = new Map<string, Seen>();
  const positions = new Map<number, number>();
  const partitionOf = (r: JournalRecord): number =>
    r.body.kind === 'CommandsConsumed' || r.body.kind === 'OwnerClaimed' ? r.body.partition : -1;
  for (const r of records) {
    if (r.workflowId === '') {
      partitionRecord(r, partitionOf, positions, problems);
      continue;
    }
    if (r.body.kind === 'CommandRejected' && r.seq === 0) continue; // a rejection for an id that never started
    let seen = workflows.get(r.workflowId);
    if (seen === undefined) {
      seen = { lastSeq: 0, status: 'running', completedCalls: new Set() };
      workflows.set(r.workflowId, seen);
      if (r.body.kind !== 'WorkflowStarted')
        problems.push({
          rule: 'R2',
          workflowId: r.workflowId,
          seq: r.seq,
          message: `first record is ${r.body.kind}`,
        });
    }
    if (r.seq !== seen.lastSeq + 1) {
      problems.push({
        rule: 'R1',
        workflowId: r.workflowId,
        seq: r.seq,
        message: `seq ${r.seq} follows ${seen.lastSeq}`,
      });
    }
    if (seen.status !== 'running' && seen.status !== 'stuck') {
      problems.push({
        rule: 'R2',
        workflowId: r.workflowId,
        seq: r.seq,
        message: `${r.body.kind} after the workflow ${seen.status}`,
      });
    }
    seen.lastSeq = Math.max(seen.lastSeq, r.seq);
    if (r.body.kind === 'StepCompleted') {
      if (seen.completedCalls.has(r.body.callSeq)) {
        problems.push({
          rule: 'R4',
          workflowId: r.workflowId,
          seq: r.seq,
          message: `call ${r.body.callSeq} completed twice`,
        });
      }
      seen.completedCalls.add(r.body.callSeq);
    }
    const terminal = TERMINAL[r.body.kind];
    if (terminal !== undefined) seen.status = terminal;
    else if (r.body.kind === 'WorkflowStuck') seen.status = 'stuck';
  }
  const byStatus: Record<string, number> = {};
  for (const seen of workflows.values()) byStatus[seen.status] = (byStatus[seen.status] ?? 0) + 1;
  return { records: records.length, workflows: workflows.size, byStatus, problems };
}
