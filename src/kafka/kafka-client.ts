/**
 * The one place a KafkaJS client is made (STYLE §1: only `kafka/` imports kafkajs).
 *
 * I1. Brokers are given as `host:port` strings; `127.0.0.1` is preferred over `localhost`, which Node ≥17
 *     may resolve to `::1` while the local broker binds IPv4 only.
 * I2. KafkaJS's own log lines go to stderr as one JSON object a line, at the level LOGBOOK_KAFKAJS_LOG sets
 *     (default `error`), so an operator sees broker trouble without drowning in retry chatter.
 * I3. CONCURRENT_TRANSACTIONS answers, which KafkaJS retries itself and logs at ERROR on every
 *     back-to-back transaction, are dropped below `debug`: they are expected, not trouble.
 */
import { Kafka, type KafkaConfig, type logCreator, logLevel } from 'kafkajs';

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
}

const LEVELS: Readonly<Record<string, logLevel>> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

const CONCURRENT_TRANSACTIONS_TEXT = 'another concurrent operation on the same transaction';

const stderrLogCreator: logCreator =
  (threshold) =>
  ({ namespace, level, log }) => {
    const { message, timestamp, ...extra } = log;
    const text = `${message} ${String(extra.error ?? '')}`;
    if (threshold < logLevel.DEBUG && text.includes(CONCURRENT_TRANSACTIONS_TEXT)) return; // I3
    const line = { at: timestamp, level: logLevel[level], source: `kafkajs:${namespace}`, message, ...extra };
    process.stderr.write(`${JSON.stringify(line)}\n`);
  };

/** Parses a comma-separated broker list (`LOGBOOK_BROKERS` style) into addresses. */
export function parseBrokers(list: string): string[] {
  return list
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

/** Makes a KafkaJS client with Logbook's logging and explicit timeouts. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const levelName = options.logLevelName ?? process.env.LOGBOOK_KAFKAJS_LOG ?? 'error';
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: LEVELS[levelName] ?? logLevel.ERROR,
    logCreator: stderrLogCreator,
    // Kafka's coordinator answers CONCURRENT_TRANSACTIONS for a few ms after each commit; KafkaJS retries
    // it inside `send` with this policy, so a short first backoff keeps the commit loop fast.
    retry: { initialRetryTime: 2, maxRetryTime: 1_000, retries: 15, factor: 0.2, multiplier: 2 },
  };
  return new Kafka(config);
}
