/**
 * The dependencies of a partition owner on the simulated Kafka (partition/owner-deps.ts), so every test
 * that drives a real PartitionOwner without a broker builds it the same way.
 */
import type { PartitionCache } from '../../../src/cache/index.js';
import { topicNames } from '../../../src/journal/index.js';
import type { Logger } from '../../../src/logging/index.js';
import {
  defaultOwnerLimits,
  type JournalWriter,
  type OwnerDeps,
  type OwnerLimits,
} from '../../../src/partition/index.js';
import type { AnyWorkflowDefinition } from '../../../src/workflow/index.js';
import type { VirtualClock } from './sim-clock.js';
import { SimCatalog, type SimKafka, SimReader } from './sim-kafka.js';

/** The simulated namespace and its topics. */
export const SIM_NS = 'sim';
export const SIM_TOPICS = topicNames(SIM_NS);

/** What differs between the owners a test makes; the rest is the sim's. */
export interface SimOwnerParts {
  readonly partition: number;
  readonly cache: PartitionCache;
  readonly workflows: readonly AnyWorkflowDefinition[];
  readonly clock: VirtualClock;
  readonly executorId?: string;
  readonly limits?: Partial<OwnerLimits>;
  readonly logger?: Logger;
  /** Wraps the sim's transactional writer (to refuse records, say). */
  readonly writer?: (inner: JournalWriter) => JournalWriter;
  readonly committedCommandOffset?: number;
  /**
   * Gives the owner a writer that fences appends at its claim (FencingSimWriter) and a reader of its events
   * partition, so ticks may send events after their records.
   */
  readonly eventsAfterJournal?: boolean;
}

/** A partition owner's dependencies on `kafka`. */
export function simOwnerDeps(kafka: SimKafka, parts: SimOwnerParts): OwnerDeps {
  const p = parts.partition;
  const writer = kafka.writer(`${SIM_NS}.p${p}`, parts.eventsAfterJournal === true);
  return {
    writer: parts.writer?.(writer) ?? writer,
    reader: new SimReader(kafka, SIM_TOPICS.journal, p),
    ...(parts.eventsAfterJournal === true
      ? { eventsReader: new SimReader(kafka, SIM_TOPICS.events, p) }
      : {}),
    catalog: new SimCatalog(kafka),
    cache: parts.cache,
    topics: SIM_TOPICS,
    groupId: `${SIM_NS}.executors`,
    partition: p,
    executorId: parts.executorId ?? 'node-0',
    workflows: new Map(parts.workflows.map((w) => [w.name, w])),
    partitionOf: (id) => kafka.partitionOf(id),
    limits: { ...defaultOwnerLimits, ...parts.limits },
    logger: parts.logger ?? { log: () => undefined },
    clock: parts.clock,
    committedCommandOffset: parts.committedCommandOffset ?? 0,
  };
}
