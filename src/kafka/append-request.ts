/**
 * The produce request of a shared append (append-channel.ts): what KafkaJS's own modules give it, the
 * request's arguments with each partition's own producer, and the bytes an append counts.
 *
 * I1. The channel takes KafkaJS's request path only with Logbook's produce encoding in place
 *     (kafkajs-patches.ts): KafkaJS's own encoder would drop a partition's own producer
 *     (produce-encoding.ts I4), so without it `kafkajsParts` is a Prerequisite error.
 */
import { ErrorCode, LogbookError } from '../errors.js';
import type { OutMessage } from '../partition/index.js';
import { kafkajsModule } from './kafkajs-internals.js';
import { patchKafkaJs } from './kafkajs-patches.js';
import { topicMessagesOf } from './out-messages.js';
import type { ProducePartitionData, ProduceRequestArgs } from './produce-encoding.js';
import { byteLength } from './wire-writer.js';

/** The producer state of one owner's appender: KafkaJS's transaction manager (`producer/eosManager`). */
export interface AppendProducer {
  getProducerId(): unknown;
  getProducerEpoch(): number;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
}

/** A batch of one partition under its owner's producer, as the request takes it. */
export interface AppendBatch {
  readonly producer: AppendProducer;
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly OutMessage[];
}

export interface ProtocolRequest {
  readonly request: { readonly apiVersion: number };
  readonly response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}

/** KafkaJS's broker, as far as the channel uses it. */
export interface Broker {
  lookupRequest(apiKey: number, definition: unknown): (args: ProduceRequestArgs) => ProtocolRequest;
}

/** A Produce answer as KafkaJS decodes it (v3–v7). */
export interface ProduceAnswer {
  readonly topics: readonly {
    readonly topicName: string;
    readonly partitions: readonly { partition: number; errorCode: number; baseOffset: string }[];
  }[];
}

interface KafkaErrors {
  createErrorFromCode(code: number): Error;
  staleMetadata(error: unknown): boolean;
}

/** What the channel takes from KafkaJS's own modules (fenced-appender.ts I4 checks their version). */
export interface KafkaJsParts {
  readonly errors: KafkaErrors;
  readonly produceKey: number;
  readonly produceDefinition: unknown;
  /** The broker's request path (`private:Broker:sendRequest`), which drops a closed connection. */
  readonly sendRequest: (this: Broker, request: ProtocolRequest) => Promise<unknown>;
}

/** KafkaJS's parts the channel uses, with the produce encoding in place (I1). */
export function kafkajsParts(): KafkaJsParts {
  if (!patchKafkaJs())
    throw new LogbookError(
      ErrorCode.Prerequisite,
      "shared appends need Logbook's produce encoding in KafkaJS",
    );
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

/** The produce request of `batches`: one batch a partition, each under its own producer. */
export function requestOf(batches: readonly AppendBatch[]): ProduceRequestArgs {
  const byTopic = new Map<string, ProducePartitionData[]>();
  for (const b of batches) {
    const partitions = byTopic.get(b.topic) ?? [];
    if (partitions.length === 0) byTopic.set(b.topic, partitions);
    const [data] = topicMessagesOf(b.messages);
    partitions.push({
      partition: b.partition,
      firstSequence: b.producer.getSequence(b.topic, b.partition),
      producer: { id: b.producer.getProducerId(), epoch: b.producer.getProducerEpoch() },
      messages: data?.messages ?? [],
    });
  }
  const topicData = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  return { acks: -1, timeout: 30_000, producerId: -1, producerEpoch: 0, topicData };
}

/** The bytes `messages` count against a request's limit: keys, values, header keys and values. */
export function recordBytes(messages: readonly OutMessage[]): number {
  let bytes = 0;
  for (const m of messages) {
    bytes += sizeOf(m.key) + sizeOf(m.value);
    for (const [k, v] of Object.entries(m.headers ?? {})) bytes += sizeOf(k) + sizeOf(v);
  }
  return bytes;
}

function sizeOf(v: Buffer | string | null): number {
  return v === null ? 0 : byteLength(v);
}
