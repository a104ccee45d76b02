/**
 * Reads chosen partitions of a topic from given offsets, read_committed, until the caller says stop.
 * KafkaJS has no manual `assign()`, so this joins a throw-away consumer group whose assigner hands its
 * only member exactly the wanted partitions, then seeks each one.
 *
 * I1. Isolation is READ_COMMITTED (`readUncommitted: false`): aborted records — a fenced zombie's — are
 *     never seen.
 * I2. Nothing is committed for the throw-away group; offsets come from the caller every time.
 * I3. Messages below a partition's start offset are dropped, whatever position KafkaJS fetched first.
 * I4. With `ends`, a partition is done once a fetched batch reaches its end, read from KafkaJS's
 *     END_BATCH_PROCESS instrumentation, which also reports batches that held only transaction markers or
 *     aborted records (those never reach `eachBatch`).
 */
import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type Kafka, type KafkaMessage, type PartitionAssigner } from 'kafkajs';

/** Options for {@link readPartitions}. */
export interface PartitionReadOptions {
  readonly topic: string;
  /** Start offset per partition. */
  readonly from: ReadonlyMap<number, number>;
  /** Called for each message in offset order per partition; return true once that partition is done. */
  readonly onMessage: (partition: number, message: KafkaMessage) => boolean | Promise<boolean>;
  readonly timeoutMs: number;
  readonly groupPrefix: string;
  /**
   * Also done with a partition once the reader has passed this offset (exclusive end, e.g. a high
   * watermark read before), counting transaction markers and aborted records the consumer skips (I4).
   */
  readonly ends?: ReadonlyMap<number, number>;
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

/** Reads each partition in `from` until `onMessage` returns true for it (I1–I3). */
export async function readPartitions(kafka: Kafka, options: PartitionReadOptions): Promise<void> {
  const partitions = [...options.from.keys()];
  if (partitions.length === 0) return;
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix}.reader.${randomUUID()}`,
    partitionAssigners: [fixedAssigner(options.topic, partitions)],
    readUncommitted: false,
    maxWaitTimeInMs: 20,
    sessionTimeout: 30_000,
    allowAutoTopicCreation: false,
  });
  const open = new Set(partitions);
  const close = (partition: number): void => {
    open.delete(partition);
    if (open.size === 0) finish?.();
  };
  let finish: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(
    () => fail?.(new Error(`reading ${options.topic} timed out after ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  const ends = options.ends;
  if (ends !== undefined) {
    for (const [partition, end] of ends) if (end <= (options.from.get(partition) ?? 0)) close(partition);
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const end = ends.get(payload.partition);
      if (end !== undefined && open.has(payload.partition) && Number(payload.lastOffset) >= end - 1)
        close(payload.partition); // I4
    });
  }
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (!open.has(batch.partition)) return;
        const start = options.from.get(batch.partition) ?? 0;
        for (const message of batch.messages) {
          if (Number(message.offset) < start) continue; // I3
          if (await options.onMessage(batch.partition, message)) {
            close(batch.partition);
            return;
          }
        }
      },
    });
    for (const [partition, offset] of options.from)
      consumer.seek({ topic: options.topic, partition, offset: String(offset) });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}
