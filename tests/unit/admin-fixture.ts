/**
 * Helpers for the admin workflow-route unit tests: a cache fed with journal records the way owners feed it
 * (applyRecord, then CacheChanges.record with increasing offsets), record bodies, and an ExecutorView over
 * that cache with no Kafka (the list and cache routes never touch it).
 */
import type { Kafka } from 'kafkajs';
import type { ExecutorView, PartitionReport } from '../../src/admin/executor-view.js';
import { CacheChanges, type NodeCache } from '../../src/cache/index.js';
import {
  encodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type JsonValue,
  type RecordBody,
  topicNames,
} from '../../src/journal/index.js';
import { applyRecord, type WorkflowState } from '../../src/machine/index.js';

/** A fixed start time for records. */
export const T0 = 1_700_000_000_000;

/** Record bodies by kind. */
export const body = {
  started: (workflow: string, input: JsonValue = null): RecordBody => ({
    kind: 'WorkflowStarted',
    workflow,
    input,
    idempotencyKey: null,
    parent: null,
    trace: null,
  }),
  stepStarted: (callSeq: number, name: string): RecordBody => ({
    kind: 'StepStarted',
    callSeq,
    name,
    attempt: 1,
    parentSeq: callSeq - 1,
  }),
  stepDone: (callSeq: number, name: string, result: JsonValue): RecordBody => ({
    kind: 'StepCompleted',
    callSeq,
    name,
    result,
    attempt: 1,
    startedAtMs: T0,
    durationMs: 7,
  }),
  completed: (result: JsonValue): RecordBody => ({ kind: 'WorkflowCompleted', result }),
  failed: (message: string): RecordBody => ({
    kind: 'WorkflowFailed',
    error: { name: 'TerminalError', code: 'LB_TERMINAL', message, details: null },
  }),
};

/** Feeds one partition of a node cache with records, as an owner would; offsets count from 0. */
export class CacheFeeder {
  readonly state = new Map<string, WorkflowState>();
  readonly records: { offset: number; record: JournalRecord }[] = [];
  private readonly seqs = new Map<string, number>();
  private offset = 0;

  constructor(
    private readonly cache: NodeCache,
    private readonly partition: number,
  ) {}

  /** Applies `items` in one batch and writes it. */
  async write(items: readonly (readonly [string, RecordBody])[], atMs = T0): Promise<void> {
    const changes = new CacheChanges(this.partition);
    for (const [workflowId, b] of items) {
      const seq = (this.seqs.get(workflowId) ?? 0) + 1;
      this.seqs.set(workflowId, seq);
      const record: JournalRecord = { schemaVersion: JOURNAL_SCHEMA_VERSION, workflowId, seq, atMs, body: b };
      const offset = this.offset++;
      this.records.push({ offset, record });
      const ws = applyRecord(this.state, record, changes);
      if (ws !== undefined) changes.record(ws, record, encodeRecord(record), offset);
    }
    await this.cache.partition(this.partition).write(changes, {
      journalOffset: this.offset - 1,
      commandOffset: 0,
      epoch: 0,
    });
  }
}

/** A view of `cache` owning `owned`, placing ids with `partitionOf`; it has no Kafka. */
export function cacheView(
  cache: NodeCache,
  owned: readonly number[],
  partitionOf: (id: string) => number,
): ExecutorView {
  const report = { phase: 'running', slot: 'running' } as unknown as PartitionReport;
  return {
    executorId: 'exec-test',
    namespace: 'unit',
    topics: topicNames('unit'),
    kafka: {} as Kafka,
    cache,
    workflowNames: ['trip', 'order'],
    partitions: () => new Map(owned.map((p) => [p, report])),
    partitionOf,
  };
}
