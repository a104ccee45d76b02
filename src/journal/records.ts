/**
 * Journal record kinds: everything that happens to a workflow is one of these, appended to `ns.journal`
 * on the workflow's partition by the partition's owner (DESIGN §2). The pure machine folds them into state;
 * the codec maps them 1:1 to the Avro schema in schemas/journal.avsc.
 *
 * I1. A record kind, once written, is never renamed or removed, and its fields only gain optional ones:
 *     the journal is the audit trail and every version ever written must decode (STYLE §2).
 * I2. `seq` is the record's position in its workflow (1, 2, 3, … without gaps); partition-level records
 *     (`OwnerClaimed`, `CommandsConsumed`) have workflowId "" and seq 0.
 * I4. Epoch rule (DESIGN §5a): a record with `writerEpoch` below the offset of the last OwnerClaimed that
 *     precedes it in its partition was written by a fenced owner and is void; every reader applies it
 *     (catch-up, scanJournal, schemas/README.md). Transactional writers never produce void records.
 * I3. `callSeq` numbers the body's ctx calls in the order the body makes them (1, 2, …); it is how a
 *     replayed body finds each call's journaled outcome.
 * I5. The record that opens a call (StepStarted, a sleep's TimerScheduled, SignalAwaited or a first
 *     SignalConsumed, ChildStarted, Emitted, CompensationStarted, CallRejected) carries `parentSeq`: the call
 *     made last in the same async context before it (0 for the body's start). A call is identified by
 *     (parentSeq, its rank among the calls with that parentSeq), which does not depend on how long non-ctx
 *     I/O between calls took, so a replay finds the same callSeq for it (replay/call-origin.ts, call-matcher.ts).
 */
import type { ErrorData, JsonValue } from './json.js';

/**
 * Version of the record envelope this code writes. Decoders accept every version up to it: v1 (no
 * writerEpoch), v2 (no parentSeq, StepStarted or CallRejected) and v3 (no WorkflowStarted.trace) through
 * schemas/released/, v4 is schemas/journal.avsc. Bump it, and keep the previous schema under
 * schemas/released/, whenever journal.avsc changes.
 */
export const JOURNAL_SCHEMA_VERSION = 4;

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) of the command that started a workflow, kept
 * with it so every record and event written for it, and every step span, joins that trace (D24).
 * `traceparent` is always a valid version-00 value; the edge drops invalid ones.
 */
export interface TraceContext {
  readonly traceparent: string;
  readonly tracestate: string | null;
}

/** Why a timer exists. */
export type TimerPurpose = 'sleep' | 'retry' | 'signal-timeout';

/** A child workflow's link back to its parent call. */
export interface ParentRef {
  readonly workflowId: string;
  readonly callSeq: number;
}

/** Outcome of a child workflow as the parent journals it. */
export type ChildOutcome =
  | { readonly ok: true; readonly result: JsonValue }
  | { readonly ok: false; readonly error: ErrorData };

/** The body of each record kind, discriminated on `kind`. */
export type RecordBody =
  | {
      readonly kind: 'WorkflowStarted';
      readonly workflow: string;
      readonly input: JsonValue;
      readonly idempotencyKey: string | null;
      readonly parent: ParentRef | null;
      /** The start command's trace context (since v4; null before, and for commands without one). */
      readonly trace: TraceContext | null;
    }
  | {
      readonly kind: 'StepCompleted';
      readonly callSeq: number;
      readonly name: string;
      readonly result: JsonValue;
      readonly attempt: number;
      readonly startedAtMs: number;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'StepFailed';
      readonly callSeq: number;
      readonly name: string;
      readonly error: ErrorData;
      readonly attempt: number;
      readonly startedAtMs: number;
      readonly durationMs: number;
      /** When the next attempt runs; null when this failure is final. */
      readonly retryAtMs: number | null;
    }
  | {
      readonly kind: 'TimerScheduled';
      readonly timerId: string;
      readonly callSeq: number;
      readonly purpose: TimerPurpose;
      readonly fireAtMs: number;
      /** For a sleep, the call's origin (I5); -1 for retry and signal-timeout timers, and before v3. */
      readonly parentSeq: number;
    }
  | { readonly kind: 'TimerFired'; readonly timerId: string; readonly callSeq: number }
  | { readonly kind: 'SignalReceived'; readonly name: string; readonly payload: JsonValue }
  | {
      readonly kind: 'SignalAwaited';
      readonly callSeq: number;
      readonly name: string;
      readonly parentSeq: number;
    }
  | {
      readonly kind: 'SignalConsumed';
      readonly callSeq: number;
      readonly name: string;
      /** The `seq` of the SignalReceived record this call took. */
      readonly signalSeq: number;
      readonly payload: JsonValue;
      /** The call's origin when this record opens it (the signal was waiting); else -1. */
      readonly parentSeq: number;
    }
  | { readonly kind: 'CancelRequested'; readonly reason: string }
  | {
      readonly kind: 'CompensationStarted';
      readonly callSeq: number;
      readonly reason: ErrorData;
      /** Names of the steps whose compensations will run, in the order they run. */
      readonly steps: readonly string[];
      readonly parentSeq: number;
    }
  | {
      readonly kind: 'ChildStarted';
      readonly callSeq: number;
      readonly childId: string;
      readonly workflow: string;
      readonly parentSeq: number;
    }
  | {
      readonly kind: 'ChildCompleted';
      readonly callSeq: number;
      readonly childId: string;
      readonly outcome: ChildOutcome;
    }
  | {
      readonly kind: 'Emitted';
      readonly callSeq: number;
      readonly topic: string;
      readonly key: string;
      readonly parentSeq: number;
    }
  | { readonly kind: 'WorkflowCompleted'; readonly result: JsonValue }
  | { readonly kind: 'WorkflowFailed'; readonly error: ErrorData }
  | { readonly kind: 'WorkflowCancelled'; readonly reason: string }
  | { readonly kind: 'WorkflowStuck'; readonly error: ErrorData }
  | {
      readonly kind: 'CommandRejected';
      readonly code: string;
      readonly reason: string;
      readonly sourceOffset: string;
    }
  | {
      readonly kind: 'OwnerClaimed';
      readonly partition: number;
      readonly claimId: string;
      readonly executorId: string;
    }
  | {
      /** Partition-level: every command below `nextOffset` has been applied (command positions live in the journal). */
      readonly kind: 'CommandsConsumed';
      readonly partition: number;
      readonly nextOffset: number;
    }
  | {
      /** The machine started attempt `attempt` of step call `callSeq`; the attempt runs once this commits. */
      readonly kind: 'StepStarted';
      readonly callSeq: number;
      readonly name: string;
      readonly attempt: number;
      readonly parentSeq: number;
    }
  | {
      /** A body call failed without running: over a limit, made after a cancel, or refused by Kafka. */
      readonly kind: 'CallRejected';
      readonly callSeq: number;
      readonly callKind: string;
      readonly name: string;
      readonly error: ErrorData;
      /** The call's origin when this record opens it; -1 when it closes a call already open. */
      readonly parentSeq: number;
    };

/** Every record kind's name. */
export type RecordKind = RecordBody['kind'];

/** The body of one record kind. */
export type BodyOf<K extends RecordKind> = Extract<RecordBody, { kind: K }>;

/** One journal record: the envelope every kind shares, plus its body. */
export interface JournalRecord {
  readonly schemaVersion: number;
  readonly workflowId: string;
  readonly seq: number;
  readonly atMs: number;
  /**
   * The journal offset of the writer's OwnerClaimed record (its epoch); absent (0) for claims themselves.
   * A record whose epoch is below the offset of the latest OwnerClaimed before it is void (I4).
   */
  readonly writerEpoch?: number;
  readonly body: RecordBody;
}

/** All record kinds, in schema order (I1: append only). */
export const RECORD_KINDS: readonly RecordKind[] = [
  'WorkflowStarted',
  'StepCompleted',
  'StepFailed',
  'TimerScheduled',
  'TimerFired',
  'SignalReceived',
  'SignalAwaited',
  'SignalConsumed',
  'CancelRequested',
  'CompensationStarted',
  'ChildStarted',
  'ChildCompleted',
  'Emitted',
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
  'WorkflowStuck',
  'CommandRejected',
  'OwnerClaimed',
  'CommandsConsumed',
  'StepStarted',
  'CallRejected',
];

/** The kinds that end a workflow: exactly one of them closes every workflow's history. */
export const TERMINAL_RECORD_KINDS: ReadonlySet<RecordKind> = new Set<RecordKind>([
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
]);
