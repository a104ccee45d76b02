/**
 * The owner of one partition (DESIGN §3): claims it and catches up (claim.ts), resumes the workflows that
 * need their bodies, then runs the tick loop (owner-tick.ts) until it stops or fails. Its step runner,
 * timers, runs and intake are made in owner-parts.ts.
 *
 * I1. One owner per partition, one loop per owner: Kafka callbacks, step runners, timers and runs only
 *     put inputs in the inbox (STYLE §1).
 * I2. A tick is one transaction, and nothing of it leaves the owner before its commit (owner-tick.ts I1);
 *     the loop starts the next tick only after the last one committed or was rolled back.
 * I3. A command below the journaled position is a redelivery and is dropped: commands apply exactly once.
 * I4. A failed write is rolled back and retried (owner-failure.ts); only a fencing, a broken invariant
 *     or a failure to start ends the owner, and the executor decides what comes next.
 * I5. Everything is bounded: inputs per tick, queued commands (`inboxMax`; the consumer pauses the
 *     partition while full), workflows in memory (`hotWorkflowsMax`), timers in memory (`timerHeapMax`),
 *     steps in flight and queued, replays at once.
 * I6. A command whose id hashes to another partition is forwarded there, keyed by its id, in the same
 *     transaction as its offset: never run on the wrong owner.
 * I7. Command positions are journaled (owner-tick.ts I2).
 * I8. Housekeeping (idle eviction, timer refills, retention of finished summaries) runs between ticks,
 *     each step bounded, so a tick's cost never includes it.
 * I9. Every part of the owner logs through `deps.logger`, a child bound to `partition`, so no line of a
 *     partition lacks it (logging/logger.ts I2); a line about a workflow adds `workflowId` and `workflow`.
 */

import { sleepOn } from '../clock.js';
import type { Command } from '../commands/index.js';
import { errorMessage, FencedError } from '../errors.js';
import { loopTurn } from '../event-loop.js';
import { childLogger, levelEnabled, workflowFields } from '../logging/index.js';
import type { StepRunner } from '../steps/index.js';
import type { TimerQueue } from '../timers/index.js';
import { claimPartition } from './claim.js';
import { type CommandMessage, commandInput } from './command-input.js';
import { HotSet } from './hot-set.js';
import { Inbox, type Queued } from './inbox.js';
import { Isolation } from './isolation.js';
import { Chores } from './owner-chores.js';
import { newOwnerStats, type OwnerStats } from './owner-config.js';
import type { OwnerDeps } from './owner-deps.js';
import { FailureHandler } from './owner-failure.js';
import { type OwnerPhase, ownerTransition } from './owner-lifecycle.js';
import { makeOwnerParts } from './owner-parts.js';
import { TickPipeline } from './owner-tick.js';
import { type OwnerPositions, Positions } from './positions.js';
import { Quarantine } from './quarantine.js';
import type { RunRegistry } from './run-registry.js';

/** Owner of one partition. */
export class PartitionOwner {
  private phase: OwnerPhase = 'starting';
  private failure: unknown;
  private readonly inbox = new Inbox();
  private readonly hot: HotSet;
  private readonly runner: StepRunner;
  private readonly timers: TimerQueue;
  private readonly runs: RunRegistry;
  private readonly positions: Positions;
  private readonly isolation: Isolation;
  private readonly quarantine = new Quarantine();
  private readonly pipeline: TickPipeline;
  private readonly failures: FailureHandler;
  private readonly abort = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private starting: Promise<void> = Promise.resolve();
  private readonly chores: Chores;
  /** The claim this owner holds (for a restart that keeps it, claim.ts I3). */
  claimOffset = -1;
  readonly stats: OwnerStats = newOwnerStats();
  private readonly deps: OwnerDeps;

  constructor(
    given: OwnerDeps,
    private readonly onFailure: (owner: PartitionOwner, error: unknown) => void,
  ) {
    const deps = { ...given, logger: childLogger(given.logger, { partition: given.partition }) }; // I9
    this.deps = deps;
    const { limits, clock } = deps;
    this.hot = new HotSet(limits.hotWorkflowsMax);
    this.positions = new Positions(deps.committedCommandOffset);
    this.isolation = new Isolation(() => clock.now());
    const { runner, timers, runs, intake } = makeOwnerParts({
      deps,
      hot: this.hot,
      positions: this.positions,
      quarantine: this.quarantine,
      enqueue: (item) => this.enqueue(item),
    });
    this.runner = runner;
    this.timers = timers;
    this.runs = runs;
    const parts = {
      deps,
      hot: this.hot,
      runs: this.runs,
      inbox: this.inbox,
      timers: this.timers,
      positions: this.positions,
      isolation: this.isolation,
      stats: this.stats,
    };
    this.pipeline = new TickPipeline({ ...parts, intake });
    this.chores = new Chores({
      ...parts,
      running: () => this.phase === 'running',
      signal: this.abort.signal,
    });
    this.failures = new FailureHandler({
      ...parts,
      quarantine: this.quarantine,
      stopping: () => this.phase !== 'running',
      signal: this.abort.signal,
    });
  }

  /** The partition this owner owns. */
  get partition(): number {
    return this.deps.partition;
  }

  /** Where the owner is in its life. */
  get currentPhase(): OwnerPhase {
    return this.phase;
  }

  /** What the owner failed with, once it is `failed` (also when that happened while it stopped). */
  get failedWith(): unknown {
    return this.failure;
  }

  /** Where the owner stands in the journal and the command topic (positions.ts), for the admin surface. */
  get positionsNow(): OwnerPositions {
    const { journalOffset, confirmedOffset, nextCommandOffset } = this.positions;
    return { journalOffset, confirmedOffset: confirmedOffset ?? journalOffset, nextCommandOffset };
  }

  /** The command position the consumer group may hold for this partition (positions.ts I2). */
  get confirmedCommandOffset(): number {
    return this.positions.confirmedCommandOffset;
  }

  /** The journaled command position (for seeking the consumer when this owner is replaced). */
  get committedOffset(): number {
    return this.positions.nextCommandOffset;
  }

  /**
   * Claims, catches up, resumes the workflows that need their bodies, and starts the loop. Resolves with
   * the owner running, or stopped if `stop()` came first; rejects if it could not start.
   */
  start(): Promise<void> {
    this.starting = this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    const startedAtMs = this.deps.clock.now();
    const claimed = await claimPartition(this.deps, this.abort.signal, (journalOffset, to) => {
      this.stats.catchUpOffset = journalOffset;
      this.stats.catchUpEndOffset = to;
    });
    this.stats.catchUpMs = this.deps.clock.now() - startedAtMs;
    this.claimOffset = claimed.claimOffset;
    this.positions.epoch = claimed.epoch;
    this.positions.caughtUp(claimed.checkpoint.commandOffset);
    this.positions.journalOffset = claimed.checkpoint.journalOffset;
    this.positions.confirmed(this.deps.clock.now()); // the claim is a transaction (positions.ts I3)
    this.stats.catchUpRecords = claimed.records;
    this.stats.eventsResent += claimed.eventsResent;
    this.stats.cachedCheckpoint = claimed.cachedCheckpoint;
    if (this.phase !== 'starting') return; // stopped during catch-up: start nothing
    this.stats.timersPending = await this.deps.cache.countTimers();
    await this.timers.refill();
    this.phase = ownerTransition(this.phase, 'running', this.partition);
    this.loopDone = this.loop();
    void this.chores.resumeActive();
    this.deps.logger.log('info', 'partition owned', {
      catchUpRecords: claimed.records,
      claim: claimed.claimOffset,
      checkpoint: claimed.checkpoint.journalOffset,
    });
  }

  /** True while the inbox has room for commands (I5); the consumer pauses the partition otherwise. */
  canAccept(): boolean {
    return (
      this.phase === 'running' &&
      this.inbox.externalSize < this.deps.limits.inboxMax &&
      this.hot.size <= this.deps.limits.hotWorkflowsMax
    );
  }

  /** Hands consumed command messages to the loop (I1, I3). */
  offer(messages: readonly CommandMessage[]): void {
    for (const message of messages) {
      const offset = Number(message.offset);
      if (offset < this.positions.nextOfferOffset) {
        this.stats.commandsDropped++;
        continue;
      }
      this.positions.nextOfferOffset = offset + 1;
      const input = commandInput(
        message,
        this.partition,
        this.deps.partitionOf,
        this.deps.limits.commandBytesMax,
        this.traceIgnored,
      );
      this.enqueue({ input });
    }
  }

  /** A command's traceparent header was invalid: ignored (tracing I2), said at debug (I9). */
  private readonly traceIgnored = (command: Command, reason: string): void => {
    if (!levelEnabled(this.deps.logger, 'debug')) return;
    const workflow = command.type === 'start' ? command.workflow : this.hot.state(command.id)?.workflow;
    this.deps.logger.log('debug', 'trace context ignored', {
      ...workflowFields(command.id, workflow),
      command: command.type,
      reason,
    });
  };

  private enqueue(item: Queued): void {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    this.inbox.push(item);
  }

  private async loop(): Promise<void> {
    this.chores.schedule();
    try {
      while (this.phase === 'running') {
        await this.inbox.next(this.pipeline.idle); // after a tick that took nothing, wait for news (I3)
        if (this.phase !== 'running') break;
        await this.linger();
        const failure = await this.pipeline.run();
        if (failure !== undefined) await this.failures.handle(failure);
        this.chores.wakeToConfirm(this.pipeline.confirmDueAtMs()); // owner-tick.ts I10
        await this.chores.run();
      }
      await this.deps.cache.applied(); // owner-tick.ts I9: the next owner of this node reads what we cached
    } catch (error) {
      await this.deps.cache.settled();
      this.fail(error);
    }
  }

  /** Lets bodies woken by the last commit report in, and waits `tickLingerMs` for fuller ticks. */
  private async linger(): Promise<void> {
    await loopTurn();
    const lingerMs = this.deps.limits.tickLingerMs;
    if (lingerMs > 0 && this.inbox.size < this.deps.limits.tickInputsMax)
      await sleepOn(this.deps.clock, lingerMs, this.abort.signal);
  }

  private fail(error: unknown): void {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    this.phase = ownerTransition(this.phase, 'failed', this.partition);
    this.failure = error;
    this.shutdownLocal();
    const fenced = error instanceof FencedError;
    this.deps.logger.log(
      fenced ? 'warn' : 'error',
      fenced ? 'partition fenced by a newer owner' : 'partition owner failed',
      { error: errorMessage(error) },
    );
    this.onFailure(this, error); // I4
  }

  private shutdownLocal(): void {
    this.abort.abort();
    this.chores.stop();
    this.runner.stop();
    this.timers.stop();
    this.runs.stop();
    this.inbox.clear();
  }

  /** Stops taking inputs, lets the open tick finish (commit or fail), and drops the partition's runs. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'failed') return;
    if (this.phase === 'stopping') return this.loopDone;
    this.phase = ownerTransition(this.phase, 'stopping', this.partition);
    this.abort.abort(); // a catch-up in progress ends
    this.inbox.wake();
    await this.starting.catch(() => undefined); // never return while a catch-up still writes the cache
    await this.loopDone;
    if (this.phase !== 'stopping') return; // the open tick failed meanwhile: `fail` shut it down (failed is final)
    this.shutdownLocal();
    this.phase = ownerTransition(this.phase, 'stopped', this.partition);
  }
}
