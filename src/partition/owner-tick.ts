/**
 * One tick of a partition owner (DESIGN §3): take inputs, ready them at the edge, decide (two rounds),
 * write them (I1), then hand the committed records to the cache, the timer queue and the runs.
 *
 * I1. One write per tick — a transaction, a single produce (I6), or the journal's single produce then its
 *     events' (I7) — carries every record, client event, dead letter, emit, routed command and the command
 *     position (group commit).
 *     Nothing of a tick reaches the cache, the timer queue or a step attempt before its write returned.
 * I2. Command positions are journaled: a tick that consumed commands and wrote anything lasting appends
 *     CommandsConsumed in its write. The consumer group's offset is not part of any tick: the executor
 *     commits confirmed positions beside them (positions.ts I2), since an offset commit in a transaction
 *     (AddOffsetsToTxn, TxnOffsetCommit, a marker on `__consumer_offsets`) cost a tick ~8 ms here.
 * I3. A failed write changes nothing here: the tick's inputs and the states it touched are handed back to
 *     the owner as a TickFailure (owner-failure.ts rolls them back).
 * I4. Speculation: the first round's records reach the runs before the commit; what the bodies report
 *     next is decided as a second round of the same tick (run-registry.ts I4).
 * I5. The cost of a tick depends on its inputs and the bounded states they touch, never on history length
 *     (cache-changes.ts I1).
 * I6. A tick that writes only journal records of this partition goes out as one
 *     idempotent produce (ports.ts I3, DESIGN §5a) when `singleProduceTicks` is on and a transaction
 *     confirmed everything within `confirmIntervalMs`; every other tick is a transaction, which also
 *     confirms the single-produce ticks before it (positions.ts I3). A single produce that failed leaves
 *     its outcome unknown: the owner stops and its successor claims anew (owner-failure.ts I4).
 * I7. A tick whose other messages are outcome events of this partition may go out as two idempotent
 *     produces, its journal records and then its events, when `eventsAfterJournal` is on, the writer can
 *     fence both partitions (`claim`, `fence`) and the owner can read its events partition (tick-events.ts): a successor re-sends what a crash between the two left
 *     unsent, so events stay exactly-once with the records they report. Any other tick (status answers,
 *     dead letters, emits, routed commands) is a transaction.
 * I8. The tick observer (tick-observer.ts) hears of a write only after it returned, with exactly its records.
 * I9. A tick's cache changes are staged, not awaited: its step attempts start while they wait to be
 *     written with the next ticks' as one batch (cache-writes.ts I2; the cache orders reads after writes,
 *     partition-cache.ts I4, I6). Staging fails when an earlier write failed, and so do the cache reads a
 *     tick makes (partition-cache.ts I7): a failed cache write fails the owner at its next tick, no later
 *     tick is cached after it, and no tick decides on what the store lost; the owner's loop writes and
 *     awaits what is staged before it ends (`PartitionCache.applied`).
 * I10. An owner that goes idle with single-produce ticks waiting for a confirmation writes one, a
 *     CommandsConsumed record in a transaction, once `confirmIntervalMs` has passed since the last
 *     confirmation or attempt (the chores wake the loop for it): the consumer group's offset then reaches the journal's position, and a
 *     fenced owner finds out, without waiting for more work.
 */
import { type CacheChanges, CacheChanges as Changes } from '../cache/index.js';
import { NotSentError } from '../errors.js';
import { encodeRecord, type JournalRecord, TERMINAL_RECORD_KINDS } from '../journal/index.js';
import { type DecideContext, type Input, isTerminal, writesNothing } from '../machine/index.js';
import type { TimerQueue } from '../timers/index.js';
import { commandsConsumed } from './command-input.js';
import { type HotSet, TickView } from './hot-set.js';
import type { Inbox, Queued } from './inbox.js';
import type { Intake } from './intake.js';
import type { Isolation } from './isolation.js';
import { emitsOf, tickMessages } from './messages.js';
import type { OwnerStats } from './owner-config.js';
import type { OwnerDeps } from './owner-deps.js';
import type { Positions } from './positions.js';
import type { RunRegistry } from './run-registry.js';
import { mergeTicks, runTick, type TickResult } from './tick.js';
import { tickAppender } from './tick-appender.js';
import { EventsNotSentError } from './tick-events.js';
import { observeTick } from './tick-observer.js';
import { queueTickTimers } from './tick-timers.js';
import { tickTraces } from './tick-traces.js';
import { logCommitted } from './workflow-log.js';

/** A tick whose write failed: what it took and touched, for the rollback (I3). */
export interface TickFailure {
  readonly error: unknown;
  readonly taken: readonly Queued[];
  readonly touched: ReadonlySet<string>;
  readonly records: readonly JournalRecord[];
  /** Workflows whose emits the tick wrote, by id, with those calls. */
  readonly emits: ReadonlyMap<string, number[]>;
  /** Topics the tick emitted to. */
  readonly emitTopics: readonly string[];
  /** True when the failed write was a single produce (I6). */
  readonly unconfirmed?: boolean;
  /** True when the tick's journal records landed and its events' produce failed (I7, tick-events.ts I6). */
  readonly journalWritten?: boolean;
}

/** The parts of an owner a tick works with. */
export interface TickParts {
  readonly deps: OwnerDeps;
  readonly hot: HotSet;
  readonly runs: RunRegistry;
  readonly inbox: Inbox;
  readonly intake: Intake;
  readonly timers: TimerQueue;
  readonly positions: Positions;
  readonly isolation: Isolation;
  readonly stats: OwnerStats;
}

/** Records that do not need the body (nothing it waits on changed). */
const PASSIVE = new Set(['SignalReceived', 'CommandRejected']);

/** Runs ticks for one owner. */
export class TickPipeline {
  /** True when the last tick took nothing: every waiting input was skipped (the step queue is full). */
  idle = false;
  private confirmTriedAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly parts: TickParts) {}

  private context(nowMs: number): DecideContext {
    const { deps, positions } = this.parts;
    const workflows = new Set(deps.workflows.keys());
    return { nowMs, workflows, epoch: positions.epoch, limits: deps.limits.machine };
  }

  /** What a tick takes: what the intake takes, and only one workflow's inputs while isolating. */
  private verdict(q: Queued): 'take' | 'skip' | 'drop' {
    const v = this.parts.intake.verdict(q);
    return v === 'take' && !this.parts.isolation.accepts(q) ? 'skip' : v;
  }

  /**
   * One tick; returns a TickFailure when its write failed, or when Kafka could not be asked what its
   * inputs need (an emit topic's metadata), else undefined (I3).
   */
  async run(): Promise<TickFailure | undefined> {
    const { inbox, intake, deps, isolation } = this.parts;
    const nowMs = deps.clock.now();
    const limits = deps.limits;
    isolation.startTick();
    intake.startTick();
    const queued1 = inbox.take(limits.tickInputsMax, (q) => this.verdict(q));
    this.idle = queued1.length === 0;
    if (this.idle) return this.confirmIfDue(nowMs); // I10
    const view = new TickView(this.parts.hot);
    const changes = new Changes(deps.partition);
    const ctx = this.context(nowMs);
    let inputs1: Input[];
    try {
      inputs1 = await intake.prepare(queued1, view);
    } catch (error) {
      if (deps.cache.writeFailed) throw error; // I9: not a tick's failure, the owner's
      return { error, taken: queued1, touched: new Set(), records: [], emits: new Map(), emitTopics: [] };
    }
    const first = runTick(view, inputs1, ctx, limits.tickBytesMax, changes, true);
    inbox.returnToFront(queued1.slice(first.taken));
    this.startNewRuns(first.effects.records, view);
    await this.parts.runs.deliver(first.effects.records); // I4
    const queued2 = inbox.takeIntents(limits.tickInputsMax - first.taken, (q) => this.verdict(q));
    let inputs2: Input[];
    try {
      inputs2 = await intake.prepare(queued2, view);
    } catch (error) {
      if (deps.cache.writeFailed) throw error; // I9
      const taken = [...queued1.slice(0, first.taken), ...queued2];
      return { error, taken, touched: first.touched, records: [], emits: new Map(), emitTopics: [] };
    }
    const budget = Math.max(0, limits.tickBytesMax - first.bytes);
    const second = runTick(view, inputs2, ctx, budget, changes, false);
    inbox.returnToFront(queued2.slice(second.taken));
    const tick = mergeTicks(first, second);
    const taken = [...queued1.slice(0, first.taken), ...queued2.slice(0, second.taken)];
    return this.write(tick, second, view, changes, taken, nowMs);
  }

  /** When an idle owner's confirmation falls due (I10); undefined: no single produce waits for one. */
  confirmDueAtMs(): number | undefined {
    const { positions, deps } = this.parts;
    if (positions.confirmedOffset === undefined) return undefined;
    return Math.max(positions.confirmedAtMs, this.confirmTriedAtMs) + deps.limits.confirmIntervalMs;
  }

  /**
   * An idle owner's confirming transaction (I10): once `confirmIntervalMs` has passed since the last
   * confirmation or attempt and single-produce ticks wait for one, a CommandsConsumed record in a
   * transaction.
   */
  private async confirmIfDue(nowMs: number): Promise<TickFailure | undefined> {
    const { deps, positions } = this.parts;
    const due = this.confirmDueAtMs();
    if (due === undefined || nowMs < due) return undefined;
    this.confirmTriedAtMs = nowMs; // a failed one is tried again an interval later, not at once
    const view = new TickView(this.parts.hot);
    const changes = new Changes(deps.partition);
    const tick = runTick(view, [], this.context(nowMs), deps.limits.tickBytesMax, changes, true);
    const next = positions.nextCommandOffset;
    tick.effects.records.push(commandsConsumed(deps.partition, next, nowMs, positions.epoch));
    return this.write(tick, tick, view, changes, [], nowMs);
  }

  /** Starts the runs of workflows this tick started, so their first calls join its second round (I4). */
  private startNewRuns(records: readonly JournalRecord[], view: TickView): void {
    for (const record of records) {
      if (record.body.kind !== 'WorkflowStarted') continue;
      const ws = view.get(record.workflowId);
      if (ws !== undefined && !this.parts.hot.runs.has(ws.id)) this.parts.runs.startNew(ws, record);
    }
  }

  private async write(
    tick: TickResult,
    second: TickResult,
    view: TickView,
    changes: CacheChanges,
    taken: readonly Queued[],
    nowMs: number,
  ): Promise<TickFailure | undefined> {
    const { deps, positions } = this.parts;
    const { topics, partition } = deps;
    const next = tick.nextCommandOffset ?? positions.nextCommandOffset;
    const records = [...tick.effects.records];
    if (tick.nextCommandOffset !== undefined && !writesNothing(tick.effects))
      records.push(commandsConsumed(partition, next, nowMs, positions.epoch)); // I2
    const traces = tickTraces(view, taken);
    const messages = tickMessages({ ...tick.effects, records }, topics, partition, traces);
    let journalBase: number | undefined;
    let writeMs: number | undefined;
    if (messages.length > 0) {
      const append = tickAppender(deps, positions.confirmedAtMs, messages, tick.effects.events, nowMs); // I6, I7
      try {
        const writeStart = performance.now(); // a measurement for the observer only, never a decision
        const base = append === undefined ? await deps.writer.write(messages) : await append(); // I1
        writeMs = performance.now() - writeStart;
        journalBase = base.get(`${topics.journal}:${partition}`);
      } catch (thrown) {
        const emitTopics = [...new Set(tick.effects.emits.map((e) => e.topic))];
        const journalWritten = thrown instanceof EventsNotSentError; // tick-events.ts I6
        return {
          error: journalWritten ? thrown.cause : thrown,
          taken,
          touched: tick.touched,
          records,
          emits: emitsOf(records),
          emitTopics,
          unconfirmed: append !== undefined && !(thrown instanceof NotSentError),
          ...(journalWritten ? { journalWritten } : {}),
        };
      }
      const lastOffset =
        journalBase === undefined ? positions.journalOffset : journalBase + records.length - 1;
      positions.journalWritten(lastOffset, append === undefined, nowMs);
    }
    positions.committed(next);
    for (const q of taken)
      if (q.input.kind === 'stepOutcome')
        this.parts.runs.outcomeCommitted(q.input.workflowId, q.input.callSeq);
    if (writeMs !== undefined) {
      const { partition, tickObserver } = this.parts.deps;
      const committed = { partition, records, deadLetters: tick.effects.deadLetters, writeMs };
      observeTick(tickObserver, committed, (id) => view.get(id)?.workflow); // I8
    }
    await this.afterCommit(tick, second, view, changes, records, journalBase, nowMs);
    return undefined;
  }

  /** Hands a committed tick to the cache, the hot set, the timer queue and the runs (I1). */
  private async afterCommit(
    tick: TickResult,
    second: TickResult,
    view: TickView,
    changes: CacheChanges,
    records: readonly JournalRecord[],
    journalBase: number | undefined,
    nowMs: number,
  ): Promise<void> {
    const { deps, hot, runs, positions, stats, timers } = this.parts;
    stats.ticks++;
    stats.recordsWritten += records.length;
    for (const { body } of records)
      if (body.kind === 'WorkflowStarted') stats.workflowsStarted++;
      else if (TERMINAL_RECORD_KINDS.has(body.kind)) stats.workflowsFinished++;
    logCommitted(deps.logger, records, (id) => view.get(id));
    if (journalBase !== undefined) {
      for (const [i, record] of records.entries()) {
        const ws = view.get(record.workflowId);
        if (ws !== undefined) changes.record(ws, record, encodeRecord(record), journalBase + i);
      }
      const confirmed = positions.confirmedOffset;
      const checkpoint = {
        journalOffset: journalBase + records.length - 1,
        commandOffset: positions.nextCommandOffset,
        epoch: positions.epoch,
        ...(confirmed === undefined ? {} : { confirmedOffset: confirmed }),
      };
      const { cacheStageMs, cacheStageRecordsMax, cacheStageBytesMax } = deps.limits;
      const stage = {
        stageMs: cacheStageMs,
        stageRecordsMax: cacheStageRecordsMax,
        stageBytesMax: cacheStageBytesMax,
      };
      await deps.cache.stage(changes, checkpoint, stage); // I9
    }
    for (const id of tick.touched) if (isTerminal(view.get(id)?.status ?? 'running')) runs.forget([id]);
    hot.commit(view, tick.touched, nowMs);
    stats.timersPending += queueTickTimers(timers, changes.timerEvents, tick.effects.timersNotDue);
    runs.startAttempts(tick.effects.attempts);
    await runs.deliver(second.effects.records);
    this.resumeWoken(records);
    this.parts.isolation.passed(tick.touched);
  }

  /** Workflows that got a record their body waits on, but have no run here: rebuild their runs. */
  private resumeWoken(records: readonly JournalRecord[]): void {
    const { hot, runs } = this.parts;
    const woken = new Set<string>();
    for (const r of records) if (r.workflowId !== '' && !PASSIVE.has(r.body.kind)) woken.add(r.workflowId);
    for (const id of woken) {
      const ws = hot.state(id);
      if (ws !== undefined && !isTerminal(ws.status) && !hot.runs.has(id)) runs.resume(id);
    }
  }
}
