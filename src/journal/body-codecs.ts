/**
 * Per-kind mapping between Logbook's record bodies (records.ts) and the Avro union branches of
 * schemas/journal.avsc. codec.ts handles the envelope and calls into this table for the body.
 *
 * I1. One entry per record kind, typed `{ [K in RecordKind]: BodyCodec<K> }`: a new kind does not compile
 *     until it has a mapping here (STYLE §2), and a new field does not compile until it is mapped.
 * I2. Fields map 1:1 by name. The only conversions are: JSON payloads ↔ UTF-8 JSON bytes, the TimerPurpose
 *     symbol `signal-timeout` ↔ `signal_timeout` (Avro enum symbols cannot contain '-'), and ChildOutcome's
 *     TS union ↔ one Avro record with `ok` and nullable `result` / `error`. Never change a mapping: journals
 *     are kept forever and old records must decode to the same values.
 * I3. `fromAvro` receives what avsc decoded, so types are already checked against the schema; it only
 *     rejects what the schema cannot express (an ok ChildOutcome without a result, and the reverse).
 */
import { JournalDecodeError } from './journal-codec-error.js';
import type { ErrorData } from './json.js';
import { jsonBytes, parseJsonBytes } from './json-bytes.js';
import type { BodyOf, ChildOutcome, RecordBody, RecordKind, TimerPurpose } from './records.js';

/** Avro namespace of every named type in schemas/journal.avsc. Never change it: it is in the fingerprint. */
export const JOURNAL_NAMESPACE = 'logbook.journal';

/** ErrorData as Avro carries it: `details` is JSON bytes. */
interface AvroErrorData {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly details: Buffer;
}

/** The Avro symbols of the TimerPurpose enum. */
type AvroTimerPurpose = 'sleep' | 'retry' | 'signal_timeout';

/** ChildOutcome as one Avro record (I2). */
interface AvroChildOutcome {
  readonly ok: boolean;
  readonly result: Buffer | null;
  readonly error: AvroErrorData | null;
}

/** A body's Avro form: its fields without `kind`, with the fields in `O` replaced by their Avro types. */
type Avro<K extends RecordKind, O extends object = Record<never, never>> = Omit<BodyOf<K>, 'kind' | keyof O> &
  O;

/** The Avro form of every kind's body; indexing it with a kind that is missing does not compile (I1). */
export interface AvroBodies {
  WorkflowStarted: Avro<'WorkflowStarted', { readonly input: Buffer }>;
  StepCompleted: Avro<'StepCompleted', { readonly result: Buffer }>;
  StepFailed: Avro<'StepFailed', { readonly error: AvroErrorData }>;
  TimerScheduled: Avro<'TimerScheduled', { readonly purpose: AvroTimerPurpose }>;
  TimerFired: Avro<'TimerFired'>;
  SignalReceived: Avro<'SignalReceived', { readonly payload: Buffer }>;
  SignalAwaited: Avro<'SignalAwaited'>;
  SignalConsumed: Avro<'SignalConsumed', { readonly payload: Buffer }>;
  CancelRequested: Avro<'CancelRequested'>;
  CompensationStarted: Avro<'CompensationStarted', { readonly reason: AvroErrorData }>;
  ChildStarted: Avro<'ChildStarted'>;
  ChildCompleted: Avro<'ChildCompleted', { readonly outcome: AvroChildOutcome }>;
  Emitted: Avro<'Emitted'>;
  WorkflowCompleted: Avro<'WorkflowCompleted', { readonly result: Buffer }>;
  WorkflowFailed: Avro<'WorkflowFailed', { readonly error: AvroErrorData }>;
  WorkflowCancelled: Avro<'WorkflowCancelled'>;
  WorkflowStuck: Avro<'WorkflowStuck', { readonly error: AvroErrorData }>;
  CommandRejected: Avro<'CommandRejected'>;
  OwnerClaimed: Avro<'OwnerClaimed'>;
  CommandsConsumed: Avro<'CommandsConsumed'>;
  StepStarted: Avro<'StepStarted'>;
  CallRejected: Avro<'CallRejected', { readonly error: AvroErrorData }>;
}

/** How one kind's body crosses into Avro and back. */
export interface BodyCodec<K extends RecordKind> {
  /** Fully qualified name of the union branch, e.g. `logbook.journal.StepCompleted`. */
  readonly branch: string;
  toAvro(body: BodyOf<K>): AvroBodies[K];
  fromAvro(avro: AvroBodies[K]): BodyOf<K>;
}

/**
 * A BodyCodec of some kind, callable with any body. Every `BodyCodec<K>` is assignable to it because
 * method parameters are bivariant; that is sound here because codec.ts only calls the entry for the
 * body's own kind (BODY_CODECS[body.kind]).
 */
export interface AnyBodyCodec {
  readonly branch: string;
  toAvro(body: RecordBody): AvroBodies[RecordKind];
  fromAvro(avro: AvroBodies[RecordKind]): RecordBody;
}

function codec<K extends RecordKind>(
  kind: K,
  toAvro: (body: BodyOf<K>) => AvroBodies[K],
  fromAvro: (avro: AvroBodies[K]) => BodyOf<K>,
): BodyCodec<K> {
  return { branch: `${JOURNAL_NAMESPACE}.${kind}`, toAvro, fromAvro };
}

/** Bodies whose fields are all Avro-native are written as they are: avsc reads only declared fields. */
function same<B>(body: B): B {
  return body;
}

const PURPOSE_TO_AVRO = {
  sleep: 'sleep',
  retry: 'retry',
  'signal-timeout': 'signal_timeout',
} as const satisfies Record<TimerPurpose, AvroTimerPurpose>;

const PURPOSE_FROM_AVRO = {
  sleep: 'sleep',
  retry: 'retry',
  signal_timeout: 'signal-timeout',
} as const satisfies Record<AvroTimerPurpose, TimerPurpose>;

function errorToAvro(error: ErrorData): AvroErrorData {
  return { name: error.name, code: error.code, message: error.message, details: jsonBytes(error.details) };
}

function errorFromAvro(avro: AvroErrorData): ErrorData {
  return { name: avro.name, code: avro.code, message: avro.message, details: parseJsonBytes(avro.details) };
}

function outcomeToAvro(outcome: ChildOutcome): AvroChildOutcome {
  return outcome.ok
    ? { ok: true, result: jsonBytes(outcome.result), error: null }
    : { ok: false, result: null, error: errorToAvro(outcome.error) };
}

function outcomeFromAvro(avro: AvroChildOutcome): ChildOutcome {
  if (avro.ok) {
    if (avro.result === null) throw new JournalDecodeError('ChildOutcome has ok=true but no result (I3).');
    return { ok: true, result: parseJsonBytes(avro.result) };
  }
  if (avro.error === null) throw new JournalDecodeError('ChildOutcome has ok=false but no error (I3).');
  return { ok: false, error: errorFromAvro(avro.error) };
}

/** Every kind's body codec, in RECORD_KINDS order (I1). */
export const BODY_CODECS: { readonly [K in RecordKind]: BodyCodec<K> } = {
  WorkflowStarted: codec(
    'WorkflowStarted',
    (b) => ({
      workflow: b.workflow,
      input: jsonBytes(b.input),
      idempotencyKey: b.idempotencyKey,
      parent: b.parent,
      trace: b.trace,
    }),
    (a) => ({
      kind: 'WorkflowStarted',
      workflow: a.workflow,
      input: parseJsonBytes(a.input),
      idempotencyKey: a.idempotencyKey,
      parent: a.parent === null ? null : { workflowId: a.parent.workflowId, callSeq: a.parent.callSeq },
      // avsc gives a TraceContext instance; a plain object keeps records comparable (v1–v3: the default null).
      trace: a.trace === null ? null : { traceparent: a.trace.traceparent, tracestate: a.trace.tracestate },
    }),
  ),
  StepCompleted: codec(
    'StepCompleted',
    (b) => ({ ...b, result: jsonBytes(b.result) }),
    (a) => ({ kind: 'StepCompleted', ...a, result: parseJsonBytes(a.result) }),
  ),
  StepFailed: codec(
    'StepFailed',
    (b) => ({ ...b, error: errorToAvro(b.error) }),
    (a) => ({ kind: 'StepFailed', ...a, error: errorFromAvro(a.error) }),
  ),
  TimerScheduled: codec(
    'TimerScheduled',
    (b) => ({ ...b, purpose: PURPOSE_TO_AVRO[b.purpose] }),
    (a) => ({ kind: 'TimerScheduled', ...a, purpose: PURPOSE_FROM_AVRO[a.purpose] }),
  ),
  TimerFired: codec('TimerFired', same, (a) => ({ kind: 'TimerFired', ...a })),
  SignalReceived: codec(
    'SignalReceived',
    (b) => ({ name: b.name, payload: jsonBytes(b.payload) }),
    (a) => ({ kind: 'SignalReceived', name: a.name, payload: parseJsonBytes(a.payload) }),
  ),
  SignalAwaited: codec('SignalAwaited', same, (a) => ({ kind: 'SignalAwaited', ...a })),
  SignalConsumed: codec(
    'SignalConsumed',
    (b) => ({ ...b, payload: jsonBytes(b.payload) }),
    (a) => ({ kind: 'SignalConsumed', ...a, payload: parseJsonBytes(a.payload) }),
  ),
  CancelRequested: codec('CancelRequested', same, (a) => ({ kind: 'CancelRequested', ...a })),
  CompensationStarted: codec(
    'CompensationStarted',
    (b) => ({ callSeq: b.callSeq, reason: errorToAvro(b.reason), steps: b.steps, parentSeq: b.parentSeq }),
    (a) => ({
      kind: 'CompensationStarted',
      callSeq: a.callSeq,
      reason: errorFromAvro(a.reason),
      steps: a.steps,
      parentSeq: a.parentSeq,
    }),
  ),
  ChildStarted: codec('ChildStarted', same, (a) => ({ kind: 'ChildStarted', ...a })),
  ChildCompleted: codec(
    'ChildCompleted',
    (b) => ({ callSeq: b.callSeq, childId: b.childId, outcome: outcomeToAvro(b.outcome) }),
    (a) => ({
      kind: 'ChildCompleted',
      callSeq: a.callSeq,
      childId: a.childId,
      outcome: outcomeFromAvro(a.outcome),
    }),
  ),
  Emitted: codec('Emitted', same, (a) => ({ kind: 'Emitted', ...a })),
  WorkflowCompleted: codec(
    'WorkflowCompleted',
    (b) => ({ result: jsonBytes(b.result) }),
    (a) => ({ kind: 'WorkflowCompleted', result: parseJsonBytes(a.result) }),
  ),
  WorkflowFailed: codec(
    'WorkflowFailed',
    (b) => ({ error: errorToAvro(b.error) }),
    (a) => ({ kind: 'WorkflowFailed', error: errorFromAvro(a.error) }),
  ),
  WorkflowCancelled: codec('WorkflowCancelled', same, (a) => ({ kind: 'WorkflowCancelled', ...a })),
  WorkflowStuck: codec(
    'WorkflowStuck',
    (b) => ({ error: errorToAvro(b.error) }),
    (a) => ({ kind: 'WorkflowStuck', error: errorFromAvro(a.error) }),
  ),
  CommandRejected: codec('CommandRejected', same, (a) => ({ kind: 'CommandRejected', ...a })),
  OwnerClaimed: codec('OwnerClaimed', same, (a) => ({ kind: 'OwnerClaimed', ...a })),
  CommandsConsumed: codec('CommandsConsumed', same, (a) => ({ kind: 'CommandsConsumed', ...a })),
  StepStarted: codec('StepStarted', same, (a) => ({ kind: 'StepStarted', ...a })),
  CallRejected: codec(
    'CallRejected',
    (b) => ({ ...b, error: errorToAvro(b.error) }),
    (a) => ({ kind: 'CallRejected', ...a, error: errorFromAvro(a.error) }),
  ),
};
