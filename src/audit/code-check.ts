/**
 * `logbook journal verify --workflows <module>`: gathers each workflow's history from a streamed journal
 * and replays it through today's code (history-check.ts), collecting every workflow that would diverge.
 *
 * I1. Memory is the histories of the workflows still open in the partition being read: a history is
 *     checked and dropped at its terminal record, and the rest (running or stuck) when their partition
 *     ends (journal-stream.ts I2), replayed up to where they end.
 * I2. A workflow whose name the module does not define is not replayed; it is counted by name, so a
 *     deployment that drops a workflow still in use shows up in the report.
 * I3. At most DIVERGENCES_MAX divergences are listed; `divergedCount` counts them all.
 */
import type { JournalRecord } from '../journal/index.js';
import type { AnyWorkflowDefinition } from '../workflow/index.js';
import { checkHistory, type Divergence } from './history-check.js';

/** Divergences a report lists at most (I3). */
export const DIVERGENCES_MAX = 1_000;

/** Which workflows to check. */
export interface CodeCheckFilter {
  /** Only this workflow id. */
  readonly id?: string;
  /** Only workflows started at or after this time. */
  readonly sinceMs?: number;
}

/** What a check of the journal against the code found. */
export interface CodeCheckReport {
  readonly checked: number;
  readonly running: number;
  readonly divergedCount: number;
  readonly diverged: readonly Divergence[];
  /** Workflows not replayed because the module defines no workflow of their name, by name (I2). */
  readonly notInModule: Readonly<Record<string, number>>;
}

/** Replays every matching history of a streamed journal through `definitions` (I1–I3). */
export class CodeCheck {
  /** Open histories of the partition being read, by workflow id (I1). */
  private readonly open = new Map<
    string,
    { readonly definition: AnyWorkflowDefinition; readonly records: JournalRecord[] }
  >();
  private readonly ignored = new Set<string>();
  private readonly diverged: Divergence[] = [];
  private readonly notInModule: Record<string, number> = {};
  private divergedCount = 0;
  private checked = 0;
  private running = 0;

  constructor(
    private readonly definitions: ReadonlyMap<string, AnyWorkflowDefinition>,
    private readonly filter: CodeCheckFilter = {},
  ) {}

  /** Takes one record; replays its workflow's history when this record ends it. */
  async add(record: JournalRecord): Promise<void> {
    const id = record.workflowId;
    if (id === '' || record.seq === 0 || this.ignored.has(id)) {
      if (isEnding(record)) this.ignored.delete(id);
      return;
    }
    let history = this.open.get(id);
    if (history === undefined) {
      history = this.begin(record);
      if (history === undefined) return;
    }
    history.records.push(record);
    if (isEnding(record)) {
      this.open.delete(id);
      await this.check(history.definition, history.records);
    }
  }

  /** The partition is read: its open histories are replayed as far as they go, then dropped (I1). */
  async endPartition(): Promise<void> {
    for (const { definition, records } of this.open.values()) {
      this.running++;
      await this.check(definition, records);
    }
    this.open.clear();
    this.ignored.clear();
  }

  /** Histories held now: the open workflows of the partition being read (I1). */
  get openHistories(): number {
    return this.open.size + this.ignored.size;
  }

  /** The report; call after every partition has ended. */
  report(): CodeCheckReport {
    return {
      checked: this.checked,
      running: this.running,
      divergedCount: this.divergedCount,
      diverged: [...this.diverged],
      notInModule: { ...this.notInModule },
    };
  }

  /** The history a first record opens, or undefined (and the id ignored) when it is not checked. */
  private begin(
    record: JournalRecord,
  ): { definition: AnyWorkflowDefinition; records: JournalRecord[] } | undefined {
    const { body } = record;
    const wanted =
      body.kind === 'WorkflowStarted' &&
      (this.filter.id === undefined || this.filter.id === record.workflowId) &&
      (this.filter.sinceMs === undefined || record.atMs >= this.filter.sinceMs);
    const definition = body.kind === 'WorkflowStarted' ? this.definitions.get(body.workflow) : undefined;
    if (wanted && body.kind === 'WorkflowStarted' && definition === undefined) {
      this.notInModule[body.workflow] = (this.notInModule[body.workflow] ?? 0) + 1; // I2
    }
    if (!wanted || definition === undefined) {
      // A history read from its middle (not WorkflowStarted) is the structural check's business.
      if (!isEnding(record)) this.ignored.add(record.workflowId);
      return undefined;
    }
    const history = { definition, records: [] };
    this.open.set(record.workflowId, history);
    return history;
  }

  private async check(definition: AnyWorkflowDefinition, records: readonly JournalRecord[]): Promise<void> {
    this.checked++;
    const divergence = await checkHistory(definition, records);
    if (divergence === undefined) return;
    this.divergedCount++;
    if (this.diverged.length < DIVERGENCES_MAX) this.diverged.push(divergence); // I3
  }
}

function isEnding(record: JournalRecord): boolean {
  const kind = record.body.kind;
  return kind === 'WorkflowCompleted' || kind === 'WorkflowFailed' || kind === 'WorkflowCancelled';
}
