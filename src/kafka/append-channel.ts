/**
 * One node's single produces, shared (D41): the partition owners' appends that arrive while a request to
 * their leader is under way go out together in the next, each partition's record batch under its own
 * owner's producer id, epoch and sequence. A loaded node then sends one produce where it sent one a
 * partition, and a lone append goes out at once, as before.
 *
 * I1. Each batch carries its owner's producer id, epoch and sequence (fenced-appender.ts I1–I3). The
 *     broker checks them per partition, so fencing and idempotence stay each owner's, as with a request
 *     of its own.
 * I2. The broker answers per partition: a partition it refused fails its own append with Kafka's error (a
 *     fencing error among them, which kafka-errors.ts classifies as before); the others land and resolve.
 * I3. A request that fails as a whole (connection, timeout) fails every append in it. Nothing is retried
 *     here: the outcome is unknown, and each owner resets its writer and claims anew (ports.ts I3), as
 *     after any failed append. A stale-metadata answer or a lost connection refreshes metadata first
 *     for the next append.
 * I4. At most `inFlight` requests per broker are under way. Appends that arrive meanwhile wait for the
 *     next, which takes them in order up to `requestBytesMax` of record bytes (the first always goes, so
 *     an append over it goes alone). Appends made in one turn of the event loop share a request.
 * I5. A partition has at most one append waiting or under way: its owner writes one at a time
 *     (tick-writer.ts I4) and a second one is a Bug. So the queue is bounded by the partitions the node
 *     owns.
 * I6. A sequence advances only when its batch landed (KafkaJS's `updateSequence`, which also wraps it). A
 *     failed append leaves it as it was; the owner's reset takes a new epoch anyway (tick-writer.ts I5).
 */
import type { Kafka } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';
import type { BaseOffsets, OutMessage } from '../partition/index.js';
import { kafkajsCluster, kafkajsModule } from './kafkajs-internals.js';
import { topicMessagesOf } from './out-messages.js';
import type { ProducePartitionData, ProduceRequestArgs } from './produce-encoding.js';

/** The producer state of one owner's appender: KafkaJS's transaction manager (`producer/eosManager`). */
export interface AppendProducer {
  getProducerId(): unknown;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
}

/** How much a channel sends at once (I4). */
export interface AppendChannelLimits {
  /** Requests under way to one broker at a time. */
  readonly inFlight: number;
  /** Record bytes a request takes, in appends taken whole; the first append of a request always goes. */
  readonly requestBytesMax: number;
}

/** What a channel has sent so far (the benchmark and the tests read it). */
export interface AppendChannelStats {
  readonly requests: number;
  readonly appends: number;
}

interface ProtocolRequest {
  readonly request: { readonly apiVersion: number };
  readonly response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}
interface Broker {
  lookupRequest(apiKey: number, definition: unknown): (args: ProduceRequestArgs) => ProtocolRequest;
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<Broker>;
}
interface ProduceAnswer {
  readonly topics: readonly {
    readonly topicName: string;
    readonly partitions: readonly { partition: number; errorCode: number; baseOffset: string }[];
  }[];
}
interface KafkaErrors {
  createErrorFromCode(code: number): Error;
  staleMetadata(error: unknown): boolean;
}

/** One append waiting for its request (I5). */
interface Pending {
  readonly producer: AppendProducer;
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly OutMessage[];
  readonly bytes: number;
  readonly resolve: (offset: number) => void;
  readonly reject: (error: unknown) => void;
}

/** A node's shared produce requests for its owners' single produces (I1–I6). */
export class AppendChannel {
  private readonly busy = new Set<string>();
  private readonly waiting = new Map<string, Pending[]>();
  private readonly sending = new Map<string, number>();
  /** Each topic's metadata, asked for by its first append; the others wait for the same answer. */
  private readonly topics = new Map<string, Promise<void>>();
  private stale = false;
  private closed = false;
  private counts = { requests: 0, appends: 0 };

  private constructor(
    private readonly cluster: Cluster,
    private readonly limits: AppendChannelLimits,
    private readonly kafkajs: KafkaJsParts,
  ) {}

  /** Connects a cluster of `kafka`'s own for the channel's requests. */
  static async connect(kafka: Kafka, limits: AppendChannelLimits): Promise<AppendChannel> {
    const kafkajs = kafkajsParts();
    const cluster = kafkajsCluster<Cluster>(kafka, { allowAutoTopicCreation: false });
    await cluster.connect();
    return new AppendChannel(cluster, limits, kafkajs);
  }

  get stats(): AppendChannelStats {
    return { ...this.counts };
  }

  /** Appends `messages`, all of one partition, as `producer`'s next batch there (I1, I5). */
  async append(producer: AppendProducer, messages: readonly OutMessage[]): Promise<BaseOffsets> {
    const first = messages[0];
    if (first?.partition === undefined)
      throw new LogbookError(ErrorCode.Bug, 'an append names its partition');
    const { topic, partition } = first;
    const key = `${topic}:${partition}`;
    if (this.closed) throw new LogbookError(ErrorCode.Kafka, `the append channel is closed (${key})`);
    if (this.busy.has(key))
      throw new LogbookError(ErrorCode.Bug, `two appends at once on ${key}: an owner writes one at a time`);
    this.busy.add(key);
    try {
      const leader = await this.leaderOf(topic, partition);
      const bytes = messages.reduce((n, m) => n + sizeOf(m.key) + sizeOf(m.value), 0);
      const offset = await new Promise<number>((resolve, reject) => {
        this.queue(leader).push({ producer, topic, partition, messages, bytes, resolve, reject });
        queueMicrotask(() => this.pump(leader)); // I4: appends of this turn share the request
      });
      return new Map([[key, offset]]);
    } finally {
      this.busy.delete(key);
    }
  }

  /** Disconnects; appends waiting for a request fail, and later ones too. */
  async close(): Promise<void> {
    this.closed = true;
    await this.cluster.disconnect();
  }

  /** The leader of `topic:partition`, from metadata asked for once a topic and again only when stale (I3). */
  private async leaderOf(topic: string, partition: number): Promise<string> {
    let known = this.topics.get(topic);
    if (known === undefined) {
      const loading = this.cluster.addMultipleTargetTopics([topic]);
      this.topics.set(topic, loading);
      loading.catch(() => {
        if (this.topics.get(topic) === loading) this.topics.delete(topic); // the next append asks again
      });
      known = loading;
    }
    await known;
    if (this.stale) {
      this.stale = false;
      await this.cluster.refreshMetadata();
    } else await this.cluster.refreshMetadataIfNecessary();
    const leader = Object.keys(this.cluster.findLeaderForPartitions(topic, [partition]))[0];
    if (leader !== undefined) return leader;
    this.stale = true;
    const message = `no leader known for ${topic}:${partition}`;
    throw new LogbookError(ErrorCode.Kafka, message, { retriable: true });
  }

  private queue(leader: string): Pending[] {
    const queue = this.waiting.get(leader) ?? [];
    if (queue.length === 0) this.waiting.set(leader, queue);
    return queue;
  }

  /** Sends what waits for `leader` while fewer than `inFlight` requests are under way there (I4). */
  private pump(leader: string): void {
    const queue = this.queue(leader);
    if (this.closed) {
      const closed = new LogbookError(ErrorCode.Kafka, 'the append channel was closed before the request');
      for (const p of queue.splice(0)) p.reject(closed);
    }
    while (queue.length > 0 && (this.sending.get(leader) ?? 0) < this.limits.inFlight) {
      let bytes = 0;
      let n = 0;
      for (const p of queue) {
        if (n > 0 && bytes + p.bytes > this.limits.requestBytesMax) break;
        bytes += p.bytes;
        n++;
      }
      const batch = queue.splice(0, n);
      this.sending.set(leader, (this.sending.get(leader) ?? 0) + 1);
      void this.send(leader, batch).finally(() => {
        this.sending.set(leader, (this.sending.get(leader) ?? 1) - 1);
        this.pump(leader);
      });
    }
  }

  /** One produce request for `batch` (I1–I3, I6); settles every append in it. */
  private async send(leader: string, batch: readonly Pending[]): Promise<void> {
    this.counts.requests++;
    this.counts.appends += batch.length;
    try {
      const broker = await this.cluster.findBroker({ nodeId: leader });
      const { produceKey, produceDefinition, sendRequest } = this.kafkajs;
      const { request, response } = broker.lookupRequest(produceKey, produceDefinition)(requestOf(batch));
      if (request.apiVersion < 3 || request.apiVersion > 7) {
        const message = `produce v${request.apiVersion} has no own-producer encoding (produce-encoding-patch.ts I1)`;
        throw new LogbookError(ErrorCode.Prerequisite, message);
      }
      const answer = (await sendRequest.call(broker, {
        request,
        response: { decode: response.decode, parse: async (data) => data }, // I2: errors per partition
      })) as ProduceAnswer;
      this.settle(batch, answer);
    } catch (error) {
      if (this.kafkajs.errors.staleMetadata(error) || !(error instanceof LogbookError)) this.stale = true;
      for (const p of batch) p.reject(error); // I3
    }
  }

  private settle(batch: readonly Pending[], answer: ProduceAnswer): void {
    const answers = new Map<string, { errorCode: number; baseOffset: string }>();
    for (const t of answer.topics)
      for (const p of t.partitions) answers.set(`${t.topicName}:${p.partition}`, p);
    for (const p of batch) {
      const a = answers.get(`${p.topic}:${p.partition}`);
      if (a === undefined) {
        p.reject(
          new LogbookError(ErrorCode.Kafka, `no answer for ${p.topic}:${p.partition}`, { retriable: true }),
        );
      } else if (a.errorCode !== 0) {
        const error = this.kafkajs.errors.createErrorFromCode(a.errorCode);
        if (this.kafkajs.errors.staleMetadata(error)) this.stale = true;
        p.reject(error);
      } else {
        p.producer.updateSequence(p.topic, p.partition, p.messages.length); // I6
        p.resolve(Number(a.baseOffset));
      }
    }
  }
}

/** The produce request of `batch`: one batch a partition, each under its own producer (I1). */
function requestOf(batch: readonly Pending[]): ProduceRequestArgs {
  const byTopic = new Map<string, ProducePartitionData[]>();
  for (const p of batch) {
    const partitions = byTopic.get(p.topic) ?? [];
    if (partitions.length === 0) byTopic.set(p.topic, partitions);
    const [data] = topicMessagesOf(p.messages);
    partitions.push({
      partition: p.partition,
      firstSequence: p.producer.getSequence(p.topic, p.partition),
      producer: { id: p.producer.getProducerId(), epoch: p.producer.getProducerEpoch() },
      messages: data?.messages ?? [],
    });
  }
  const topicData = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  return { acks: -1, timeout: 30_000, producerId: -1, producerEpoch: 0, topicData };
}

function sizeOf(v: Buffer | string | null): number {
  return v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** What the channel takes from KafkaJS's own modules (fenced-appender.ts I4 checks their version). */
interface KafkaJsParts {
  readonly errors: KafkaErrors;
  readonly produceKey: number;
  readonly produceDefinition: unknown;
  /** The broker's request path (`private:Broker:sendRequest`), which drops a closed connection. */
  readonly sendRequest: (this: Broker, request: ProtocolRequest) => Promise<unknown>;
}

function kafkajsParts(): KafkaJsParts {
  const broker = kafkajsModule<{ prototype: Record<symbol, unknown> }>('broker/index.js').prototype;
  const key = Object.getOwnPropertySymbols(broker).find(
    (s) => s.description === 'private:Broker:sendRequest',
  );
  const sendRequest = key === undefined ? undefined : broker[key];
  if (typeof sendRequest !== 'function')
    throw new LogbookError(ErrorCode.Prerequisite, "this KafkaJS's broker has no request path to share");
  return {
    errors: kafkajsModule<KafkaErrors>('protocol/error.js'),
    produceKey: kafkajsModule<{ Produce: number }>('protocol/requests/apiKeys.js').Produce,
    produceDefinition: kafkajsModule<{ requests: { Produce: unknown } }>('protocol/requests/index.js')
      .requests.Produce,
    sendRequest: sendRequest as KafkaJsParts['sendRequest'],
  };
}
