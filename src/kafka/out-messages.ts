/** Logbook's messages in KafkaJS's terms and back: one mapping for every writer (tick-writer.ts, fenced-appender.ts). */
import type { Message, RecordMetadata } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';
import type { BaseOffsets, OutMessage } from '../partition/index.js';

/** `messages` grouped by topic, in order, as KafkaJS's sendBatch takes them. */
export interface TopicMessages {
  topic: string;
  messages: Message[];
}

/** Groups `messages` by topic for one sendBatch, keeping their order within each topic. */
export function topicMessagesOf(messages: readonly OutMessage[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const m of messages) {
    const list = byTopic.get(m.topic) ?? [];
    if (list.length === 0) byTopic.set(m.topic, list);
    // KafkaJS only reads a message's headers: the same object goes through (produce-encoding.ts I3).
    const message: Message = { key: m.key, value: m.value };
    if (m.partition !== undefined) message.partition = m.partition;
    if (m.headers !== undefined) message.headers = m.headers;
    list.push(message);
  }
  return [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
}

/** The one partition `messages` are all of; a Bug when they are of several, none, or an unnamed one. */
export function onePartition(messages: readonly OutMessage[]): { topic: string; partition: number } {
  const { topic, partition } = messages[0] ?? {};
  if (
    topic === undefined ||
    partition === undefined ||
    messages.some((m) => m.topic !== topic || m.partition !== partition)
  )
    throw new LogbookError(ErrorCode.Bug, 'an append takes records of one named partition');
  return { topic, partition };
}

/** The base offsets a sendBatch answered, by `topic:partition`. */
export function baseOffsetsOf(metadata: readonly RecordMetadata[]): BaseOffsets {
  return new Map(metadata.map((m) => [`${m.topicName}:${m.partition}`, Number(m.baseOffset ?? -1)]));
}
