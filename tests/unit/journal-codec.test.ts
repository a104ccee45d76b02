/**
 * Proves the journal codec: every record kind round-trips through Avro unchanged; a reader with only
 * schemas/journal.avsc and avsc sees the same fields (so the journal is decodable without Logbook); the
 * schema header names the canonical-form fingerprint; and decoding is total — garbage, truncated,
 * mismatched or future records throw JournalDecodeError and nothing else.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  type BodyOf,
  decodeRecord,
  encodeRecord,
  JOURNAL_SCHEMA_FINGERPRINT,
  JOURNAL_SCHEMA_HEADER,
  JOURNAL_SCHEMA_HEADER_VALUE,
  JournalDecodeError,
  JournalEncodeError,
  type JournalRecord,
  RECORD_KINDS,
  type RecordBody,
  type RecordKind,
} from '../../src/journal/index.js';

const SCHEMA_TEXT = readFileSync(new URL('../../schemas/journal.avsc', import.meta.url), 'utf8');
/** A reader's own Type, built from the schema file alone with avsc's default options. */
const READER_TYPE = avsc.Type.forSchema(JSON.parse(SCHEMA_TEXT));

const failure = { name: 'CardDeclined', code: 'LB_STEP_FAILED', message: 'declined', details: { n: [1, 2] } };
const LONG_MAX = 9_007_199_254_740_990; // The largest long avsc writes exactly: 2^53 - 2.
const T0 = 1_700_000_000_000;
const start = { kind: 'WorkflowStarted', workflow: 'w', input: 1 } as const;
const attempt = { callSeq: 2, name: 'pay', attempt: 3, startedAtMs: T0, durationMs: 12 } as const;

/** At least one body per kind; typed so a new kind does not compile without samples, and checked below. */
const SAMPLES: { readonly [K in RecordKind]: readonly BodyOf<K>[] } = {
  WorkflowStarted: [
    { kind: 'WorkflowStarted', workflow: 'order', input: { sku: 'A' }, idempotencyKey: null, parent: null },
    { ...start, idempotencyKey: 'k', parent: { workflowId: 'p', callSeq: 4 } },
  ],
  StepCompleted: [{ kind: 'StepCompleted', ...attempt, result: [1, 'b', { c: 3 }] }],
  StepFailed: [
    { kind: 'StepFailed', ...attempt, error: failure, retryAtMs: LONG_MAX },
    { kind: 'StepFailed', ...attempt, error: failure, retryAtMs: null },
  ],
  TimerScheduled: [
    { kind: 'TimerScheduled', timerId: 't-1', callSeq: 3, purpose: 'sleep', fireAtMs: T0 },
    { kind: 'TimerScheduled', timerId: 't-2', callSeq: 4, purpose: 'retry', fireAtMs: 1 },
    { kind: 'TimerScheduled', timerId: 't-3', callSeq: 5, purpose: 'signal-timeout', fireAtMs: 2 },
  ],
  TimerFired: [{ kind: 'TimerFired', timerId: 't-1', callSeq: 3 }],
  SignalReceived: [{ kind: 'SignalReceived', name: 'approval', payload: { ok: true, note: 'héllo ✓ 𝄞' } }],
  SignalAwaited: [{ kind: 'SignalAwaited', callSeq: 6, name: 'approval' }],
  SignalConsumed: [{ kind: 'SignalConsumed', callSeq: 6, name: 'approval', signalSeq: 9, payload: 'yes' }],
  CancelRequested: [{ kind: 'CancelRequested', reason: '' }],
  CompensationStarted: [
    { kind: 'CompensationStarted', callSeq: 7, reason: failure, steps: ['reservePayment', 'reserveStock'] },
    { kind: 'CompensationStarted', callSeq: 7, reason: { ...failure, details: null }, steps: [] },
  ],
  ChildStarted: [{ kind: 'ChildStarted', callSeq: 8, childId: 'o-1/ship', workflow: 'ship' }],
  ChildCompleted: [
    { kind: 'ChildCompleted', callSeq: 8, childId: 'c', outcome: { ok: true, result: { tracking: 'Z1' } } },
    { kind: 'ChildCompleted', callSeq: 8, childId: 'c', outcome: { ok: true, result: null } },
    { kind: 'ChildCompleted', callSeq: 8, childId: 'c', outcome: { ok: false, error: failure } },
  ],
  Emitted: [{ kind: 'Emitted', callSeq: 9, topic: 'orders.out', key: 'o-1' }],
  WorkflowCompleted: [{ kind: 'WorkflowCompleted', result: 42.5 }],
  WorkflowFailed: [{ kind: 'WorkflowFailed', error: failure }],
  WorkflowCancelled: [{ kind: 'WorkflowCancelled', reason: 'customer asked' }],
  WorkflowStuck: [{ kind: 'WorkflowStuck', error: { ...failure, code: 'LB_NON_DETERMINISM', details: {} } }],
  CommandRejected: [{ kind: 'CommandRejected', code: 'LB_CMD_BAD_JSON', reason: 'Bad.', sourceOffset: '12' }],
  OwnerClaimed: [{ kind: 'OwnerClaimed', partition: 3, claimId: 'c-1', executorId: 'node-a' }],
  CommandsConsumed: [{ kind: 'CommandsConsumed', partition: 3, nextOffset: 1_234_567 }],
};

/** Partition-level records (OwnerClaimed, CommandsConsumed) have workflowId "" and seq 0 (records.ts I2). */
function envelope(body: RecordBody): JournalRecord {
  const owner = body.kind === 'OwnerClaimed' || body.kind === 'CommandsConsumed';
  return { schemaVersion: 2, workflowId: owner ? '' : 'o-1', seq: owner ? 0 : 7, atMs: T0 + 123, body };
}

const RECORDS: readonly JournalRecord[] = RECORD_KINDS.flatMap((kind) => SAMPLES[kind].map(envelope));
const CASES = RECORDS.map((record) => [record.body.kind, record] as const);

/** What a reader sees in plain JSON: Buffers parsed as JSON, avsc's record classes as plain objects. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return JSON.parse(value.toString('utf8'));
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
  }
  return value;
}

/** The body as schemas/README.md says a reader finds it: no `kind`, Avro enum symbols, ChildOutcome flat. */
function readerView(body: RecordBody): unknown {
  const { kind: _kind, ...fields } = body;
  if (body.kind === 'TimerScheduled') return { ...fields, purpose: body.purpose.replace('-', '_') };
  if (body.kind === 'ChildCompleted') {
    const outcome = body.outcome.ok
      ? { ok: true, result: body.outcome.result, error: null }
      : { ok: false, result: null, error: body.outcome.error };
    return { ...fields, outcome };
  }
  return fields;
}

describe('journal codec round trip', () => {
  it('has a sample for every record kind, so a new kind fails here until it has one', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...RECORD_KINDS].sort());
    for (const kind of RECORD_KINDS) expect(SAMPLES[kind].length, kind).toBeGreaterThan(0);
  });

  it.each(CASES)('%s decodes to the record it encoded', (_kind, record) => {
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('writes an undefined result as JSON null', () => {
    const body = { kind: 'WorkflowCompleted', result: undefined } as unknown as RecordBody;
    const decoded = decodeRecord(encodeRecord(envelope(body)));
    expect(decoded.body).toEqual({ kind: 'WorkflowCompleted', result: null });
  });
});

describe('journal decoded with schemas/journal.avsc alone', () => {
  it('lists the union branches in RECORD_KINDS order', () => {
    const schema = JSON.parse(SCHEMA_TEXT) as { fields: { name: string; type: { name: string }[] }[] };
    const body = schema.fields.find((field) => field.name === 'body');
    expect(body?.type.map((branch) => branch.name)).toEqual(RECORD_KINDS);
  });

  it.each(CASES)('%s reads the same fields with a fresh avsc Type', (kind, record) => {
    const { body, ...readEnvelope } = READER_TYPE.fromBuffer(encodeRecord(record));
    const { body: expected, ...expectedEnvelope } = record;
    expect(readEnvelope).toEqual({ writerEpoch: 0, ...expectedEnvelope, kind });
    // avsc wraps the body union: one key, the branch's full name (schemas/README.md).
    expect(Object.keys(body)).toEqual([`logbook.journal.${kind}`]);
    expect(plain(body[`logbook.journal.${kind}`])).toEqual(readerView(expected));
  });
});

describe('journal schema header', () => {
  it('names the schema by the SHA-256 of its Parsing Canonical Form', () => {
    expect(JOURNAL_SCHEMA_HEADER).toBe('logbook-schema');
    expect(JOURNAL_SCHEMA_FINGERPRINT).toBe(READER_TYPE.fingerprint('sha256').toString('hex'));
    expect(JOURNAL_SCHEMA_HEADER_VALUE).toBe(`journal.avsc@sha256:${JOURNAL_SCHEMA_FINGERPRINT}`);
  });

  it('keeps the fingerprint of schema v1 unless the schema itself changes (docs do not count)', () => {
    // Changing this value means the journal format changed: old records must still decode (records.ts I1).
    const v1 = 'cf2efd27e1a7344e2e8ac9569fc2dd3faf15019d045e7c24d014efc31e820267'; // v1 as first released (with CommandsConsumed, writerEpoch)
    expect(JOURNAL_SCHEMA_FINGERPRINT).toBe(v1);
  });
});

/** Avro bytes that are well-formed for the schema but break the codec's own rules. */
function rawRecord(overrides: Record<string, unknown>): Buffer {
  const body = { 'logbook.journal.TimerFired': { timerId: 't', callSeq: 1 } };
  const base = { schemaVersion: 2, kind: 'TimerFired', workflowId: 'o-1', seq: 1, atMs: 1, body };
  return READER_TYPE.toBuffer({ ...base, ...overrides });
}

/** A well-formed record of `kind` with the given Avro body fields. */
function rawBody(kind: RecordKind, fields: Record<string, unknown>): Buffer {
  return rawRecord({ kind, body: { [`logbook.journal.${kind}`]: fields } });
}

function outcome(ok: boolean): Record<string, unknown> {
  return { callSeq: 1, childId: 'c', outcome: { ok, result: null, error: null } };
}

const VALID = encodeRecord(envelope({ kind: 'TimerFired', timerId: 't', callSeq: 1 }));

describe('journal decoding is total', () => {
  it.each([
    ['an empty value', Buffer.alloc(0), /not a JournalRecord.*truncated buffer/],
    ['text', Buffer.from('hello world'), /not a JournalRecord/],
    ['a Confluent-framed value', Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), VALID]), /not a JournalRecord/],
    ['a truncated record', VALID.subarray(0, VALID.length - 1), /truncated buffer/],
    ['a record with a trailing byte', Buffer.concat([VALID, Buffer.from([0])]), /trailing data/],
    ['an out-of-range union index', handWritten(envelopeFields('TimerFired', 99)), /invalid union index/],
    // avsc alone allocates and loops over an array's claimed count: this would exhaust the heap.
    ['2^31 array items in 40 bytes', hugeStepsArray(2 ** 31), /2147483648 items but only 0 bytes left/],
    ['a kind that is not the body', rawRecord({ kind: 'StepCompleted' }), /StepCompleted does not match/],
    ['an unknown kind', rawRecord({ kind: 'TimerExploded' }), /unknown kind "TimerExploded"/],
    ['a future schemaVersion', rawRecord({ schemaVersion: 3 }), /schemaVersion 3; this Logbook reads 1 to 2/],
    ['schemaVersion 0', rawRecord({ schemaVersion: 0 }), /schemaVersion 0/],
    ['JSON bytes that are not JSON', rawBody('WorkflowCompleted', { result: Buffer.from('{x') }), /not JSON/],
    ['an ok outcome without a result', rawBody('ChildCompleted', outcome(true)), /ok=true but no result/],
    ['a failed outcome without an error', rawBody('ChildCompleted', outcome(false)), /ok=false but no error/],
  ])('rejects %s with JournalDecodeError', (_what, value, message) => {
    expect(() => decodeRecord(value)).toThrow(JournalDecodeError);
    expect(() => decodeRecord(value)).toThrow(message);
  });

  it('throws only JournalDecodeError for mutated records (seeded)', () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    console.log(`journal codec fuzz seed: ${seed} (rerun with FUZZ_SEED=${seed})`);
    const random = seededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const record = RECORDS[Math.floor(random() * RECORDS.length)];
      if (record === undefined) continue;
      const bytes = Buffer.from(encodeRecord(record));
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        decodeRecord(bytes);
      } catch (error) {
        expect(error, `seed ${seed}, case ${i}: ${bytes.toString('hex')}`).toBeInstanceOf(JournalDecodeError);
      }
    }
  });
});

describe('journal arrays', () => {
  it('round-trips a compensation over a thousand steps', () => {
    const steps = Array.from({ length: 1000 }, (_, i) => `step-${i}`);
    const record = envelope({ kind: 'CompensationStarted', callSeq: 1, reason: failure, steps });
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('reads arrays written in sized blocks (a negative count, then the block size), as other writers may', () => {
    const value = handWritten([
      ...compensationFields(),
      ['blockCount', 'long', -2],
      ['blockBytes', 'long', 4],
      ['step1', 'string', 'a'],
      ['step2', 'string', 'bc'],
      ['end', 'long', 0],
    ]);
    expect(decodeRecord(value).body).toMatchObject({ kind: 'CompensationStarted', steps: ['a', 'bc'] });
  });
});

describe('journal encoding errors', () => {
  const fired = envelope({ kind: 'TimerFired', timerId: 't', callSeq: 1 });
  const bigint = envelope({ kind: 'WorkflowCompleted', result: 1n as unknown as number });
  const textSeq = envelope({ kind: 'TimerFired', timerId: 't', callSeq: '1' as unknown as number });
  it.each([
    ['a BigInt payload', bigint, /Cannot encode WorkflowCompleted seq 7 of workflow "o-1".*BigInt/],
    ['a fractional seq', { ...fired, seq: 1.5 }, /Cannot encode TimerFired seq 1.5/],
    ['a string where a long belongs', textSeq, /Cannot encode TimerFired/],
  ])('rejects %s with JournalEncodeError', (_what, record, message) => {
    expect(() => encodeRecord(record)).toThrow(JournalEncodeError);
    expect(() => encodeRecord(record)).toThrow(message);
  });
});

type Field = readonly [name: string, type: string, value: unknown];

/** Avro bytes written field by field, to build values the real schema's writer would refuse. */
function handWritten(fields: readonly Field[]): Buffer {
  const type = avsc.Type.forSchema({
    type: 'record',
    name: 'HandWritten',
    fields: fields.map(([name, fieldType]) => ({ name, type: fieldType })),
  });
  return type.toBuffer(Object.fromEntries(fields.map(([name, , value]) => [name, value])));
}

/** The envelope of a record of `kind` followed by the union index `branch`. */
function envelopeFields(kind: string, branch: number): readonly Field[] {
  return [
    ['schemaVersion', 'int', 2],
    ['kind', 'string', kind],
    ['workflowId', 'string', 'o-1'],
    ['seq', 'long', 1],
    ['atMs', 'long', 1],
    ['writerEpoch', 'long', 0],
    ['branch', 'long', branch],
  ];
}

/** A CompensationStarted up to its `steps` array. */
function compensationFields(): readonly Field[] {
  return [
    ...envelopeFields('CompensationStarted', RECORD_KINDS.indexOf('CompensationStarted')),
    ['callSeq', 'long', 1],
    ...['reasonName', 'reasonCode', 'reasonMessage'].map((name): Field => [name, 'string', 'x']),
    ['reasonDetails', 'bytes', Buffer.from('null')],
  ];
}

/** A CompensationStarted whose `steps` array claims `count` items in a value of a few dozen bytes. */
function hugeStepsArray(count: number): Buffer {
  return handWritten([...compensationFields(), ['stepsCount', 'long', count]]);
}

/** Small seeded PRNG (an LCG), so a failing fuzz case can be replayed from its printed seed. */
function seededRandom(seed: number): () => number {
  let state = seed % 2_147_483_647 || 1;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}
