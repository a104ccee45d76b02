/**
 * Time travel for `logbook journal replay <id> --at <offset|time>`: the workflow as it stood at a journal
 * offset or a time, folded from its records with the pure machine's `applyRecord` — the same fold a new
 * owner makes — and described as status, finished and pending calls, timers and signals.
 *
 * I1. The point is inclusive: the record at the offset, or every record whose `atMs` is at or before the
 *     time, is part of the state; the first record past the point ends the fold.
 * I2. The snapshot lists what the machine state holds (state.ts I2): every open call, timer and signal, and
 *     the last RECENT_CALLS_MAX closed calls (with the count of all calls made).
 */
import type { JournalRecord, JsonValue } from '../journal/index.js';
import { applyRecord, type WorkflowState } from '../machine/index.js';

/** Where to stop folding: after a journal offset, or after a time (I1). */
export type JournalPoint =
  | { readonly kind: 'offset'; readonly offset: number }
  | { readonly kind: 'time'; readonly atMs: number };

/** The workflow at a point, as plain JSON (the `--json` form of `--at`). */
export interface WorkflowSnapshot {
  readonly id: string;
  readonly workflow: string;
  readonly status: string;
  readonly at: string;
  readonly records: number;
  readonly lastOffset: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly callsMade: number;
  readonly finishedCalls: readonly JsonValue[];
  readonly pendingCalls: readonly JsonValue[];
  readonly timers: readonly JsonValue[];
  readonly signalsReceived: readonly JsonValue[];
  readonly signalWaits: readonly JsonValue[];
  readonly result: JsonValue;
  readonly error: JsonValue;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Folds one workflow's records, in journal order, up to a point (I1). */
export class PointInTimeFold {
  private readonly states = new Map<string, WorkflowState>();
  private records = 0;
  private lastOffset = -1;
  private passed = false;

  constructor(
    readonly workflowId: string,
    readonly point: JournalPoint,
  ) {}

  /** Folds `record` (read at `offset`) unless the point is passed; false once it is (I1). */
  add(record: JournalRecord, offset: number): boolean {
    if (this.passed || record.workflowId !== this.workflowId) return !this.passed;
    const beyond = this.point.kind === 'offset' ? offset > this.point.offset : record.atMs > this.point.atMs;
    if (beyond) {
      this.passed = true;
      return false;
    }
    applyRecord(this.states, record);
    this.records++;
    this.lastOffset = offset;
    return true;
  }

  /** The workflow's state at the point, or undefined when it had not started by then. */
  snapshot(): WorkflowSnapshot | undefined {
    const ws = this.states.get(this.workflowId);
    if (ws === undefined) return undefined;
    const at = this.point.kind === 'offset' ? `offset ${this.point.offset}` : iso(this.point.atMs);
    return {
      id: ws.id,
      workflow: ws.workflow,
      status: ws.status,
      at,
      records: this.records,
      lastOffset: this.lastOffset,
      startedAt: iso(ws.startedAtMs),
      updatedAt: iso(ws.updatedAtMs),
      callsMade: ws.callCount,
      finishedCalls: ws.recent.map((c) => ({ ...c, at: iso(c.atMs) })), // I2
      pendingCalls: [...ws.open].map(([callSeq, c]) => ({
        callSeq,
        kind: c.kind,
        name: c.name,
        attempt: c.attempt,
        state: c.attemptOpen ? 'attempt running' : c.retrying ? 'retry scheduled' : 'waiting',
      })),
      timers: [...ws.timers.values()].map((t) => ({ ...t, fireAt: iso(t.fireAtMs) })),
      signalsReceived: ws.mailbox.map((s) => ({ seq: s.seq, name: s.name, payload: s.payload })),
      signalWaits: [...ws.awaiting].map(([callSeq, name]) => ({ callSeq, name })),
      result: ws.result,
      error: ws.error === null ? null : { ...ws.error },
    };
  }
}

const field = (value: JsonValue, name: string): string => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return '';
  const v = (value as { readonly [k: string]: JsonValue })[name];
  return v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
};

function section(title: string, items: readonly JsonValue[], line: (item: JsonValue) => string): string[] {
  return [`${title} (${items.length}):`, ...items.map((item) => `  ${line(item)}`)];
}

/** The snapshot as text, one fact a line (I2). */
export function describeSnapshot(s: WorkflowSnapshot): string[] {
  const f = field;
  return [
    `workflow ${s.id} (${s.workflow}) at ${s.at}: ${s.records} records, the last at offset ${s.lastOffset}`,
    `status: ${s.status}`,
    `started ${s.startedAt}, updated ${s.updatedAt}, calls made: ${s.callsMade}`,
    ...section(
      'finished calls',
      s.finishedCalls,
      (c) => `#${f(c, 'callSeq')} ${f(c, 'kind')} ${f(c, 'name')}: ${f(c, 'outcome')} at ${f(c, 'at')}`,
    ),
    ...section(
      'pending calls',
      s.pendingCalls,
      (c) =>
        `#${f(c, 'callSeq')} ${f(c, 'kind')} ${f(c, 'name')}: ${f(c, 'state')} (attempt ${f(c, 'attempt')})`,
    ),
    ...section('timers', s.timers, (t) => `#${f(t, 'callSeq')} ${f(t, 'purpose')} fires ${f(t, 'fireAt')}`),
    ...section('signals received, not taken', s.signalsReceived, (x) => `${f(x, 'name')} ${f(x, 'payload')}`),
    ...section('signal waits', s.signalWaits, (w) => `#${f(w, 'callSeq')} ${f(w, 'name')}`),
    ...(s.error === null ? [] : [`error: ${f(s.error, 'name')}: ${f(s.error, 'message')}`]),
    ...(s.status === 'completed' ? [`result: ${JSON.stringify(s.result)}`] : []),
  ];
}
