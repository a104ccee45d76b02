/**
 * Retry for Kafka's CONCURRENT_TRANSACTIONS answer on back-to-back transactions.
 *
 * After EndTxn returns, the transaction coordinator still writes the commit markers; until it has, a new
 * AddPartitionsToTxn or AddOffsetsToTxn for the same transactional id is answered CONCURRENT_TRANSACTIONS.
 * KafkaJS retries that inside `send`, but `sendOffsets` calls AddOffsetsToTxn with no retrier
 * (kafkajs `src/producer/eosManager/index.js`, tulios/kafkajs#430), so the caller must.
 *
 * I1. Only CONCURRENT_TRANSACTIONS is retried; every other error surfaces at once.
 * I2. Retrying `sendOffsets` is safe: it leaves the KafkaJS transaction in TRANSACTING when it throws.
 *     `commit` is NOT retried here: a failed EndTxn leaves KafkaJS in COMMITTING, from which only a new
 *     producer (whose InitProducerId aborts the open transaction) recovers.
 */

/** Bounds of {@link retryConcurrentTransactions}. */
export interface ConcurrentRetryOptions {
  readonly attemptsMax: number;
  readonly firstBackoffMs: number;
  readonly backoffMaxMs: number;
}

/** Defaults measured to cover marker writes on a local single-node broker with room to spare. */
export const concurrentRetryDefaults: ConcurrentRetryOptions = {
  attemptsMax: 20,
  firstBackoffMs: 2,
  backoffMaxMs: 200,
};

/** True when `error` is Kafka's CONCURRENT_TRANSACTIONS protocol error, as KafkaJS reports it. */
export function isConcurrentTransactions(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'type' in error && error.type === 'CONCURRENT_TRANSACTIONS'
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `operation`, retrying it with doubling backoff while Kafka answers CONCURRENT_TRANSACTIONS (I1). */
export async function retryConcurrentTransactions<T>(
  operation: () => Promise<T>,
  options: ConcurrentRetryOptions = concurrentRetryDefaults,
): Promise<T> {
  let backoffMs = options.firstBackoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isConcurrentTransactions(error) || attempt >= options.attemptsMax) throw error;
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, options.backoffMaxMs);
    }
  }
}
