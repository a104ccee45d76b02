/**
 * `logbook journal export [--from <time>] [--to <time>] [--workflow <name>] [--id <id>]`: decoded records
 * as JSON Lines on stdout (the JSON form `journal show` prints), for auditors and other tools.
 *
 * I1. A record is exported when its time is in [from, to) and, with `--workflow` or `--id`, it belongs to
 *     such a workflow; partition-level records (OwnerClaimed, CommandsConsumed) only when neither is given.
 * I2. Memory: the names of the workflows still open in the partition being read (for `--workflow`), and a
 *     chunk of output (line-writer.ts I1). `--id` reads only that workflow's partition.
 */
import type { JournalRecord } from '../journal/index.js';
import type { JournalSource } from './journal-source.js';
import { LineWriter } from './line-writer.js';

/** Which records to export (I1). */
export interface ExportFilter {
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly workflow?: string;
  readonly id?: string;
}

const ENDINGS = new Set(['WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled']);

/** Decides, record by record, what `filter` exports (I1, I2). */
export class ExportSelection {
  /** Workflow names of the open workflows of the partition being read. */
  private readonly names = new Map<string, string>();

  constructor(readonly filter: ExportFilter) {}

  /** True when `record` is exported. */
  accepts(record: JournalRecord): boolean {
    const { fromMs, toMs, workflow, id } = this.filter;
    const named = workflow === undefined ? true : this.workflowOf(record) === workflow;
    if (ENDINGS.has(record.body.kind)) this.names.delete(record.workflowId); // I2
    if (fromMs !== undefined && record.atMs < fromMs) return false;
    if (toMs !== undefined && record.atMs >= toMs) return false;
    if ((workflow !== undefined || id !== undefined) && record.workflowId === '') return false;
    return named && (id === undefined || record.workflowId === id);
  }

  /** Workflow names held now: the open workflows of the partition being read (I2). */
  get openWorkflows(): number {
    return this.names.size;
  }

  /** The partition is read: its open workflows' names are dropped (I2). */
  endPartition(): void {
    this.names.clear();
  }

  private workflowOf(record: JournalRecord): string | undefined {
    if (record.body.kind === 'WorkflowStarted') this.names.set(record.workflowId, record.body.workflow);
    return this.names.get(record.workflowId);
  }
}

/** Streams the selected records to stdout, one JSON object a line; returns the exit code. */
export async function exportJournal(source: JournalSource, filter: ExportFilter): Promise<number> {
  const selection = new ExportSelection(filter);
  const out = new LineWriter();
  const partitions = filter.id === undefined ? undefined : [await source.partitionOf(filter.id)];
  await source.stream(
    {
      onRecord: async (record) => {
        if (selection.accepts(record)) await out.line(JSON.stringify(record));
      },
      onPartitionEnd: () => selection.endPartition(),
    },
    partitions,
  );
  await out.flush();
  return 0;
}
