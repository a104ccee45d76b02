/**
 * Proves that today's code still reads and replays journals written by real runs (STYLE §7): each golden
 * file in tests/fixtures/journals/ holds the raw Kafka messages of a run (record-golden.ts). Every message
 * decodes with the engine codec and, to the same values, with a plain avsc reader of schemas/journal.avsc;
 * today's schema resolves the writer schema the header names; folding the records gives each workflow the
 * end it had; seqs are gapless; and each body from golden-workflows.ts, replayed against its records as a
 * new owner replays it, makes exactly the journaled calls and reaches the journaled end, never stuck.
 * A failure here means an old journal no longer replays: that is a breaking change.
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
} from '../../src/journal/index.js';
import {
  applyRecord,
  type Intent,
  type PartitionState,
  type WorkflowState,
  type WorkflowStatus,
} from '../../src/machine/index.js';
import { type RecordedCall, type RunSink, type StepRequest, WorkflowRun } from '../../src/replay/index.js';
import type { AnyWorkflowDefinition } from '../../src/workflow/index.js';
import type { GoldenLine } from '../fixtures/journals/golden-line.js';
import { goldenWorkflows } from '../fixtures/journals/golden-workflows.js';

const FIXTURES = new URL('../fixtures/journals/', import.meta.url);
/** A reader's own Type, built from today's schema file alone with avsc's default options. */
const READER = avsc.Type.forSchema(
  JSON.parse(readFileSync(new URL('../../schemas/journal.avsc', import.meta.url), 'utf8')),
);
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

/** Every golden file and how each of its workflows ended (one entry per file; never edit an old one). */
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

const GOLDEN: readonly { readonly file: string; readonly ends: Readonly<Record<string, End>> }[] = [
  { file: 'golden-v1', ends: SCENARIO_ENDS },
  { file: 'golden-v2', ends: SCENARIO_ENDS },
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

/** A body as a plain Avro reader sees it, with the only conversions the codec makes (body-codecs I2). */
function bodyFromPlainAvro(kind: string, fields: unknown): unknown {
  const body: Record<string, unknown> = { kind, ...(plain(fields) as Record<string, unknown>) };
  if (body.purpose === 'signal_timeout') body.purpose = 'signal-timeout';
  if (kind === 'ChildCompleted') {
    const o = body.outcome as { ok: boolean; result: unknown; error: unknown };
    body.outcome = o.ok ? { ok: true, result: o.result } : { ok: false, error: o.error };
  }
  return body;
}

const TERMINAL_KINDS = new Set(['WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled']);

/** What a replayed body asked for, as the journal names calls: callSeq → kind and name. */
class CollectingSink implements RunSink {
  readonly intents: Intent[] = [];
  readonly calls = new Map<number, RecordedCall>();
  intent(_workflowId: string, intent: Intent): void {
    this.intents.push(intent);
    const call = callOf(intent);
    if (call !== undefined) this.calls.set(call[0], call[1]);
  }
  step(request: StepRequest): void {
    this.calls.set(request.callSeq, { kind: 'step', name: request.name });
  }
}

function callOf(intent: Intent): [number, RecordedCall] | undefined {
  switch (intent.type) {
    case 'sleep':
      return [intent.callSeq, { kind: 'sleep', name: 'sleep' }];
    case 'signal':
      return [intent.callSeq, { kind: 'signal', name: intent.name }];
    case 'child':
      return [intent.callSeq, { kind: 'child', name: intent.workflow }];
    case 'emit':
      return [intent.callSeq, { kind: 'emit', name: intent.topic }];
    case 'compensation':
      return [intent.callSeq, { kind: 'compensation', name: 'compensation' }];
    default:
      return undefined;
  }
}

/** Replays `ws`'s body against `records` as RunRegistry.resume does: start, then deliver each and drain. */
async function replay(ws: WorkflowState, records: readonly JournalRecord[]): Promise<CollectingSink> {
  const definition = WORKFLOWS.get(ws.workflow);
  if (definition === undefined) throw new Error(`golden-workflows.ts has no workflow "${ws.workflow}"`);
  const recorded = new Map<number, RecordedCall>(
    [...ws.calls].map(([seq, c]) => [seq, { kind: c.kind, name: c.name }]),
  );
  const sink = new CollectingSink();
  const run = new WorkflowRun(definition, ws.id, ws.input, ws.startedAtMs, recorded, sink);
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

describe.each(GOLDEN)('$file', ({ file, ends }) => {
  const messages = load(file);
  const records = messages.map((m) => m.record);
  const state: PartitionState = new Map();
  for (const record of records) applyRecord(state, record);
  const schemaFile = new URL(`${file}.journal.avsc`, FIXTURES);
  const writer = avsc.Type.forSchema(JSON.parse(readFileSync(schemaFile, 'utf8')));

  it('every message decodes with the engine codec and with a plain avsc reader of its writer schema, to the same values', () => {
    expect(messages.length).toBeGreaterThan(0);
    for (const { bytes, record } of messages) {
      // A plain reader picks the writer schema by schemaVersion from schemas/ (released/ for older ones).
      const raw = writer.fromBuffer(bytes) as Record<string, unknown> & { body: Record<string, unknown> };
      const [branch, fields] = Object.entries(raw.body)[0] ?? [];
      expect(branch).toBe(`logbook.journal.${record.body.kind}`);
      expect({ ...record, body: bodyFromPlainAvro(String(raw.kind), fields) }).toStrictEqual({
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
      const written = plain(writer.fromBuffer(bytes)) as Record<string, unknown>;
      expect(resolved).toStrictEqual({ writerEpoch: 0, ...written }); // a v1 record takes the default epoch 0
    }
  });

  it('its writer schema is a released one under schemas/, so readers of the repository can decode it', () => {
    const version = records[0]?.schemaVersion ?? 0;
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

  it('seqs are gapless per workflow; seq 0 is only for partition records and unknown-id rejections', () => {
    const seqs = new Map<string, number[]>();
    for (const r of records) {
      if (r.seq === 0) {
        expect(r.workflowId === '' || (r.body.kind === 'CommandRejected' && !state.has(r.workflowId))).toBe(
          true,
        );
        continue;
      }
      seqs.set(r.workflowId, [...(seqs.get(r.workflowId) ?? []), r.seq]);
    }
    for (const [id, list] of seqs) expect(list, id).toEqual(list.map((_, i) => i + 1));
  });

  it('folding the records gives every workflow the end it had in the run', () => {
    expect([...state.keys()].sort()).toEqual(Object.keys(ends).sort());
    for (const [id, end] of Object.entries(ends)) {
      const ws = state.get(id);
      expect(ws?.status, id).toBe(end.status);
      if (end.error !== undefined) expect(ws?.error?.name, id).toBe(end.error);
      if (end.result !== undefined) expect(ws?.result, id).toMatchObject(end.result as object);
    }
  });

  it.each(Object.keys(ends))(
    'replaying %s makes the journaled calls and ends as the journal did',
    async (id) => {
      const ws = state.get(id);
      if (ws === undefined) throw new Error(`${id} is not in ${file}`);
      const own = records.filter((r) => r.workflowId === id && r.seq > 0);
      const terminal = own.find((r) => TERMINAL_KINDS.has(r.body.kind));
      if (terminal === undefined) throw new Error(`${id} has no terminal record`);
      const sink = await replay(ws, own);
      expect(sink.intents.filter((i) => i.type === 'stuck')).toEqual([]);
      expect(sink.calls).toEqual(
        new Map([...ws.calls].map(([seq, c]) => [seq, { kind: c.kind, name: c.name }])),
      );
      const ending = sink.intents.filter(
        (i) => i.type === 'complete' || i.type === 'fail' || i.type === 'cancelled',
      );
      expect(ending).toStrictEqual([intentFor(terminal.body)]);
      expect(sink.intents.at(-1)).toBe(ending[0]);
    },
  );
});
