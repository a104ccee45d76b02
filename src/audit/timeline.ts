/**
 * The timeline of one workflow (`logbook journal replay <id>`): one fixed-width line per journal record —
 * offset, time, seq, kind, call, attempt, duration, a short payload summary and how the record ended its
 * call — and a closing line saying how the workflow ended. Pure: records in, text out.
 *
 * I1. A summary never exceeds SUMMARY_CHARS_MAX characters, whatever the payload, so a line stays one line
 *     (newlines in payloads are escaped by JSON).
 * I2. Every record kind has a describer (the map's type makes a new kind fail to compile until handled).
 */
import type { BodyOf, ErrorData, JournalRecord, JsonValue, RecordKind } from '../journal/index.js';

/** Characters of a payload summary, at most (I1). */
export const SUMMARY_CHARS_MAX = 48;

/** What one line says beyond the envelope. */
interface LineParts {
  readonly call: string;
  readonly attempt: string;
  readonly durationMs: number | null;
  readonly summary: string;
  readonly outcome: string;
}

type Describer<K extends RecordKind> = (body: BodyOf<K>) => LineParts;

/** A JSON value cut to `max` characters, with `…` when cut (I1). */
export function summarize(value: JsonValue | undefined, max = SUMMARY_CHARS_MAX): string {
  const text = value === undefined ? '' : JSON.stringify(value);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const errorText = (e: ErrorData): string => summarize(`${e.name}: ${e.message}`);
const part = (call: string, summary = '', outcome = '', attempt = '', durationMs: number | null = null) => ({
  call,
  attempt,
  durationMs,
  summary,
  outcome,
});
const iso = (ms: number): string => new Date(ms).toISOString();

const describers: { readonly [K in RecordKind]: Describer<K> } = {
  WorkflowStarted: (b) => part(b.workflow, summarize(b.input), 'started'),
  StepStarted: (b) => part(`#${b.callSeq} ${b.name}`, '', 'attempt started', String(b.attempt)),
  StepCompleted: (b) =>
    part(`#${b.callSeq} ${b.name}`, summarize(b.result), 'ok', String(b.attempt), b.durationMs),
  StepFailed: (b) =>
    part(
      `#${b.callSeq} ${b.name}`,
      errorText(b.error),
      b.retryAtMs === null ? 'failed' : `retry at ${iso(b.retryAtMs)}`,
      String(b.attempt),
      b.durationMs,
    ),
  TimerScheduled: (b) => part(`#${b.callSeq} ${b.purpose}`, b.timerId, `fires ${iso(b.fireAtMs)}`),
  TimerFired: (b) => part(`#${b.callSeq} timer`, b.timerId, 'fired'),
  SignalReceived: (b) => part(`signal ${b.name}`, summarize(b.payload), 'received'),
  SignalAwaited: (b) => part(`#${b.callSeq} signal ${b.name}`, '', 'waiting'),
  SignalConsumed: (b) => part(`#${b.callSeq} signal ${b.name}`, summarize(b.payload), 'ok'),
  CancelRequested: (b) => part('cancel', summarize(b.reason), 'requested'),
  CompensationStarted: (b) => part(`#${b.callSeq} compensation`, summarize(b.steps), errorText(b.reason)),
  ChildStarted: (b) => part(`#${b.callSeq} child ${b.workflow}`, b.childId, 'started'),
  ChildCompleted: (b) =>
    part(
      `#${b.callSeq} child`,
      b.outcome.ok ? summarize(b.outcome.result) : errorText(b.outcome.error),
      b.outcome.ok ? 'ok' : 'failed',
    ),
  Emitted: (b) => part(`#${b.callSeq} emit ${b.topic}`, summarize(b.key), 'ok'),
  WorkflowCompleted: (b) => part('', summarize(b.result), 'completed'),
  WorkflowFailed: (b) => part('', errorText(b.error), 'failed'),
  WorkflowCancelled: (b) => part('', summarize(b.reason), 'cancelled'),
  WorkflowStuck: (b) => part('', errorText(b.error), 'stuck'),
  CommandRejected: (b) => part('command', summarize(b.reason), `rejected ${b.code}`),
  OwnerClaimed: (b) => part(`partition ${b.partition}`, b.executorId, 'claimed'),
  CommandsConsumed: (b) => part(`partition ${b.partition}`, `next ${b.nextOffset}`, ''),
  CallRejected: (b) => part(`#${b.callSeq} ${b.callKind} ${b.name}`, errorText(b.error), 'rejected'),
};

/** The parts of a record's line (I2). */
export function lineParts(record: JournalRecord): LineParts {
  const body = record.body;
  return (describers[body.kind] as Describer<typeof body.kind>)(body as never);
}

/** `text` in a column of `width`: padded, or cut with `…`, always ending in a space before the next. */
const pad = (text: string, width: number): string =>
  text.length >= width ? `${text.slice(0, width - 2)}… ` : text.padEnd(width);

/** The header line above the records. */
export const TIMELINE_HEADER = [
  pad('offset', 9),
  pad('time', 25),
  pad('seq', 5),
  pad('kind', 20),
  pad('call', 24),
  pad('att', 4),
  pad('took', 8),
  pad('summary', SUMMARY_CHARS_MAX + 1),
  'outcome',
].join('');

/** One record's line, below TIMELINE_HEADER. */
export function timelineLine(record: JournalRecord, offset: number): string {
  const p = lineParts(record);
  return [
    pad(String(offset), 9),
    pad(iso(record.atMs), 25),
    pad(String(record.seq), 5),
    pad(record.body.kind, 20),
    pad(p.call, 24),
    pad(p.attempt, 4),
    pad(p.durationMs === null ? '' : `${p.durationMs}ms`, 8),
    pad(p.summary, SUMMARY_CHARS_MAX + 1),
    p.outcome,
  ]
    .join('')
    .trimEnd();
}

/** The closing line: how the workflow ended, after `records` records, from its first to its last record. */
export function timelineEnding(
  first: JournalRecord | undefined,
  last: JournalRecord | undefined,
  records: number,
): string {
  if (first === undefined || last === undefined) return 'no records for this workflow in the journal';
  const tookMs = last.atMs - first.atMs;
  const ending: Partial<Record<RecordKind, string>> = {
    WorkflowCompleted: 'completed',
    WorkflowFailed: 'failed',
    WorkflowCancelled: 'cancelled',
  };
  const status = ending[last.body.kind];
  return status === undefined
    ? `not ended: ${records} records, the last ${tookMs} ms after the start (${last.body.kind})`
    : `ended: ${status} after ${tookMs} ms, ${records} records`;
}
