/**
 * How a workflow's state is stored in the cache: JSON, with Maps and Sets as entry arrays. Never change
 * the stored form without bumping CACHE_FORMAT (keys.ts I3).
 *
 * I1. A finished workflow's entry ('d') is its final state plus where its terminal record is in the
 *     journal; past retention it shrinks to a tombstone (no result, error or recent calls) that still
 *     answers "this id ran and ended so" and points at the journal for the rest.
 */
import type { ErrorData, JsonValue, ParentRef } from '../journal/index.js';
import type { MailboxSignal, OpenCall, PendingTimer, RecentCall, WorkflowState } from '../machine/index.js';

interface StoredState {
  readonly id: string;
  readonly workflow: string;
  readonly parent: ParentRef | null;
  readonly startedAtMs: number;
  readonly legacySteps: boolean;
  readonly status: WorkflowState['status'];
  readonly lastSeq: number;
  readonly updatedAtMs: number;
  readonly maxCallSeq: number;
  readonly callCount: number;
  readonly open: [number, OpenCall][];
  readonly timers: [string, PendingTimer][];
  readonly mailbox: MailboxSignal[];
  readonly awaiting: [number, string][];
  readonly legacyClosed: number[];
  readonly recent: RecentCall[];
  readonly cancelReason: string | null;
  readonly result: JsonValue;
  readonly error: ErrorData | null;
}

/** A finished workflow's cache entry (I1). */
export interface DoneEntry {
  readonly state: WorkflowState;
  /** Journal offset of the terminal record, or -1 when unknown. */
  readonly terminalOffset: number;
  /** True when result, error and recent calls were dropped at retention (read them from the journal). */
  readonly tombstone: boolean;
}

function toStored(ws: WorkflowState): StoredState {
  return {
    ...ws,
    open: [...ws.open],
    timers: [...ws.timers],
    awaiting: [...ws.awaiting],
    legacyClosed: [...ws.legacyClosed],
  };
}

function fromStored(s: StoredState): WorkflowState {
  return {
    ...s,
    open: new Map(s.open),
    timers: new Map(s.timers),
    mailbox: [...s.mailbox],
    awaiting: new Map(s.awaiting),
    legacyClosed: new Set(s.legacyClosed),
    recent: [...s.recent],
  };
}

/** A running workflow's stored state. */
export function encodeState(ws: WorkflowState): Buffer {
  return Buffer.from(JSON.stringify(toStored(ws)), 'utf8');
}

/** Reads a running workflow's stored state. */
export function decodeState(value: Buffer): WorkflowState {
  return fromStored(JSON.parse(value.toString('utf8')) as StoredState);
}

/** A finished workflow's entry; a tombstone keeps only what says how it ended (I1). */
export function encodeDone(ws: WorkflowState, terminalOffset: number, tombstone: boolean): Buffer {
  const stored = toStored(ws);
  const kept = tombstone
    ? { ...stored, result: null, error: null, recent: [], open: [], timers: [] }
    : stored;
  return Buffer.from(JSON.stringify({ state: kept, terminalOffset, tombstone }), 'utf8');
}

/** Reads a finished workflow's entry. */
export function decodeDone(value: Buffer): DoneEntry {
  const raw = JSON.parse(value.toString('utf8')) as {
    state: StoredState;
    terminalOffset: number;
    tombstone: boolean;
  };
  const state = fromStored(raw.state);
  return { state, terminalOffset: raw.terminalOffset, tombstone: raw.tombstone };
}
