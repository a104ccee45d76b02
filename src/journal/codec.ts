/**
 * The journal codec: JournalRecord ↔ the Kafka message value on `ns.journal` (DESIGN §2). The value is plain
 * Avro binary of `logbook.journal.JournalRecord` from schemas/journal.avsc, with no magic byte; the writer
 * names the schema in the `logbook-schema` header. Owners encode on append; catch-up, replay and the
 * journal tools decode. This is on the hot path, so the avsc Type is built once at module load.
 *
 * I1. The framing never changes: a value is exactly one Avro-encoded JournalRecord (avsc rejects trailing
 *     bytes), whose first field is `schemaVersion`, so a future decoder can read it before choosing a
 *     writer schema. schemas/README.md documents it for readers that have only schemas/.
 * I2. Decoding is total: any value that is not a JournalRecord of a version up to JOURNAL_SCHEMA_VERSION
 *     throws JournalDecodeError, never another error, and never returns a half-decoded record.
 * I3. The envelope's `kind` names the body's union branch; a value where they disagree is rejected, so
 *     readers that look only at `kind` are never misled.
 * I4. The union branches of the schema are the record kinds in RECORD_KINDS order (append only); checked
 *     when this module loads, so a schema/TS drift fails at startup and in every test.
 * I5. A value is decoded with the writer schema its schemaVersion names (the first field, peeked without
 *     decoding), resolved into today's schema; released schemas live in schemas/released/.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { ErrorCode, errorMessage, LogbookError } from '../errors.js';
import { type AnyBodyCodec, type AvroBodies, BODY_CODECS } from './body-codecs.js';
import { boundedArrayHook } from './bounded-array-type.js';
import { JournalDecodeError, JournalEncodeError } from './journal-codec-error.js';
import {
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  RECORD_KINDS,
  type RecordBody,
  type RecordKind,
} from './records.js';

/** The envelope as avsc decodes it; `body` is avsc's wrapped union: `{ "<namespace>.<Kind>": fields }`. */
interface AvroJournalRecord {
  readonly schemaVersion: number;
  readonly kind: string;
  readonly workflowId: string;
  readonly seq: number;
  readonly atMs: number;
  readonly writerEpoch: number;
  readonly body: { readonly [branch: string]: AvroBodies[RecordKind] | undefined };
}

function loadType(path: string): avsc.Type {
  // Resolved from this file, so it works from both src/journal (tsx, vitest) and dist/journal.
  const text = readFileSync(new URL(`../../schemas/${path}`, import.meta.url), 'utf8');
  // wrapUnions 'auto' (avsc's default, passed explicitly): the body union of records is wrapped, and the
  // ["null", T] unions come back as null or the value. The hook bounds array allocations (I2).
  return avsc.Type.forSchema(JSON.parse(text), { wrapUnions: 'auto', typeHook: boundedArrayHook });
}

function loadJournalType(): avsc.Type {
  const type = loadType('journal.avsc');
  assertBranchOrder(type);
  return type;
}

function assertBranchOrder(type: avsc.Type): void {
  const body = type instanceof avsc.types.RecordType ? type.field('body')?.type : undefined;
  const found = body instanceof avsc.types.WrappedUnionType ? body.types.map((branch) => branch.name) : [];
  const expected = RECORD_KINDS.map((kind) => BODY_CODECS[kind].branch);
  if (found.join() !== expected.join()) {
    throw new LogbookError(
      ErrorCode.Bug,
      `schemas/journal.avsc body branches [${found.join(', ')}] are not RECORD_KINDS [${expected.join(', ')}] (I4).`,
    );
  }
}

const JOURNAL_TYPE = loadJournalType();

/**
 * Released writer schemas older than journal.avsc, by schemaVersion (I5). Never remove one: journals are
 * kept forever. Each is read through a resolver into today's schema (new fields take their defaults).
 */
const RELEASED: ReadonlyMap<number, avsc.Resolver> = new Map([
  [1, JOURNAL_TYPE.createResolver(loadType('released/journal-v1.avsc'))],
  [2, JOURNAL_TYPE.createResolver(loadType('released/journal-v2.avsc'))],
  [3, JOURNAL_TYPE.createResolver(loadType('released/journal-v3.avsc'))],
]);

/** schemaVersion is the first field, a zig-zag varint int: read it without decoding the rest (I5). */
function peekSchemaVersion(value: Buffer): number {
  let shift = 0;
  let raw = 0;
  for (let i = 0; i < Math.min(value.length, 5); i++) {
    const byte = value[i] ?? 0;
    raw |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return (raw >>> 1) ^ -(raw & 1);
    shift += 7;
  }
  return -1;
}

/** Hex SHA-256 of the Parsing Canonical Form of schemas/journal.avsc (docs and defaults do not count). */
export const JOURNAL_SCHEMA_FINGERPRINT: string = JOURNAL_TYPE.fingerprint('sha256').toString('hex');

/** Kafka header each journal message carries, naming the schema its value was written with. */
export const JOURNAL_SCHEMA_HEADER = 'logbook-schema';

/** Value of the {@link JOURNAL_SCHEMA_HEADER} header: `journal.avsc@sha256:<fingerprint>`. */
export const JOURNAL_SCHEMA_HEADER_VALUE = `journal.avsc@sha256:${JOURNAL_SCHEMA_FINGERPRINT}`;

const KINDS: ReadonlySet<string> = new Set(RECORD_KINDS);

function isRecordKind(kind: string): kind is RecordKind {
  return KINDS.has(kind);
}

/** The table entry for a kind; see AnyBodyCodec for why this needs no cast. */
function bodyCodec(kind: RecordKind): AnyBodyCodec {
  return BODY_CODECS[kind];
}

/**
 * Encodings already made, by record object. Records are immutable once decided, and a tick encodes each
 * one twice — to keep within its byte budget, then to write it — so the second is a lookup.
 */
const ENCODED = new WeakMap<JournalRecord, Buffer>();

/**
 * Encodes a journal record as the Kafka message value: plain Avro binary of JournalRecord (I1).
 * Throws JournalEncodeError when a field does not fit its Avro type (say a fractional `seq`) or a
 * payload cannot be JSON (BigInt, cycles). `undefined` payloads are written as JSON null.
 */
export function encodeRecord(record: JournalRecord): Buffer {
  const cached = ENCODED.get(record);
  if (cached !== undefined) return cached;
  const encoded = encodeUncached(record);
  ENCODED.set(record, encoded);
  return encoded;
}

/** Where a record is written before it is copied out at its size (`avroBytes`). */
const SCRATCH = Buffer.allocUnsafe(64 * 1024);

/**
 * `JOURNAL_TYPE.toBuffer`'s bytes. avsc's own gives each value a zero-filled buffer of its own
 * (`Buffer.alloc`, outside Node's pool); this writes into SCRATCH and copies out into a pooled one, and a
 * value SCRATCH cannot hold goes to avsc's own.
 */
function avroBytes(value: AvroJournalRecord): Buffer {
  const end = JOURNAL_TYPE.encode(value, SCRATCH, 0);
  if (end < 0) return JOURNAL_TYPE.toBuffer(value);
  const out = Buffer.allocUnsafe(end);
  SCRATCH.copy(out, 0, 0, end);
  return out;
}

function encodeUncached(record: JournalRecord): Buffer {
  const body = record.body;
  const codec = bodyCodec(body.kind);
  try {
    return avroBytes({
      schemaVersion: JOURNAL_SCHEMA_VERSION, // the bytes are today's layout, whatever version the record was read from

      kind: body.kind,
      workflowId: record.workflowId,
      seq: record.seq,
      atMs: record.atMs,
      writerEpoch: record.writerEpoch ?? 0,
      body: { [codec.branch]: codec.toAvro(body) },
    });
  } catch (error) {
    throw new JournalEncodeError(
      `Cannot encode ${body.kind} seq ${record.seq} of workflow "${record.workflowId}": ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/**
 * Decodes a Kafka message value from `ns.journal` into a JournalRecord. Total (I2): anything else throws
 * JournalDecodeError, whose message says what was wrong.
 */
export function decodeRecord(value: Buffer): JournalRecord {
  let raw: AvroJournalRecord;
  const version = peekSchemaVersion(value);
  const resolver = version === JOURNAL_SCHEMA_VERSION ? undefined : RELEASED.get(version);
  try {
    raw = resolver === undefined ? JOURNAL_TYPE.fromBuffer(value) : JOURNAL_TYPE.fromBuffer(value, resolver);
  } catch (error) {
    throw new JournalDecodeError(
      `Journal value (${value.length} bytes) is not a JournalRecord of schemas/journal.avsc: ${errorMessage(error)}.`,
      { cause: error },
    );
  }
  if (raw.schemaVersion < 1 || raw.schemaVersion > JOURNAL_SCHEMA_VERSION) {
    throw new JournalDecodeError(
      `Journal record has schemaVersion ${raw.schemaVersion}; this Logbook reads 1 to ${JOURNAL_SCHEMA_VERSION}.`,
    );
  }
  return {
    schemaVersion: raw.schemaVersion,
    workflowId: raw.workflowId,
    seq: raw.seq,
    atMs: raw.atMs,
    ...(raw.writerEpoch > 0 ? { writerEpoch: raw.writerEpoch } : {}),
    body: decodeBody(raw),
  };
}

function decodeBody(raw: AvroJournalRecord): RecordBody {
  const kind = raw.kind;
  if (!isRecordKind(kind)) {
    throw new JournalDecodeError(`Journal record has unknown kind "${kind}" (seq ${raw.seq}).`);
  }
  const codec = bodyCodec(kind);
  const fields = raw.body[codec.branch];
  if (fields === undefined) {
    const branch = Object.keys(raw.body)[0] ?? 'none';
    throw new JournalDecodeError(
      `Journal record kind ${kind} does not match its body branch ${branch} (I3).`,
    );
  }
  try {
    // avsc decoded `fields` with this branch's schema, so it has the branch's Avro shape.
    return codec.fromAvro(fields);
  } catch (error) {
    if (error instanceof JournalDecodeError) throw error;
    throw new JournalDecodeError(
      `Journal record ${kind} seq ${raw.seq} holds a payload that is not JSON: ${errorMessage(error)}.`,
      { cause: error },
    );
  }
}
