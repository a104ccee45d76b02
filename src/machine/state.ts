/**
 * Machine state: what the partition owner knows about each workflow, folded from journal records by
 * `applyRecord` (apply.ts). Nothing here is I/O; everything is rebuilt from the journal after a takeover.
 *
 * I1. A WorkflowState is derived only from records: same records, same state, on every node.
 * I2. `history` holds every record of a non-terminal workflow in seq order, for replaying its body;
 *     it is emptied when the workflow reaches a terminal status (the journal keeps the full trail).
 */
import type { ErrorData, JournalRecord, JsonValue, ParentRef, TimerPurpose } from '../journal/index.js';

/** Lifecycle of a workflow. `stuck` is not terminal: a fixed deployment may replay it past the divergence. */
export type WorkflowStatus = 'running' | 'stuck' | 'completed' | 'failed' | 'cancelled';

/** Kind of body call a callSeq was used for; replay checks a re-run body makes the same calls. */
export type CallKind = 'step' | 'sleep' | 'signal' | 'child' | 'emit' | 'compensation';

/** What the journal says about one body call. */
export interface CallState {
  readonly kind: CallKind;
  readonly name: string;
  /** `done` once its outcome is journaled; `retrying` while a retry timer is pending. */
  status: 'pending' | 'retrying' | 'done';
  /** Highest attempt journaled (steps only). */
  attempt: number;
  /** Every failed attempt's error, in order (steps only). */
  readonly errors: ErrorData[];
}

/** A timer that has been scheduled and has not fired. */
export interface PendingTimer {
  readonly timerId: string;
  readonly callSeq: number;
  readonly purpose: TimerPurpose;
  readonly fireAtMs: number;
}

/** A signal received and not yet taken by a `ctx.signal` call. */
export interface MailboxSignal {
  readonly seq: number;
  readonly name: string;
  readonly payload: JsonValue;
}

/** Everything the owner knows about one workflow. Mutated only by applyRecord. */
export interface WorkflowState {
  readonly id: string;
  readonly workflow: string;
  readonly input: JsonValue;
  readonly parent: ParentRef | null;
  readonly startedAtMs: number;
  status: WorkflowStatus;
  lastSeq: number;
  updatedAtMs: number;
  readonly calls: Map<number, CallState>;
  readonly timers: Map<string, PendingTimer>;
  readonly mailbox: MailboxSignal[];
  /** Signal waits journaled (SignalAwaited) and not yet resolved: callSeq → signal name. */
  readonly awaiting: Map<number, string>;
  cancelReason: string | null;
  result: JsonValue;
  error: ErrorData | null;
  readonly history: JournalRecord[];
}

/** The states of one partition's workflows, by id. */
export type PartitionState = Map<string, WorkflowState>;

/** Prefix of the step names compensations run under; never change it (journals hold these names). */
export const COMPENSATION_PREFIX = 'compensate:';

/** True for a compensation step's name. */
export function isCompensationStep(name: string): boolean {
  return name.startsWith(COMPENSATION_PREFIX);
}

/** True for statuses after which nothing more happens to a workflow. */
export function isTerminal(status: WorkflowStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
