/**
 * What a KafkaJS error means for a partition owner's write (partition/ports.ts WriteFailureKind).
 *
 * I1. Fencing (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED) is
 *     `fenced`: another owner holds the partition.
 * I2. Kafka refusing a record — a protocol error that is not retriable and is about what was written
 *     (REJECTED_TYPES) — is `rejected`: the same write fails again, so the owner must find and refuse its
 *     source. UNKNOWN_TOPIC_OR_PARTITION is not among them: a broker that is starting says it of topics
 *     that exist. An emit topic deleted after it was checked is found by the check that follows the retry
 *     (owner-failure.ts forgets the failed tick's emit topics).
 * I3. Everything else (connection errors, timeouts, coordinators moving, retries exhausted) is
 *     `unavailable`: the same write may succeed later.
 */
import type { WriteFailure } from '../partition/index.js';
import { isFencingError } from './transactional-producer.js';

/** Kafka error types that refuse what was written (I2). */
export const REJECTED_TYPES: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_PARTITIONS',
]);

function typeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const type = (error as { type?: unknown }).type;
  return typeof type === 'string' ? type : undefined;
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
}

/** Error types of a request sent to a broker that is not (or no longer) the coordinator. */
const MOVED_COORDINATOR_TYPES: ReadonlySet<string> = new Set([
  'NOT_COORDINATOR',
  'NOT_COORDINATOR_FOR_GROUP',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
]);
/** KafkaJS's errors for a connection that failed or closed. */
const CONNECTION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
]);

/**
 * True when a request failed the way requests to a moved coordinator fail: answered NOT_COORDINATOR or
 * COORDINATOR_NOT_AVAILABLE, or lost with its connection (coordinator-cache-patch.ts I2).
 */
export function isMovedCoordinatorError(error: unknown): boolean {
  const type = typeOf(error);
  if (type !== undefined && MOVED_COORDINATOR_TYPES.has(type)) return true;
  const name = error instanceof Error ? error.name : undefined;
  return name !== undefined && CONNECTION_ERROR_NAMES.has(name);
}

/** Classifies a KafkaJS error thrown by a transactional write (I1–I3). */
export function classifyKafkaError(error: unknown): WriteFailure {
  const message = error instanceof Error ? error.message : String(error);
  for (const e of causes(error)) {
    const type = typeOf(e);
    if (isFencingError(e) || type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED')
      return { kind: 'fenced', message, type };
    const retriable = (e as { retriable?: unknown }).retriable;
    if (type !== undefined && REJECTED_TYPES.has(type) && retriable === false)
      return { kind: 'rejected', message, type };
  }
  return { kind: 'unavailable', message, type: typeOf(error) };
}
