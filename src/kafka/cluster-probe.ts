/**
 * Readiness of a Kafka cluster, checked from the client side: a broker that logged "started" may still
 * refuse metadata or have no controller yet, so "ready" means a client could describe the cluster and
 * create (or find) a topic with a leader.
 *
 * I1. The probe topic is created idempotently with `waitForLeaders`, so success means produce would work.
 * I2. Every client made here is disconnected before returning, on success and on failure.
 * I3. With `transactions`, ready also means the group and transaction coordinators answer: a fresh broker
 *     creates `__consumer_offsets` and `__transaction_state` on first use and answers NOT_COORDINATOR or
 *     COORDINATOR_LOAD_IN_PROGRESS while it loads them, which is start-up, not a test's business.
 */

import { retryConcurrentTransactions } from './concurrent-transactions.js';
import { createKafka } from './kafka-client.js';
import { connectTransactionalProducer } from './transactional-producer.js';

/** What a successful probe saw. */
export interface ClusterInfo {
  readonly clusterId: string;
  readonly brokerCount: number;
}

/** Options for {@link waitForCluster}. */
export interface ClusterProbeOptions {
  readonly timeoutMs: number;
  /** Topic to create as the final check; default `__logbook_probe`. */
  readonly probeTopic?: string;
  /** Also wait until a transaction with consumer offsets can be written and aborted (I3). */
  readonly transactions?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One attempt: describe the cluster and make sure the probe topic has a leader (I1, I2). */
export async function probeCluster(brokers: readonly string[], probeTopic?: string): Promise<ClusterInfo> {
  const kafka = createKafka({
    brokers,
    clientId: 'logbook-probe',
    logLevelName: 'nothing',
    connectionTimeoutMs: 1_000,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (probeTopic !== undefined) {
      await admin.createTopics({
        topics: [{ topic: probeTopic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
        timeout: 10_000,
      });
      await admin.fetchTopicOffsets(probeTopic);
    }
    return { clusterId: cluster.clusterId, brokerCount: cluster.brokers.length };
  } finally {
    await admin.disconnect();
  }
}

/** One attempt at I3: a transactional producer sends offsets for a probe group, then aborts. */
export async function probeTransactions(brokers: readonly string[], probeTopic: string): Promise<void> {
  const kafka = createKafka({
    brokers,
    clientId: 'logbook-probe',
    logLevelName: 'nothing',
    connectionTimeoutMs: 1_000,
  });
  const producer = await connectTransactionalProducer(kafka, { transactionalId: `${probeTopic}.tx` });
  try {
    const txn = await producer.transaction();
    await retryConcurrentTransactions(() =>
      txn.sendOffsets({
        consumerGroupId: `${probeTopic}.group`,
        topics: [{ topic: probeTopic, partitions: [{ partition: 0, offset: '0' }] }],
      }),
    );
    await txn.abort();
  } finally {
    await producer.disconnect();
  }
}

/** Retries {@link probeCluster} until it succeeds or `timeoutMs` passes; rethrows the last failure. */
export async function waitForCluster(
  brokers: readonly string[],
  options: ClusterProbeOptions,
): Promise<ClusterInfo> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    try {
      const probeTopic = options.probeTopic ?? '__logbook_probe';
      const info = await probeCluster(brokers, probeTopic);
      if (options.transactions === true) await probeTransactions(brokers, probeTopic);
      return info;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(200);
    }
  }
}
