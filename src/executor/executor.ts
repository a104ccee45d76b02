/**
 * The executor: one member of the namespace's consumer group (DESIGN §3, §7). It creates the topics,
 * opens the node's cache, joins the group on `ns.commands`, and keeps one PartitionOwner per assigned
 * partition; Kafka's group protocol decides who owns what, transactional-id fencing makes it safe.
 *
 * I1. KafkaJS callbacks only route: `eachBatch` hands a partition's commands to its owner, `GROUP_JOIN`
 *     starts and stops owners. Offsets are never auto-committed; owners commit them in their transactions.
 * I2. A batch is resolved only once its owner accepted it; otherwise KafkaJS fetches it again, so no
 *     command is skipped while an owner catches up or its inbox is full.
 * I3. A failed owner is replaced after a backoff, with the consumer sought back to the owner's committed
 *     offset (the new owner re-reads what the old one had not committed). A fenced owner is replaced only
 *     if the group still assigns the partition here once a longer backoff has passed (a late owner of
 *     another generation fenced it); otherwise the rebalance has moved the partition and nothing is done.
 * I4. `stop()` is graceful: owners finish their open tick, the consumer leaves the group, the cache closes.
 * I5. On one node, a partition's next owner starts only after its previous owner has stopped, so their
 *     cache writes for that partition never interleave (a late checkpoint could otherwise go backwards).
 */
import { mkdirSync } from 'node:fs';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { StateCache } from '../cache/index.js';
import { errorMessage, FencedError } from '../errors.js';
import {
  committedOffset,
  createKafka,
  ensureTopics,
  TickWriter,
  type TopicNames,
  topicNames,
} from '../kafka/index.js';
import { type OwnerStats, PartitionOwner } from '../partition/partition-owner.js';
import { type ExecutorConfig, type ExecutorOptions, resolveExecutorOptions } from './executor-options.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const OWNER_RESTART_BACKOFF_MS = 500;
const FENCED_RETAKE_BACKOFF_MS = 3_000;
const BATCH_WAIT_MS = 5_000;

interface Owned {
  readonly owner: PartitionOwner;
  readonly writer: TickWriter;
}

/** A Logbook executor node. */
export class Executor {
  readonly config: ExecutorConfig;
  readonly topics: TopicNames;
  private readonly kafka: Kafka;
  private readonly cache: StateCache;
  private admin: Admin | undefined;
  private consumer: Consumer | undefined;
  private readonly owned = new Map<number, Owned>();
  /** Owners being stopped, by partition: a new owner of p waits for its predecessor here (I5). */
  private readonly releasing = new Map<number, Promise<void>>();
  private assigned = new Set<number>();
  private stopping = false;
  private started = false;
  private partitionCount = 0;

  constructor(options: ExecutorOptions) {
    this.config = resolveExecutorOptions(options);
    this.topics = topicNames(this.config.namespace);
    this.kafka = createKafka({
      brokers: this.config.brokers,
      clientId: `logbook-executor-${this.config.executorId}`,
    });
    mkdirSync(this.config.stateDir, { recursive: true });
    this.cache = new StateCache(this.config.stateDir);
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
    await this.cache.open();
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      sessionTimeout: this.config.sessionTimeoutMs,
      rebalanceTimeout: Math.max(30_000, this.config.sessionTimeoutMs),
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment[this.topics.commands] ?? [];
      this.onAssignment(new Set(assignment));
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.commands, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.partitionCount),
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.config.logger.log('info', 'executor started', {
      executorId: this.config.executorId,
      namespace: this.config.namespace,
    });
  }

  /** Partitions this executor owns now, with their owners' counters. */
  partitionStats(): Map<number, OwnerStats & { phase: string }> {
    return new Map([...this.owned].map(([p, o]) => [p, { ...o.owner.stats, phase: o.owner.currentPhase }]));
  }

  /** The owner of partition `p` here, if any (tests, admin). */
  ownerOf(p: number): PartitionOwner | undefined {
    return this.owned.get(p)?.owner;
  }

  private async onBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload): Promise<void> {
    const deadline = Date.now() + BATCH_WAIT_MS;
    for (;;) {
      const owner = this.owned.get(batch.partition)?.owner;
      if (owner !== undefined && owner.currentPhase === 'running' && owner.canAccept()) {
        owner.offer(batch.messages);
        resolveOffset(batch.lastOffset()); // I2
        return;
      }
      if (this.stopping || !isRunning() || isStale() || Date.now() > deadline) return; // refetched later (I2)
      await sleep(20);
      await heartbeat();
    }
  }

  private onAssignment(next: Set<number>): void {
    const previous = this.assigned;
    this.assigned = next;
    for (const p of previous) if (!next.has(p)) void this.release(p);
    for (const p of next) if (!this.owned.has(p)) void this.acquire(p);
    this.config.logger.log('info', 'assignment', {
      executorId: this.config.executorId,
      partitions: [...next].sort((a, b) => a - b),
    });
  }

  private async acquire(p: number): Promise<void> {
    await this.releasing.get(p); // I5: the previous owner of p here has finished writing first
    while (!this.stopping && this.assigned.has(p) && !this.owned.has(p)) {
      try {
        await this.startOwner(p);
        return;
      } catch (error) {
        this.config.logger.log('warn', 'could not take partition; retrying', {
          partition: p,
          error: errorMessage(error),
        });
        await sleep(OWNER_RESTART_BACKOFF_MS);
      }
    }
  }

  private async startOwner(p: number): Promise<void> {
    const admin = this.admin;
    if (admin === undefined) return;
    const writer = await TickWriter.connect(this.kafka, `${this.config.namespace}.p${p}`); // fences zombies
    try {
      const committed = await committedOffset(admin, this.groupId, this.topics.commands, p);
      const owner = new PartitionOwner({
        kafka: this.kafka,
        writer,
        cache: this.cache,
        topics: this.topics,
        groupId: this.groupId,
        partition: p,
        executorId: this.config.executorId,
        workflows: this.config.workflows,
        partitionCount: this.partitionCount,
        limits: this.config.limits,
        logger: this.config.logger,
        committedCommandOffset: committed,
        onFailure: (failed, error) => void this.onOwnerFailure(failed, error),
      });
      this.owned.set(p, { owner, writer });
      await owner.start();
      if (this.stopping || !this.assigned.has(p)) await this.release(p);
    } catch (error) {
      this.owned.delete(p);
      await writer.close().catch(() => undefined);
      throw error;
    }
  }

  private async release(p: number): Promise<void> {
    const entry = this.owned.get(p);
    if (entry === undefined) return;
    this.owned.delete(p);
    const done = (async () => {
      await entry.owner.stop();
      await entry.writer.close().catch(() => undefined);
    })();
    this.releasing.set(p, done);
    try {
      await done;
    } finally {
      if (this.releasing.get(p) === done) this.releasing.delete(p);
    }
  }

  private async onOwnerFailure(owner: PartitionOwner, error: unknown): Promise<void> {
    const p = owner.partition;
    const entry = this.owned.get(p);
    if (entry?.owner !== owner) return;
    this.owned.delete(p);
    await entry.writer.close().catch(() => undefined);
    if (this.stopping || !this.assigned.has(p)) return; // I3
    this.consumer?.seek({ topic: this.topics.commands, partition: p, offset: String(owner.committedOffset) });
    // Fenced while the group still gives us p: an owner of an older or newer generation raced us. Wait for
    // the rebalance to settle, then take p back (fencing in turn) if it is still ours (I3).
    await sleep(error instanceof FencedError ? FENCED_RETAKE_BACKOFF_MS : OWNER_RESTART_BACKOFF_MS);
    await this.acquire(p);
  }

  /** Graceful stop (I4). */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    await Promise.all([...this.owned.keys()].map((p) => this.release(p)));
    await this.consumer?.disconnect();
    await this.admin?.disconnect();
    await this.cache.close();
    this.config.logger.log('info', 'executor stopped', { executorId: this.config.executorId });
  }
}
