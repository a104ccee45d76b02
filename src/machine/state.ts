/**
 * Machine state: what the partition owner knows about each workflow, folded from journal records by
 * `applyRecord` (apply.ts). Nothing here is I/O; everything is rebuilt from the journal after a takeover.
 *
 * I1. A WorkflowState is derived only from records: same records, same state, on every node.
 * I2. Bounded by what is open, never by history length: a workflow keeps its open calls, pending timers,
 *     mailbox and waits, a fixed-size ring of its last closed calls, and counters. Closed calls leave the
 *     state (the journal and the cache's history keep them). A terminal workflow keeps no open anything.
 * I3. Every call is journaled when it is made (records.ts I5), in callSeq order, so a callSeq at or below
 *     `maxCallSeq` that is not open is closed. Workflows started by a v1/v2 writer journaled steps only when
 *     they ended; for those (`legacySteps`) closed step calls are remembered explicitly.
 */
import type { ErrorData, JsonValue, ParentRef, TimerPurpose, TraceContext } from '../journal/index.js';

/** Lifecycle of a workflow. `stuck` is not terminal: a fixed deployment may replay it past the divergence. */
export type WorkflowStatus = 'running' | 'stuck' | 'completed' | 'failed' | 'cancelled';

/** Kind of body call a callSeq was used for; replay checks a re-run body makes the same calls. */
export type CallKind = 'step' | 'sleep' | 'signal' | 'child' | 'emit' | 'compensation';

/** Every call kind, for decoding `CallRejected.callKind`. */
export const CALL_KINDS: readonly CallKind[] = ['step', 'sleep', 'signal', 'child', 'emit', 'compensation'];

/** Errors of failed attempts a call keeps (the latest ones); the count of attempts is kept in full. */
export const ATTEMPT_ERRORS_MAX = 10;

/** Closed calls a workflow remembers for `describe` (the latest ones). */
export const RECENT_CALLS_MAX = 20;

/** One failed attempt, as `describe` and an exhausted step's error list it. */
export interface AttemptError {
  readonly attempt: number;
  readonly name: string;
  readonly code: string;
  readonly message: string;
}

/** A call that is journaled and not closed. */
export interface OpenCall {
  readonly kind: CallKind;
  readonly name: string;
  /** True for `compensate:` steps, which run on after a cancel. */
  readonly compensation: boolean;
  /** Highest attempt started (steps). */
  attempt: number;
  /** The latest attempt was started (StepStarted) and has no outcome yet. */
  attemptOpen: boolean;
  /** A retry timer is pending. */
  retrying: boolean;
  /** The latest failed attempts' errors, oldest first, at most ATTEMPT_ERRORS_MAX. */
  readonly errors: AttemptError[];
  /** The last failed attempt's full error (the cause of an exhausted step). */
  lastError: ErrorData | null;
}

/** A closed call, for `describe`. */
export interface RecentCall {
  readonly callSeq: number;
  readonly kind: CallKind;
  readonly name: string;
  readonly outcome: 'ok' | 'failed' | 'rejected' | 'timeout';
  readonly attempts: number;
  readonly atMs: number;
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
  /** Its payload's size as JSON, for the mailbox byte limit. */
  readonly bytes: number;
}

/** Everything the owner knows about one workflow. Mutated only by applyRecord. */
export interface WorkflowState {
  readonly id: string;
  readonly workflow: string;
  readonly parent: ParentRef | null;
  /**
   * The trace context of its WorkflowStarted record (D24), absent when it had none. Optional so that
   * states cached before v4 still read (the cache stores states as JSON, state-codec.ts).
   */
  readonly trace?: TraceContext;
  readonly startedAtMs: number;
  /** Started by a writer before v3: steps were journaled only when they ended (I3). */
  readonly legacySteps: boolean;
  status: WorkflowStatus;
  lastSeq: number;
  updatedAtMs: number;
  /** Highest callSeq journaled (I3). */
  maxCallSeq: number;
  /** Calls journaled so far. */
  callCount: number;
  readonly open: Map<number, OpenCall>;
  readonly timers: Map<string, PendingTimer>;
  readonly mailbox: MailboxSignal[];
  /** Signal waits journaled (SignalAwaited) and not yet resolved: callSeq → signal name. */
  readonly awaiting: Map<number, string>;
  /** Closed step calls of a legacy workflow (I3); empty otherwise. */
  readonly legacyClosed: Set<number>;
  readonly recent: RecentCall[];
  cancelReason: string | null;
  result: JsonValue;
  error: ErrorData | null;
  /**
   * Set only on a finished workflow read back past the cache's retention: its result and error were
   * dropped from the cache, and its terminal record is at this journal position (status answers say so).
   */
  readonly archived?: JournalPosition;
}

/** Where a record is in the journal. */
export interface JournalPosition {
  readonly partition: number;
  readonly offset: number;
}

/** The states a decision can see, by id: the owner's hot states and the ones it loaded for this tick. */
export interface PartitionState {
  get(id: string): WorkflowState | undefined;
  set(id: string, ws: WorkflowState): void;
}

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

/**
 * True when call `callSeq` (of `kind`) was journaled and is closed (I3). Legacy writers journaled every
 * call but steps when it was made, so for them only steps need the explicit set.
 */
export function isClosedCall(ws: WorkflowState, callSeq: number, kind: CallKind): boolean {
  if (ws.open.has(callSeq)) return false;
  if (ws.legacySteps && kind === 'step') return ws.legacyClosed.has(callSeq);
  return callSeq <= ws.maxCallSeq;
}

/**
 * True when a running workflow needs no body until an outside event (a timer, a signal, a child's result)
 * arrives: it has open calls and every one of them waits on such an event. A workflow that is not wakeable
 * needs its body now — a step attempt to run again, or a body between calls — so a new owner resumes it at
 * once; a wakeable one may leave memory and is resumed when its event comes.
 */
export function isWakeable(ws: WorkflowState): boolean {
  if (ws.status !== 'running' || ws.open.size === 0) return false;
  for (const call of ws.open.values()) {
    if (call.kind === 'step' && !call.retrying) return false;
  }
  return true;
}
