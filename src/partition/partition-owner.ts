/**
 * The owner of one partition (DESIGN §3): fences earlier owners, catches up, resumes live workflows, then
 * runs the tick loop — take inputs, decide, write one transaction, then hand the committed records to the
 * runs and the cache.
 *
 * I1. One owner per partition, one loop per owner: Kafka callbacks, step runners, timers and runs only
 *     put inputs in the inbox (STYLE §1).
 * I2. One transaction per tick carries every record, event, dead letter, emit and the command offset
 *     (group commit). Nothing of a tick reaches a run or the cache before its commit.
 * I3. A command below the committed offset is a redelivery and is dropped: commands apply exactly once.
 * I4. A failed commit or a broken invariant ends this owner without committing more; the executor makes a
 *     fresh one, which rebuilds from cache and journal. A fencing error ends it for good.
 * I5. Everything is bounded: inputs per tick (`tickInputsMax`), queued inputs (`inboxMax`, the consumer
 *     waits while full), steps in flight (`stepsInFlightMax`).
 * I7. Command positions are journaled: a tick that consumed commands and wrote anything lasting (records,
 *     dead letters, emits, routed commands) appends CommandsConsumed in its transaction. A tick that only
 *     answered queries does not — re-answering a query after a takeover is harmless, and it keeps read-only
 *     traffic out of the audit trail. The consumer group's offset is committed with a tick only every
 *     `offsetCommitIntervalMs` (it saves two coordinator round trips per tick), so it may lag; catch-up and
 *     I3 make up the difference.
 * I8. Speculation (run-registry.ts I4): a tick's first-round records reach the runs before the commit;
 *     the intents bodies then report are decided as a second round of the same tick. Step attempts wait for
 *     the commit; a failed commit discards the owner with everything speculated.
 * I6. A command whose id hashes to another partition (sent without a key, or with a different key) is
 *     forwarded there, keyed by its id, in the same transaction as its offset: never run on the wrong owner.
 */
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { StateCache } from '../cache/index.js';
import { errorMessage, FencedError } from '../errors.js';
import type { Logger } from '../executor/logger.js';
import type { TickWriter, TopicNames } from '../kafka/index.js';
import type { Input, PartitionState } from '../machine/index.js';
import { StepRunner } from '../steps/index.js';
import { TimerWheel } from '../timers/index.js';
import type { AnyWorkflowDefinition } from '../workflow/index.js';
import { catchUp } from './catch-up.js';
import { commandInput, commandsConsumed } from './command-input.js';
import { Inbox } from './inbox.js';
import { tickMessages } from './messages.js';
import type { OwnerLimits, OwnerStats } from './owner-config.js';
import { type OwnerPhase, ownerTransition } from './owner-lifecycle.js';
import { RunRegistry } from './run-registry.js';
import { estimateTickBytes, isEmptyTick, mergeTicks, runTick } from './tick.js';

export type { OwnerLimits, OwnerStats } from './owner-config.js';

/** Everything an owner needs from outside. */
export interface OwnerDeps {
  readonly kafka: Kafka;
  readonly writer: TickWriter;
  readonly cache: StateCache;
  readonly topics: TopicNames;
  readonly groupId: string;
  readonly partition: number;
  readonly executorId: string;
  readonly workflows: ReadonlyMap<string, AnyWorkflowDefinition>;
  /** Partitions of the namespace's topics, for spotting misrouted commands (I6). */
  readonly partitionCount: number;
  readonly limits: OwnerLimits;
  readonly logger: Logger;
  /** The committed command offset of this partition, read after fencing (I3). */
  readonly committedCommandOffset: number;
  readonly onFailure: (owner: PartitionOwner, error: unknown) => void;
}

/** Owner of one partition. */
export class PartitionOwner {
  private phase: OwnerPhase = 'starting';
  private state: PartitionState = new Map();
  private readonly inbox = new Inbox();
  private nextCommandOffset: number;
  /** One past the highest command offset accepted into the inbox (redeliveries below it are dropped, I3). */
  private nextOfferOffset: number;
  /** The command offset last committed to the consumer group, and when (I7). */
  private groupOffset: number;
  private groupCommittedAtMs = 0;
  /** This owner's epoch: its claim's journal offset + 1, stamped on every record (records.ts I4). */
  private epoch = 0;
  private readonly workflowNames: ReadonlySet<string>;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly runner: StepRunner;
  private readonly wheel: TimerWheel;
  private runs: RunRegistry | undefined;
  readonly stats: OwnerStats = {
    catchUpRecords: 0,
    cachedCheckpoint: -1,
    resumedWorkflows: 0,
    ticks: 0,
    recordsWritten: 0,
    commandsDropped: 0,
  };

  constructor(private readonly deps: OwnerDeps) {
    this.nextCommandOffset = deps.committedCommandOffset;
    this.nextOfferOffset = deps.committedCommandOffset;
    this.groupOffset = deps.committedCommandOffset;
    this.workflowNames = new Set(deps.workflows.keys());
    this.runner = new StepRunner(
      { stepsInFlightMax: deps.limits.stepsInFlightMax, resultBytesMax: deps.limits.stepResultBytesMax },
      (input) => this.enqueue(input),
    );
    this.wheel = new TimerWheel((due) => this.enqueue({ kind: 'timerDue', ...due }));
  }

  /** The partition this owner owns. */
  get partition(): number {
    return this.deps.partition;
  }

  /** Where the owner is in its life. */
  get currentPhase(): OwnerPhase {
    return this.phase;
  }

  /** The committed command offset this owner has reached (for seeking the consumer on restart). */
  get committedOffset(): number {
    return this.nextCommandOffset;
  }

  /** Read-only view of the partition's workflows (tests, admin). */
  workflowStates(): ReadonlyMap<string, Readonly<PartitionState extends Map<string, infer V> ? V : never>> {
    return this.state;
  }

  /** Catches up, resumes live workflows and starts the loop. */
  async start(): Promise<void> {
    const result = await catchUp({
      ...this.deps,
      groupPrefix: this.deps.groupId,
      timeoutMs: this.deps.limits.catchUpTimeoutMs,
    });
    this.state = result.state;
    this.epoch = result.epoch;
    this.nextCommandOffset = Math.max(this.nextCommandOffset, result.commandOffset);
    this.nextOfferOffset = this.nextCommandOffset;
    this.stats.catchUpRecords = result.recordsReplayed;
    this.stats.cachedCheckpoint = result.cachedCheckpoint;
    const runs = new RunRegistry(this.state, this.deps.workflows, this.runner, this.wheel, (input) =>
      this.enqueue(input),
    );
    this.runs = runs;
    for (const ws of this.state.values()) {
      if (this.phase !== 'starting') return; // stopped during catch-up: start nothing
      if (ws.status !== 'running' && ws.status !== 'stuck') continue;
      this.stats.resumedWorkflows++;
      await runs.resume(ws, [...ws.history]);
    }
    if (this.phase !== 'starting') return;
    this.phase = ownerTransition(this.phase, 'running', this.partition);
    this.loopDone = this.loop();
    this.deps.logger.log('info', 'partition owned', {
      partition: this.partition,
      catchUpRecords: result.recordsReplayed,
      resumed: this.stats.resumedWorkflows,
      checkpoint: result.checkpoint,
    });
  }

  /** True while the inbox has room (I5); the consumer waits otherwise. */
  canAccept(): boolean {
    return this.inbox.size < this.deps.limits.inboxMax;
  }

  /** Hands consumed command messages to the loop (I1, I3). */
  offer(messages: readonly KafkaMessage[]): void {
    for (const message of messages) {
      const offset = Number(message.offset);
      if (offset < this.nextOfferOffset) {
        this.stats.commandsDropped++;
        continue;
      }
      this.nextOfferOffset = offset + 1;
      this.enqueue(
        commandInput(message, this.partition, this.deps.partitionCount, this.deps.limits.commandBytesMax),
      );
    }
  }

  private enqueue(input: Input): void {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    this.inbox.push(input);
  }

  private async nextInputs(): Promise<Input[]> {
    while (this.inbox.size === 0 && this.phase === 'running') await this.inbox.next();
    await new Promise<void>((resolve) => setImmediate(resolve)); // let bodies woken by the last commit report in
    const lingerMs = this.deps.limits.tickLingerMs;
    if (lingerMs > 0 && this.inbox.size < this.deps.limits.tickInputsMax) {
      await new Promise<void>((resolve) => setTimeout(resolve, lingerMs)); // group commit: fewer, fuller ticks
    }
    return this.inbox.take(this.deps.limits.tickInputsMax);
  }

  private async loop(): Promise<void> {
    try {
      while (this.phase === 'running') {
        const inputs = await this.nextInputs();
        if (inputs.length === 0 || this.phase !== 'running') continue;
        await this.tick(inputs);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  private async tick(inputs: readonly Input[]): Promise<void> {
    const nowMs = Date.now();
    const ctx = { nowMs, workflows: this.workflowNames, epoch: this.epoch };
    const first = runTick(this.state, inputs, ctx, this.deps.limits.tickBytesMax);
    this.inbox.returnToFront(first.leftover); // over the byte budget: next tick, in order
    this.runs?.rearmTimersNotDue(inputs);
    if (isEmptyTick(first)) return;
    // I8: bodies see this tick's records now; what they report next joins the same transaction.
    await this.runs?.speculate(first.effects.records);
    const intents = this.inbox.takeIntents(this.deps.limits.tickInputsMax);
    const second = runTick(
      this.state,
      intents,
      ctx,
      Math.max(0, this.deps.limits.tickBytesMax - estimateTickBytes(first)),
    );
    this.inbox.returnToFront(second.leftover);
    const tick = mergeTicks(first, second);
    const { topics, partition } = this.deps;
    const next = tick.nextCommandOffset ?? this.nextCommandOffset;
    const records = [...tick.effects.records];
    const e = tick.effects;
    const lasting = records.length + e.deadLetters.length + e.emits.length + e.commands.length > 0;
    if (tick.nextCommandOffset !== undefined && lasting)
      records.push(commandsConsumed(partition, next, nowMs, this.epoch)); // I7
    const commitGroup =
      next > this.groupOffset && nowMs - this.groupCommittedAtMs >= this.deps.limits.offsetCommitIntervalMs;
    const offsets = commitGroup
      ? { groupId: this.deps.groupId, topic: topics.commands, partition, nextOffset: next }
      : undefined;
    const base = await this.deps.writer.write(
      tickMessages({ ...tick.effects, records }, topics, partition),
      offsets,
    ); // I2
    this.nextCommandOffset = next;
    if (commitGroup) {
      this.groupOffset = next;
      this.groupCommittedAtMs = nowMs;
    }
    this.stats.ticks++;
    this.stats.recordsWritten += records.length;
    const journalBase = base.get(`${topics.journal}:${partition}`);
    if (journalBase !== undefined) {
      const checkpoint = {
        journalOffset: journalBase + records.length - 1,
        commandOffset: next,
        epoch: this.epoch,
      };
      await this.deps.cache.write(partition, tick.changed.values(), checkpoint);
    }
    this.runs?.settle(); // I8: the held step attempts may start now
    await this.runs?.deliver(second.effects.records);
  }

  private fail(error: unknown): void {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    this.phase = ownerTransition(this.phase, 'failed', this.partition);
    this.shutdownLocal();
    const fenced = error instanceof FencedError;
    this.deps.logger.log(
      fenced ? 'warn' : 'error',
      fenced ? 'partition fenced by a newer owner' : 'partition owner failed',
      {
        partition: this.partition,
        error: errorMessage(error),
      },
    );
    this.deps.onFailure(this, error); // I4
  }

  private shutdownLocal(): void {
    this.runner.stop();
    this.wheel.clear();
    this.runs?.clear();
    this.inbox.clear();
  }

  /** Stops taking inputs, lets the open tick finish (commit or fail), and drops the partition's runs. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    if (this.phase === 'stopping') return this.loopDone;
    this.phase = ownerTransition(this.phase, 'stopping', this.partition);
    this.inbox.wake();
    await this.loopDone;
    this.shutdownLocal();
    if (this.phase === 'stopping') this.phase = ownerTransition(this.phase, 'stopped', this.partition);
  }
}
