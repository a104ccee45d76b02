/**
 * Makes partition owners with their Kafka edges: a transactional writer (which fences every earlier
 * holder of the partition's transactional ids when it connects), a journal reader and the shared topic
 * catalog and cache.
 *
 * I1. A tick's journal batch always fits the journal topic: `tickBytesMax` is lowered to half of the
 *     topic's `max.message.bytes` when that is smaller, read once at start (tick.ts I3). The events a
 *     single-produce tick's last record holds (tick-events.ts I2) fit beside them: `appendEventsBytesMax`
 *     is lowered to a quarter of the journal's limit, and to half of the events topic's.
 * I2. With `sharedAppends`, every owner's writer sends its single produces through one AppendChannel of
 *     the node (kafka/append-channel.ts), connected by `openChannel` at the executor's start and closed by
 *     `close`.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { NodeCache } from '../cache/index.js';
import { systemClock } from '../clock.js';
import type { TopicNames } from '../journal/index.js';
import {
  AppendChannel,
  type AppendChannelStats,
  committedOffset,
  KafkaJournalReader,
  maxMessageBytes,
  TickWriter,
} from '../kafka/index.js';
import {
  type OwnerStats,
  PartitionOwner,
  type PriorClaim,
  type TickObserver,
  type TopicCatalog,
} from '../partition/index.js';
import type { ExecutorConfig } from './executor-options.js';

/** What the factory needs. */
export interface OwnerFactoryDeps {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly cache: NodeCache;
  readonly config: ExecutorConfig;
  readonly topics: TopicNames;
  readonly groupId: string;
  readonly catalog: TopicCatalog;
  readonly partitionOf: (id: string) => number;
  /** Told of every committed tick of every owner (the admin metrics); absent: no observer. */
  readonly tickObserver?: TickObserver;
}

/** Makes and disposes owners for an executor. */
export class OwnerFactory {
  private readonly writers = new Map<PartitionOwner, TickWriter>();
  private readonly last = new Map<number, OwnerStats>();
  private tickBytesMax: number;
  private appendEventsBytesMax: number;
  private channel: AppendChannel | undefined;

  constructor(private readonly deps: OwnerFactoryDeps) {
    this.tickBytesMax = deps.config.limits.tickBytesMax;
    this.appendEventsBytesMax = deps.config.limits.appendEventsBytesMax;
  }

  /** Reads the journal and events topics' max.message.bytes and fits the tick budgets under them (I1). */
  async fitTickToJournal(): Promise<void> {
    const { journal, events } = this.deps.topics;
    const limits = await maxMessageBytes(this.deps.admin, [journal, events]);
    const journalMax = limits.get(journal);
    const eventsMax = limits.get(events);
    if (journalMax !== undefined) {
      this.tickBytesMax = Math.min(this.tickBytesMax, Math.floor(journalMax / 2));
      this.appendEventsBytesMax = Math.min(this.appendEventsBytesMax, Math.floor(journalMax / 4));
    }
    if (eventsMax !== undefined)
      this.appendEventsBytesMax = Math.min(this.appendEventsBytesMax, Math.floor(eventsMax / 2));
  }

  /** An owner of partition `p`, not started yet; its writer has fenced every earlier one. */
  async make(
    p: number,
    priorClaim: PriorClaim | undefined,
    onFailure: (owner: PartitionOwner, error: unknown) => void,
  ): Promise<PartitionOwner> {
    const { kafka, admin, config, topics, groupId, tickObserver } = this.deps;
    const writer = await TickWriter.connect(kafka, `${config.namespace}.p${p}`, this.channel);
    try {
      const committed = await committedOffset(admin, groupId, topics.commands, p);
      const owner = new PartitionOwner(
        {
          writer,
          reader: new KafkaJournalReader(kafka, admin, topics.journal, p, `${groupId}.catch-up`),
          eventsReader: new KafkaJournalReader(kafka, admin, topics.events, p, `${groupId}.catch-up`),
          catalog: this.deps.catalog,
          cache: this.deps.cache.owned(p),
          topics,
          groupId,
          partition: p,
          executorId: config.executorId,
          workflows: config.workflows,
          partitionOf: this.deps.partitionOf,
          limits: {
            ...config.limits,
            tickBytesMax: this.tickBytesMax,
            appendEventsBytesMax: this.appendEventsBytesMax,
          },
          logger: config.logger,
          clock: systemClock,
          committedCommandOffset: committed,
          ...(priorClaim === undefined ? {} : { priorClaim }),
          ...(tickObserver === undefined ? {} : { tickObserver }),
        },
        onFailure,
      );
      this.writers.set(owner, writer);
      this.last.set(p, owner.stats);
      return owner;
    } catch (error) {
      await writer.close();
      throw error;
    }
  }

  /** Closes what `make` connected for `owner`. */
  async dispose(owner: PartitionOwner): Promise<void> {
    const writer = this.writers.get(owner);
    this.writers.delete(owner);
    await writer?.close();
  }

  /** Connects the node's AppendChannel (I2) when appends are shared; called once, at the executor's start. */
  async openChannel(): Promise<void> {
    const { limits } = this.deps.config;
    if (!limits.sharedAppends) return;
    this.channel = await AppendChannel.connect(this.deps.kafka, {
      inFlight: limits.appendRequestsInFlight,
      requestBytesMax: limits.appendRequestBytesMax,
      retries: limits.appendRetries,
      retryBackoffMs: limits.appendRetryBackoffMs,
    });
  }

  /** What the channel has sent (I2); undefined when appends are not shared. */
  appendStats(): AppendChannelStats | undefined {
    return this.channel?.stats;
  }

  /** Disconnects the channel, once every owner is disposed. */
  async close(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
  }

  /** The counters of the last owner made for `p` (a slot backing off still reports them). */
  lastStats(p: number): OwnerStats | undefined {
    return this.last.get(p);
  }
}
