/**
 * The executor: one member of the namespace's consumer group (DESIGN §3, §7). It creates the topics,
 * opens the node's cache, joins the group on `ns.commands`, and keeps one PartitionSlot per partition;
 * Kafka's group protocol decides who owns what, transactional-id fencing makes it safe.
 *
 * I1. Commands reach owners through the CommandConsumer (command-consumer.ts: routing, pausing a partition
 *     whose owner cannot take more, seeking a new owner to its journaled position, replacing a crashed
 *     consumer, idle fetch waits).
 * I2. `stop()` is graceful: owners finish their open tick, the consumer leaves the group, the cache closes.
 * I3. A started executor keeps its process alive until stop(), also while every Kafka connection is down
 *     and only unref'd retry timers are left (a worker must ride out a broker outage, not exit 0).
 * I4. With `adminPort`, the admin server (executor-admin.ts) starts once the consumer runs and closes first
 *     in stop(); its metrics observe every owner from the first (a tick observer, no-op without it).
 */
import { mkdirSync } from 'node:fs';
import type { Admin, Kafka } from 'kafkajs';
import type { AdminAddress } from '../admin/admin-server.js';
import type { ExecutorView, PartitionReport } from '../admin/executor-view.js';
import { LevelKvStore, NodeCache } from '../cache/index.js';
import { systemClock } from '../clock.js';
import {
  type AppendChannelStats,
  createKafka,
  ensureTopics,
  KafkaTopicCatalog,
  partitionFor,
  type TopicNames,
  topicNames,
} from '../kafka/index.js';

import { PartitionSlot } from '../ownership/index.js';
import { CommandConsumer } from './command-consumer.js';
import { ExecutorAdmin } from './executor-admin.js';
import { type ExecutorConfig, type ExecutorOptions, resolveExecutorOptions } from './executor-options.js';
import { OwnerFactory } from './owner-factory.js';

/** Period of the handle that keeps a started executor's process alive (I3); it does nothing. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;

/** A Logbook executor node. */
export class Executor {
  readonly config: ExecutorConfig;
  readonly topics: TopicNames;
  private readonly kafka: Kafka;
  private readonly cache: NodeCache;
  private admin: Admin | undefined;
  private consumer: CommandConsumer | undefined;
  private factory: OwnerFactory | undefined;
  private readonly slots = new Map<number, PartitionSlot>();
  private stopping = false;
  private started = false;
  /** Keeps the process alive from start() to stop() (I3). */
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

  /** Where the admin server listens (I4); undefined without `adminPort` or before start(). */
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
      ...(this.adminSurface === undefined ? {} : { tickObserver: this.adminSurface.tickObserver }), // I4
    });
    await this.factory.fitTickToJournal();
    await this.factory.openChannel();
    await this.startConsumer();
    this.keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS); // I3
    await this.startAdmin();
    this.config.logger.log('info', 'executor started', {
      executorId: this.config.executorId,
      namespace: this.config.namespace,
      cache: opening,
      ...(this.adminAddress === undefined ? {} : { admin: this.adminAddress.url }),
    });
  }

  /** Starts the admin server (I4); a server that cannot listen stops the executor and fails start(). */
  private async startAdmin(): Promise<void> {
    try {
      await this.adminSurface?.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async startConsumer(): Promise<void> {
    this.consumer = new CommandConsumer(
      this.kafka,
      {
        groupId: this.groupId,
        topic: this.topics.commands,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        concurrency: this.partitionCount,
        offsetCommitIntervalMs: this.config.limits.offsetCommitIntervalMs,
      },
      {
        logger: this.config.logger,
        owner: (p) => this.slots.get(p)?.owner,
        assigned: (partitions) => this.onAssignment(partitions),
      },
    );
    await this.consumer.start();
  }

  /**
   * What the node's shared single produces have sent so far (owner-factory.ts I2): requests, the appends
   * they carried and retries. Undefined before the start, or with `sharedAppends` off.
   */
  appendStats(): AppendChannelStats | undefined {
    return this.factory?.appendStats();
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
        this.consumer?.seek(owner.partition, owner.committedOffset), // I1
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

  /** Graceful stop (I2). */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    await this.adminSurface?.close(); // I4
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    this.consumer?.stopTaking();
    await Promise.all([...this.slots.values()].map((slot) => slot.want(false)));
    await this.factory?.close();
    await this.consumer?.disconnect();
    await this.admin?.disconnect().catch(() => undefined);
    await this.cache.close();
    this.config.logger.log('info', 'executor stopped', { executorId: this.config.executorId });
  }
}
