/**
 * A live run as the owner keeps it: the body, whether it is still replaying its history, and the committed
 * records that arrived meanwhile (they are delivered after the history, in order).
 *
 * I1. A run sees each record once, in seq order: live records that arrive while it replays wait in
 *     `queue`, and any record at or below `lastSeq` (delivered already, say by the history read) is skipped.
 */
import type { JournalRecord } from '../journal/index.js';
import type { WorkflowRun } from '../replay/index.js';

/** One live run of the partition; `run` is undefined until its replay has read the history. */
export interface RunEntry {
  readonly workflowId: string;
  run: WorkflowRun | undefined;
  replaying: boolean;
  readonly queue: JournalRecord[];
  lastSeq: number;
}

/** Delivers `record` to the entry's run, or queues it while the run replays (I1). */
export function deliverTo(entry: RunEntry, record: JournalRecord): void {
  if (entry.replaying || entry.run === undefined) {
    entry.queue.push(record);
    return;
  }
  if (record.seq <= entry.lastSeq) return;
  entry.lastSeq = record.seq;
  entry.run.deliver(record);
}
