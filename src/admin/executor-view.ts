/**
 * What the admin routes may see of a running executor: read-only handles on its Kafka client, topics,
 * node cache and owned partitions. The executor builds one (Executor.adminView) and the admin server hands
 * it to every route module.
 *
 * I1. Read-only: nothing reachable from here writes the journal or the group's offsets, or changes the
 *     cache. A read of a partition's cache may write what its owner staged first (partition-cache.ts I6).
 */
import type { Kafka } from 'kafkajs';
import type { NodeCache } from '../cache/index.js';
import type { TopicNames } from '../journal/index.js';
import type { OwnerStats } from '../partition/index.js';

/** A partition's figures as the executor reports them. */
export type PartitionReport = OwnerStats & {
  readonly phase: string;
  readonly slot: string;
  readonly slotError?: string;
};

/** A running executor, as the admin routes see it (I1). */
export interface ExecutorView {
  readonly executorId: string;
  readonly namespace: string;
  readonly topics: TopicNames;
  readonly kafka: Kafka;
  /** Reads only (I1): a partition's cache is its owner's, so a read sees what the owner staged. */
  readonly cache: Pick<NodeCache, 'partition'>;
  /** The names of the workflows this executor runs. */
  readonly workflowNames: readonly string[];
  /** The partitions assigned here, with their owners' figures. */
  partitions(): ReadonlyMap<number, PartitionReport>;
  /** The partition a workflow id lives on. */
  partitionOf(id: string): number;
}
