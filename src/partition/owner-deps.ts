/** Everything a partition owner needs from outside (the executor wires Kafka; a simulation wires memory). */
import type { PartitionCache } from '../cache/index.js';
import type { Clock } from '../clock.js';
import type { TopicNames } from '../journal/index.js';
import type { Logger } from '../logging/index.js';
import type { AnyWorkflowDefinition } from '../workflow/index.js';
import type { OwnerLimits } from './owner-config.js';
import type { JournalReader, JournalWriter, TopicCatalog } from './ports.js';
import type { TickObserver } from './tick-observer.js';

/** A claim this process wrote earlier for the partition; a restarted owner may keep it (claim.ts I3). */
export interface PriorClaim {
  readonly offset: number;
}

/** Everything an owner needs from outside. */
export interface OwnerDeps {
  readonly writer: JournalWriter;
  readonly reader: JournalReader;
  /**
   * Reads the owner's partition of `ns.events`; with the writer's `fence`, it lets ticks send their events
   * after their journal records (tick-events.ts). Absent: events always ride in a transaction.
   */
  readonly eventsReader?: JournalReader;
  readonly catalog: TopicCatalog;
  readonly cache: PartitionCache;
  readonly topics: TopicNames;
  readonly groupId: string;
  readonly partition: number;
  readonly executorId: string;
  readonly workflows: ReadonlyMap<string, AnyWorkflowDefinition>;
  /** Kafka's default partitioner (murmur2) over the namespace's partitions, for misrouted commands. */
  readonly partitionOf: (id: string) => number;
  readonly limits: OwnerLimits;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The committed command offset of this partition, read after fencing (owner.ts I3). */
  readonly committedCommandOffset: number;
  readonly priorClaim?: PriorClaim;
  /** Told of every committed tick (tick-observer.ts); absent: nobody listens (no admin server). */
  readonly tickObserver?: TickObserver;
}
