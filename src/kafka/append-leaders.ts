/**
 * Where a shared append goes (append-channel.ts): the leader of its partition, from KafkaJS's metadata.
 *
 * I1. A topic's metadata is asked for by its first append; appends that arrive meanwhile wait for the
 *     same answer. Later appends read the metadata the cluster holds (refreshed when older than its
 *     `metadataMaxAge`), so a steady append asks for none.
 * I2. Once marked stale (a stale-metadata answer, a lost connection, no leader known), the next lookups
 *     wait for one refresh between them; a refresh that fails leaves it stale for the next.
 */
import { ErrorCode, LogbookError } from '../errors.js';

/** KafkaJS's cluster, as far as the lookup uses it. */
export interface MetadataCluster {
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
}

/** The leaders of partitions, for the channel's queues (I1, I2). */
export class LeaderLookup {
  private readonly topics = new Map<string, Promise<void>>();
  private stale = false;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly cluster: MetadataCluster) {}

  /** The next lookups refresh the metadata first (I2). */
  markStale(): void {
    this.stale = true;
  }

  /** The node id of `topic:partition`'s leader; a retriable error when none is known. */
  async leaderOf(topic: string, partition: number): Promise<string> {
    await this.known(topic);
    if (this.stale || this.refreshing !== undefined) await this.refresh();
    else await this.cluster.refreshMetadataIfNecessary();
    const leader = Object.keys(this.cluster.findLeaderForPartitions(topic, [partition]))[0];
    if (leader !== undefined) return leader;
    this.stale = true;
    const message = `no leader known for ${topic}:${partition}`;
    throw new LogbookError(ErrorCode.Kafka, message, { retriable: true });
  }

  private known(topic: string): Promise<void> {
    const known = this.topics.get(topic);
    if (known !== undefined) return known;
    const loading = this.cluster.addMultipleTargetTopics([topic]);
    this.topics.set(topic, loading);
    loading.catch(() => {
      if (this.topics.get(topic) === loading) this.topics.delete(topic); // the next append asks again
    });
    return loading;
  }

  private refresh(): Promise<void> {
    if (this.refreshing !== undefined) return this.refreshing;
    this.stale = false;
    this.refreshing = this.cluster
      .refreshMetadata()
      .catch((error: unknown) => {
        this.stale = true; // I2
        throw error;
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}
