/**
 * Writes one tick of a partition: in one Kafka transaction (journal records, events, dead letters, emits
 * and routed commands; DESIGN §3, group commit), or as single produces (I6). The consumer group's offset is
 * not in it (owner-tick.ts I2).
 *
 * I1. All or nothing: either every message or none is visible to read_committed readers. On any failure
 *     the transaction is aborted (best effort) and the error rethrown.
 * I2. A fencing error (a newer owner holds the transactional id) surfaces as FencedError: this owner must
 *     stop at once and never retry.
 * I4. Two transactional producers take turns (`<id>` and `<id>.b`). After EndTxn returns, the coordinator
 *     still writes the commit markers, and the same producer's next AddPartitionsToTxn is answered
 *     CONCURRENT_TRANSACTIONS until it has; the other producer need not wait (measured here: a tick's
 *     transaction 2.8–5.7 ms p50 with one producer, 1.4–1.9 ms with two). Order is kept because a write
 *     starts only after the previous one's EndTxn returned: its records are appended after the previous
 *     ones, and read_committed readers see records in offset order. Connecting fences both ids.
 * I5. After a failed write the writer is `reset` before the next one, by the owner or else by the next
 *     write itself: no write goes out on a producer whose state a failure may have spoiled. Resets run one
 *     at a time; a write and `close` wait for the one under way. A write whose own reset failed sent
 *     nothing (NotSentError). A fenced writer is never reset: that would fence the newer owner (I2).
 *     - KafkaJS leaves a producer whose EndTxn failed unusable, and only a new InitProducerId settles the
 *       transaction it left open.
 *     - A produce the broker refuses for one partition (MESSAGE_TOO_LARGE on an emit topic) rolls back the
 *       sequence numbers of every partition in its request, those the broker appended included
 *       (KafkaJS 2.2.4 `producer/sendMessages.js`), and the abort does not restore them. The producer's
 *       next batch on such a partition is then OUT_OF_ORDER_SEQUENCE_NUMBER, or, when it holds as many
 *       records as the appended one, taken by the broker for that batch's retry: acknowledged with the
 *       aborted batch's offset and never written (kafka-refusal.test.ts shows the second; the first was
 *       its flake, D39).
 * I6. `append` sends the records of one partition (a journal-only tick, or a tick's journal records and
 *     then its events: tick-events.ts) as one idempotent produce (acks=all, one request in flight) under a
 *     third transactional id, `<id>.s` (fenced-appender.ts): one round trip instead of a transaction's four.
 *     It starts only after the previous write returned, like every write (I4), so offsets keep tick order.
 * I7. `claim` writes the owner's claim in a transaction of `<id>.s`, so from the claim on the broker rejects
 *     every single produce of an earlier holder of the partition (fenced-appender.ts I2, ports.ts I4).
 * I8. `fence` writes one record in a transaction of `<id>.s` that it aborts, so the broker rejects an
 *     earlier holder's single produces on that partition from it on and no reader sees it (ports.ts I5).
 * I9. Given a node's AppendChannel, `append` goes out in requests shared with the node's other owners
 *     (append-channel.ts, fenced-appender.ts I6): the same batch under the same producer, so I6–I8 hold.
 */
import type { Kafka, Producer } from 'kafkajs';
import { ErrorCode, errorMessage, FencedError, LogbookError, NotSentError } from '../errors.js';
import type { BaseOffsets, JournalWriter, OutMessage, WriteFailure } from '../partition/index.js';
import type { AppendChannel } from './append-channel.js';
import { FencedAppender } from './fenced-appender.js';
import { classifyKafkaError } from './kafka-errors.js';
import { baseOffsetsOf, onePartition, topicMessagesOf } from './out-messages.js';
import { connectTransactionalProducer, isFencingError } from './transactional-producer.js';

export type { BaseOffsets, OutMessage } from '../partition/index.js';

/** One partition owner's transactional writer. */
export class TickWriter implements JournalWriter {
  private turn = 0;
  /** A write failed and no reset followed yet (I5). */
  private spoiled = false;
  /** The reset under way: one at a time, and every write and the close wait for it (I5). */
  private resetting: Promise<void> | undefined;
  /** Set once a newer owner fenced this one: no write or reset goes out after it (I2). */
  private fencedBy: FencedError | undefined;
  private closed = false;

  private constructor(
    private readonly kafka: Kafka,
    private readonly transactionalId: string,
    private producers: readonly Producer[],
    private appender: FencedAppender,
    private readonly channel: AppendChannel | undefined,
  ) {}

  /** The transactional ids of the writer's transactions (I4); `append` and `claim` use `<id>.s` (I6, I7). */
  static transactionalIds(transactionalId: string): string[] {
    return [transactionalId, `${transactionalId}.b`];
  }

  /**
   * Connects and fences every earlier holder of the writer's transactional ids (I4, I6); its appends share
   * `channel`'s requests when given (I9).
   */
  static async connect(kafka: Kafka, transactionalId: string, channel?: AppendChannel): Promise<TickWriter> {
    const [producers, appender] = await TickWriter.connectAll(kafka, transactionalId, channel);
    return new TickWriter(kafka, transactionalId, producers, appender, channel);
  }

  /** The transactional producers (I4) and the fenced appender (I6, I7), connected side by side. */
  private static async connectAll(
    kafka: Kafka,
    transactionalId: string,
    channel: AppendChannel | undefined,
  ): Promise<[Producer[], FencedAppender]> {
    const appenderId = `${transactionalId}.s`;
    const [producers, appenders] = await Promise.all([
      Promise.allSettled(
        TickWriter.transactionalIds(transactionalId).map((id) =>
          connecting(id, connectTransactionalProducer(kafka, { transactionalId: id })),
        ),
      ),
      Promise.allSettled([connecting(appenderId, FencedAppender.connect(kafka, appenderId, channel))]),
    ]);
    const connected = fulfilled(producers);
    const appender = fulfilled(appenders)[0];
    const failure = [...producers, ...appenders].find((r) => r.status === 'rejected');
    if (failure === undefined && appender !== undefined) return [connected, appender];
    await disconnectAll(connected, appender);
    throw failure?.reason;
  }

  /**
   * Replaces the producers after a failed write (I5): the new ones fence the old ones, which aborts or
   * completes any transaction left open, so the journal's end can be read right after.
   */
  reset(): Promise<void> {
    this.resetting ??= this.replace().finally(() => {
      this.resetting = undefined;
    });
    return this.resetting;
  }

  private async replace(): Promise<void> {
    if (this.fencedBy !== undefined) throw this.fencedBy; // a reset would fence the newer owner (I2)
    const old = this.producers;
    this.producers = [];
    this.spoiled = true; // until the new producers are connected
    await disconnectAll(old, this.appender);
    const [producers, appender] = await TickWriter.connectAll(
      this.kafka,
      this.transactionalId,
      this.channel,
    ).catch((error: unknown) => {
      if (error instanceof FencedError) this.fencedBy = error; // fenced while connecting (I2)
      throw error;
    });
    if (this.closed) {
      await disconnectAll(producers, appender);
      throw new LogbookError(ErrorCode.Kafka, 'the writer was closed during its reset');
    }
    [this.producers, this.appender, this.spoiled] = [producers, appender, false];
  }

  /** Sorts a write error into fenced, rejected or unavailable (partition/ports.ts). */
  classify(error: unknown): WriteFailure {
    if (error instanceof FencedError) return { kind: 'fenced', message: error.message, type: undefined };
    return classifyKafkaError(error);
  }

  private nextProducer(): Producer {
    const producer = this.producers[this.turn % this.producers.length];
    this.turn++;
    if (producer === undefined) throw new LogbookError(ErrorCode.Bug, 'TickWriter has no producer');
    return producer;
  }

  /** Writes `messages` in one transaction (I1, I2). */
  async write(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    return this.writing(async () => {
      const txn = await this.nextProducer().transaction(); // I4
      try {
        const topicMessages = topicMessagesOf(messages);
        const metadata = topicMessages.length === 0 ? [] : await txn.sendBatch({ acks: -1, topicMessages });
        await txn.commit();
        return baseOffsetsOf(metadata);
      } catch (error) {
        if (txn.isActive()) await txn.abort().catch(() => undefined);
        throw error;
      }
    });
  }

  /** Writes `messages`, all of one partition, as one idempotent produce under `<id>.s` (I6). */
  async append(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    if (messages.length === 0) return new Map();
    onePartition(messages);
    return this.writing(() => this.appender.append(messages));
  }

  /** Writes the owner's claim in a transaction of `<id>.s` (I7). */
  async claim(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    return this.writing(() => this.appender.claim(messages));
  }

  /** Writes `message` in an aborted transaction of `<id>.s` and returns its offset (I8). */
  async fence(message: OutMessage): Promise<number> {
    return this.writing(() => this.appender.fence(message));
  }

  /** Runs a write on producers no failure spoiled (I5); a fencing error surfaces as FencedError (I2). */
  private async writing<T>(write: () => Promise<T>): Promise<T> {
    if (this.fencedBy !== undefined) throw this.fencedBy;
    if (this.spoiled) {
      // also while a reset is under way: it sets `spoiled` until its producers are connected
      try {
        await this.reset();
      } catch (error) {
        if (error instanceof FencedError) throw error;
        throw new NotSentError(`the writer could not be reset: ${errorMessage(error)}`, { cause: error });
      }
    }
    try {
      return await write();
    } catch (error) {
      if (!isFencingError(error)) {
        this.spoiled = true;
        throw error;
      }
      this.fencedBy = new FencedError(`fenced by a newer owner: ${errorMessage(error)}`, { cause: error });
      throw this.fencedBy;
    }
  }

  /** Disconnects the producers, once a reset under way has ended. */
  async close(): Promise<void> {
    this.closed = true;
    await this.resetting?.catch(() => undefined);
    await disconnectAll(this.producers, this.appender);
  }
}

/** Connects `what` for transactional id `id`: fenced while connecting is FencedError, else retriable. */
async function connecting<T>(id: string, what: Promise<T>): Promise<T> {
  try {
    return await what;
  } catch (error) {
    if (error instanceof LogbookError) throw error;
    if (isFencingError(error)) throw new FencedError(`fenced while connecting ${id}`, { cause: error });
    const message = `cannot start transactional producer ${id}: ${errorMessage(error)}`;
    throw new LogbookError(ErrorCode.Kafka, message, { retriable: true, cause: error });
  }
}

function fulfilled<T>(results: readonly PromiseSettledResult<T>[]): T[] {
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

/** Disconnects producers and the appender, ignoring errors: they are being dropped. */
async function disconnectAll(
  producers: readonly Producer[],
  appender: FencedAppender | undefined,
): Promise<void> {
  const closing = [
    ...producers.map((p) => p.disconnect()),
    ...(appender === undefined ? [] : [appender.close()]),
  ];
  await Promise.all(closing.map((p) => p.catch(() => undefined)));
}
