/**
 * Proves that today's code still reads and replays journals written by real runs (STYLE §7): each golden
 * file in tests/fixtures/journals/ holds the raw Kafka messages of a run (record-golden.ts) — v1 and v2
 * from writers before the bounded core, v3 before trace context, v4 from today's (its order-ok started with a
 * traceparent). For every version: each message decodes with the engine codec and, to the same values (parentSeq -1 where the writer had none), with a plain avsc reader
 * of its writer schema; today's schema resolves the writer schema the header names; folding the records
 * (applyRecord) gives each workflow the end it had; seqs are gapless; and each body from
 * golden-workflows.ts, replayed against its records as a new owner replays it (WorkflowRun: addHistory,
 * start, deliver; legacy matching for v1/v2), makes exactly the journaled calls and reaches the journaled
 * end, never stuck. A failure here means an old journal no longer replays: that is a breaking change.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  encodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type RecordBody,
  type RecordKind,
} from '../../src/journal/index.js';
import {
  applyRecord,
  type CallKind,
  type Intent,
  isTerminal,
  type PartitionState,
  type WorkflowStatus,
} from '../../src/machine/index.js';
import { defaultRunLimits, type RunSink, WorkflowRun } from '../../src/replay/index.js';
import type { AnyWorkflowDefinition } from '../../src/workflow/index.js';
import { GOLDEN_TRACEPARENT, type GoldenLine } from '../fixtures/journals/golden-line.js';
import { goldenWorkflows } from '../fixtures/journals/golden-workflows.js';

const FIXTURES = new URL('../fixtures/journals/', import.meta.url);
const TODAY_SCHEMA = JSON.parse(readFileSync(new URL('../../schemas/journal.avsc', import.meta.url), 'utf8'));
/** A reader's own Type, built from today's schema file alone with avsc's default options. */
const READER = avsc.Type.forSchema(TODAY_SCHEMA);
const WORKFLOWS = new Map<string, AnyWorkflowDefinition>(goldenWorkflows.map((w) => [w.name, w]));

/** How a workflow of a golden run ended: its status and, when given, its error name or (part of) its result. */
interface End {
  readonly status: Extract<WorkflowStatus, 'completed' | 'failed' | 'cancelled'>;
  readonly error?: string;
  readonly result?: unknown;
}

const approved = (by: string) => ({
  decision: { approved: true, by },
  receipt: { number: expect.stringMatching(/^R-/), printedOnAttempt: 2 },
});

/** How each workflow of the recorded scenario ended; every golden version records the same scenario. */
const SCENARIO_ENDS: Readonly<Record<string, End>> = {
  'order-ok': {
    status: 'completed',
    result: {
      orderId: 'order-ok',
      reservation: 'res-order-ok',
      authorization: 'auth-order-ok/2',
      tracking: 'TRK-order-ok',
    },
  },
  'order-declined': { status: 'failed', error: 'CardDeclined' },
  'order-sold-out': { status: 'failed', error: 'TerminalError' },
  'approval-signalled': { status: 'completed', result: approved('manager') },
  'approval-signalled.receipt': { status: 'completed', result: { printedOnAttempt: 2 } },
  'approval-early': { status: 'completed', result: approved('early-bird') },
  'approval-early.receipt': { status: 'completed', result: { printedOnAttempt: 2 } },
  'approval-timeout': {
    status: 'completed',
    result: {
      decision: { approved: false, by: 'timeout' },
      receipt: { failed: expect.stringMatching(/^TerminalError: /) },
    },
  },
  'approval-timeout.receipt': { status: 'failed', error: 'TerminalError' },
  'hold-cancelled': { status: 'cancelled' },
};

/** Every golden file (never edit or re-record an old one): its writer's version and kinds it must hold. */
const GOLDEN: readonly { readonly file: string; readonly version: number; readonly holds: RecordKind[] }[] = [
  { file: 'golden-v1', version: 1, holds: [] },
  { file: 'golden-v2', version: 2, holds: [] },
  { file: 'golden-v3', version: 3, holds: ['StepStarted', 'CallRejected'] },
  { file: 'golden-v4', version: 4, holds: ['StepStarted', 'CallRejected'] },
];

interface GoldenMessage {
  readonly line: GoldenLine;
  readonly bytes: Buffer;
  readonly record: JournalRecord;
}

/** The messages of `file`; a line that no longer decodes fails the whole file, naming the line. */
function load(file: string): GoldenMessage[] {
  const text = readFileSync(new URL(`${file}.jsonl`, FIXTURES), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      const line = JSON.parse(l) as GoldenLine;
      const bytes = Buffer.from(line.valueBase64, 'base64');
      try {
        return { line, bytes, record: decodeRecord(bytes) };
      } catch (error) {
        throw new Error(`${file}.jsonl line ${i + 1} (offset ${line.offset}) no longer decodes`, {
          cause: error,
        });
      }
    });
}

/** avsc's view of a value made comparable: JSON bytes parsed, generated record classes made plain. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return JSON.parse(value.toString('utf8'));
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Today's body fields that have a default, by branch name: what a resolver adds to an older record. */
const DEFAULTS = new Map<string, Record<string, unknown>>(
  (
    TODAY_SCHEMA.fields.find((f: { name: string }) => f.name === 'body').type as {
      name: string;
      fields: { name: string; default?: unknown }[];
    }[]
  ).map((branch) => [
    `logbook.journal.${branch.name}`,
    Object.fromEntries(branch.fields.filter((f) => 'default' in f).map((f) => [f.name, f.default])),
  ]),
);

/** A body as a plain Avro reader sees it, with the only conversions the codec makes (body-codecs I2). */
function bodyFromPlainAvro(branch: string, kind: string, fields: unknown): unknown {
  const body: Record<string, unknown> = { kind, ...DEFAULTS.get(branch), ...(plain(fields) as object) };
  if (body.purpose === 'signal_timeout') body.purpose = 'signal-timeout';
  if (kind === 'ChildCompleted') {
    const o = body.outcome as { ok: boolean; result: unknown; error: unknown };
    body.outcome = o.ok ? { ok: true, result: o.result } : { ok: false, error: o.error };
  }
  return body;
}

const TERMINAL_KINDS = new Set(['WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled']);

/** A call as the journal or a body names it. */
type Call = { readonly kind: CallKind; readonly name: string };

/** The call the first record of each callSeq opens (the journal's view: records.ts I5, v1/v2 outcomes). */
function journaledCall(body: RecordBody): Call | undefined {
  switch (body.kind) {
    case 'StepStarted':
    case 'StepCompleted':
    case 'StepFailed':
      return { kind: 'step', name: body.name };
    case 'TimerScheduled':
      return body.purpose === 'sleep' ? { kind: 'sleep', name: 'sleep' } : undefined;
    case 'SignalAwaited':
    case 'SignalConsumed':
      return { kind: 'signal', name: body.name };
    case 'ChildStarted':
      return { kind: 'child', name: body.workflow };
    case 'Emitted':
      return { kind: 'emit', name: body.topic };
    case 'CompensationStarted':
      return { kind: 'compensation', name: 'compensation' };
    case 'CallRejected':
      return { kind: body.callKind as CallKind, name: body.name };
    default:
      return undefined;
  }
}

function journaledCalls(records: readonly JournalRecord[]): Map<number, Call> {
  const calls = new Map<number, Call>();
  for (const { body } of records) {
    const call = journaledCall(body);
    if (call !== undefined && 'callSeq' in body && !calls.has(body.callSeq)) calls.set(body.callSeq, call);
  }
  return calls;
}

/** The call an intent makes, as the journal names it. */
function intentCall(intent: Intent): Call | undefined {
  switch (intent.type) {
    case 'step':
      return { kind: 'step', name: intent.name };
    case 'sleep':
      return { kind: 'sleep', name: 'sleep' };
    case 'signal':
      return { kind: 'signal', name: intent.name };
    case 'child':
      return { kind: 'child', name: intent.workflow };
    case 'emit':
      return { kind: 'emit', name: intent.topic };
    case 'compensation':
      return { kind: 'compensation', name: 'compensation' };
    case 'rejected':
      return { kind: intent.callKind, name: intent.name };
    default:
      return undefined;
  }
}

/** What a replayed body asked for: every intent, and its calls by callSeq. */
class CollectingSink implements RunSink {
  readonly intents: Intent[] = [];
  readonly calls = new Map<number, Call>();
  intent(intent: Intent): void {
    this.intents.push(intent);
    const call = intentCall(intent);
    if (call !== undefined && 'callSeq' in intent) this.calls.set(intent.callSeq, call);
  }
}

/** Replays one workflow's records as RunRegistry does: addHistory each, start, then deliver each and drain. */
async function replay(records: readonly JournalRecord[]): Promise<CollectingSink> {
  const started = records[0];
  if (started?.body.kind !== 'WorkflowStarted')
    throw new Error('history does not start with WorkflowStarted');
  const definition = WORKFLOWS.get(started.body.workflow);
  if (definition === undefined) throw new Error(`golden-workflows.ts has no "${started.body.workflow}"`);
  const sink = new CollectingSink();
  const legacy = started.schemaVersion < 3;
  const { workflowId, atMs } = started;
  const run = new WorkflowRun(
    definition,
    workflowId,
    started.body.input,
    atMs,
    legacy,
    sink,
    defaultRunLimits,
  );
  for (const record of records) run.addHistory(record);
  run.start();
  for (const record of records) {
    run.deliver(record);
    await new Promise<void>((resolve) => setImmediate(resolve)); // let the body reach its next call
  }
  return sink;
}

/** The intent a body sends for the journal's terminal record. */
function intentFor(body: RecordBody): Intent {
  if (body.kind === 'WorkflowCompleted') return { type: 'complete', result: body.result };
  if (body.kind === 'WorkflowFailed') return { type: 'fail', error: body.error };
  if (body.kind === 'WorkflowCancelled') return { type: 'cancelled', reason: body.reason };
  throw new Error(`${body.kind} is not a terminal record`);
}

describe.each(GOLDEN)('$file', ({ file, version, holds }) => {
  const messages = load(file);
  const records = messages.map((m) => m.record);
  const state = new Map() satisfies PartitionState;
  for (const record of records) applyRecord(state, record);
  const schemaFile = new URL(`${file}.journal.avsc`, FIXTURES);
  const writer = avsc.Type.forSchema(JSON.parse(readFileSync(schemaFile, 'utf8')));

  it(`was written by a v${version} writer and holds ${holds.join(', ') || 'only older kinds'}`, () => {
    expect(new Set(records.map((r) => r.schemaVersion))).toEqual(new Set([version]));
    const kinds = new Set(records.map((r) => r.body.kind));
    for (const kind of holds) expect(kinds.has(kind), kind).toBe(true);
  });

  it('every message decodes with the engine codec and with a plain avsc reader of its writer schema, to the same values', () => {
    expect(messages.length).toBeGreaterThan(0);
    for (const { bytes, record } of messages) {
      // A plain reader picks the writer schema by schemaVersion from schemas/ (released/ for older ones).
      const raw = writer.fromBuffer(bytes) as Record<string, unknown> & { body: Record<string, unknown> };
      const [branch, fields] = Object.entries(raw.body)[0] ?? [];
      expect(branch).toBe(`logbook.journal.${record.body.kind}`);
      expect({ ...record, body: bodyFromPlainAvro(String(branch), String(raw.kind), fields) }).toStrictEqual({
        schemaVersion: raw.schemaVersion,
        workflowId: raw.workflowId,
        seq: raw.seq,
        atMs: raw.atMs,
        // v2 adds writerEpoch; the engine leaves it out when 0 (claims, and every v1 record).
        ...(typeof raw.writerEpoch === 'number' && raw.writerEpoch > 0
          ? { writerEpoch: raw.writerEpoch }
          : {}),
        body: record.body,
      });
      if (version < 3 && 'parentSeq' in record.body) expect(record.body.parentSeq).toBe(-1);
      expect(decodeRecord(encodeRecord(record))).toStrictEqual({
        ...record,
        schemaVersion: JOURNAL_SCHEMA_VERSION,
      });
    }
  });

  it('the header names the writer schema kept beside the file, and today’s schema resolves it', () => {
    const header = `journal.avsc@sha256:${writer.fingerprint('sha256').toString('hex')}`;
    const resolver = READER.createResolver(writer);
    for (const { line, bytes } of messages) {
      expect(line.headers['logbook-schema']).toBe(header);
      const resolved = plain(READER.fromBuffer(bytes, resolver)) as Record<string, unknown>;
      const written = plain(writer.fromBuffer(bytes)) as { body: Record<string, object> };
      const [branch, fields] = Object.entries(written.body)[0] ?? ['', {}];
      // Fields the writer did not have take their defaults: writerEpoch 0 (v1), parentSeq -1 (v1, v2).
      const body = { [branch]: { ...DEFAULTS.get(branch), ...fields } };
      expect(resolved).toStrictEqual({ writerEpoch: 0, ...written, body });
    }
  });

  it('its writer schema is a released one under schemas/, so readers of the repository can decode it', () => {
    const current = version === JOURNAL_SCHEMA_VERSION;
    const released = new URL(
      current ? '../../schemas/journal.avsc' : `../../schemas/released/journal-v${version}.avsc`,
      import.meta.url,
    );
    const schema = avsc.Type.forSchema(JSON.parse(readFileSync(released, 'utf8')));
    expect(schema.fingerprint('sha256').toString('hex')).toBe(writer.fingerprint('sha256').toString('hex'));
  });

  it('messages are keyed by workflow id (partition records by owner) and offsets only grow', () => {
    let last = -1;
    for (const { line, record } of messages) {
      expect(line.key).toBe(record.workflowId === '' ? '__owner/0' : record.workflowId);
      expect(Number(line.offset)).toBeGreaterThan(last);
      last = Number(line.offset);
    }
  });

  it('seqs are gapless per workflow; seq 0 is only for partition records and rejections outside a run', () => {
    const seqs = new Map<string, number[]>();
    for (const r of records) {
      if (r.seq === 0) {
        // v3 journals rejections for unknown and finished ids outside the sequence (decide-command.ts I2).
        const ws = state.get(r.workflowId);
        const outside = ws === undefined || (version >= 3 && isTerminal(ws.status));
        expect(r.workflowId === '' || (r.body.kind === 'CommandRejected' && outside), JSON.stringify(r)).toBe(
          true,
        );
        continue;
      }
      seqs.set(r.workflowId, [...(seqs.get(r.workflowId) ?? []), r.seq]);
    }
    for (const [id, list] of seqs) expect(list, id).toEqual(list.map((_, i) => i + 1));
  });

  it('folding the records gives every workflow the end it had in the run, with nothing left open', () => {
    expect([...state.keys()].sort()).toEqual(Object.keys(SCENARIO_ENDS).sort());
    for (const [id, end] of Object.entries(SCENARIO_ENDS)) {
      const ws = state.get(id);
      expect(ws?.status, id).toBe(end.status);
      if (end.error !== undefined) expect(ws?.error?.name, id).toBe(end.error);
      if (end.result !== undefined) expect(ws?.result, id).toMatchObject(end.result as object);
      expect([ws?.open.size, ws?.timers.size, ws?.awaiting.size, ws?.mailbox.length], id).toEqual([
        0, 0, 0, 0,
      ]);
      expect(ws?.legacySteps, id).toBe(version < 3);
      expect(ws?.callCount, id).toBe(journaledCalls(records.filter((r) => r.workflowId === id)).size);
    }
  });

  it.each(Object.keys(SCENARIO_ENDS))(
    'replaying %s makes the journaled calls and ends as the journal did',
    async (id) => {
      const own = records.filter((r) => r.workflowId === id && r.seq > 0);
      const terminal = own.find((r) => TERMINAL_KINDS.has(r.body.kind));
      if (terminal === undefined) throw new Error(`${id} has no terminal record`);
      const sink = await replay(own);
      expect(sink.intents.filter((i) => i.type === 'stuck')).toEqual([]);
      expect(sink.calls).toEqual(journaledCalls(own));
      const ending = sink.intents.filter(
        (i) => i.type === 'complete' || i.type === 'fail' || i.type === 'cancelled',
      );
      expect(ending).toStrictEqual([intentFor(terminal.body)]);
      expect(sink.intents.at(-1)).toBe(ending[0]);
    },
  );
});

describe('golden-v4: trace context (D24)', () => {
  const messages = load('golden-v4');
  const traced = messages.filter((m) => m.record.workflowId === 'order-ok');

  it('the traced start keeps its traceparent in WorkflowStarted, and every record of it carries the header', () => {
    const started = traced.find((m) => m.record.body.kind === 'WorkflowStarted')?.record.body;
    expect(started?.kind === 'WorkflowStarted' ? started.trace?.traceparent : undefined).toBe(
      GOLDEN_TRACEPARENT,
    );
    expect(traced.length).toBeGreaterThan(3);
    for (const m of traced) expect(m.line.headers.traceparent, m.record.body.kind).toBe(GOLDEN_TRACEPARENT);
  });

  it('untraced workflows carry no trace', () => {
    const others = messages.filter((m) => m.record.workflowId !== 'order-ok' && m.record.workflowId !== '');
    expect(others.length).toBeGreaterThan(0);
    for (const m of others) expect(m.line.headers.traceparent, m.record.workflowId).toBeUndefined();
  });
});
