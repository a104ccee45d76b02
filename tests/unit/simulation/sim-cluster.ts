/**
 * Partition owners of the simulation on in-memory Kafka and in-memory caches, driven by hand: start an
 * owner on a node, crash it (abandon it as a SIGKILL would, its writes fenced from then on), hand it the
 * commands of its partition as a consumer would.
 */
import { MemoryKvStore, NodeCache } from '../../../src/cache/index.js';
import { UnconfirmedWriteError } from '../../../src/errors.js';
import type { Logger } from '../../../src/logging/index.js';
import { type OwnerLimits, PartitionOwner } from '../../../src/partition/index.js';
import type { AnyWorkflowDefinition } from '../../../src/workflow/index.js';
import type { VirtualClock } from './sim-clock.js';
import { type SimKafka, SimWriter } from './sim-kafka.js';
import { SIM_TOPICS, simOwnerDeps } from './sim-owner.js';

export { SIM_NS, SIM_TOPICS } from './sim-owner.js';

interface Owned {
  readonly owner: PartitionOwner;
  readonly node: number;
  readonly writer: SimWriter | undefined;
  fed: number;
}

/** Owners of every partition, on numbered nodes with caches of their own. */
export class SimCluster {
  private readonly caches = new Map<number, NodeCache>();
  private readonly owned = new Map<number, Owned>();
  /** Owners cut off by `crash(p, false)`, still running until fenced. */
  private readonly zombies: [number, PartitionOwner][] = [];
  private nextNode = 0;
  readonly failures: string[] = [];
  /** Partitions whose owner failed in a way the slot restarts on the same node (see `restartFailed`). */
  private readonly restarts: number[] = [];
  /** Owners restarted after such failures. */
  restarted = 0;
  readonly logger: Logger = { log: () => undefined };

  constructor(
    private readonly kafka: SimKafka,
    private readonly clock: VirtualClock,
    private readonly workflows: readonly AnyWorkflowDefinition[],
    private readonly limits: Partial<OwnerLimits> = {},
  ) {
    for (const topic of Object.values(SIM_TOPICS))
      kafka.createTopic(topic, topic === SIM_TOPICS.dlq ? 1 : kafka.partitions);
  }

  /** A node with an empty cache. */
  async newNode(): Promise<number> {
    const node = this.nextNode++;
    const cache = new NodeCache(new MemoryKvStore());
    await cache.open();
    this.caches.set(node, cache);
    return node;
  }

  /** The running owner of `p`, if any. */
  owner(p: number): PartitionOwner | undefined {
    return this.owned.get(p)?.owner;
  }

  /** Starts an owner of `p` on `node`, retrying a start that failed as the executor's slot does. */
  async start(p: number, node: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startOnce(p, node);
        return;
      } catch (error) {
        this.owned.delete(p);
        if (attempt >= 5) throw error;
      }
    }
  }

  /** Starts an owner of `p` on `node` (its writer fences every earlier one). */
  private async startOnce(p: number, node: number): Promise<void> {
    const cache = this.caches.get(node);
    if (cache === undefined) throw new Error(`no node ${node}`);
    const committed = this.kafka.groupOffsets.get(`${SIM_TOPICS.commands}:${p}`) ?? 0;
    let writer: SimWriter | undefined;
    const owner = new PartitionOwner(
      simOwnerDeps(this.kafka, {
        partition: p,
        cache: cache.owned(p),
        workflows: this.workflows,
        clock: this.clock,
        executorId: `node-${node}`,
        limits: { idleEvictMs: 300, housekeepingIntervalMs: 100, catchUpBatchRecordsMax: 50, ...this.limits },
        logger: this.logger,
        committedCommandOffset: committed,
        writer: (inner) => {
          if (inner instanceof SimWriter) writer = inner;
          return inner;
        },
      }),
      (failed, error) => {
        if (this.owned.get(p)?.owner !== failed) return;
        // As the executor's slot does (partition-slot.ts): a failed single produce makes the node claim anew.
        if (error instanceof UnconfirmedWriteError) this.restarts.push(p);
        else this.failures.push(`partition ${p}: ${String(error)}`);
      },
    );
    this.owned.set(p, { owner, node, writer, fed: committed });
    await owner.start();
  }

  /**
   * Takes the owner of `p` away mid-flight. `processDies`: as SIGKILL, it writes nothing more (its node may
   * take the partition again); else it is cut off from the group, its loop running on with its own cache
   * until fenced (a zombie: its transactions fail, its single produces land and are void by epoch).
   */
  crash(p: number, processDies: boolean): number | undefined {
    const owned = this.owned.get(p);
    this.owned.delete(p);
    if (processDies) owned?.writer?.kill();
    else if (owned !== undefined) this.zombies.push([p, owned.owner]);
    return owned?.node;
  }

  /** Restarts, on their node, the owners that failed as the slot would restart them. */
  async restartFailed(): Promise<void> {
    for (const p of this.restarts.splice(0)) {
      const node = this.owned.get(p)?.node;
      if (node === undefined) continue;
      this.restarted++;
      await this.start(p, node);
    }
  }

  /**
   * Hands each owner the commands of its partition it has not seen, and commits each one's confirmed
   * command position to the group, as the executor's consumer does (command-consumer.ts I6).
   */
  feed(): void {
    // A zombie's consumer may still commit, last writer wins: its confirmed position is in the journal too.
    for (const [p, zombie] of this.zombies)
      this.kafka.groupOffsets.set(`${SIM_TOPICS.commands}:${p}`, zombie.confirmedCommandOffset);
    for (const [p, owned] of this.owned) {
      this.kafka.groupOffsets.set(`${SIM_TOPICS.commands}:${p}`, owned.owner.confirmedCommandOffset);
      if (owned.owner.currentPhase !== 'running' || !owned.owner.canAccept()) continue;
      const log = this.kafka.log(SIM_TOPICS.commands, p);
      if (owned.fed >= log.length) continue;
      const messages = log.slice(owned.fed).map((m, i) => ({
        offset: String(owned.fed + i),
        key: m.key === null ? null : Buffer.from(m.key),
        value: m.value,
      }));
      owned.fed = log.length;
      owned.owner.offer(messages);
    }
  }

  /** Stops every owner gracefully. */
  async stop(): Promise<void> {
    await Promise.all([...this.owned.values()].map((o) => o.owner.stop()));
    this.owned.clear();
  }
}
