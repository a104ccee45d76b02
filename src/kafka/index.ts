/** Kafka I/O: clients, transactional retries and readiness. The only folder that imports kafkajs. */

export {
  AppendChannel,
  type AppendChannelLimits,
  type AppendChannelStats,
  type AppendProducer,
} from './append-channel.js';
export { type ClusterInfo, type ClusterProbeOptions, probeCluster, waitForCluster } from './cluster-probe.js';
export {
  type ConcurrentRetryOptions,
  concurrentRetryDefaults,
  isConcurrentTransactions,
  retryConcurrentTransactions,
} from './concurrent-transactions.js';
export { FetchWait, type FetchWaitLimits, fetchWaitLimits } from './fetch-wait.js';
export { fetchWaitOption } from './fetch-wait-patch.js';
export { KafkaJournalReader } from './journal-reader.js';
export { scanJournal } from './journal-scan.js';
export {
  type JournalStreamHandlers,
  type JournalStreamOptions,
  JournalTopicMissingError,
  journalExtents,
  type PartitionExtent,
  streamJournal,
} from './journal-stream.js';
export { createKafka, type KafkaClientOptions, parseBrokers } from './kafka-client.js';
export { classifyKafkaError, REJECTED_TYPES } from './kafka-errors.js';
export { committedOffset } from './offsets.js';
export { type PartitionReadOptions, ReadStalledError, readPartitions } from './partition-reader.js';
export { partitionFor } from './partitioner.js';
export { type BaseOffsets, type OutMessage, TickWriter } from './tick-writer.js';
export { CATALOG_TOPICS_MAX, KafkaTopicCatalog, maxMessageBytes } from './topic-catalog.js';
export { ensureTopics, TopicMismatchError, type TopicNames, type TopicSetup, topicNames } from './topics.js';
export {
  connectTransactionalProducer,
  isFencingError,
  type TransactionalProducerOptions,
} from './transactional-producer.js';
