/**
 * Proves the journal codec: every record kind (StepStarted and CallRejected included) round-trips through
 * Avro unchanged; a reader with only schemas/journal.avsc and avsc sees the same fields (so the journal is
 * decodable without Logbook); values written with a released schema (v1, v2: no parentSeq, no writerEpoch
 * in v1; v3: no WorkflowStarted.trace) decode with parentSeq -1 (v1, v2) and trace null; the schema header names the canonical-form fingerprint and every
 * released schema keeps its own; and decoding is total — garbage, truncated, mismatched or future records
 * throw JournalDecodeError and nothing else (seeded fuzz).
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  decodeRecord,
  encodeRecord,
  JOURNAL_SCHEMA_FINGERPRINT,
  JOURNAL_SCHEMA_HEADER,
  JOURNAL_SCHEMA_HEADER_VALUE,
  JOURNAL_SCHEMA_VERSION,
  JournalDecodeError,
  JournalEncodeError,
  type JournalRecord,
  RECORD_KINDS,
  type RecordBody,
  type RecordKind,
} from '../../src/journal/index.js';
import { envelope, failure, RECORDS, SAMPLES } from '../fixtures/journals/record-samples.js';

const schemaType = (path: string): avsc.Type =>
  avsc.Type.forSchema(JSON.parse(readFileSync(new URL(`../../schemas/${path}`, import.meta.url), 'utf8')));
const SCHEMA_TEXT = readFileSync(new URL('../../schemas/journal.avsc', import.meta.url), 'utf8');
/** A reader's own Types, built from the schema files alone with avsc's default options. */
const READER_TYPE = schemaType('journal.avsc');
const RELEASED = new Map([
  [1, schemaType('released/journal-v1.avsc')],
  [2, schemaType('released/journal-v2.avsc')],
  [3, schemaType('released/journal-v3.avsc')],
]);

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
    expect(decodeRecord(encodeRecord(record))).toStrictEqual(record);
  });

  it('writes an undefined result as JSON null', () => {
    const body = { kind: 'WorkflowCompleted', result: undefined } as unknown as RecordBody;
    const decoded = decodeRecord(encodeRecord(envelope(body)));
    expect(decoded.body).toEqual({ kind: 'WorkflowCompleted', result: null });
  });

  it('writes today’s schemaVersion whatever version the record was read from', () => {
    const old = { ...envelope({ kind: 'CancelRequested', reason: 'r' }), schemaVersion: 1 };
    expect(decodeRecord(encodeRecord(old)).schemaVersion).toBe(JOURNAL_SCHEMA_VERSION);
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

/** `record` as a writer of released schema `version` wrote it: that schema's fields only. */
function writtenWith(version: number, record: JournalRecord): Buffer {
  const type = RELEASED.get(version);
  if (type === undefined) throw new Error(`no released schema v${version}`);
  const today = READER_TYPE.fromBuffer(encodeRecord(record));
  return type.toBuffer({ ...today, schemaVersion: version }); // avsc writes only the fields `type` declares
}

/** What a record written with a released schema decodes to: parentSeq -1 before v3, no epoch before v2, no trace before v4. */
function asReleased(version: number, record: JournalRecord): JournalRecord {
  const { writerEpoch, ...rest } = record;
  const old = record.body;
  const body =
    'parentSeq' in old && version < 3
      ? { ...old, parentSeq: -1 }
      : old.kind === 'WorkflowStarted'
        ? { ...old, trace: null }
        : old;
  return {
    ...rest,
    ...(version >= 2 && writerEpoch !== undefined ? { writerEpoch } : {}),
    schemaVersion: version,
    body,
  };
}

const RELEASED_CASES = [1, 2, 3].flatMap((version) =>
  RECORDS.filter(
    (r) => version >= 3 || (r.body.kind !== 'StepStarted' && r.body.kind !== 'CallRejected'),
  ).map((r) => [version, r.body.kind, r] as const),
);

describe('journal values written with a released schema', () => {
  it.each(RELEASED_CASES)(
    'v%i %s decodes, with parentSeq -1 (before v3) and trace null (before v4) where today’s kind has one',
    (version, _k, record) => {
      expect(decodeRecord(writtenWith(version, record))).toStrictEqual(asReleased(version, record));
    },
  );

  it('covers every kind that has a parentSeq', () => {
    const withParent = RELEASED_CASES.filter(([v, , r]) => v < 3 && 'parentSeq' in r.body).map(
      ([, kind]) => kind,
    );
    expect(new Set(withParent)).toEqual(
      new Set([
        'TimerScheduled',
        'SignalAwaited',
        'SignalConsumed',
        'CompensationStarted',
        'ChildStarted',
        'Emitted',
      ]),
    );
  });
});

describe('journal schema header', () => {
  it('names the schema by the SHA-256 of its Parsing Canonical Form', () => {
    expect(JOURNAL_SCHEMA_HEADER).toBe('logbook-schema');
    expect(JOURNAL_SCHEMA_FINGERPRINT).toBe(READER_TYPE.fingerprint('sha256').toString('hex'));
    expect(JOURNAL_SCHEMA_HEADER_VALUE).toBe(`journal.avsc@sha256:${JOURNAL_SCHEMA_FINGERPRINT}`);
  });

  // Changing one of these means a journal format changed: old records must still decode (records.ts I1).
  it.each([
    ['released/journal-v1.avsc', '8e9b92f49366ef1e4452925f2ed7047a0aaf95a796a1dccac0885fcfcfa25cad'],
    ['released/journal-v2.avsc', 'cf2efd27e1a7344e2e8ac9569fc2dd3faf15019d045e7c24d014efc31e820267'],
    ['released/journal-v3.avsc', '5eaf8ca06ddc8a63a226ae48c36ed7b987e0baf6840b4c54012987a51912ff17'], // parentSeq, StepStarted, CallRejected
    ['journal.avsc', '788652128aebdefafd3440866641f160df6b47623b000772b873bdb19c65c9af'], // v4: WorkflowStarted.trace
  ])('%s keeps its fingerprint unless the schema itself changes (docs do not count)', (path, fingerprint) => {
    expect(schemaType(path).fingerprint('sha256').toString('hex')).toBe(fingerprint);
  });

  it('today’s schema is version JOURNAL_SCHEMA_VERSION = 4', () => {
    expect(JOURNAL_SCHEMA_VERSION).toBe(4);
    expect(JOURNAL_SCHEMA_FINGERPRINT).toBe(
      '788652128aebdefafd3440866641f160df6b47623b000772b873bdb19c65c9af',
    );
  });
});

/** Avro bytes that are well-formed for the schema but break the codec's own rules. */
function rawRecord(overrides: Record<string, unknown>, type: avsc.Type = READER_TYPE): Buffer {
  const body = { 'logbook.journal.TimerFired': { timerId: 't', callSeq: 1 } };
  const base = {
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    kind: 'TimerFired',
    workflowId: 'o-1',
    seq: 1,
    atMs: 1,
    body,
  };
  return type.toBuffer({ ...base, ...overrides });
}

/** A well-formed record of `kind` with the given Avro body fields. */
function rawBody(kind: RecordKind, fields: Record<string, unknown>): Buffer {
  return rawRecord({ kind, body: { [`logbook.journal.${kind}`]: fields } });
}

function outcome(ok: boolean): Record<string, unknown> {
  return { callSeq: 1, childId: 'c', outcome: { ok, result: null, error: null } };
}

const VALID = encodeRecord(envelope({ kind: 'TimerFired', timerId: 't', callSeq: 1 }));
const STEP_STARTED = { kind: 'StepStarted', callSeq: 1, name: 'a', attempt: 1, parentSeq: 0 };
/** A v3-only kind in a value that says it is v2: the v2 schema has no such branch. */
const V3_KIND_AS_V2 = rawRecord({
  schemaVersion: 2,
  kind: 'StepStarted',
  body: { 'logbook.journal.StepStarted': STEP_STARTED },
});

describe('journal decoding is total', () => {
  it.each([
    ['an empty value', Buffer.alloc(0), /not a JournalRecord.*truncated buffer/],
    ['text', Buffer.from('hello world'), /not a JournalRecord/],
    ['a Confluent-framed value', Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), VALID]), /not a JournalRecord/],
    ['a truncated record', VALID.subarray(0, VALID.length - 1), /truncated buffer/],
    ['a record with a trailing byte', Buffer.concat([VALID, Buffer.from([0])]), /trailing data/],
    ['an out-of-range union index', handWritten(envelopeFields('TimerFired', 99)), /invalid union index/],
    // avsc alone allocates and loops over an array's claimed count: this would exhaust the heap.
    ['2^31 array items in 40 bytes', hugeStepsArray(2 ** 31, 3), /2147483648 items but only 0 bytes left/],
    ['2^31 array items in a v2 value', hugeStepsArray(2 ** 31, 2), /2147483648 items but only 0 bytes left/],
    ['a v3-only kind in a v2 value', V3_KIND_AS_V2, /not a JournalRecord/],
    ['a kind that is not the body', rawRecord({ kind: 'StepCompleted' }), /StepCompleted does not match/],
    ['an unknown kind', rawRecord({ kind: 'TimerExploded' }), /unknown kind "TimerExploded"/],
    ['a future schemaVersion', rawRecord({ schemaVersion: 5 }), /schemaVersion 5; this Logbook reads 1 to 4/],
    ['schemaVersion 0', rawRecord({ schemaVersion: 0 }), /schemaVersion 0/],
    ['JSON bytes that are not JSON', rawBody('WorkflowCompleted', { result: Buffer.from('{x') }), /not JSON/],
    ['an ok outcome without a result', rawBody('ChildCompleted', outcome(true)), /ok=true but no result/],
    ['a failed outcome without an error', rawBody('ChildCompleted', outcome(false)), /ok=false but no error/],
  ])('rejects %s with JournalDecodeError', (_what, value, message) => {
    expect(() => decodeRecord(value)).toThrow(JournalDecodeError);
    expect(() => decodeRecord(value)).toThrow(message);
  });

  it('throws only JournalDecodeError for mutated records of every version (seeded)', () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    console.log(`journal codec fuzz seed: ${seed} (rerun with FUZZ_SEED=${seed})`);
    const random = seededRandom(seed);
    const values = [
      ...RECORDS.map(encodeRecord),
      ...RELEASED_CASES.map(([version, , record]) => writtenWith(version, record)),
    ];
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(values[Math.floor(random() * values.length)] ?? VALID);
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

describe('journal encoding buffers', () => {
  const step = { callSeq: 1, name: 's', attempt: 1, startedAtMs: 5, durationMs: 2 };
  const completed = (id: string, result: string): JournalRecord => ({
    ...envelope({ kind: 'StepCompleted', ...step, result }),
    workflowId: id,
  });

  it('gives each record bytes of its own: a later encoding leaves an earlier one as it was', () => {
    const first = completed('a', 'first');
    const bytes = encodeRecord(first);
    const copy = Buffer.from(bytes);
    encodeRecord(completed('b', 'x'.repeat(500)));
    expect(bytes.equals(copy)).toBe(true);
    expect(decodeRecord(bytes)).toStrictEqual(first);
  });

  it('encodes a record larger than its 64 KiB scratch buffer, and one right after it', () => {
    const big = completed('big', 'y'.repeat(200_000));
    const bytes = encodeRecord(big);
    expect(bytes.length).toBeGreaterThan(200_000);
    expect(decodeRecord(bytes)).toStrictEqual(big);
    const small = completed('small', 'z');
    expect(decodeRecord(encodeRecord(small))).toStrictEqual(small);
  });
});

describe('journal arrays', () => {
  it('round-trips a compensation over a thousand steps', () => {
    const steps = Array.from({ length: 1000 }, (_, i) => `step-${i}`);
    const record = envelope({
      kind: 'CompensationStarted',
      callSeq: 1,
      reason: failure,
      steps,
      parentSeq: 0,
    });
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('reads arrays written in sized blocks (a negative count, then the block size), as other writers may', () => {
    const value = handWritten([
      ...compensationFields(3),
      ['blockCount', 'long', -2],
      ['blockBytes', 'long', 4],
      ['step1', 'string', 'a'],
      ['step2', 'string', 'bc'],
      ['end', 'long', 0],
      ['parentSeq', 'long', 5],
    ]);
    expect(decodeRecord(value).body).toMatchObject({
      kind: 'CompensationStarted',
      steps: ['a', 'bc'],
      parentSeq: 5,
    });
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

/** The envelope (v2 and v3 share its layout) of a record of `kind` followed by the union index `branch`. */
function envelopeFields(kind: string, branch: number, version = JOURNAL_SCHEMA_VERSION): readonly Field[] {
  return [
    ['schemaVersion', 'int', version],
    ['kind', 'string', kind],
    ['workflowId', 'string', 'o-1'],
    ['seq', 'long', 1],
    ['atMs', 'long', 1],
    ['writerEpoch', 'long', 0],
    ['branch', 'long', branch],
  ];
}

/** A CompensationStarted up to its `steps` array. */
function compensationFields(version: number): readonly Field[] {
  return [
    ...envelopeFields('CompensationStarted', RECORD_KINDS.indexOf('CompensationStarted'), version),
    ['callSeq', 'long', 1],
    ...['reasonName', 'reasonCode', 'reasonMessage'].map((name): Field => [name, 'string', 'x']),
    ['reasonDetails', 'bytes', Buffer.from('null')],
  ];
}

/** A CompensationStarted whose `steps` array claims `count` items in a value of a few dozen bytes. */
function hugeStepsArray(count: number, version: number): Buffer {
  return handWritten([...compensationFields(version), ['stepsCount', 'long', count]]);
}

/** Small seeded PRNG (an LCG), so a failing fuzz case can be replayed from its printed seed. */
function seededRandom(seed: number): () => number {
  let state = seed % 2_147_483_647 || 1;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}
