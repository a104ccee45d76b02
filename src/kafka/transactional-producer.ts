/**
 * A KafkaJS transactional producer that has fenced every earlier holder of its transactional id.
 *
 * Kafka fences on InitProducerId(transactionalId): the coordinator bumps the epoch and aborts the old
 * holder's open transaction, so the old holder's next write or EndTxn fails with INVALID_PRODUCER_EPOCH
 * / PRODUCER_FENCED. KafkaJS, however, sends that request only on the first `producer.transaction()` —
 * `connect()` asks for a plain idempotent producer id (transactionalId null), which fences nobody
 * (observed against Kafka 3.9.1; kafkajs `src/producer/index.js`, `transaction()`).
 *
 * I1. `connectTransactionalProducer` resolves only after InitProducerId(transactionalId) has succeeded:
 *     it opens and aborts an empty transaction (no partitions, so KafkaJS sends no EndTxn).
 * I2. Options are explicit (idempotent, maxInFlightRequests 1, transactionTimeout), never defaults.
 */
import type { Kafka, Producer } from 'kafkajs';

/** Options for {@link connectTransactionalProducer}. */
export interface TransactionalProducerOptions {
  readonly transactionalId: string;
  /** How long the coordinator lets a transaction stay open before aborting it. */
  readonly transactionTimeoutMs?: number;
}

/** Connects a transactional producer and fences any zombie with the same transactional id (I1). */
export async function connectTransactionalProducer(
  kafka: Kafka,
  options: TransactionalProducerOptions,
): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId: options.transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: options.transactionTimeoutMs ?? 60_000,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    const fence = await producer.transaction();
    await fence.abort();
  } catch (error) {
    await producer.disconnect();
    throw error;
  }
  return producer;
}

/** True when `error` says this producer was fenced by a newer one with the same transactional id. */
export function isFencingError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('type' in error)) return false;
  return error.type === 'INVALID_PRODUCER_EPOCH' || error.type === 'PRODUCER_FENCED';
}
