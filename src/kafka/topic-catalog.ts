/**
 * The topics bodies may `ctx.emit` to (partition/ports.ts TopicCatalog): which exist, and the largest
 * record each takes (`max.message.bytes`), read from Kafka and cached.
 *
 * I1. A topic found is trusted for `knownTtlMs`; one not found is re-asked after `missingTtlMs`, so a
 *     topic created later is found, and a body emitting to a missing topic in a loop costs one metadata
 *     request per `missingTtlMs`, not one per call. A topic deleted after it was found fails its write at
 *     Kafka, which the owner traces back to the emit (owner-failure.ts).
 * I2. The namespace's own journal, events and DLQ topics, and Kafka's internal topics (`__…`), are never
 *     emit targets: a body must not write where Logbook keeps its records.
 * I3. `refresh` throws when Kafka cannot be asked; it never records a topic as missing on a failed ask.
 */
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import type { TopicNames } from '../journal/index.js';
import type { TopicCatalog, TopicInfo } from '../partition/index.js';

/** KafkaJS's ConfigResourceTypes.TOPIC (kafkajs is CommonJS; Node's ESM loader does not see its enums). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** Topics the catalog remembers at most; the oldest are forgotten (and asked again when needed). */
export const CATALOG_TOPICS_MAX = 10_000;

interface Entry {
  readonly info: TopicInfo;
  readonly untilMs: number;
}

/** The executor's catalog of emit targets. */
export class KafkaTopicCatalog implements TopicCatalog {
  private readonly entries = new Map<string, Entry>();
  private readonly reserved: ReadonlySet<string>;

  constructor(
    private readonly admin: Admin,
    topics: TopicNames,
    private readonly knownTtlMs = 60_000,
    private readonly missingTtlMs = 5_000,
  ) {
    this.reserved = new Set([topics.journal, topics.events, topics.dlq]);
  }

  cached(topic: string): TopicInfo | undefined {
    if (this.reserved.has(topic) || topic.startsWith('__'))
      return { exists: false, reason: 'the topic is reserved for Logbook or Kafka' }; // I2
    const entry = this.entries.get(topic);
    if (entry === undefined || entry.untilMs < Date.now()) return undefined;
    return entry.info;
  }

  forget(topics: readonly string[]): void {
    for (const topic of topics) this.entries.delete(topic);
  }

  async refresh(topics: readonly string[]): Promise<void> {
    const all = new Set(await this.admin.listTopics()); // I3: throws when Kafka cannot answer
    const existing = topics.filter((t) => all.has(t));
    const limits = await this.maxMessageBytes(existing);
    const now = Date.now();
    for (const topic of topics) {
      const max = limits.get(topic);
      const info: TopicInfo =
        max === undefined
          ? { exists: false, reason: 'the topic does not exist' }
          : { exists: true, maxMessageBytes: max };
      this.entries.delete(topic);
      this.entries.set(topic, { info, untilMs: now + (info.exists ? this.knownTtlMs : this.missingTtlMs) }); // I1
    }
    while (this.entries.size > CATALOG_TOPICS_MAX) {
      const [oldest] = this.entries.keys();
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  private maxMessageBytes(topics: readonly string[]): Promise<Map<string, number>> {
    return maxMessageBytes(this.admin, topics);
  }
}

/** Kafka's default max.message.bytes (1 MiB and a record batch header). */
const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Each existing topic's `max.message.bytes`, as Kafka reports it. */
export async function maxMessageBytes(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (topics.length === 0) return out;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['max.message.bytes'] })),
  });
  for (const resource of described.resources) {
    const entry = resource.configEntries.find((c) => c.configName === 'max.message.bytes');
    const value = Number(entry?.configValue ?? DEFAULT_MAX_MESSAGE_BYTES);
    out.set(resource.resourceName, Number.isFinite(value) && value > 0 ? value : DEFAULT_MAX_MESSAGE_BYTES);
  }
  return out;
}
