/**
 * A decision under construction: collects effects and numbers each new record with its workflow's next
 * seq, so one `decide` call may write several records for one workflow in order.
 */
import type { JournalRecord, RecordBody } from '../journal/index.js';
import { JOURNAL_SCHEMA_VERSION } from '../journal/index.js';
import { type Effects, noEffects } from './effects.js';
import type { WorkflowState } from './state.js';

/** Builder for one decision's effects. */
export class Decision {
  readonly effects: Effects = noEffects();
  private readonly nextSeq = new Map<string, number>();

  constructor(
    private readonly nowMs: number,
    private readonly epoch = 0,
  ) {}

  /** Object literals, not a spread of one: a tick makes one per record. */
  private envelope(workflowId: string, seq: number, body: RecordBody): JournalRecord {
    const atMs = this.nowMs;
    const schemaVersion = JOURNAL_SCHEMA_VERSION;
    return this.epoch > 0
      ? { schemaVersion, workflowId, seq, atMs, body, writerEpoch: this.epoch }
      : { schemaVersion, workflowId, seq, atMs, body };
  }

  /** Appends a record for `ws` (or, for a workflow that does not exist yet, its id) with the next seq. */
  record(ws: WorkflowState | string, body: RecordBody): JournalRecord {
    const workflowId = typeof ws === 'string' ? ws : ws.id;
    const base = typeof ws === 'string' ? 0 : ws.lastSeq;
    const seq = (this.nextSeq.get(workflowId) ?? base) + 1;
    this.nextSeq.set(workflowId, seq);
    const record = this.envelope(workflowId, seq, body);
    this.effects.records.push(record);
    return record;
  }

  /** Appends a record that does not belong to a workflow's sequence (seq 0), e.g. a rejection for an unknown id. */
  unsequenced(workflowId: string, body: RecordBody): void {
    this.effects.records.push(this.envelope(workflowId, 0, body));
  }
}
