/** Kafka I/O: clients, transactional retries and readiness. The only folder that imports kafkajs. */

export { type ClusterInfo, type ClusterProbeOptions, probeCluster, waitForCluster } from './cluster-probe.js';
export {
  type ConcurrentRetryOptions,
  concurrentRetryDefaults,
  isConcurrentTransactions,
  retryConcurrentTransactions,
} from './concurrent-transactions.js';
export { scanJournal } from './journal-scan.js';
export { createKafka, type KafkaClientOptions, parseBrokers } from './kafka-client.js';
export { committedOffset } from './offsets.js';
export { type PartitionReadOptions, readPartitions } from './partition-reader.js';
export { partitionFor } from './partitioner.js';
export { type BaseOffsets, type OffsetCommit, type OutMessage, TickWriter } from './tick-writer.js';
export { ensureTopics, TopicMismatchError, type TopicNames, type TopicSetup, topicNames } from './topics.js';
export {
  connectTransactionalProducer,
  isFencingError,
  type TransactionalProducerOptions,
} from './transactional-producer.js';
