/**
 * `logbook list` without an executor: folds the journal into one summary per workflow (id, workflow,
 * status, started, updated) with the pure machine's `applyRecord`, and keeps the most recently updated
 * ones that pass the filter. Also the order and merge of admin API pages, so both sources list alike.
 *
 * I1. Memory is the workflows still running in the partition being read plus `limit` summaries: a
 *     workflow leaves the fold at its terminal record, and the running ones when their partition ends
 *     (journal-stream.ts I2), each offered to the bounded list as it leaves.
 * I2. Lists are ordered most recently updated first, then by id, whichever source answered.
 */
import type { WorkflowStatusName, WorkflowSummaryJson } from '../admin/api-types.js';
import type { JournalRecord } from '../journal/index.js';
import { applyRecord, isTerminal, type WorkflowState } from '../machine/index.js';

/** Which workflows to list. */
export interface ListFilter {
  readonly status?: WorkflowStatusName;
  readonly workflow?: string;
  readonly limit: number;
}

/** True when `s` passes `filter` (the limit aside). */
export function matchesFilter(s: WorkflowSummaryJson, filter: ListFilter): boolean {
  return (
    (filter.status === undefined || s.status === filter.status) &&
    (filter.workflow === undefined || s.workflow === filter.workflow)
  );
}

/** Most recently updated first, then by id (I2). */
export function compareSummaries(a: WorkflowSummaryJson, b: WorkflowSummaryJson): number {
  const byTime = (b.updatedAt ?? '').localeCompare(a.updatedAt ?? '');
  return byTime !== 0 ? byTime : a.id.localeCompare(b.id);
}

/** Merges pages from several executors: each id once, ordered (I2), at most `limit`. */
export function mergeSummaries(
  pages: readonly (readonly WorkflowSummaryJson[])[],
  filter: ListFilter,
): WorkflowSummaryJson[] {
  const byId = new Map<string, WorkflowSummaryJson>();
  for (const items of pages)
    for (const s of items) {
      const known = byId.get(s.id);
      if (matchesFilter(s, filter) && (known === undefined || compareSummaries(s, known) < 0))
        byId.set(s.id, s);
    }
  return [...byId.values()].sort(compareSummaries).slice(0, filter.limit);
}

/** A workflow's summary from its machine state. */
export function summaryOfState(ws: WorkflowState, partition: number): WorkflowSummaryJson {
  return {
    id: ws.id,
    workflow: ws.workflow,
    status: ws.status,
    partition,
    startedAt: new Date(ws.startedAtMs).toISOString(),
    updatedAt: new Date(ws.updatedAtMs).toISOString(),
  };
}

/** Folds journal records into the newest `filter.limit` matching summaries (I1). */
export class WorkflowListFold {
  private readonly live = new Map<string, WorkflowState>();
  /** The kept summaries, ordered (I2); never longer than the limit. */
  private readonly kept: WorkflowSummaryJson[] = [];

  constructor(readonly filter: ListFilter) {}

  /** Folds `record`, read from `partition`. */
  add(record: JournalRecord, partition: number): void {
    const ws = applyRecord(this.live, record);
    if (ws === undefined || !isTerminal(ws.status)) return;
    this.offer(summaryOfState(ws, partition));
    this.live.delete(ws.id); // I1
  }

  /** The partition is read: its running and stuck workflows are offered and forgotten (I1). */
  endPartition(partition: number): void {
    for (const ws of this.live.values()) this.offer(summaryOfState(ws, partition));
    this.live.clear();
  }

  /** Workflow states held now: the open workflows of the partition being read (I1). */
  get openWorkflows(): number {
    return this.live.size;
  }

  /** The kept summaries, ordered (I2). */
  result(): WorkflowSummaryJson[] {
    return [...this.kept];
  }

  private offer(s: WorkflowSummaryJson): void {
    if (!matchesFilter(s, this.filter)) return;
    const last = this.kept.at(-1);
    if (this.kept.length >= this.filter.limit && last !== undefined && compareSummaries(s, last) >= 0) return;
    const at = this.kept.findIndex((k) => compareSummaries(s, k) < 0);
    this.kept.splice(at < 0 ? this.kept.length : at, 0, s);
    if (this.kept.length > this.filter.limit) this.kept.pop();
  }
}
