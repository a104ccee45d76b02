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
 * I3. An append that failed retriably (a lost connection, a timeout, a leader that moved: errors marked
 *     retriable) is sent again, with the same producer, epoch and sequence, after `retryBackoffMs`
 *     doubling, at most `retries` times: the broker takes a batch it already has as that batch (its
 *     offset), so a retry never writes a record twice, as with KafkaJS's own idempotent producer. Each
 *     attempt asks for its leader anew, after a refresh when the failure said the metadata was stale.
 *     Past the retries, or on any other error, the append fails: its outcome is unknown, and its owner
 *     resets its writer and claims anew (ports.ts I3).
 * I4. At most `inFlight` requests per broker are under way. Appends that arrive meanwhile wait for the
 *     next, which takes them in order up to `requestBytesMax` of record bytes, headers included (the first
 *     always goes, so an append over it goes alone). Appends made in one turn of the event loop share a
 *     request.
 * I5. A partition has at most one append waiting or under way: its owner writes one at a time
 *     (tick-writer.ts I4), and a second one, or one of records of several partitions, is a Bug. So the
 *     queue is bounded by the partitions the node owns.
 * I6. A sequence advances only when its batch landed (KafkaJS's `updateSequence`, which also wraps it); a
 *     failed attempt leaves it for the retry (I3).
 */
import type { Kafka } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';
import type { BaseOffsets, OutMessage } from '../partition/index.js';
import { LeaderLookup, type MetadataCluster } from './append-leaders.js';
import {
  type AppendBatch,
  type AppendProducer,
  type Broker,
  type KafkaJsParts,
  kafkajsParts,
  type ProduceAnswer,
  recordBytes,
  requestOf,
} from './append-request.js';
import { kafkajsCluster } from './kafkajs-internals.js';
import { onePartition } from './out-messages.js';

export type { AppendProducer } from './append-request.js';

/** How much a channel sends at once (I4) and how it retries (I3). */
export interface AppendChannelLimits {
  /** Requests under way to one broker at a time. */
  readonly inFlight: number;
  /** Record bytes a request takes, in appends taken whole; the first append of a request always goes. */
  readonly requestBytesMax: number;
  /** Times a retriably failed append is sent again. */
  readonly retries: number;
  /** Wait before the first retry; it doubles for each next. */
  readonly retryBackoffMs: number;
}

/** What a channel has sent so far (the benchmark and the tests read it). */
export interface AppendChannelStats {
  readonly requests: number;
  readonly appends: number;
  readonly retries: number;
}

interface Cluster extends MetadataCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findBroker(options: { nodeId: string }): Promise<Broker>;
}

/** One append waiting for its request (I5). */
interface Pending extends AppendBatch {
  readonly bytes: number;
  readonly resolve: (offset: number) => void;
  readonly reject: (error: unknown) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A node's shared produce requests for its owners' single produces (I1–I6). */
export class AppendChannel {
  private readonly busy = new Set<string>();
  /** Each leader's appends waiting for a request, and its requests under way (I4). */
  private readonly brokers = new Map<string, { readonly waiting: Pending[]; sending: number }>();
  private readonly leaders: LeaderLookup;
  private closed = false;
  private counts = { requests: 0, appends: 0, retries: 0 };

  private constructor(
    private readonly cluster: Cluster,
    private readonly limits: AppendChannelLimits,
    private readonly kafkajs: KafkaJsParts,
  ) {
    this.leaders = new LeaderLookup(cluster);
  }

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

  /** Appends `messages`, all of one partition, as `producer`'s next batch there (I1, I3, I5). */
  async append(producer: AppendProducer, messages: readonly OutMessage[]): Promise<BaseOffsets> {
    const { topic, partition } = onePartition(messages);
    const key = `${topic}:${partition}`;
    if (this.busy.has(key))
      throw new LogbookError(ErrorCode.Bug, `two appends at once on ${key}: an owner writes one at a time`);
    this.busy.add(key);
    try {
      const batch = { producer, topic, partition, messages, bytes: recordBytes(messages) };
      for (let attempt = 0; ; attempt++) {
        try {
          return new Map([[key, await this.attempt(batch)]]);
        } catch (error) {
          if (attempt >= this.limits.retries || this.closed || !isRetriable(error)) throw error;
          this.counts.retries++;
          await sleep(this.limits.retryBackoffMs * 2 ** attempt);
        }
      }
    } finally {
      this.busy.delete(key);
    }
  }

  /** Disconnects; appends waiting for a request fail, and later ones too. */
  async close(): Promise<void> {
    this.closed = true;
    await this.cluster.disconnect();
  }

  /** One attempt of `batch`: queued for its leader's next request (I4), its offset once it landed. */
  private async attempt(batch: Omit<Pending, 'resolve' | 'reject'>): Promise<number> {
    if (this.closed) throw new LogbookError(ErrorCode.Kafka, 'the append channel is closed');
    const leader = await this.leaders.leaderOf(batch.topic, batch.partition);
    return new Promise<number>((resolve, reject) => {
      this.brokerOf(leader).waiting.push({ ...batch, resolve, reject });
      queueMicrotask(() => this.pump(leader)); // I4: appends of this turn share the request
    });
  }

  private brokerOf(leader: string): { readonly waiting: Pending[]; sending: number } {
    let broker = this.brokers.get(leader);
    if (broker === undefined) {
      broker = { waiting: [], sending: 0 };
      this.brokers.set(leader, broker);
    }
    return broker;
  }

  /** Sends what waits for `leader` while fewer than `inFlight` requests are under way there (I4). */
  private pump(leader: string): void {
    const broker = this.brokerOf(leader);
    const queue = broker.waiting;
    if (this.closed) {
      const closed = new LogbookError(ErrorCode.Kafka, 'the append channel was closed before the request');
      for (const p of queue.splice(0)) p.reject(closed);
    }
    while (queue.length > 0 && broker.sending < this.limits.inFlight) {
      let bytes = 0;
      let n = 0;
      for (const p of queue) {
        if (n > 0 && bytes + p.bytes > this.limits.requestBytesMax) break;
        bytes += p.bytes;
        n++;
      }
      const batch = queue.splice(0, n);
      broker.sending++;
      void this.send(leader, batch).finally(() => {
        broker.sending--;
        this.pump(leader);
      });
    }
  }

  /** One produce request for `batch` (I1, I2, I6); settles every append in it. */
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
      if (this.kafkajs.errors.staleMetadata(error) || !(error instanceof LogbookError))
        this.leaders.markStale();
      for (const p of batch) p.reject(error);
    }
  }

  private settle(batch: readonly Pending[], answer: ProduceAnswer): void {
    const answers = new Map<string, { errorCode: number; baseOffset: string }>();
    for (const t of answer.topics)
      for (const p of t.partitions) answers.set(`${t.topicName}:${p.partition}`, p);
    for (const p of batch) {
      const a = answers.get(`${p.topic}:${p.partition}`);
      if (a === undefined) {
        const message = `no answer for ${p.topic}:${p.partition}`;
        p.reject(new LogbookError(ErrorCode.Kafka, message, { retriable: true }));
      } else if (a.errorCode !== 0) {
        const error = this.kafkajs.errors.createErrorFromCode(a.errorCode);
        if (this.kafkajs.errors.staleMetadata(error)) this.leaders.markStale();
        p.reject(error);
      } else {
        p.producer.updateSequence(p.topic, p.partition, p.messages.length); // I6
        p.resolve(Number(a.baseOffset));
      }
    }
  }
}

/** True for an error marked retriable: KafkaJS's connection, timeout and retriable protocol errors (I3). */
function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === true;
}
