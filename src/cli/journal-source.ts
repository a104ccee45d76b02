/**
 * Where the journal tools read from: the namespace's journal topic on the brokers the flags name, streamed
 * partition by partition (kafka/journal-stream.ts), with a progress bar on stderr when it is a terminal.
 * Also the flag conversions the tools share (times, `--at`).
 *
 * I1. Nothing here keeps records; each tool folds what it needs as they stream.
 * I2. Times are ISO-8601 (`2026-12-03T17:00:00Z`, or a date alone) converted once here (args.ts I1).
 */
import type { Kafka } from 'kafkajs';
import type { JournalPoint } from '../audit/index.js';
import { ConfigError } from '../errors.js';
import { defaultBrokers, defaultNamespace } from '../executor/executor-options.js';
import {
  createKafka,
  type JournalStreamHandlers,
  journalExtents,
  parseBrokers,
  partitionFor,
  streamJournal,
  topicNames,
} from '../kafka/index.js';
import { type ParsedArgs, stringFlag } from './args.js';
import { ProgressBar } from './progress-bar.js';

/** Milliseconds a read may go without any batch before it fails (partition-reader.ts I5). */
export const JOURNAL_STALL_MS = 60_000;

/**
 * Bytes fetched per request. A fetch is decoded whole (KafkaJS message objects, then journal records),
 * several times its size in heap, so this sets the tools' peak memory; 1 MiB reads as fast as 8 MiB here.
 */
export const JOURNAL_FETCH_BYTES = 1024 * 1024;

/** One namespace's journal, ready to stream. */
export class JournalSource {
  private constructor(
    readonly kafka: Kafka,
    readonly namespace: string,
    readonly topic: string,
  ) {}

  /** The journal of the `--brokers` and `--namespace` flags (or their environment defaults). */
  static fromFlags(args: ParsedArgs): JournalSource {
    const brokers = stringFlag(args, 'brokers');
    const ns = stringFlag(args, 'namespace') ?? defaultNamespace();
    const kafka = createKafka({
      brokers: brokers === undefined ? defaultBrokers() : parseBrokers(brokers),
      clientId: 'logbook-journal',
    });
    return new JournalSource(kafka, ns, topicNames(ns).journal);
  }

  /** The partition that holds workflow `id`'s records (the topic's partition count, murmur2). */
  async partitionOf(id: string): Promise<number> {
    const extents = await journalExtents(this.kafka, this.topic);
    if (extents.length === 0) throw new ConfigError(`the journal topic ${this.topic} has no partitions.`);
    return partitionFor(id, extents.length);
  }

  /** Streams the journal (or `partitions` of it) to `handlers`, drawing progress on stderr (I1). */
  async stream(
    handlers: Omit<JournalStreamHandlers, 'onProgress'>,
    partitions?: readonly number[],
  ): Promise<{ readonly records: number; readonly voided: number }> {
    const bar = new ProgressBar(process.stderr, `reading ${this.topic}`);
    try {
      return await streamJournal(
        this.kafka,
        {
          topic: this.topic,
          groupPrefix: `${this.namespace}.journal-cli`,
          stallMs: JOURNAL_STALL_MS,
          maxBytesPerPartition: JOURNAL_FETCH_BYTES,
          ...(partitions === undefined ? {} : { partitions }),
        },
        { ...handlers, onProgress: (read, total) => bar.update(read, total) },
      );
    } finally {
      bar.finish();
    }
  }
}

/** Reads an ISO-8601 time flag as epoch milliseconds (I2). */
export function timeFlag(args: ParsedArgs, name: string): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms)) {
    throw new ConfigError(`--${name} must be an ISO-8601 time such as 2026-12-03T17:00:00Z, not "${raw}".`);
  }
  return ms;
}

/** Reads `--at`: a journal offset (digits) or an ISO-8601 time (I2). */
export function pointFlag(args: ParsedArgs): JournalPoint | undefined {
  const raw = stringFlag(args, 'at');
  if (raw === undefined) return undefined;
  if (/^\d+$/.test(raw)) return { kind: 'offset', offset: Number(raw) };
  const atMs = Date.parse(raw);
  if (!Number.isFinite(atMs)) {
    throw new ConfigError(`--at must be a journal offset or an ISO-8601 time, not "${raw}".`);
  }
  return { kind: 'time', atMs };
}
