/**
 * The executor: one member of the namespace's consumer group (DESIGN §3, §7). It creates the topics,
 * opens the node's cache, joins the group on `ns.commands`, and keeps one PartitionSlot per partition;
 * Kafka's group protocol decides who owns what, transactional-id fencing makes it safe.
 *
 * I1. KafkaJS callbacks only route: `eachBatch` hands a partition's commands to its owner, `GROUP_JOIN`
 *     tells the slots what is assigned. Offsets are never auto-committed; owners commit them.
 * I2. A batch is resolved only once its owner took it. Otherwise the partition is paused (its batch is
 *     fetched again from the last resolved offset when it resumes), so a slow or absent owner never holds
 *     up the other partitions' fetches (KafkaJS waits for every batch of a fetch before the next).
 * I3. A new owner's commands are read from its journaled position: the consumer seeks there when it runs,
 *     so commands an earlier owner took but never committed are read again.
 * I4. `stop()` is graceful: owners finish their open tick, the consumer leaves the group, the cache closes.
 * I5. Nothing here lets a promise reject unhandled: a consumer that crashes for good is replaced after a
 *     backoff, `seek` on a consumer that is restarting is retried by the resume timer, and every owner
 *     failure goes to its slot.
 * I6. An idle executor costs next to nothing: the resume check runs only while a partition is paused, and
 *     command fetches wait up to COMMAND_FETCH_WAIT_MS on the broker (which answers as soon as a record
 *     arrives, so this adds no latency).
 * I7. A started executor keeps its process alive until stop(), also while every Kafka connection is down
 *     and only unref'd retry timers are left (a worker must ride out a broker outage, not exit 0).
 * I8. With `adminPort`, the admin server (executor-admin.ts) starts once the consumer runs and closes first
 *     in stop(); its metrics observe every owner from the first (a tick observer, no-op without it).
 */
import { mkdirSync } from 'node:fs';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { AdminAddress } from '../admin/admin-server.js';
import type { ExecutorView, PartitionReport } from '../admin/executor-view.js';
import { LevelKvStore, NodeCache } from '../cache/index.js';
import { systemClock } from '../clock.js';
import { errorMessage } from '../errors.js';
import {
  createKafka,
  ensureTopics,
  KafkaTopicCatalog,
  partitionFor,
  type TopicNames,
  topicNames,
} from '../kafka/index.js';

import { PartitionSlot } from '../ownership/index.js';
import { ExecutorAdmin } from './executor-admin.js';
import { type ExecutorConfig, type ExecutorOptions, resolveExecutorOptions } from './executor-options.js';
import { OwnerFactory } from './owner-factory.js';

/** Period of the handle that keeps a started executor's process alive (I7); it does nothing. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;
/** How often paused partitions are checked for an owner that can take commands again (I2, I6). */
const RESUME_CHECK_MS = 25;
/**
 * Longest a command fetch waits on the broker for new records (I6). The broker answers at once when a
 * record arrives, so this bounds only how often an idle executor asks: 2 fetches a second.
 */
export const COMMAND_FETCH_WAIT_MS = 500;
/** Wait before a consumer that crashed for good is replaced (I5). */
const CONSUMER_RESTART_MS = 2_000;

/** A Logbook executor node. */
export class Executor {
  readonly config: ExecutorConfig;
  readonly topics: TopicNames;
  private readonly kafka: Kafka;
  private readonly cache: NodeCache;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private factory: OwnerFactory | undefined;
  private readonly slots = new Map<number, PartitionSlot>();
  private readonly paused = new Set<number>();
  private resumeTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private started = false;
  /** Keeps the process alive from start() to stop() (I7). */
  private keepAlive: NodeJS.Timeout | undefined;
  private partitionCount = 0;
  /** The partitions the group assigned here; undefined before the first assignment. */
  private assignment: ReadonlySet<number> | undefined;
  private readonly adminSurface: ExecutorAdmin | undefined;

  constructor(options: ExecutorOptions) {
    this.config = resolveExecutorOptions(options);
    this.topics = topicNames(this.config.namespace);
    this.kafka = createKafka({
      brokers: this.config.brokers,
      clientId: `logbook-executor-${this.config.executorId}`,
      logger: this.config.logger,
    });
    mkdirSync(this.config.stateDir, { recursive: true });
    this.cache = new NodeCache(new LevelKvStore(this.config.stateDir));
    this.adminSurface = this.config.admin === undefined ? undefined : this.newAdminSurface(this.config.admin);
  }

  private newAdminSurface(config: NonNullable<ExecutorConfig['admin']>): ExecutorAdmin {
    return new ExecutorAdmin(config, {
      logger: this.config.logger,
      view: () => this.adminView(),
      partitions: () => this.partitionStats(),
      assignedPartitions: () => this.assignment,
      positions: (p) => this.slots.get(p)?.owner?.positionsNow,
      kafkaAdmin: () => this.admin,
      commandsTopic: this.topics.commands,
    });
  }

  /** Where the admin server listens (I8); undefined without `adminPort` or before start(). */
  get adminAddress(): AdminAddress | undefined {
    return this.adminSurface?.address;
  }

  /** The consumer group id of this namespace's executors. */
  get groupId(): string {
    return `${this.config.namespace}.executors`;
  }

  /** Creates topics, opens the cache and joins the group. Resolves once the consumer runs. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const admin = this.kafka.admin();
    this.admin = admin;
    await admin.connect();
    const { partitions, replicationFactor } = this.config;
    this.partitionCount = await ensureTopics(admin, this.topics, {
      partitions,
      replicationFactor,
      retentionMs: 7 * 86_400_000,
    });
    const opening = await this.cache.open();
    this.factory = new OwnerFactory({
      kafka: this.kafka,
      admin,
      cache: this.cache,
      config: this.config,
      topics: this.topics,
      groupId: this.groupId,
      catalog: new KafkaTopicCatalog(admin, this.topics),
      partitionOf: (id) => partitionFor(id, this.partitionCount),
      ...(this.adminSurface === undefined ? {} : { tickObserver: this.adminSurface.tickObserver }), // I8
    });
    await this.factory.fitTickToJournal();
    await this.startConsumer();
    this.keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS); // I7
    await this.startAdmin();
    this.config.logger.log('info', 'executor started', {
      executorId: this.config.executorId,
      namespace: this.config.namespace,
      cache: opening,
      ...(this.adminAddress === undefined ? {} : { admin: this.adminAddress.url }),
    });
  }

  /** Starts the admin server (I8); a server that cannot listen stops the executor and fails start(). */
  private async startAdmin(): Promise<void> {
    try {
      await this.adminSurface?.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      sessionTimeout: this.config.sessionTimeoutMs,
      rebalanceTimeout: Math.max(30_000, this.config.sessionTimeoutMs),
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: COMMAND_FETCH_WAIT_MS, // I6
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment[this.topics.commands] ?? [];
      this.onAssignment(new Set(assignment));
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.stopping) return; // KafkaJS restarts it itself
      this.config.logger.log('error', 'consumer crashed; replacing it', {
        error: errorMessage(event.payload.error),
      });
      setTimeout(() => void this.replaceConsumer(consumer), CONSUMER_RESTART_MS).unref(); // I5
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.commands, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.partitionCount),
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private async replaceConsumer(crashed: Consumer): Promise<void> {
    if (this.stopping || this.consumer !== crashed) return;
    await crashed.disconnect().catch(() => undefined);
    try {
      await this.startConsumer();
    } catch (error) {
      this.config.logger.log('error', 'could not restart the consumer; retrying', {
        error: errorMessage(error),
      });
      setTimeout(() => void this.replaceConsumer(this.consumer ?? crashed), CONSUMER_RESTART_MS).unref();
    }
  }

  /** Partitions assigned here, with their owners' counters and their slots' states. */
  partitionStats(): Map<number, PartitionReport> {
    const out = new Map<number, PartitionReport>();
    for (const [p, slot] of this.slots) {
      const owner = slot.owner;
      const status = slot.status;
      if (owner === undefined && status.state === 'idle') continue;
      const stats = owner?.stats ?? this.factory?.lastStats(p);
      if (stats === undefined) continue;
      out.set(p, {
        ...stats,
        phase: owner?.currentPhase ?? status.state,
        slot: status.state,
        ...(status.error === undefined ? {} : { slotError: status.error }),
      });
    }
    return out;
  }

  /** A read-only view of this executor for the admin routes (admin/executor-view.ts). */
  adminView(): ExecutorView {
    return {
      executorId: this.config.executorId,
      namespace: this.config.namespace,
      topics: this.topics,
      kafka: this.kafka,
      cache: this.cache,
      workflowNames: [...this.config.workflows.keys()],
      partitions: () => this.partitionStats(),
      partitionOf: (id) => partitionFor(id, this.partitionCount),
    };
  }

  /** The running owner of partition `p` here, if any (tests, admin). */
  ownerOf(p: number) {
    return this.slots.get(p)?.owner;
  }

  private async onBatch({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const owner = this.slots.get(batch.partition)?.owner;
    if (owner?.canAccept() && !this.stopping) {
      owner.offer(batch.messages);
      resolveOffset(batch.lastOffset());
      return;
    }
    this.pause(batch.partition); // I2
  }

  private pause(p: number): void {
    try {
      this.consumer?.pause([{ topic: this.topics.commands, partitions: [p] }]);
      this.paused.add(p);
      if (this.resumeTimer === undefined && !this.stopping) {
        this.resumeTimer = setInterval(() => this.resumePaused(), RESUME_CHECK_MS); // I6
        this.resumeTimer.unref();
      }
    } catch {
      // The consumer is restarting; its next batch for p comes back here.
    }
  }

  /** Resumes paused partitions whose owner can take commands (I2), seeking new owners first (I3). */
  private resumePaused(): void {
    for (const p of [...this.paused]) {
      const owner = this.slots.get(p)?.owner;
      if (owner === undefined || !owner.canAccept()) continue;
      try {
        this.consumer?.resume([{ topic: this.topics.commands, partitions: [p] }]);
        this.paused.delete(p);
      } catch {
        // The consumer is restarting (I5); try again on the next check.
      }
    }
    if (this.paused.size === 0 && this.resumeTimer !== undefined) {
      clearInterval(this.resumeTimer); // I6
      this.resumeTimer = undefined;
    }
  }

  private onAssignment(next: Set<number>): void {
    this.assignment = next;
    for (const [p, slot] of this.slots) if (!next.has(p)) void slot.want(false);
    for (const p of next) {
      let slot = this.slots.get(p);
      if (slot === undefined) {
        slot = this.newSlot(p);
        this.slots.set(p, slot);
      }
      void slot.want(true);
    }
    this.config.logger.log('info', 'assignment', {
      executorId: this.config.executorId,
      partitions: [...next].sort((a, b) => a - b),
    });
  }

  private newSlot(p: number): PartitionSlot {
    const factory = this.factory;
    if (factory === undefined) throw new Error('executor not started');
    const host = {
      makeOwner: factory.make.bind(factory),
      disposeOwner: factory.dispose.bind(factory),
      ownerRunning: (owner: { partition: number; committedOffset: number }) =>
        this.seek(owner.partition, owner.committedOffset),
      log: (level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>) =>
        this.config.logger.log(level, message, fields),
    };
    return new PartitionSlot(p, host, systemClock, {
      failedBackoffMs: 500,
      failedBackoffMaxMs: 15_000,
      fencedBackoffMs: 3_000,
      healthyMs: 60_000,
    });
  }

  /** I3: a new owner reads commands from its journaled position. */
  private seek(p: number, offset: number): void {
    try {
      this.consumer?.seek({ topic: this.topics.commands, partition: p, offset: String(offset) });
    } catch (error) {
      // A restarting consumer fetches from the group's committed offset, which is never ahead of the
      // journaled one; the owner drops what it already has (owner.ts I3).
      this.config.logger.log('debug', 'seek skipped: consumer restarting', {
        partition: p,
        error: errorMessage(error),
      });
    }
  }

  /** Graceful stop (I4). */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    await this.adminSurface?.close(); // I8
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    if (this.resumeTimer !== undefined) clearInterval(this.resumeTimer);
    await Promise.all([...this.slots.values()].map((slot) => slot.want(false)));
    await this.consumer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.cache.close();
    this.config.logger.log('info', 'executor stopped', { executorId: this.config.executorId });
  }
}
