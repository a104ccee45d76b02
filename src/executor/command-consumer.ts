/**
 * The executor's consumer of `ns.commands`: one member of the namespace's consumer group. It only routes —
 * batches to the partition's owner, assignments to the executor — and keeps the fetch loop healthy.
 *
 * I1. KafkaJS callbacks only route: `eachBatch` hands a partition's commands to its owner, `GROUP_JOIN`
 *     tells the host what is assigned. Offsets are never auto-committed (I6).
 * I2. A batch is resolved only once its owner took it. Otherwise the partition is paused (its batch is
 *     fetched again from the last resolved offset when it resumes), so a slow or absent owner never holds
 *     up the other partitions' fetches (KafkaJS waits for every batch of a fetch before the next).
 * I3. A new owner's commands are read from its journaled position: `seek` there when it runs, so commands
 *     an earlier owner took but never committed are read again.
 * I4. Nothing here lets a promise reject unhandled: a consumer that crashes for good is replaced after a
 *     backoff, and `seek` or `resume` on a consumer that is restarting is skipped or retried.
 * I7. A consumer that crashes while the executor stops is not restarted. KafkaJS decides to restart a
 *     crashed consumer after its own disconnect and arms the restart after that, so a `disconnect()` made
 *     while a crash was being handled (a broker outage during a stop) was followed by a restart: a
 *     stopped executor's consumer rejoined the group and held partitions it never served.
 *     `restartOnFailure` answers no once stopping.
 * I5. Idle costs next to nothing: the resume check runs only while a partition is paused, and fetches wait
 *     on the broker (which answers as soon as a record arrives, so a wait adds no latency) up to
 *     COMMAND_FETCH_WAIT_MS while commands flow, and up to the idle wait once none came for a few seconds
 *     (kafka/fetch-wait.ts: a third of the session, at most 3 s). A seek or a paused partition makes the
 *     next fetch short again, and a stop ends the fetch in flight.
 * I6. Every `offsetCommitIntervalMs` the group's offset of each assigned partition is committed at its
 *     owner's confirmed command position (positions.ts I2), when it moved: one OffsetCommit request for
 *     every partition, outside every tick. The journal, not the group, says where an owner resumes
 *     (owner.ts I3), so the group offset only shows lag; a commit that fails is logged at debug and made
 *     again at the next interval.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { errorMessage } from '../errors.js';
import { FetchWait, fetchWaitLimits, fetchWaitOption } from '../kafka/index.js';
import type { Logger } from '../logging/index.js';
import type { CommandMessage } from '../partition/index.js';

/** How often paused partitions are checked for an owner that can take commands again (I2, I5). */
const RESUME_CHECK_MS = 25;
/**
 * Longest a command fetch waits on the broker for new records while commands flow (I5). The broker answers
 * at once when a record arrives, so this bounds only how often the executor asks.
 */
export const COMMAND_FETCH_WAIT_MS = 500;
/** Wait before a consumer that crashed for good is replaced (I4). */
const CONSUMER_RESTART_MS = 2_000;

/** A partition's owner, as the consumer sees it. */
export interface CommandOwner {
  canAccept(): boolean;
  offer(messages: readonly CommandMessage[]): void;
  /** The command position the group may hold (I6). */
  readonly confirmedCommandOffset: number;
}

/** What the consumer routes to. */
export interface CommandConsumerHost {
  readonly logger: Logger;
  /** The running owner of partition `p` here, if any. */
  owner(p: number): CommandOwner | undefined;
  /** The group assigned these partitions here (I1). */
  assigned(partitions: Set<number>): void;
}

/** How the consumer joins the group. */
export interface CommandConsumerOptions {
  readonly groupId: string;
  readonly topic: string;
  readonly sessionTimeoutMs: number;
  /** Partitions whose batches may be handled at once (the topic's partition count). */
  readonly concurrency: number;
  /** How often confirmed positions are committed to the group (I6). */
  readonly offsetCommitIntervalMs: number;
}

/** The consumer of `ns.commands` of one executor. */
export class CommandConsumer {
  private consumer: Consumer | undefined;
  private fetchWait: FetchWait | undefined;
  private readonly paused = new Set<number>();
  private resumeTimer: NodeJS.Timeout | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing = false;
  /** The offsets this consumer committed, by partition, since it last joined the group (I6). */
  private readonly committed = new Map<number, number>();
  private stopping = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: CommandConsumerOptions,
    private readonly host: CommandConsumerHost,
  ) {}

  /** Joins the group; resolves once the consumer runs. */
  async start(): Promise<void> {
    const { groupId, topic, sessionTimeoutMs, concurrency } = this.options;
    const fetchWait = new FetchWait(fetchWaitLimits(COMMAND_FETCH_WAIT_MS, sessionTimeoutMs), Date.now());
    const consumer = this.kafka.consumer({
      groupId,
      readUncommitted: false,
      sessionTimeout: sessionTimeoutMs,
      rebalanceTimeout: Math.max(30_000, sessionTimeoutMs),
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: fetchWaitOption(fetchWait), // I5
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => !this.stopping }, // I7
    });
    this.consumer = consumer;
    this.fetchWait = fetchWait;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.committed.clear(); // another member may have committed meanwhile: commit anew (I6)
      this.host.assigned(new Set(event.payload.memberAssignment[topic] ?? [])); // I1
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.stopping) return; // KafkaJS restarts it itself
      this.host.logger.log('error', 'consumer crashed; replacing it', {
        error: errorMessage(event.payload.error),
      });
      setTimeout(() => void this.replace(consumer), CONSUMER_RESTART_MS).unref(); // I4
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, concurrency),
      eachBatch: (payload) => this.onBatch(payload),
    });
    if (this.commitTimer === undefined) {
      this.commitTimer = setInterval(() => void this.commitPositions(), this.options.offsetCommitIntervalMs);
      this.commitTimer.unref();
    }
  }

  /** Commits the owners' confirmed positions that moved (I6). */
  private async commitPositions(): Promise<void> {
    const consumer = this.consumer;
    if (this.committing || this.stopping || consumer === undefined) return;
    const moved: { partition: number; offset: number }[] = [];
    for (let partition = 0; partition < this.options.concurrency; partition++) {
      const offset = this.host.owner(partition)?.confirmedCommandOffset; // owners run on assigned ones only
      if (offset !== undefined && offset !== this.committed.get(partition)) moved.push({ partition, offset });
    }
    if (moved.length === 0) return;
    this.committing = true;
    try {
      const { topic } = this.options;
      await consumer.commitOffsets(
        moved.map((m) => ({ topic, partition: m.partition, offset: String(m.offset) })),
      );
      for (const m of moved) this.committed.set(m.partition, m.offset);
    } catch (error) {
      this.host.logger.log('debug', 'group offset commit failed; retrying at the next interval', {
        error: errorMessage(error),
      });
    } finally {
      this.committing = false;
    }
  }

  private async replace(crashed: Consumer): Promise<void> {
    if (this.stopping || this.consumer !== crashed) return;
    this.fetchWait?.stop();
    await crashed.disconnect().catch(() => undefined);
    if (this.stopping) return; // the executor stopped meanwhile (I7)
    try {
      await this.start();
    } catch (error) {
      this.host.logger.log('error', 'could not restart the consumer; retrying', {
        error: errorMessage(error),
      });
      setTimeout(() => void this.replace(this.consumer ?? crashed), CONSUMER_RESTART_MS).unref();
    }
  }

  private async onBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const owner = this.host.owner(batch.partition);
    if (owner?.canAccept() && !this.stopping) {
      owner.offer(batch.messages);
      resolveOffset(batch.lastOffset());
      return;
    }
    this.pause(batch.partition); // I2
  }

  private pause(p: number): void {
    try {
      this.consumer?.pause([{ topic: this.options.topic, partitions: [p] }]);
      this.paused.add(p);
      if (this.resumeTimer === undefined && !this.stopping) {
        this.resumeTimer = setInterval(() => this.resumePaused(), RESUME_CHECK_MS); // I5
        this.resumeTimer.unref();
      }
    } catch {
      // The consumer is restarting; its next batch for p comes back here.
    }
  }

  /** Resumes paused partitions whose owner can take commands (I2). */
  private resumePaused(): void {
    for (const p of [...this.paused]) {
      const owner = this.host.owner(p);
      if (owner === undefined || !owner.canAccept()) continue;
      try {
        this.consumer?.resume([{ topic: this.options.topic, partitions: [p] }]);
        this.paused.delete(p);
      } catch {
        // The consumer is restarting (I4); try again on the next check.
      }
    }
    if (this.paused.size === 0 && this.resumeTimer !== undefined) {
      clearInterval(this.resumeTimer); // I5
      this.resumeTimer = undefined;
    }
  }

  /** I3: a new owner reads commands from its journaled position. */
  seek(p: number, offset: number): void {
    try {
      this.consumer?.seek({ topic: this.options.topic, partition: p, offset: String(offset) });
      this.fetchWait?.wake(Date.now()); // I5
    } catch (error) {
      // A restarting consumer fetches from the group's committed offset, which is never ahead of the
      // journaled one; the owner drops what it already has (owner.ts I3).
      this.host.logger.log('debug', 'seek skipped: consumer restarting', {
        partition: p,
        error: errorMessage(error),
      });
    }
  }

  /** Stops handing batches to owners (they are stopping); the consumer stays in the group. */
  stopTaking(): void {
    this.stopping = true;
    if (this.resumeTimer !== undefined) clearInterval(this.resumeTimer);
    this.resumeTimer = undefined;
    if (this.commitTimer !== undefined) clearInterval(this.commitTimer);
    this.commitTimer = undefined;
  }

  /** Leaves the group. */
  async disconnect(): Promise<void> {
    this.stopTaking();
    this.fetchWait?.stop(); // I5
    await this.consumer?.disconnect().catch(() => undefined);
  }
}
