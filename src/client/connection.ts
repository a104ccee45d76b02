/**
 * A client's connection to Kafka (client.ts): one idempotent producer for commands, and one consumer of
 * `ns.events` in a group of its own that hands every event to the client's waiters.
 *
 * I1. Events are read read_committed: an aborted tick's events are never seen.
 * I2. A connect that fails half-way disconnects what it opened, and a later call connects anew; `close()`
 *     never throws for it.
 * I3. A consumer that crashes for good is replaced: the next call connects anew, and one more connect is
 *     made after a second, so a waiting `result()` keeps waiting through a broker outage.
 * I4. An idle client costs next to nothing: its event fetches wait on the broker (which answers as soon as
 *     an event is committed) up to EVENT_FETCH_WAIT_MS while events flow and up to the idle wait once none
 *     came for a few seconds (kafka/fetch-wait.ts); closing ends the fetch in flight.
 * I5. Events are taken a fetched batch at a time, and the batch's position resolved past its last record,
 *     commit markers included. Taken a message at a time, KafkaJS resolves the last event's offset, so the
 *     commit marker after it was fetched a second time, alone: one extra fetch per committed tick.
 * I6. A record on the events topic that is not a Logbook event is logged (warn, with its partition and
 *     offset) and skipped: thrown into the consumer, it would have stopped every event after it.
 * I7. A producer whose produce failed is replaced before the next one. KafkaJS 2.2.4 rolls back the
 *     sequence numbers of every partition of a failed request, those the broker appended included, so the
 *     producer's next batch on such a partition would be OUT_OF_ORDER_SEQUENCE_NUMBER or, holding as many
 *     records as the appended one, taken by the broker for its retry: acknowledged and never written
 *     (tick-writer.ts I5, D39). A new producer has a new producer id and fresh sequences. One made while
 *     the connection closes or is dropped after a crash is disconnected, not used.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Message, Producer } from 'kafkajs';
import { ErrorCode, errorMessage, LogbookError } from '../errors.js';
import { FetchWait, fetchWaitLimits, fetchWaitOption, type TopicNames } from '../kafka/index.js';
import type { Logger } from '../logging/index.js';
import type { WorkflowEvent } from '../machine/index.js';

/** Longest an event fetch waits on the broker while events flow; it answers at once when one arrives (I4). */
const EVENT_FETCH_WAIT_MS = 500;
/** KafkaJS's default group session, which the client's consumer keeps. */
const EVENT_SESSION_TIMEOUT_MS = 30_000;

/** An open connection, with the state of its producer (I7). */
interface Open {
  producer: Producer;
  readonly consumer: Consumer;
  /** The producer's last produce failed: it is replaced before the next (I7). */
  spoiled: boolean;
  /** Closed, or dropped after a crash: a producer made for it is disconnected at once (I7). */
  dead: boolean;
}

/** The producer and events consumer of one client. */
export class ClientConnection {
  private closed = false;
  private connecting: Promise<Open> | undefined;
  private fetchWait: FetchWait | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: TopicNames,
    private readonly logger: Logger,
    private readonly onEvent: (event: WorkflowEvent) => void,
  ) {}

  /** Connects, if not connected yet: positioned on the events topic, the producer ready. */
  async connect(): Promise<void> {
    await this.opened();
  }

  private opened(): Promise<Open> {
    this.connecting ??= this.open();
    return this.connecting;
  }

  /** Sends `messages` to the commands topic (acks=all) on a producer no failed produce spoiled (I7). */
  async produce(messages: readonly Message[]): Promise<void> {
    const open = await this.opened();
    if (open.spoiled) await this.replaceProducer(open);
    try {
      await open.producer.send({ topic: this.topics.commands, acks: -1, messages: [...messages] });
    } catch (error) {
      open.spoiled = true;
      throw error;
    }
  }

  /** A new producer in place of one whose produce failed (I7); the old one is disconnected. */
  private async replaceProducer(open: Open): Promise<void> {
    const fresh = this.newProducer();
    try {
      await fresh.connect();
      if (open.dead) throw new LogbookError(ErrorCode.Kafka, 'the client connection closed meanwhile');
    } catch (error) {
      await fresh.disconnect().catch(() => undefined);
      throw error;
    }
    const old = open.producer;
    open.producer = fresh;
    open.spoiled = false;
    await old.disconnect().catch(() => undefined);
  }

  private newProducer(): Producer {
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  private async open(): Promise<Open> {
    const producer = this.newProducer();
    const fetchWait = new FetchWait(
      fetchWaitLimits(EVENT_FETCH_WAIT_MS, EVENT_SESSION_TIMEOUT_MS),
      Date.now(),
    );
    this.fetchWait = fetchWait;
    const consumer = this.kafka.consumer({
      groupId: `${this.topics.events}.client.${randomUUID()}`,
      readUncommitted: false, // I1
      sessionTimeout: EVENT_SESSION_TIMEOUT_MS,
      maxWaitTimeInMs: fetchWaitOption(fetchWait), // I4
    });
    const open: Open = { producer, consumer, spoiled: false, dead: false };
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: this.topics.events, fromBeginning: false });
      const positioned = new Promise<void>((resolve) => {
        const off = consumer.on(consumer.events.FETCH, () => {
          off();
          resolve();
        });
      });
      consumer.on(consumer.events.CRASH, (event) => {
        if (event.payload.restart || this.closed) return; // KafkaJS restarts it itself (I3)
        this.connecting = undefined; // the next call connects anew
        open.dead = true;
        fetchWait.stop();
        void Promise.all([open.producer.disconnect(), consumer.disconnect()]).catch(() => undefined);
        setTimeout(() => {
          if (!this.closed) void this.connect().catch(() => undefined);
        }, 1_000).unref();
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true, // I5
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) this.take(message.value, batch.partition, message.offset);
        },
      });
      await positioned;
      return open;
    } catch (error) {
      // I2: leave nothing connected, and let a later call try again.
      this.connecting = undefined;
      fetchWait.stop();
      await Promise.all([
        producer.disconnect().catch(() => undefined),
        consumer.disconnect().catch(() => undefined),
      ]);
      const message = `could not connect to Kafka for namespace topics ${this.topics.commands}, ${this.topics.events}: ${errorMessage(error)}`;
      throw new LogbookError(ErrorCode.Kafka, message, { retriable: true, cause: error });
    }
  }

  /** Hands one record of the events topic on; one that is not a Logbook event is logged and skipped (I6). */
  private take(value: Buffer | null, partition: number, offset: string): void {
    if (value === null) return;
    let event: unknown;
    try {
      event = JSON.parse(value.toString());
    } catch {
      event = undefined;
    }
    if (typeof event === 'object' && event !== null && typeof (event as { id?: unknown }).id === 'string') {
      this.onEvent(event as WorkflowEvent);
      return;
    }
    this.logger.log('warn', 'skipped a record of the events topic that is not a Logbook event', {
      topic: this.topics.events,
      partition,
      offset,
    });
  }

  /** Disconnects; a failed connect cleaned up after itself (I2). */
  async close(): Promise<void> {
    this.closed = true;
    const connecting = this.connecting;
    this.connecting = undefined;
    const open = await connecting?.catch(() => undefined);
    this.fetchWait?.stop(); // I4
    if (open === undefined) return;
    open.dead = true; // a producer being made in its place is disconnected once connected (I7)
    await Promise.all([open.producer.disconnect(), open.consumer.disconnect()]);
  }
}
