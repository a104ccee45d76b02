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
 * I3. A frozen header object whose values are all strings is measured and encoded to UTF-8 once, at its
 *     first request, and remembered by identity: its keys and values cannot change (strings are
 *     immutable), so every later request writes the same bytes it would have.
 * I4. A partition may name its batch's own producer id and epoch (append-channel.ts: one request for
 *     several owners). KafkaJS's encoder knows no such thing, so a request with one must be on the path
 *     (I2); produce-encoding-patch.ts refuses it otherwise rather than hand it to KafkaJS.
 */

import { type Header, headersOf } from './produce-headers.js';
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
  /** This partition's batch's own producer id and epoch, over the request's (I4); never KafkaJS's. */
  readonly producer?: PartitionProducer | undefined;
}

/** A producer id (a number or a KafkaJS Long) and epoch of one partition's batch (I4). */
export interface PartitionProducer {
  readonly id: unknown;
  readonly epoch: number;
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
/**
 * Timestamps within this of 0 (year 37,000), the clock's among them, keep every delta within 2^51, where
 * the writer's varlongs are exact (wire-writer.ts I1); a request with another goes to KafkaJS (I2).
 */
const MAX_TIMESTAMP = 2 ** 50;
const RECORD_BATCH_HEADER = 8 + 4 + 4 + 1 + 4; // first offset, length, leader epoch, magic, crc
const BATCH_BODY_HEADER = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4; // attributes … first sequence, record count

type Bytes = string | Buffer | null;

/** A record as it will be written; its delta and size wait for its partition's clock read. */
interface RecordPlan {
  readonly key: Bytes;
  readonly keyBytes: number;
  readonly value: Bytes;
  readonly valueBytes: number;
  readonly headers: readonly Header[];
  readonly timestamp: number | null;
  timestampDelta: number;
  bodyBytes: number;
}

interface PartitionPlan {
  readonly data: ProducePartitionData;
  readonly records: readonly RecordPlan[];
  firstTimestamp: number;
  maxTimestamp: number;
  bodyBytes: number;
}

interface TopicPlan {
  readonly topic: string;
  readonly partitions: readonly PartitionPlan[];
}

/** The request body's bytes, or undefined when KafkaJS's own encoder must write it (I2). */
export function encodeProduceBody(args: ProduceRequestArgs, deps: ProduceEncodingDeps): Buffer | undefined {
  const topics = planRequest(args); // before the first now(): KafkaJS would call it again (I2)
  if (topics === undefined) return undefined;
  const transactionalId = args.transactionalId ?? null;
  let size = nullableStringBytes(transactionalId) + 2 + 4 + 4;
  for (const { topic, partitions } of topics) {
    size += 2 + Buffer.byteLength(topic, 'utf8') + 4;
    for (const p of partitions) size += 4 + 4 + RECORD_BATCH_HEADER + sizePartition(p, deps.now());
  }

  const w = new Writer(Buffer.allocUnsafe(size));
  w.nullableString(transactionalId);
  w.int16(args.acks);
  w.int32(args.timeout);
  w.int32(topics.length);
  const attributes = transactionalId ? TRANSACTIONAL : 0;
  const firstOffset = deps.int64(0);
  let producerId: Int64 | undefined; // converted where KafkaJS converts it: at a partition's batch
  for (const { topic, partitions } of topics) {
    w.string(topic);
    w.int32(partitions.length);
    for (const p of partitions) {
      w.int32(p.data.partition);
      w.int32(RECORD_BATCH_HEADER + p.bodyBytes);
      w.int64(firstOffset);
      w.int32(4 + 1 + 4 + p.bodyBytes);
      w.int32(0); // partition leader epoch
      w.int8(MAGIC);
      const crcAt = w.skip(4);
      const bodyAt = w.offset;
      w.int16(attributes);
      w.int32(p.records.length - 1);
      w.int64(deps.int64(p.firstTimestamp));
      w.int64(deps.int64(p.maxTimestamp));
      const own = p.data.producer; // I4
      if (own === undefined) {
        producerId ??= deps.int64(args.producerId ?? -1);
        w.int64(producerId);
        w.int16(args.producerEpoch ?? 0);
      } else {
        w.int64(deps.int64(own.id));
        w.int16(own.epoch);
      }
      w.int32(p.data.firstSequence ?? 0);
      w.int32(p.records.length);
      for (const [offsetDelta, r] of p.records.entries()) writeRecord(w, r, offsetDelta);
      w.buf.writeUInt32BE(deps.crc32c(w.buf.subarray(bodyAt, w.offset)), crcAt);
    }
  }
  return w.buf;
}

/**
 * Every record of the request with its key, value and headers measured, or undefined if any field is one
 * KafkaJS would not write as it is (I2): compressed, null where KafkaJS defaults only undefined, a value it
 * would coerce, an array with holes. Reads no clock.
 */
function planRequest(args: ProduceRequestArgs): TopicPlan[] | undefined {
  const fieldsOnPath =
    (args.compression === undefined || args.compression === 0) &&
    Number.isInteger(args.acks) &&
    Number.isInteger(args.timeout) &&
    args.producerId !== null &&
    (args.producerEpoch === undefined || Number.isInteger(args.producerEpoch)) &&
    dense(args.topicData);
  if (!fieldsOnPath) return undefined;
  const topics: TopicPlan[] = [];
  for (const { topic, partitions: data } of args.topicData) {
    if (typeof topic !== 'string' || !dense(data)) return undefined;
    const partitions: PartitionPlan[] = [];
    for (const p of data) {
      const partitionOnPath =
        Number.isInteger(p.partition) &&
        (p.firstSequence === undefined || Number.isInteger(p.firstSequence)) &&
        (p.producer === undefined || (p.producer.id != null && Number.isInteger(p.producer.epoch))) &&
        dense(p.messages);
      if (!partitionOnPath) return undefined;
      const records: RecordPlan[] = [];
      for (const m of p.messages) {
        const record = planRecord(m);
        if (record === undefined) return undefined;
        records.push(record);
      }
      partitions.push({ data: p, records, firstTimestamp: 0, maxTimestamp: 0, bodyBytes: 0 });
    }
    topics.push({ topic, partitions });
  }
  return topics;
}

function planRecord(m: unknown): RecordPlan | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const { key, value, headers: rawHeaders, timestamp } = m as ProduceMessage;
  const k = bytesOf(key);
  const v = bytesOf(value);
  const headers = headersOf(rawHeaders);
  if (k === undefined || v === undefined || headers === undefined) return undefined;
  const stampOnPath =
    timestamp == null || (Number.isSafeInteger(timestamp) && Math.abs(timestamp as number) <= MAX_TIMESTAMP);
  if (!stampOnPath) return undefined;
  return {
    key: k,
    keyBytes: k === null ? -1 : byteLength(k),
    value: v,
    valueBytes: v === null ? -1 : byteLength(v),
    headers,
    timestamp: (timestamp as number | null | undefined) ?? null,
    timestampDelta: 0,
    bodyBytes: 0,
  };
}

/** Fills in the partition's timestamps, deltas and sizes from its clock read `now` (I1); its body's bytes. */
function sizePartition(p: PartitionPlan, now: number): number {
  const stamps: number[] = [];
  for (const r of p.records) if (r.timestamp !== null) stamps.push(r.timestamp);
  stamps.sort(); // as KafkaJS does: as strings (I1)
  p.firstTimestamp = stamps[0] ?? now;
  p.maxTimestamp = stamps.at(-1) ?? now;
  p.bodyBytes = BATCH_BODY_HEADER;
  for (const [offsetDelta, r] of p.records.entries()) {
    r.timestampDelta = (r.timestamp || now) - p.firstTimestamp; // a 0 timestamp takes the clock, as in KafkaJS
    r.bodyBytes =
      1 +
      varLongBytes(r.timestampDelta) +
      varIntBytes(offsetDelta) +
      lengthPrefixed(r.keyBytes) +
      lengthPrefixed(r.valueBytes) +
      varIntBytes(r.headers.length);
    for (const [, keyBytes, , valueBytes] of r.headers)
      r.bodyBytes += lengthPrefixed(keyBytes) + lengthPrefixed(valueBytes);
    p.bodyBytes += varIntBytes(r.bodyBytes) + r.bodyBytes;
  }
  return p.bodyBytes;
}

function writeRecord(w: Writer, r: RecordPlan, offsetDelta: number): void {
  w.varInt(r.bodyBytes);
  w.int8(0); // attributes
  w.varLong(r.timestampDelta);
  w.varInt(offsetDelta);
  w.varBytes(r.key, r.keyBytes);
  w.varBytes(r.value, r.valueBytes);
  w.varInt(r.headers.length);
  for (const [key, keyBytes, value, valueBytes] of r.headers) {
    w.varBytes(key, keyBytes);
    w.varBytes(value, valueBytes);
  }
}

/** A real array with no holes: KafkaJS iterates some with `for…of` and counts others by `length`. */
function dense(xs: unknown): xs is readonly unknown[] {
  if (!Array.isArray(xs)) return false;
  for (let i = 0; i < xs.length; i++) if (!(i in xs)) return false;
  return true;
}

/** A key or value KafkaJS writes as is: null for none, undefined for one it would convert (I2). */
function bytesOf(v: unknown): Bytes | undefined {
  if (v == null) return null;
  return typeof v === 'string' || Buffer.isBuffer(v) ? v : undefined;
}
