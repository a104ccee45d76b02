/**
 * Reads chosen partitions of a topic over an offset range, read_committed, in batches. KafkaJS has no
 * manual `assign()`, so this joins a throw-away consumer group whose assigner hands its only member
 * exactly the wanted partitions, then seeks each one.
 *
 * I1. Isolation is READ_COMMITTED (`readUncommitted: false`): aborted records — a fenced zombie's — are
 *     never seen.
 * I2. Nothing is committed for the throw-away group; offsets come from the caller every time.
 * I3. Only messages in [from, end) reach the caller, whatever position KafkaJS fetched first.
 * I4. A partition is done once the reader has passed `end - 1`, read from KafkaJS's END_BATCH_PROCESS
 *     instrumentation, which also reports batches that held only transaction markers or aborted records
 *     (those never reach `eachBatch`).
 * I5. The read fails only when it stalls — no batch, not even an empty one, for `stallMs` — never because
 *     the whole took long; an abort signal ends it at once. The consumer is disconnected either way.
 */
import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Kafka, type KafkaMessage, type PartitionAssigner } from 'kafkajs';
import { ErrorCode, LogbookError } from '../errors.js';

/** Options for {@link readPartitions}. */
export interface PartitionReadOptions {
  readonly topic: string;
  /** Start offset per partition. */
  readonly from: ReadonlyMap<number, number>;
  /** Exclusive end offset per partition (I4). */
  readonly ends: ReadonlyMap<number, number>;
  /** Called for each batch's messages in range, in offset order; awaited before the next batch. */
  readonly onBatch: (partition: number, messages: readonly KafkaMessage[]) => void | Promise<void>;
  readonly stallMs: number;
  readonly groupPrefix: string;
  readonly signal?: AbortSignal;
  /** Bytes fetched per partition and request (catch-up reads big batches). */
  readonly maxBytesPerPartition?: number;
}

function fixedAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  return () => ({
    name: 'LogbookFixedAssigner',
    version: 1,
    async assign({ members }) {
      return members.map((member, i) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? { [topic]: [...partitions] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'LogbookFixedAssigner',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/** A read that stalled (I5): retriable. */
export class ReadStalledError extends LogbookError {
  override readonly name = 'ReadStalledError';
  constructor(message: string) {
    super(ErrorCode.Kafka, message, { retriable: true });
  }
}

/** Settles once every partition is done, the read stalls, or the signal aborts (I4, I5). */
class ReadProgress {
  readonly open: Set<number>;
  readonly done: Promise<void>;
  private finish!: () => void;
  private fail!: (error: Error) => void;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    partitions: readonly number[],
    private readonly options: PartitionReadOptions,
  ) {
    this.open = new Set(partitions);
    this.done = new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.progress();
    options.signal?.addEventListener(
      'abort',
      () => this.fail(new LogbookError(ErrorCode.Kafka, `reading ${options.topic} was stopped`)),
      { once: true },
    );
  }

  progress(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.ended) return; // a batch event during the consumer's disconnect must not re-arm the timer
    const { stallMs, topic } = this.options;
    this.timer = setTimeout(
      () => this.fail(new ReadStalledError(`reading ${topic} stalled: no batch for ${stallMs} ms`)),
      stallMs,
    );
  }

  close(partition: number): void {
    this.open.delete(partition);
    if (this.open.size === 0) this.finish();
  }

  end(): void {
    this.ended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/** Reads each partition of `from` up to its end (I1–I5). */
export async function readPartitions(kafka: Kafka, options: PartitionReadOptions): Promise<void> {
  const partitions = [...options.from.keys()];
  const progress = new ReadProgress(partitions, options);
  for (const p of partitions) if ((options.ends.get(p) ?? 0) <= (options.from.get(p) ?? 0)) progress.close(p);
  if (progress.open.size === 0) {
    progress.end();
    return;
  }
  const maxBytesPerPartition = options.maxBytesPerPartition ?? 8 * 1024 * 1024;
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix}.reader.${randomUUID()}`,
    partitionAssigners: [fixedAssigner(options.topic, partitions)],
    readUncommitted: false,
    maxWaitTimeInMs: 50,
    sessionTimeout: 30_000,
    maxBytesPerPartition,
    maxBytes: maxBytesPerPartition * 2,
    allowAutoTopicCreation: false,
    retry: { retries: 3 },
  });
  const passed = (partition: number, lastOffset: number): void => {
    if (progress.open.has(partition) && lastOffset >= (options.ends.get(partition) ?? 0) - 1)
      progress.close(partition); // I4
  };
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    progress.progress();
    passed(payload.partition, Number(payload.lastOffset));
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        if (!progress.open.has(batch.partition)) return;
        const start = options.from.get(batch.partition) ?? 0;
        const end = options.ends.get(batch.partition) ?? 0;
        const inRange = batch.messages.filter((m) => Number(m.offset) >= start && Number(m.offset) < end); // I3
        if (inRange.length > 0) await options.onBatch(batch.partition, inRange);
        progress.progress();
        await heartbeat();
        const last = inRange.at(-1);
        if (last !== undefined) passed(batch.partition, Number(last.offset));
      },
    });
    for (const [partition, offset] of options.from)
      consumer.seek({ topic: options.topic, partition, offset: String(offset) });
    await progress.done;
  } finally {
    progress.end();
    await consumer.disconnect().catch(() => undefined);
  }
}
