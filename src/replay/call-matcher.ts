/**
 * Matches the calls a (re-)running body makes to the calls its history journaled, so each call gets back
 * its journaled callSeq and the outcome recorded for it.
 *
 * Identity mode (workflows started by a v3 writer): a call is identified by its origin — (parentSeq, rank
 * among the calls with that parentSeq), records.ts I5 — and checked against the journaled call's kind and
 * name. Legacy mode (v1/v2 histories, which carry no origins): calls are matched by callSeq in the order the
 * body makes them, as those writers numbered them.
 *
 * I1. A call whose identity the history holds gets that callSeq; if the journaled call has another kind or
 *     name, the body diverged (NonDeterminismError, the workflow is parked as stuck).
 * I2. A call the history does not hold is new: it gets a callSeq above every journaled one.
 * I3. Memory is what the history holds, once: matched entries are released as they match, so a live run
 *     keeps only the calls it has not re-made yet.
 */
import type { JournalRecord } from '../journal/index.js';
import type { CallKind } from '../machine/index.js';
import { CALL_KINDS } from '../machine/index.js';

/** A call as the journal recorded it. */
export interface RecordedCall {
  readonly callSeq: number;
  readonly kind: CallKind;
  readonly name: string;
  readonly parentSeq: number;
}

/** How a call made now relates to the history. */
export type CallMatch =
  | { readonly kind: 'journaled'; readonly callSeq: number }
  | { readonly kind: 'new'; readonly callSeq: number }
  | { readonly kind: 'diverged'; readonly callSeq: number; readonly expected: RecordedCall };

/** The call a record opens or touches: its callSeq, kind, name and origin, or undefined for other records. */
export function recordedCall(record: JournalRecord): RecordedCall | undefined {
  const b = record.body;
  const call = (kind: CallKind, name: string, parentSeq = -1): RecordedCall | undefined =>
    'callSeq' in b ? { callSeq: b.callSeq, kind, name, parentSeq } : undefined;
  switch (b.kind) {
    case 'StepStarted':
      return call('step', b.name, b.parentSeq);
    case 'StepCompleted':
    case 'StepFailed':
      return call('step', b.name);
    case 'TimerScheduled':
      return b.purpose === 'sleep' ? call('sleep', 'sleep', b.parentSeq) : undefined;
    case 'SignalAwaited':
    case 'SignalConsumed':
      return call('signal', b.name, b.parentSeq);
    case 'CompensationStarted':
      return call('compensation', 'compensation', b.parentSeq);
    case 'ChildStarted':
      return call('child', b.workflow, b.parentSeq);
    case 'Emitted':
      return call('emit', b.topic, b.parentSeq);
    case 'CallRejected':
      return call(CALL_KINDS.find((k) => k === b.callKind) ?? 'step', b.name, b.parentSeq);
    default:
      return undefined;
  }
}

/** The journaled calls of one workflow, consumed as a body re-makes them. */
export class CallMatcher {
  /** Identity mode: journaled calls by parentSeq, then by rank. */
  private readonly byOrigin = new Map<number, Map<number, RecordedCall>>();
  /** Legacy mode (and any call without an origin): journaled calls by callSeq. */
  private readonly bySeq = new Map<number, RecordedCall>();
  /** callSeqs seen in the history so far; released once the history is read (I3). */
  private seen: Set<number> | undefined = new Set();
  private unmatchedCount = 0;
  private highestSeq = 0;
  private nextLegacySeq = 1;

  /** `legacy`: the history's writer numbered calls in body order, without origins (v1/v2). */
  constructor(readonly legacy: boolean) {}

  /** Adds one history record (in journal order); only the first record of each call counts. */
  add(record: JournalRecord): void {
    const call = recordedCall(record);
    if (call === undefined || this.seen === undefined || this.seen.has(call.callSeq)) return;
    this.seen.add(call.callSeq);
    this.highestSeq = Math.max(this.highestSeq, call.callSeq);
    this.unmatchedCount++;
    if (this.legacy || call.parentSeq < 0) {
      this.bySeq.set(call.callSeq, call);
      return;
    }
    let ranks = this.byOrigin.get(call.parentSeq);
    if (ranks === undefined) {
      ranks = new Map();
      this.byOrigin.set(call.parentSeq, ranks);
    }
    ranks.set(ranks.size, call); // journaled in the order they were made: rank = arrival order
  }

  /** The history is read: forget which callSeqs it held (I3). */
  sealed(): void {
    this.seen = undefined;
  }

  /** Journaled calls the body has not made again yet. */
  get unmatched(): number {
    return this.unmatchedCount;
  }

  /** The first journaled call not matched yet, for the divergence message of a body that returned early. */
  firstUnmatched(): RecordedCall | undefined {
    let first: RecordedCall | undefined;
    const consider = (c: RecordedCall): void => {
      if (first === undefined || c.callSeq < first.callSeq) first = c;
    };
    for (const c of this.bySeq.values()) consider(c);
    for (const ranks of this.byOrigin.values()) for (const c of ranks.values()) consider(c);
    return first;
  }

  /** Matches a call of `kind` and `name` made with origin (parentSeq, rank) (I1, I2). */
  match(parentSeq: number, rank: number, kind: CallKind, name: string): CallMatch {
    if (this.legacy) return this.matchLegacy(kind, name);
    const ranks = this.byOrigin.get(parentSeq);
    const journaled = ranks?.get(rank);
    if (ranks === undefined || journaled === undefined) return { kind: 'new', callSeq: ++this.highestSeq };
    return this.take(journaled, kind, name, () => {
      ranks.delete(rank);
      if (ranks.size === 0) this.byOrigin.delete(parentSeq);
    });
  }

  private matchLegacy(kind: CallKind, name: string): CallMatch {
    const callSeq = this.nextLegacySeq++;
    const journaled = this.bySeq.get(callSeq);
    if (journaled === undefined) {
      this.highestSeq = Math.max(this.highestSeq, callSeq);
      return { kind: 'new', callSeq };
    }
    return this.take(journaled, kind, name, () => this.bySeq.delete(callSeq));
  }

  private take(journaled: RecordedCall, kind: CallKind, name: string, release: () => void): CallMatch {
    // Legacy writers left some names empty; a v3 journal always names a call.
    const wildcard = this.legacy && (journaled.name === '' || name === '');
    const nameDiffers = !wildcard && journaled.name !== name;
    if (journaled.kind !== kind || nameDiffers) {
      return { kind: 'diverged', callSeq: journaled.callSeq, expected: journaled };
    }
    release(); // I3
    this.unmatchedCount--;
    return { kind: 'journaled', callSeq: journaled.callSeq };
  }
}
