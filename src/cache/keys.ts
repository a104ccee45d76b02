/**
 * The cache's keyspace: binary keys that sort the way the cache reads them. Never change a layout without
 * bumping CACHE_FORMAT: a node restarting on an old state dir finds the old format and rebuilds (I3).
 *
 *   format                                  → CACHE_FORMAT
 *   'c' p                                   → checkpoint of partition p (JSON)
 *   'w' p id                                → a running (or stuck) workflow's state (JSON, bounded: state.ts I2)
 *   'a' p id                                → (empty) the workflow needs its body now (not wakeable, state.ts)
 *   'd' p id                                → a finished workflow's summary, or its tombstone past retention
 *   'x' p finishedAtMs id                   → (empty) retention index of 'd'
 *   'h' p idLength id seq                   → one journal record of a running workflow: the Kafka value bytes
 *   't' p fireAtMs idLength id timerId      → (empty) a pending timer
 *   'z' p id                                → a finished workflow whose history keys are still to delete: the
 *                                             first and last seq of them (4 bytes each, BE)
 *   's' p id                                → journal offset of the workflow's WorkflowStarted (8 bytes, BE);
 *                                             kept as long as its 'd' entry, so a finished workflow's
 *                                             history can be read back from the journal (admin routes)
 *
 * I1. p is 4 bytes, lengths 2 bytes, seq 4 bytes, times 8 bytes, all big-endian unsigned, so byte order is
 *     numeric order; every variable-length part is either last or length-prefixed, so no id is a prefix
 *     problem for another (ids may hold any UTF-8, '/' and NUL included).
 * I2. Each tag and partition is a contiguous range: `partitionRange(tag, p)` covers it exactly.
 * I3. CACHE_FORMAT names this layout; a store holding another format is cleared and rebuilt from the journal.
 */

/** The layout's name (I3). Change it whenever a key or value layout changes. */
export const CACHE_FORMAT = 'logbook-cache/5';

/** The key holding the format: a single 0 byte sorts before every tagged key. */
export const FORMAT_KEY = Buffer.from([0]);

/** Key tags (I2). */
export const Tag = {
  checkpoint: 0x63, // c
  workflow: 0x77, // w
  active: 0x61, // a
  done: 0x64, // d
  retention: 0x78, // x
  history: 0x68, // h
  timer: 0x74, // t
  purge: 0x7a, // z
  start: 0x73, // s
} as const;

type TagValue = (typeof Tag)[keyof typeof Tag];

function prefix(tag: TagValue, p: number, extra: number): Buffer {
  const key = Buffer.allocUnsafe(5 + extra);
  key[0] = tag;
  key.writeUInt32BE(p, 1);
  return key;
}

function lengthPrefixed(id: string): Buffer {
  const bytes = Buffer.from(id, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** The range of every key of `tag` for partition `p` (I2). */
export function partitionRange(tag: TagValue, p: number): { gte: Buffer; lt: Buffer } {
  const gte = prefix(tag, p, 0);
  if (p === 0xffffffff) return { gte, lt: Buffer.from([tag + 1]) };
  const lt = Buffer.from(gte);
  lt.writeUInt32BE(p + 1, 1);
  return { gte, lt };
}

/** 'c' p. */
export function checkpointKey(p: number): Buffer {
  return prefix(Tag.checkpoint, p, 0);
}

/** A per-workflow key: tag p id (id last, I1). */
export function workflowKey(tag: WorkflowKeyTag, p: number, id: string): Buffer {
  return Buffer.concat([prefix(tag, p, 0), Buffer.from(id, 'utf8')]);
}

/** The tags of per-workflow keys ('tag p id'). */
export type WorkflowKeyTag =
  | typeof Tag.workflow
  | typeof Tag.active
  | typeof Tag.done
  | typeof Tag.purge
  | typeof Tag.start;

/**
 * The per-workflow keys of `tag` in partition p whose id sorts after `afterId` (all of them when
 * undefined), in id byte order. The first key after 'tag p id' is 'tag p id 0x00' (I1: the id is last).
 */
export function workflowRangeAfter(
  tag: WorkflowKeyTag,
  p: number,
  afterId: string | undefined,
): { gte: Buffer; lt: Buffer } {
  const all = partitionRange(tag, p);
  if (afterId === undefined) return all;
  return { gte: Buffer.concat([workflowKey(tag, p, afterId), Buffer.from([0])]), lt: all.lt };
}

/** The id at the end of a per-workflow key. */
export function idOfWorkflowKey(key: Buffer): string {
  return key.subarray(5).toString('utf8');
}

/** The value of an 's' key: a journal offset, 8 bytes big-endian. Never change it (CACHE_FORMAT). */
export function startOffsetValue(offset: number): Buffer {
  return time(offset);
}

/** Reads an 's' value back. */
export function parseStartOffsetValue(value: Buffer): number {
  return Number(value.readBigUInt64BE(0));
}

/** The value of a 'z' key: the seqs `fromSeq`..`throughSeq` of the history keys still to delete. */
export function purgeValue(fromSeq: number, throughSeq: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(fromSeq, 0);
  out.writeUInt32BE(throughSeq, 4);
  return out;
}

/** Reads a 'z' value back. */
export function parsePurgeValue(value: Buffer): { fromSeq: number; throughSeq: number } {
  return { fromSeq: value.readUInt32BE(0), throughSeq: value.readUInt32BE(4) };
}

/** 'h' p idLength id — the prefix of one workflow's history. */
export function historyPrefix(p: number, id: string): Buffer {
  return Buffer.concat([prefix(Tag.history, p, 0), lengthPrefixed(id)]);
}

/** 'h' p idLength id seq. */
export function historyKey(p: number, id: string, seq: number): Buffer {
  const seqBytes = Buffer.allocUnsafe(4);
  seqBytes.writeUInt32BE(seq, 0);
  return Buffer.concat([historyPrefix(p, id), seqBytes]);
}

/** The range of one workflow's history, in seq order. */
export function historyRange(p: number, id: string): { gte: Buffer; lt: Buffer } {
  const base = historyPrefix(p, id);
  const gte = Buffer.concat([base, Buffer.alloc(4, 0)]);
  const lt = Buffer.concat([base, Buffer.alloc(4, 0xff), Buffer.from([0xff])]);
  return { gte, lt };
}

/** The range of one workflow's history from seq `fromSeq` on, in seq order. */
export function historyRangeFrom(p: number, id: string, fromSeq: number): { gte: Buffer; lt: Buffer } {
  const range = historyRange(p, id);
  if (fromSeq <= 0) return range;
  return { gte: historyKey(p, id, Math.min(fromSeq, 0xffffffff)), lt: range.lt };
}

function time(ms: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(ms))), 0);
  return out;
}

/** The part of a timer key after its fire time: idLength id timerId (the queue's sortKey). */
export function timerSortKey(id: string, timerId: string): Buffer {
  return Buffer.concat([lengthPrefixed(id), Buffer.from(timerId, 'utf8')]);
}

/** 't' p fireAtMs idLength id timerId. */
export function timerKey(p: number, fireAtMs: number, id: string, timerId: string): Buffer {
  return Buffer.concat([prefix(Tag.timer, p, 0), time(fireAtMs), timerSortKey(id, timerId)]);
}

/** Reads a timer key back. */
export function parseTimerKey(key: Buffer): {
  fireAtMs: number;
  workflowId: string;
  timerId: string;
  sortKey: Buffer;
} {
  const fireAtMs = Number(key.readBigUInt64BE(5));
  const idLength = key.readUInt16BE(13);
  const workflowId = key.subarray(15, 15 + idLength).toString('utf8');
  const timerId = key.subarray(15 + idLength).toString('utf8');
  return { fireAtMs, workflowId, timerId, sortKey: key.subarray(13) };
}

/** 'x' p finishedAtMs id. */
export function retentionKey(p: number, finishedAtMs: number, id: string): Buffer {
  return Buffer.concat([prefix(Tag.retention, p, 0), time(finishedAtMs), Buffer.from(id, 'utf8')]);
}

/** Reads a retention key back. */
export function parseRetentionKey(key: Buffer): { finishedAtMs: number; workflowId: string } {
  return { finishedAtMs: Number(key.readBigUInt64BE(5)), workflowId: key.subarray(13).toString('utf8') };
}

/** The 'x' range of partition p for workflows finished before `beforeMs`. */
export function retentionRangeBefore(p: number, beforeMs: number): { gte: Buffer; lt: Buffer } {
  return {
    gte: prefix(Tag.retention, p, 0),
    lt: Buffer.concat([prefix(Tag.retention, p, 0), time(beforeMs)]),
  };
}

/** The 't' key from which timers at or after `entry` start (undefined: the partition's first). */
export function timerRangeFrom(
  p: number,
  from: { fireAtMs: number; sortKey: Buffer } | undefined,
): { gte: Buffer; lt: Buffer } {
  const all = partitionRange(Tag.timer, p);
  if (from === undefined) return all;
  return { gte: Buffer.concat([all.gte, time(from.fireAtMs), from.sortKey]), lt: all.lt };
}
