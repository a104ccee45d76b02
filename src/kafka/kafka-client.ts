/**
 * The one place a KafkaJS client is made (STYLE §1: only `kafka/` imports kafkajs).
 *
 * I1. Brokers are given as `host:port` strings; `127.0.0.1` is preferred over `localhost`, which Node ≥17
 *     may resolve to `::1` while the local broker binds IPv4 only.
 * I2. KafkaJS's own log lines go to the Logger the caller gives (the executor's, the user's), tagged
 *     `source: kafkajs:<namespace>`, at the level LOGBOOK_KAFKAJS_LOG sets (default `error`); without a
 *     Logger they go to stderr as one JSON object a line. Nothing is written to stdout.
 * I3. CONCURRENT_TRANSACTIONS answers, which KafkaJS retries itself and logs at ERROR on every
 *     back-to-back transaction, are dropped below `debug`: they are expected, not trouble.
 * I4. Every client runs with KafkaJS's idle timer loop fixed (request-queue-patch.ts) and its coordinator
 *     lookups cached until one moves (coordinator-cache-patch.ts).
 */
import { Kafka, type KafkaConfig, type logCreator, logLevel } from 'kafkajs';
import { type Logger, type LogLevel, stderrLogger } from '../logging/index.js';
import { patchKafkaJs } from './kafkajs-patches.js';

/** Options for {@link createKafka}. */
export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Overrides LOGBOOK_KAFKAJS_LOG; one of `nothing`, `error`, `warn`, `info`, `debug`. */
  readonly logLevelName?: string;
  /** Connection timeout for each broker connection. */
  readonly connectionTimeoutMs?: number;
  /** Timeout of one Kafka request. */
  readonly requestTimeoutMs?: number;
  /** Where KafkaJS's log lines go (I2); stderr JSON lines by default. */
  readonly logger?: Logger;
}

const LEVELS: Readonly<Record<string, logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

const CONCURRENT_TRANSACTIONS_TEXT = 'another concurrent operation on the same transaction';

const TO_LOGBOOK: Readonly<Record<number, LogLevel>> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** KafkaJS log lines into `logger` (I2, I3). */
function logCreatorFor(logger: Logger): logCreator {
  return (threshold) =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const text = `${message} ${String(extra.error ?? '')}`;
      if (threshold < logLevel.DEBUG && text.includes(CONCURRENT_TRANSACTIONS_TEXT)) return; // I3
      logger.log(TO_LOGBOOK[level] ?? 'info', message, {
        source: `kafkajs:${namespace ?? 'kafkajs'}`,
        ...extra,
      });
    };
}

/** Parses a comma-separated broker list (`LOGBOOK_BROKERS` style) into addresses. */
export function parseBrokers(list: string): string[] {
  return list
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/** Makes a KafkaJS client with Logbook's logging and explicit timeouts. */
export function createKafka(options: KafkaClientOptions): Kafka {
  patchKafkaJs(); // I4
  const levelName = options.logLevelName ?? process.env.LOGBOOK_KAFKAJS_LOG ?? 'error';
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: LEVELS[levelName] ?? logLevel.ERROR,
    logCreator: logCreatorFor(options.logger ?? stderrLogger('debug')),
    // Kafka's coordinator answers CONCURRENT_TRANSACTIONS for a few ms after each commit; KafkaJS retries
    // it inside `send` with this policy, so a short first backoff keeps the commit loop fast.
    retry: { initialRetryTime: 2, maxRetryTime: 1_000, retries: 15, factor: 0.2, multiplier: 2 },
  };
  return new Kafka(config);
}
