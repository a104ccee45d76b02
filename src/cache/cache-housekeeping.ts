/**
 * A partition cache's housekeeping (partition-cache.ts calls these after its writes settled): finished
 * summaries shrink to tombstones past their retention, and finished workflows' histories are deleted a
 * bounded number of keys at a time (cache-changes.ts I2).
 */
import {
  historyKey,
  idOfWorkflowKey,
  parsePurgeValue,
  parseRetentionKey,
  partitionRange,
  purgeValue,
  retentionRangeBefore,
  Tag,
  workflowKey,
} from './keys.js';
import type { KvOp, KvStore } from './kv-store.js';
import { decodeDone, encodeDone } from './state-codec.js';

/** Queue entries one `purgeHistories` round reads, at most: finished workflows whose history it deletes. */
export const PURGE_QUEUE_READ_MAX = 100;

/**
 * Shrinks up to `limit` summaries of workflows that finished before `beforeMs` to tombstones
 * (state-codec.ts I1); returns how many. Their ids stay known, so a duplicate start is still recognised.
 */
export async function expireSummaries(
  store: KvStore,
  p: number,
  beforeMs: number,
  limit: number,
): Promise<number> {
  const ops: KvOp[] = [];
  const keys: Buffer[] = [];
  for await (const [key] of store.entries({
    ...retentionRangeBefore(p, beforeMs),
    limit,
  }))
    keys.push(key);
  const ids = keys.map((k) => parseRetentionKey(k).workflowId);
  const values = await store.getMany(ids.map((id) => workflowKey(Tag.done, p, id)));
  for (const [i, key] of keys.entries()) {
    ops.push({ type: 'del', key });
    const value = values[i];
    const id = ids[i];
    if (value === undefined || id === undefined) continue;
    const done = decodeDone(value);
    if (!done.tombstone)
      ops.push({
        type: 'put',
        key: workflowKey(Tag.done, p, id),
        value: encodeDone(done.state, done.terminalOffset, true),
      });
  }
  if (ops.length > 0) await store.write(ops);
  return keys.length;
}

/**
 * Deletes up to `limit` history keys of finished workflows (cache-changes.ts I2); returns how many, with
 * the queue entries it emptied. Bounded: a long history goes over several calls. The queue entries name
 * the keys' seqs, so nothing is read but the queue and everything goes in one write: a round of a
 * hundred finished workflows took 20–40 ms when each one's history was read to find its keys.
 */
export async function purgeHistories(store: KvStore, p: number, limit: number): Promise<number> {
  const ops: KvOp[] = [];
  let deleted = 0;
  for await (const [marker, value] of store.entries({
    ...partitionRange(Tag.purge, p),
    limit: PURGE_QUEUE_READ_MAX,
  })) {
    const id = idOfWorkflowKey(marker);
    const { fromSeq, throughSeq } = parsePurgeValue(value);
    const lastSeq = Math.min(throughSeq, fromSeq + (limit - deleted) - 1);
    for (let seq = fromSeq; seq <= lastSeq; seq++) ops.push({ type: 'del', key: historyKey(p, id, seq) });
    deleted += Math.max(0, lastSeq - fromSeq + 1);
    if (lastSeq >= throughSeq) {
      ops.push({ type: 'del', key: marker });
      deleted++;
    } else ops.push({ type: 'put', key: marker, value: purgeValue(lastSeq + 1, throughSeq) });
    if (deleted >= limit) break;
  }
  if (ops.length > 0) await store.write(ops);
  return deleted;
}
