/**
 * The calls of one run that wait for their journaled outcome, and how a committed record settles one.
 *
 * I1. A call settles only from a committed record, never from a step's raw result (workflow-run.ts I1).
 * I2. During a replay a record may come before the body has made its call again (the body was busy with
 *     its own I/O): the record waits here and settles the call the moment it is made. Only the latest
 *     outcome-bearing record of a call is kept, and entries leave as calls are made (bounded by history).
 * I3. What a record means for a call depends on the call's kind (a TimerFired ends a sleep, times out a
 *     signal wait, and means nothing to a step's retry): the kind is data, never parsed from timer ids.
 */
import type { JournalRecord } from '../journal/index.js';
import type { CallKind } from '../machine/index.js';
import { fromErrorData, TimeoutError } from '../workflow/index.js';

/** A body call waiting for its committed outcome. */
export interface PendingCall {
  readonly kind: CallKind;
  /** A compensation step: it runs on after a cancel. */
  readonly compensation: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Told when a call settles, with the record that settled it (before the call's promise settles). */
export type OnSettled = (callSeq: number, record: JournalRecord) => void;

const OUTCOME_KINDS: ReadonlySet<string> = new Set([
  'StepCompleted',
  'StepFailed',
  'TimerFired',
  'SignalConsumed',
  'ChildCompleted',
  'Emitted',
  'CallRejected',
]);

/** The callSeq a record is about, if it is about a call. */
export function callSeqOf(record: JournalRecord): number | undefined {
  const body = record.body;
  return 'callSeq' in body ? body.callSeq : undefined;
}

/** True when `record` ends a call of `kind` (I3). */
function ends(record: JournalRecord, kind: CallKind): boolean {
  const b = record.body;
  if (b.kind === 'StepFailed') return b.retryAtMs === null;
  if (b.kind === 'TimerFired') return kind === 'sleep' || kind === 'signal';
  return OUTCOME_KINDS.has(b.kind);
}

/** Settles `p` from `record`, which ends it (I3). */
function settle(record: JournalRecord, p: PendingCall): void {
  const b = record.body;
  switch (b.kind) {
    case 'StepCompleted':
      p.resolve(b.result);
      return;
    case 'StepFailed':
      p.reject(fromErrorData(b.error));
      return;
    case 'TimerFired':
      if (p.kind === 'sleep') p.resolve(undefined);
      else p.reject(new TimeoutError(`signal wait (call ${b.callSeq}) timed out`));
      return;
    case 'SignalConsumed':
      p.resolve(b.payload);
      return;
    case 'ChildCompleted':
      if (b.outcome.ok) p.resolve(b.outcome.result);
      else p.reject(fromErrorData(b.outcome.error));
      return;
    case 'Emitted':
      p.resolve(undefined);
      return;
    case 'CallRejected':
      p.reject(fromErrorData(b.error));
      return;
    default:
      return;
  }
}

/** Pending calls of one run, and outcomes that came before their calls (I2). */
export class CallTable {
  private readonly pending = new Map<number, PendingCall>();
  private readonly early = new Map<number, JournalRecord>();

  /** Calls waiting now. */
  get size(): number {
    return this.pending.size;
  }

  constructor(private readonly onSettled: OnSettled) {}

  /** Registers call `callSeq`; settles it at once from an outcome that came first (I2). */
  add(callSeq: number, call: PendingCall): void {
    const record = this.early.get(callSeq);
    this.early.delete(callSeq);
    if (record !== undefined && ends(record, call.kind)) {
      this.onSettled(callSeq, record);
      settle(record, call);
      return;
    }
    this.pending.set(callSeq, call);
  }

  /** Hands a committed record to its call; keeps it for later if the call is not made yet (I2). */
  deliver(record: JournalRecord): void {
    const callSeq = callSeqOf(record);
    if (callSeq === undefined || !OUTCOME_KINDS.has(record.body.kind)) return;
    const p = this.pending.get(callSeq);
    if (p === undefined) {
      this.early.set(callSeq, record);
      return;
    }
    if (!ends(record, p.kind)) return;
    this.pending.delete(callSeq);
    this.onSettled(callSeq, record);
    settle(record, p);
  }

  /** Rejects every waiting call but compensation steps (a legacy cancel, workflow-run.ts I6). */
  rejectAll(error: () => Error): void {
    for (const [callSeq, p] of [...this.pending]) {
      if (p.compensation) continue;
      this.pending.delete(callSeq);
      p.reject(error());
    }
  }

  /** True while call `callSeq` waits. */
  has(callSeq: number): boolean {
    return this.pending.has(callSeq);
  }
}
