/**
 * The body of a Produce request (versions 3 to 7, which share one layout) written in one pass into one
 * buffer of its exact size: the bytes KafkaJS 2.2.4's own `produce/v3/request.js` writes for the same
 * arguments, without the dozen buffers it makes and copies for every record (produce-encoding-patch.ts).
 *
 * I1. `encodeProduceBody` returns KafkaJS's bytes exactly (the test compares them over random requests),
 *     including its quirks: one `Date.now()` per partition, in partition order, whether or not a record
 *     uses it; timestamps ordered as `Array.prototype.sort` orders them; 64-bit fields through KafkaJS's
 *     own `Long.fromValue`, converted where KafkaJS converts them.
 * I2. It answers `undefined` for anything off its path, and the caller then uses KafkaJS's own encoder, so
 *     no input gets other bytes or another error: compression (a null one too); a key, value or header that
 *     is not a string or a Buffer (KafkaJS stringifies some, throws on others); null headers; a timestamp
 *     that is not a safe integer within 2^50; a null or coercible field; arrays with holes. All of it is
 *     checked before the first `Date.now()`, so KafkaJS's encoder then makes the calls it always makes.
 */

import {
  byteLength,
  type Int64,
  lengthPrefixed,
  nullableStringBytes,
  varIntBytes,
  varLongBytes,
  Writer,
} from './wire-writer.js';

export type { Int64 } from './wire-writer.js';

/** A message as KafkaJS hands it to the request. */
export interface ProduceMessage {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: unknown;
  readonly timestamp?: unknown;
}

/** One partition's records in a request. */
export interface ProducePartitionData {
  readonly partition: number;
  readonly messages: readonly ProduceMessage[];
  readonly firstSequence?: number | undefined;
}

/** What KafkaJS's produce request module is called with. */
export interface ProduceRequestArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null | undefined;
  readonly producerId?: unknown;
  readonly producerEpoch?: number | undefined;
  readonly compression?: number | undefined;
  readonly topicData: readonly {
    readonly topic: string;
    readonly partitions: readonly ProducePartitionData[];
  }[];
}

/** What the encoding takes from KafkaJS, so its bytes are KafkaJS's (I1). */
export interface ProduceEncodingDeps {
  readonly int64: (value: unknown) => Int64;
  readonly crc32c: (bytes: Buffer) => number;
  readonly now: () => number;
}

const MAGIC = 2;
const TRANSACTIONAL = 16;
/** Beyond this a delta's zigzag no longer fits a double exactly; such a request goes to KafkaJS (I2). */
const MAX_DELTA = 2 ** 51;
/** Timestamps within this of 0 (year 37,000) keep every delta within MAX_DELTA, so none is found late. */
const MAX_TIMESTAMP = 2 ** 50;
const RECORD_BATCH_HEADER = 8 + 4 + 4 + 1 + 4; // first offset, length, leader epoch, magic, crc
const BATCH_BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4; // attributes … first sequence, record count

interface RecordPlan {
  readonly key: string | Buffer | null;
  readonly keyBytes: number;
  readonly value: string | Buffer | null;
  readonly valueBytes: number;
  readonly headers: readonly (readonly [string, number, string | Buffer, number])[];
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  readonly bodyBytes: number;
}

interface PartitionPlan {
  readonly partition: number;
  readonly records: readonly RecordPlan[];
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly firstSequence: number;
  readonly bodyBytes: number;
}

/** The request body's bytes, or undefined when KafkaJS's own encoder must write it (I2). */
export function encodeProduceBody(args: ProduceRequestArgs, deps: ProduceEncodingDeps): Buffer | undefined {
  if (!requestOnPath(args)) return undefined; // before the first now(): KafkaJS would call it again
  const transactionalId = args.transactionalId ?? null;
  let size = nullableStringBytes(transactionalId) + 2 + 4 + 4;
  const topics: { topic: string; partitions: PartitionPlan[] }[] = [];
  for (const data of args.topicData) {
    const partitions: PartitionPlan[] = [];
    size += 2 + Buffer.byteLength(data.topic, 'utf8') + 4;
    for (const p of data.partitions) {
      const plan = planPartition(p, deps.now());
      if (plan === undefined) return undefined;
      partitions.push(plan);
      size += 4 + 4 + RECORD_BATCH_HEADER + plan.bodyBytes;
    }
    topics.push({ topic: data.topic, partitions });
  }

  const w = new Writer(Buffer.allocUnsafe(size));
  w.nullableString(transactionalId);
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(topics.length);
  const attributes = transactionalId ? TRANSACTIONAL : 0;
  let producerId: Int64 | undefined; // converted where KafkaJS converts it: at a partition's batch
  for (const { topic, partitions } of topics) {
    w.string(topic);
    w.int32(partitions.length);
    for (const p of partitions) {
      w.int32(p.partition);
      w.int32(RECORD_BATCH_HEADER + p.bodyBytes);
      w.int64(deps.int64(0));
      w.int32(4 + 1 + 4 + p.bodyBytes);
      w.int32(0);
      w.int8(MAGIC);
      const crcAt = w.skip(4);
      const bodyAt = w.offset;
      w.int16(attributes);
      w.int32(p.records.length - 1);
      w.int64(deps.int64(p.firstTimestamp));
      w.int64(deps.int64(p.maxTimestamp));
      producerId ??= deps.int64(args.producerId ?? -1);
      w.int64(producerId);
      w.int16(args.producerEpoch ?? 0);
      w.int32(p.firstSequence);
      w.int32(p.records.length);
      for (const r of p.records) writeRecord(w, r);
      w.buf.writeUInt32BE(deps.crc32c(w.buf.subarray(bodyAt, w.offset)), crcAt);
    }
  }
  return w.buf;
}

/**
 * Whether every field is one KafkaJS writes as it is (I2): not compressed, no null where KafkaJS defaults
 * only undefined, no value it would coerce, arrays without holes. Checked before anything is written.
 */
function requestOnPath(args: ProduceRequestArgs): boolean {
  return (
    (args.compression === undefined || args.compression === 0) &&
    Number.isInteger(args.acks) &&
    Number.isInteger(args.timeout) &&
    args.producerId !== null &&
    (args.producerEpoch === undefined || Number.isInteger(args.producerEpoch)) &&
    dense(args.topicData) &&
    args.topicData.every(
      (t) =>
        typeof t.topic === 'string' &&
        dense(t.partitions) &&
        t.partitions.every(
          (p) =>
            Number.isInteger(p.partition) &&
            (p.firstSequence === undefined || Number.isInteger(p.firstSequence)) &&
            dense(p.messages) &&
            p.messages.every(messageOnPath),
        ),
    )
  );
}

function messageOnPath(m: ProduceMessage): boolean {
  return (
    typeof m === 'object' &&
    m !== null &&
    bytesOf(m.key) !== undefined &&
    bytesOf(m.value) !== undefined &&
    headersOf(m.headers) !== undefined &&
    (m.timestamp == null ||
      (Number.isSafeInteger(m.timestamp) && Math.abs(m.timestamp as number) <= MAX_TIMESTAMP))
  );
}

/** A real array with no holes: KafkaJS iterates some with `for…of` and counts others by `length`. */
function dense(xs: unknown): xs is readonly unknown[] {
  if (!Array.isArray(xs)) return false;
  for (let i = 0; i < xs.length; i++) if (!(i in xs)) return false;
  return true;
}

function planPartition(data: ProducePartitionData, now: number): PartitionPlan | undefined {
  const stamps: unknown[] = [];
  for (const m of data.messages) if (m.timestamp != null) stamps.push(m.timestamp);
  stamps.sort();
  const timestamps = stamps.length === 0 ? [now] : stamps;
  const firstTimestamp = timestamps[0];
  const maxTimestamp = timestamps[timestamps.length - 1];
  const first = firstTimestamp as number; // a safe integer: requestOnPath checked every timestamp
  const records: RecordPlan[] = [];
  let bodyBytes = BATCH_BODY_HEADER;
  for (let i = 0; i < data.messages.length; i++) {
    const record = planRecord(data.messages[i] as ProduceMessage, i, now, first);
    if (record === undefined) return undefined;
    records.push(record);
    bodyBytes += varIntBytes(record.bodyBytes) + record.bodyBytes;
  }
  return {
    partition: data.partition,
    records,
    firstTimestamp: first,
    maxTimestamp: maxTimestamp as number,
    firstSequence: data.firstSequence ?? 0,
    bodyBytes,
  };
}

function planRecord(
  m: ProduceMessage,
  offsetDelta: number,
  now: number,
  firstTimestamp: number,
): RecordPlan | undefined {
  // requestOnPath checked the key, value, headers and timestamp
  const key = bytesOf(m.key) as string | Buffer | null;
  const value = bytesOf(m.value) as string | Buffer | null;
  const headers = headersOf(m.headers) ?? [];
  const timestampDelta = ((m.timestamp as number | undefined) || now) - firstTimestamp;
  if (Math.abs(timestampDelta) > MAX_DELTA) return undefined;
  const keyBytes = key === null ? -1 : byteLength(key);
  const valueBytes = value === null ? -1 : byteLength(value);
  let bodyBytes =
    1 +
    varLongBytes(timestampDelta) +
    varIntBytes(offsetDelta) +
    lengthPrefixed(keyBytes) +
    lengthPrefixed(valueBytes) +
    varIntBytes(headers.length);
  for (const [, kBytes, , vBytes] of headers) bodyBytes += lengthPrefixed(kBytes) + lengthPrefixed(vBytes);
  return { key, keyBytes, value, valueBytes, headers, timestampDelta, offsetDelta, bodyBytes };
}

function writeRecord(w: Writer, r: RecordPlan): void {
  w.varInt(r.bodyBytes);
  w.int8(0);
  w.varLong(r.timestampDelta);
  w.varInt(r.offsetDelta);
  w.varBytes(r.key, r.keyBytes);
  w.varBytes(r.value, r.valueBytes);
  w.varInt(r.headers.length);
  for (const [k, kBytes, v, vBytes] of r.headers) {
    w.varBytes(k, kBytes);
    w.varBytes(v, vBytes);
  }
}

/** A key or value KafkaJS writes as is: null for none, undefined for one it would convert (I2). */
function bytesOf(v: unknown): string | Buffer | null | undefined {
  if (v == null) return null;
  return typeof v === 'string' || Buffer.isBuffer(v) ? v : undefined;
}

/** Headers in KafkaJS's order (keys in object order, array values flattened), undefined if off path. */
function headersOf(headers: unknown): (readonly [string, number, string | Buffer, number])[] | undefined {
  if (headers === undefined) return []; // KafkaJS's default; it throws on null
  if (typeof headers !== 'object' || headers === null) return undefined;
  const out: [string, number, string | Buffer, number][] = [];
  for (const [key, raw] of Object.entries(headers)) {
    for (const v of Array.isArray(raw) ? (raw as unknown[]) : [raw]) {
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined;
      out.push([key, Buffer.byteLength(key, 'utf8'), v, byteLength(v)]);
    }
  }
  return out;
}
