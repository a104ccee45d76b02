/**
 * Topic names and idempotent topic setup for a namespace (DESIGN §1).
 *
 * I1. Creating topics is idempotent: existing topics are left as they are.
 * I2. `commands`, `journal` and `events` must have the same partition count: a workflow id hashes to the
 *     same partition number in each. A mismatch refuses to start (TopicMismatchError), never misroutes.
 * I3. Setup waits out the broker's metadata lag after creating topics, so a fresh namespace starts cleanly
 *     even when many executors create it at once.
 */
import type { Admin } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';

import type { TopicNames } from '../journal/index.js';

export { type TopicNames, topicNames } from '../journal/index.js';

/** The co-partitioned topics disagree on their partition counts (I2). */
export class TopicMismatchError extends LogbookError {
  override readonly name = 'TopicMismatchError';
  constructor(message: string) {
    super(ErrorCode.TopicMismatch, message);
  }
}

/** Options for {@link ensureTopics}. */
export interface TopicSetup {
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Retention of commands and events; the journal keeps everything (it is the audit trail). */
  readonly retentionMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const METADATA_WAIT_MS = 30_000;

/**
 * KafkaJS's `createTopics({ waitForLeaders })` retries only LEADER_NOT_AVAILABLE; a topic the broker has
 * created but not yet put in its metadata answers UNKNOWN_TOPIC_OR_PARTITION, which it throws (I3). The
 * topics exist then; the leader wait happens in topicMetadataWithLeaders.
 */
async function createIgnoringMetadataLag(
  admin: Admin,
  options: Parameters<Admin['createTopics']>[0],
): Promise<void> {
  try {
    await admin.createTopics(options);
  } catch (error) {
    if (!(error instanceof Error && 'type' in error && error.type === 'UNKNOWN_TOPIC_OR_PARTITION'))
      throw error;
  }
}

/** Polls until every topic is in the metadata with a leader on every partition (I3). */
async function topicMetadataWithLeaders(
  admin: Admin,
  topics: string[],
): ReturnType<Admin['fetchTopicMetadata']> {
  const deadline = Date.now() + METADATA_WAIT_MS;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.topics.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (ready && metadata.topics.length === topics.length) return metadata;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) {
      throw new LogbookError(
        ErrorCode.Kafka,
        `topics ${topics.join(', ')} have no leaders after ${METADATA_WAIT_MS} ms`,
        { retriable: true },
      );
    }
    await sleep(100);
  }
}

/** Creates the namespace's topics if absent and checks their partition counts (I1, I2). */
export async function ensureTopics(admin: Admin, names: TopicNames, setup: TopicSetup): Promise<number> {
  const retention = { name: 'retention.ms', value: String(setup.retentionMs) };
  const forever = { name: 'retention.ms', value: '-1' };
  await createIgnoringMetadataLag(admin, {
    waitForLeaders: true,
    topics: [
      {
        topic: names.commands,
        numPartitions: setup.partitions,
        replicationFactor: setup.replicationFactor,
        configEntries: [retention],
      },
      {
        topic: names.journal,
        numPartitions: setup.partitions,
        replicationFactor: setup.replicationFactor,
        configEntries: [forever],
      },
      {
        topic: names.events,
        numPartitions: setup.partitions,
        replicationFactor: setup.replicationFactor,
        configEntries: [retention],
      },
      {
        topic: names.dlq,
        numPartitions: 1,
        replicationFactor: setup.replicationFactor,
        configEntries: [forever],
      },
    ],
  });
  const metadata = await topicMetadataWithLeaders(admin, [names.commands, names.journal, names.events]);
  const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  const commands = counts.get(names.commands) ?? 0;
  for (const topic of [names.journal, names.events]) {
    const count = counts.get(topic) ?? 0;
    if (count !== commands) {
      throw new TopicMismatchError(
        `${topic} has ${count} partitions but ${names.commands} has ${commands}; they must match, or workflows would be misrouted. Repartition both together.`,
      );
    }
  }
  return commands;
}
