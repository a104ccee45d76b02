/**
 * Journal verification for audits (`logbook journal verify`): checks that a journal, as read, obeys the
 * rules every Logbook writer keeps. Pure: it takes decoded records in offset order per partition, one at a
 * time (`JournalVerifier`, for a journal streamed from Kafka) or as an array (`verifyJournal`).
 *
 * Rules checked (each violation is reported, none stops the check):
 *   R1. Each workflow's seqs are 1, 2, 3, … without gaps or repeats.
 *   R2. Each workflow's first record is WorkflowStarted, and nothing follows a terminal record.
 *   R3. Partition-level records (OwnerClaimed, CommandsConsumed) have workflowId "" and seq 0, and
 *       CommandsConsumed positions never go backwards within a partition.
 *   R4. Each step call has at most one StepCompleted (exactly-once recorded results).
 *
 * I1. Memory is bounded by the workflows still running in the partitions being read, not by how many ever
 *     ran: a workflow is forgotten once its terminal record is read, and a partition's running ones once
 *     the partition ends. A record that follows a terminal one then finds no workflow and is reported as
 *     R2 (a history that does not begin with WorkflowStarted), which is the same violation.
 * I2. At most PROBLEMS_MAX problems are listed; `problemCount` counts them all.
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
  /** Every problem found, listed or not (I2). */
  readonly problemCount: number;
}

/** Problems a report lists at most (I2). */
export const PROBLEMS_MAX = 1_000;

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

/** Checks records one at a time (R1–R4) with bounded memory (I1). */
export class JournalVerifier {
  private readonly problems: JournalProblem[] = [];
  private problemCount = 0;
  private records = 0;
  private workflows = 0;
  private readonly byStatus: Record<string, number> = {};
  /** Running (or stuck) workflows of the partitions being read, by partition then id (I1). */
  private readonly live = new Map<number, Map<string, Seen>>();
  private readonly positions = new Map<number, number>();

  private problem(p: JournalProblem): void {
    this.problemCount++;
    if (this.problems.length < PROBLEMS_MAX) this.problems.push(p); // I2
  }

  /** Checks `record`, read from `partition`. */
  add(record: JournalRecord, partition: number): void {
    this.records++;
    if (record.workflowId === '') {
      this.partitionRecord(record, partition);
      return;
    }
    if (record.body.kind === 'CommandRejected' && record.seq === 0) return; // for an id that never started
    let workflows = this.live.get(partition);
    if (workflows === undefined) {
      workflows = new Map();
      this.live.set(partition, workflows);
    }
    const seen = workflows.get(record.workflowId) ?? this.open(record, workflows);
    this.workflowRecord(record, seen);
    const terminal = TERMINAL[record.body.kind];
    if (terminal !== undefined) {
      this.count(terminal);
      workflows.delete(record.workflowId); // I1
    } else if (record.body.kind === 'WorkflowStuck') seen.status = 'stuck';
  }

  /** The partition is read: its running workflows are counted and forgotten (I1). */
  endPartition(partition: number): void {
    for (const seen of this.live.get(partition)?.values() ?? []) this.count(seen.status);
    this.live.delete(partition);
  }

  /** Workflows held open now: the running ones of partitions not ended yet (I1). */
  get openWorkflows(): number {
    let open = 0;
    for (const workflows of this.live.values()) open += workflows.size;
    return open;
  }

  /** The report so far; call after every partition has ended. */
  report(): JournalReport {
    return {
      records: this.records,
      workflows: this.workflows,
      byStatus: { ...this.byStatus },
      problems: [...this.problems],
      problemCount: this.problemCount,
    };
  }

  private count(status: string): void {
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
  }

  private open(r: JournalRecord, workflows: Map<string, Seen>): Seen {
    this.workflows++;
    const first = r.body.kind === 'WorkflowStarted';
    // A history seen from its middle is one R2; its seqs are checked from there on, not as an R1 too.
    const seen: Seen = { lastSeq: first ? 0 : r.seq - 1, status: 'running', completedCalls: new Set() };
    workflows.set(r.workflowId, seen);
    if (!first) {
      const message = `first record is ${r.body.kind}: the workflow has not started, or has ended already`;
      this.problem({ rule: 'R2', workflowId: r.workflowId, seq: r.seq, message });
    }
    return seen;
  }

  private workflowRecord(r: JournalRecord, seen: Seen): void {
    if (r.seq !== seen.lastSeq + 1) {
      const message = `seq ${r.seq} follows ${seen.lastSeq}`;
      this.problem({ rule: 'R1', workflowId: r.workflowId, seq: r.seq, message });
    }
    seen.lastSeq = Math.max(seen.lastSeq, r.seq);
    if (r.body.kind !== 'StepCompleted') return;
    if (seen.completedCalls.has(r.body.callSeq)) {
      const message = `call ${r.body.callSeq} completed twice`;
      this.problem({ rule: 'R4', workflowId: r.workflowId, seq: r.seq, message });
    }
    seen.completedCalls.add(r.body.callSeq);
  }

  private partitionRecord(r: JournalRecord, partition: number): void {
    if (r.seq !== 0) {
      this.problem({
        rule: 'R3',
        workflowId: '',
        seq: r.seq,
        message: `${r.body.kind} has seq ${r.seq}, not 0`,
      });
    }
    if (r.body.kind !== 'CommandsConsumed') return;
    const before = this.positions.get(partition) ?? 0;
    if (r.body.nextOffset < before) {
      const message = `partition ${partition} command position went back from ${before} to ${r.body.nextOffset}`;
      this.problem({ rule: 'R3', workflowId: '', seq: 0, message });
    }
    this.positions.set(partition, Math.max(before, r.body.nextOffset));
  }
}

/** Verifies `records` (offset order per partition) against R1–R4. */
export function verifyJournal(records: readonly JournalRecord[]): JournalReport {
  const verifier = new JournalVerifier();
  // Without the partitions they were read from, partition-level records name their own.
  const partitionOf = (r: JournalRecord): number =>
    r.body.kind === 'CommandsConsumed' || r.body.kind === 'OwnerClaimed' ? r.body.partition : -1;
  for (const r of records) verifier.add(r, partitionOf(r));
  verifier.endPartition(-1);
  return verifier.report();
}
