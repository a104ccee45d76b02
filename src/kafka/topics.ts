/**
 * Topic names and idempotent topic setup for a namespace (DESIGN §1).
 *
 * I1. Creating topics is idempotent: existing topics are left as they are.
 * I2. `commands`, `journal` and `events` must have the same partition count: a workflow id hashes to the
 *     same partition number in each. A mismatch refuses to start (TopicMismatchError), never misroutes.
 */
import type { Admin } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';

/** The topics of one namespace. */
export interface TopicNames {
  readonly commands: string;
  readonly journal: string;
  readonly events: string;
  readonly dlq: string;
}

/** The topic names for namespace `ns`. */
export function topicNames(ns: string): TopicNames {
  return { commands: `${ns}.commands`, journal: `${ns}.journal`, events: `${ns}.events`, dlq: `${ns}.dlq` };
}

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

/** Creates the namespace's topics if absent and checks their partition counts (I1, I2). */
export async function ensureTopics(admin: Admin, names: TopicNames, setup: TopicSetup): Promise<number> {
  const retention = { name: 'retention.ms', value: String(setup.retentionMs) };
  const forever = { name: 'retention.ms', value: '-1' };
  await admin.createTopics({
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
  const metadata = await admin.fetchTopicMetadata({ topics: [names.commands, names.journal, names.events] });
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
