/**
 * The writer of single-produce ticks: one transactional id whose producer id and epoch every produce
 * carries, so the broker fences a predecessor's produces (D34), not only the epoch rule.
 *
 * I1. `connect` sends InitProducerId for the id: from then on, the broker rejects the previous holder's
 *     batches (INVALID_PRODUCER_EPOCH) on every partition this epoch has written to, by a record batch or a
 *     transaction's marker (`npm run bench:fence` probes it, on both Kafka lines).
 * I2. `claim` writes in a transaction of the id, so no write of the previous holder follows the claim on
 *     the partitions it wrote to (I1: its batch is the newer epoch's write there).
 * I3. `append` sends one non-transactional batch per partition with the id's producer id, epoch and
 *     sequences (KafkaJS's own sendMessages, given a view of the transaction manager that is not
 *     transactional): an idempotent produce, acks=all, one request in flight.
 * I4. KafkaJS has no API for I1–I3: the transaction manager, the message producer and the cluster are its
 *     own modules (kafkajs-internals.ts). Another KafkaJS than the one the patches were written for
 *     (kafkajs-patches.ts; package.json pins it) is refused at `connect`, with a Prerequisite error.
 * I5. `fence` writes one record in a transaction of the id and aborts it: the record is the newer epoch's
 *     write on its partition (I1), so the previous holder's batches are rejected there from it on, and no
 *     read_committed reader ever sees it.
 * I6. Given a node's AppendChannel, `append` sends its batch there instead (append-channel.ts): the same
 *     producer id, epoch and sequences, in a request it may share with other owners' batches. Its
 *     transactions (`claim`, `fence`) stay on its own connection.
 */
import type { Kafka, Logger, RecordMetadata, RetryOptions } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';
import type { BaseOffsets, OutMessage } from '../partition/index.js';
import type { AppendChannel, AppendProducer } from './append-channel.js';
import { kafkajsCluster, kafkajsModule, kafkajsVersion } from './kafkajs-internals.js';
import { PATCHED_KAFKAJS_VERSION } from './kafkajs-patches.js';
import { baseOffsetsOf, type TopicMessages, topicMessagesOf } from './out-messages.js';

/** KafkaJS's transaction manager (`producer/eosManager`), as far as Logbook uses it. */
interface EosManager extends AppendProducer {
  initProducerId(): Promise<void>;
  isTransactional(): boolean;
  beginTransaction(): void;
  isInTransaction(): boolean;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** KafkaJS's cluster, as far as this writer holds it. */
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** KafkaJS's message producer (`producer/messageProducer`): sendBatch as a producer has it. */
interface MessageProducer {
  sendBatch(batch: { acks: number; topicMessages: TopicMessages[] }): Promise<RecordMetadata[]>;
}

type CreateEosManager = (options: {
  logger: Logger;
  cluster: Cluster;
  transactionTimeout: number;
  transactional: boolean;
  transactionalId: string;
}) => EosManager;

type CreateMessageProducer = (options: {
  logger: Logger;
  cluster: Cluster;
  partitioner: unknown;
  eosManager: EosManager;
  idempotent: boolean;
  retrier: unknown;
  getConnectionStatus: () => string;
}) => MessageProducer;

const CONNECTED = 'connected';

/** Single produces fenced by the broker under one transactional id (I1–I3). */
export class FencedAppender {
  private constructor(
    private readonly cluster: Cluster,
    private readonly eos: EosManager,
    private readonly transactional: MessageProducer,
    /** `append`'s path: the channel's shared requests (I6), or a producer of its own (I3). */
    private readonly appendOnce: (messages: readonly OutMessage[]) => Promise<BaseOffsets>,
  ) {}

  /**
   * Connects and fences every earlier holder of `transactionalId` (I1); its appends go through `channel`
   * when given (I6).
   */
  static async connect(
    kafka: Kafka,
    transactionalId: string,
    channel?: AppendChannel,
  ): Promise<FencedAppender> {
    const version = kafkajsVersion();
    if (version !== PATCHED_KAFKAJS_VERSION) {
      const message = `the journal's single-produce writer reads KafkaJS ${PATCHED_KAFKAJS_VERSION}'s own modules; KafkaJS ${version} is installed`;
      throw new LogbookError(ErrorCode.Prerequisite, message);
    }
    const logger = kafka.logger().namespace('FencedAppender');
    const cluster = kafkajsCluster<Cluster>(kafka, { allowAutoTopicCreation: false, maxInFlightRequests: 1 });
    const createEos = kafkajsModule<CreateEosManager>('producer/eosManager/index.js');
    const createProducer = kafkajsModule<CreateMessageProducer>('producer/messageProducer.js');
    const createRetry = kafkajsModule<(options: RetryOptions) => unknown>('retry/index.js');
    const { DefaultPartitioner } = kafkajsModule<{ DefaultPartitioner: () => unknown }>(
      'producer/partitioners/index.js',
    );
    const eos = createEos({
      logger,
      cluster,
      transactionTimeout: 60_000,
      transactional: true,
      transactionalId,
    });
    const producer = (eosManager: EosManager) =>
      createProducer({
        logger,
        cluster,
        partitioner: DefaultPartitioner(),
        eosManager,
        idempotent: true,
        retrier: createRetry({ retries: Number.MAX_SAFE_INTEGER }), // as KafkaJS's idempotent producer has it
        getConnectionStatus: () => CONNECTED,
      });
    try {
      await cluster.connect();
      await eos.initProducerId();
    } catch (error) {
      await cluster.disconnect().catch(() => undefined);
      throw error;
    }
    return new FencedAppender(cluster, eos, producer(eos), appendPath(eos, producer, channel));
  }

  /** Writes `messages` in one transaction of the id (I2). */
  async claim(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    this.eos.beginTransaction();
    try {
      const metadata = await this.transactional.sendBatch({
        acks: -1,
        topicMessages: topicMessagesOf(messages),
      });
      await this.eos.commit();
      return baseOffsetsOf(metadata);
    } catch (error) {
      if (this.eos.isInTransaction()) await this.eos.abort().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Writes `message` in a transaction of the id and aborts it, returning its offset (I5): no
   * read_committed reader sees it, and from it on the broker rejects the previous holder's batches on its
   * partition.
   */
  async fence(message: OutMessage): Promise<number> {
    this.eos.beginTransaction();
    try {
      const metadata = await this.transactional.sendBatch({
        acks: -1,
        topicMessages: topicMessagesOf([message]),
      });
      await this.eos.abort();
      const offset = [...baseOffsetsOf(metadata).values()][0];
      if (offset === undefined)
        throw new LogbookError(ErrorCode.Bug, 'the broker gave no offset for a fence');
      return offset;
    } catch (error) {
      if (this.eos.isInTransaction()) await this.eos.abort().catch(() => undefined);
      throw error;
    }
  }

  /** Writes `messages` as one non-transactional batch per partition under the id (I3). */
  async append(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    return this.appendOnce(messages);
  }

  async close(): Promise<void> {
    await this.cluster.disconnect();
  }
}

/** The path of `append`: through `channel` (I6), or a producer of `eos`'s that is not transactional (I3). */
function appendPath(
  eos: EosManager,
  producer: (eosManager: EosManager) => MessageProducer,
  channel: AppendChannel | undefined,
): (messages: readonly OutMessage[]) => Promise<BaseOffsets> {
  if (channel !== undefined) return (messages) => channel.append(eos, messages);
  const plain = producer(Object.create(eos, { isTransactional: { value: () => false } }) as EosManager);
  return async (messages) =>
    baseOffsetsOf(await plain.sendBatch({ acks: -1, topicMessages: topicMessagesOf(messages) }));
}
