/**
 * Building cache batches as an owner does, for the cache's tests: journal record bodies, a Batcher that
 * applies records to states and collects them in a CacheChanges, and the keys a store holds under a tag.
 */
import { CacheChanges, type KvStore } from '../../src/cache/index.js';
import { partitionRange, type Tag } from '../../src/cache/keys.js';
import {
  encodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type RecordBody,
} from '../../src/journal/index.js';
import { applyRecord, type WorkflowState } from '../../src/machine/index.js';

export const P = 5;
export const T0 = 1_700_000_000_000;

export const started: RecordBody = {
  kind: 'WorkflowStarted',
  workflow: 'w',
  input: { n: 1 },
  idempotencyKey: null,
  parent: null,
  trace: null,
};
export const stepStarted = (callSeq: number): RecordBody => ({
  kind: 'StepStarted',
  callSeq,
  name: 's',
  attempt: 1,
  parentSeq: callSeq - 1,
});
export const stepDone = (callSeq: number): RecordBody => ({
  kind: 'StepCompleted',
  callSeq,
  name: 's',
  result: { ok: callSeq },
  attempt: 1,
  startedAtMs: T0,
  durationMs: 1,
});
export const sleep = (callSeq: number, fireAtMs: number): RecordBody => ({
  kind: 'TimerScheduled',
  timerId: `sleep:${callSeq}`,
  callSeq,
  purpose: 'sleep',
  fireAtMs,
  parentSeq: callSeq - 1,
});
export const signal = (n: number): RecordBody => ({ kind: 'SignalReceived', name: 'tick', payload: n });

/** Applies records to a state as the owner does, collecting one batch; journal offsets count from `offset`. */
export class Batcher {
  readonly state = new Map<string, WorkflowState>();
  private readonly seqs = new Map<string, number>();
  readonly records: JournalRecord[] = [];
  offset = 100;

  batch(items: readonly (readonly [string, RecordBody])[], atMs = T0): CacheChanges {
    const changes = new CacheChanges(P);
    for (const [workflowId, body] of items) {
      const seq = (this.seqs.get(workflowId) ?? 0) + 1;
      this.seqs.set(workflowId, seq);
      const record: JournalRecord = { schemaVersion: JOURNAL_SCHEMA_VERSION, workflowId, seq, atMs, body };
      this.records.push(record);
      const ws = applyRecord(this.state, record, changes);
      if (ws !== undefined) changes.record(ws, record, encodeRecord(record), this.offset++);
    }
    return changes;
  }

  valuesOf(id: string): Buffer[] {
    return this.records.filter((r) => r.workflowId === id).map((r) => encodeRecord(r));
  }
}

export async function keysOf(store: KvStore, tag: (typeof Tag)[keyof typeof Tag], p = P): Promise<string[]> {
  const out: string[] = [];
  for await (const [key] of store.entries(partitionRange(tag, p))) out.push(key.toString('hex'));
  return out;
}
