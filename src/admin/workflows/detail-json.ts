/**
 * The JSON of `/api/workflows/<id>` and `/api/workflow-counts`, and how a cached state becomes it. The list
 * page's items are api-types.ts WorkflowSummaryJson; these extend it for one workflow.
 *
 * I1. Append only, like api-types.ts I1: a field, once answered, keeps its name and meaning.
 * I2. Times are ISO-8601 strings; absent values are null, never missing keys.
 */
import type {
  ErrorData,
  JournalRecord,
  JsonValue,
  ParentRef,
  RecordBody,
  TimerPurpose,
} from '../../journal/index.js';
import type { JournalPosition, WorkflowState } from '../../machine/index.js';
import type { WorkflowStatusName, WorkflowSummaryJson } from '../api-types.js';

/** Workflows of this executor by status, counted from the cache. */
export interface WorkflowCountsJson {
  readonly counts: Readonly<Record<WorkflowStatusName, number>>;
  /** True when counting stopped at COUNT_KEYS_MAX keys: the figures are then lower bounds. */
  readonly capped: boolean;
  /** The partitions counted (those this executor owns). */
  readonly partitions: readonly number[];
}

/** One journal record of a workflow's history. */
export interface HistoryRecordJson {
  readonly seq: number;
  readonly at: string;
  readonly kind: RecordBody['kind'];
  readonly body: RecordBody;
}

/** One page of a workflow's history. */
export interface HistoryPageJson {
  /** Where the records came from: the cache (running, stuck) or the journal (finished). */
  readonly source: 'cache' | 'journal';
  readonly from: number;
  readonly records: readonly HistoryRecordJson[];
  /** The `from` of the next page, null on the last. */
  readonly nextFrom: number | null;
  /** Why the history could not be read, or null. */
  readonly unavailable: string | null;
}

/** A call the workflow has open. */
export interface PendingCallJson {
  readonly callSeq: number;
  readonly kind: string;
  readonly name: string;
  readonly attempt: number;
  readonly attemptOpen: boolean;
  readonly retrying: boolean;
  readonly compensation: boolean;
}

/** A timer not yet fired. */
export interface PendingTimerJson {
  readonly timerId: string;
  readonly callSeq: number;
  readonly purpose: TimerPurpose;
  readonly fireAt: string;
}

/** A journaled `ctx.signal` wait not yet resolved. */
export interface SignalWaitJson {
  readonly callSeq: number;
  readonly name: string;
}

/** What the workflow waits on now. */
export interface PendingJson {
  readonly calls: readonly PendingCallJson[];
  readonly timers: readonly PendingTimerJson[];
  readonly signalWaits: readonly SignalWaitJson[];
  /** Signals received and not yet taken. */
  readonly mailbox: number;
}

/** `GET /api/workflows/<id>`: the summary and one page of the history. */
export interface WorkflowDetailJson extends WorkflowSummaryJson {
  readonly parent: ParentRef | null;
  readonly result: JsonValue;
  readonly error: ErrorData | null;
  readonly cancelReason: string | null;
  /** Set when the cache kept only a tombstone: result and error are in this journal record. */
  readonly archived: JournalPosition | null;
  readonly pending: PendingJson;
  readonly history: HistoryPageJson;
}

/** An ISO time, or null for 0 (unknown). */
export function isoOrNull(ms: number): string | null {
  return ms > 0 ? new Date(ms).toISOString() : null;
}

/** The list item of a cached state. */
export function summaryJson(ws: WorkflowState, partition: number): WorkflowSummaryJson {
  return {
    id: ws.id,
    workflow: ws.workflow,
    status: ws.status,
    partition,
    startedAt: isoOrNull(ws.startedAtMs),
    updatedAt: isoOrNull(ws.updatedAtMs),
  };
}

/** What a cached state waits on. */
export function pendingJson(ws: WorkflowState): PendingJson {
  return {
    calls: [...ws.open].map(([callSeq, call]) => ({
      callSeq,
      kind: call.kind,
      name: call.name,
      attempt: call.attempt,
      attemptOpen: call.attemptOpen,
      retrying: call.retrying,
      compensation: call.compensation,
    })),
    timers: [...ws.timers.values()].map((t) => ({
      timerId: t.timerId,
      callSeq: t.callSeq,
      purpose: t.purpose,
      fireAt: new Date(t.fireAtMs).toISOString(),
    })),
    signalWaits: [...ws.awaiting].map(([callSeq, name]) => ({ callSeq, name })),
    mailbox: ws.mailbox.length,
  };
}

/** A decoded record as the history answers it. */
export function historyRecordJson(record: JournalRecord): HistoryRecordJson {
  return {
    seq: record.seq,
    at: new Date(record.atMs).toISOString(),
    kind: record.body.kind,
    body: record.body,
  };
}
