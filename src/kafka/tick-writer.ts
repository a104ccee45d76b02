/**
 * Writes one tick of a partition in one Kafka transaction: journal records, events, dead letters,
 * emits and routed commands, plus the consumed command offset (DESIGN §3, group commit).
 *
 * I1. All or nothing: either every message and the offset commit, or none is visible to read_committed
 *     readers. On any failure the transaction is aborted (best effort) and the error rethrown.
 * I2. A fencing error (a newer owner holds the transactional id) surfaces as FencedError: this owner must
 *     stop at once and never retry.
 * I3. `sendOffsets` is wrapped in the CONCURRENT_TRANSACTIONS retry (KafkaJS does not retry it).
 */
import type { Kafka, Producer } from 'kafkajs';
import { ErrorCode, errorMessage, FencedError, LogbookError } from '../errors.js';
import { retryConcurrentTransactions } from './concurrent-transactions.js';
import { connectTransactionalProducer, isFencingError } from './transactional-producer.js';

/** A message to write, in Logbook's terms. */
export interface OutMessage {
  readonly topic: string;
  /** Explicit partition; absent means Kafka's default (murmur2) partitioner on the key. */
  readonly partition?: number;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where to commit consumed command offsets. */
export interface OffsetCommit {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: number;
}

/** Base offsets the broker assigned, by `topic:partition`. */
export type BaseOffsets = ReadonlyMap<string, number>;

/** One partition owner's transactional writer. */
export class TickWriter {
  private constructor(private readonly producer: Producer) {}

  /** Connects and fences every earlier holder of `transactionalId`. */
  static async connect(kafka: Kafka, transactionalId: string): Promise<TickWriter> {
    try {
      return new TickWriter(await connectTransactionalProducer(kafka, { transactionalId }));
    } catch (error) {
      throw new LogbookError(
        ErrorCode.Kafka,
        `cannot start transactional producer ${transactionalId}: ${errorMessage(error)}`,
        {
          retriable: true,
          cause: error,
        },
      );
    }
  }

  /** Writes `messages` and `offsets` in one transaction (I1–I3). */
  async write(messages: readonly OutMessage[], offsets: OffsetCommit | undefined): Promise<BaseOffsets> {
    const txn = await this.producer.transaction();
    try {
      const byTopic = new Map<string, OutMessage[]>();
      for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      const metadata =
        byTopic.size === 0
          ? []
          : await txn.sendBatch({
              acks: -1,
              topicMessages: [...byTopic].map(([topic, list]) => ({
                topic,
                messages: list.map((m) => ({
                  key: m.key,
                  value: m.value,
                  ...(m.partition === undefined ? {} : { partition: m.partition }),
                  ...(m.headers === undefined ? {} : { headers: { ...m.headers } }),
                })),
              })),
            });
      if (offsets !== undefined) {
        await retryConcurrentTransactions(() =>
          txn.sendOffsets({
            consumerGroupId: offsets.groupId,
            topics: [
              {
                topic: offsets.topic,
                partitions: [{ partition: offsets.partition, offset: String(offsets.nextOffset) }],
              },
            ],
          }),
        );
      }
      await txn.commit();
      return new Map(metadata.map((m) => [`${m.topicName}:${m.partition}`, Number(m.baseOffset ?? -1)]));
    } catch (error) {
      if (txn.isActive()) await txn.abort().catch(() => undefined);
      if (isFencingError(error))
        throw new FencedError(`fenced by a newer owner: ${errorMessage(error)}`, { cause: error });
      throw error;
    }
  }

  /** Disconnects the producer. */
  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
