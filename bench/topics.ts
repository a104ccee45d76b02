/**
 * A benchmark on someone's broker (`LOGBOOK_BROKERS`) deletes the topics it made when it ends. Left behind,
 * each run's namespaces added dozens of partitions to the broker, and later runs on it measured a broker
 * slower by their weight (the A/B of the hot path saw p50 drift from 6 to 12 ms over six runs).
 */
import { createKafka } from '../src/kafka/index.js';

/** Deletes every topic whose name starts with `prefix`; logs and goes on when Kafka refuses. */
export async function deleteTopicsOf(brokers: readonly string[], prefix: string): Promise<void> {
  const admin = createKafka({
    brokers: [...brokers],
    clientId: 'logbook-bench-cleanup',
    logLevelName: 'nothing',
  }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 60_000 });
  } catch (error) {
    process.stderr.write(`[bench] could not delete the topics of ${prefix}: ${String(error)}\n`);
  } finally {
    await admin.disconnect();
  }
}
