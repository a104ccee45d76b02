/**
 * What an owner does when a tick's write fails, by kind of failure (ports.ts WriteFailure):
 *
 *   fenced       another owner holds the partition: the owner stops for good (FencedError);
 *   unavailable  the broker is down or slow: back off exponentially (visible in `stats.failing`), make
 *                the writer usable again, then read the journal to its end, since the tick may have
 *                committed after all, and go on;
 *   rejected     Kafka refused a record: find the workflow it came from (isolation.ts) and refuse what it
 *                wrote from then on (quarantine.ts), so every other workflow of the partition goes on. The
 *                writer makes itself usable again before its next write (tick-writer.ts I5).
 *
 * I1. Rollback first, always: the tick's inputs go back to the inbox and every workflow it touched leaves
 *     memory (the cache holds their committed state) and is rebuilt by replay. Whatever the bodies saw
 *     speculatively is gone with their runs (run-registry.ts I4).
 * I2. A retry writes nothing to the journal: backing off, resetting the writer and reading the journal
 *     are all reads or local, so a long outage leaves no trail of records.
 * I4. A single-produce tick (owner-tick.ts I6) that failed other than by a refusal, or by sending nothing
 *     (NotSentError: its writer could not be reset), may still land later (a request the broker had read, a
 *     replica catching up), stamped with this owner's epoch: the owner
 *     stops with UnconfirmedWriteError after the rollback, and its successor on this node claims anew
 *     (partition-slot.ts), so whatever lands after that claim is void and whatever landed before it is read
 *     by the successor's catch-up. A refused produce appended nothing and is handled like any refusal,
 *     except the events' produce of a tick whose journal records landed (tick-events.ts I6): that owner
 *     stops the same way, and its successor settles the events.
 * I3. Redelivery is harmless: inputs the failed tick had in fact committed are stale when taken again
 *     (commands below the journaled position, outcomes of closed calls, timers that fired; decide.ts I2).
 */

import { sleepOn } from '../clock.js';
import { ErrorCode, FencedError, UnconfirmedWriteError } from '../errors.js';
import type { ErrorData } from '../journal/index.js';
import { workflowFields } from '../logging/index.js';
import { inputWorkflowId } from '../machine/index.js';
import type { TimerQueue } from '../timers/index.js';
import { catchUp } from './catch-up.js';
import type { HotSet } from './hot-set.js';
import type { Inbox } from './inbox.js';
import type { Isolation } from './isolation.js';
import type { OwnerStats } from './owner-config.js';
import type { OwnerDeps } from './owner-deps.js';
import type { TickFailure } from './owner-tick.js';
import type { WriteFailure } from './ports.js';
import type { Positions } from './positions.js';
import type { Quarantine } from './quarantine.js';
import type { RunRegistry } from './run-registry.js';
import { queueTickTimers } from './tick-timers.js';

/** The parts of an owner a failure touches. */
export interface FailureParts {
  readonly deps: OwnerDeps;
  readonly hot: HotSet;
  readonly runs: RunRegistry;
  readonly inbox: Inbox;
  readonly timers: TimerQueue;
  readonly positions: Positions;
  readonly isolation: Isolation;
  readonly quarantine: Quarantine;
  readonly stats: OwnerStats;
  /** True once the owner is stopping: a backoff ends early. */
  readonly stopping: () => boolean;
  /** Aborted when the owner stops. */
  readonly signal: AbortSignal;
}

/** Handles failed writes for one owner. */
export class FailureHandler {
  constructor(private readonly parts: FailureParts) {}

  /** Rolls back `failure` (I1) and acts on its kind; throws FencedError when the owner must stop. */
  async handle(failure: TickFailure): Promise<void> {
    const { deps } = this.parts;
    this.rollback(failure);
    const kind = this.classified(failure.error);
    if (kind.kind === 'rejected' && failure.taken.length === 0 && failure.touched.size === 0) {
      // An idle owner's confirmation (owner-tick.ts I10): no workflow to isolate; it is tried again later.
      deps.logger.log('error', 'Kafka refused a confirming transaction', { error: kind.message });
      await this.resetAfterRefusal();
      return;
    }
    if (kind.kind === 'rejected' && failure.journalWritten !== true) {
      this.rejected(failure, kind);
      await this.resetAfterRefusal();
      return;
    }
    if (failure.unconfirmed === true) {
      const message = `a single-produce tick failed, its outcome unknown (${kind.message}); claiming anew`;
      throw new UnconfirmedWriteError(message, { cause: failure.error }); // I4
    }
    deps.catalog.forget(failure.emitTopics); // an emit topic deleted since it was checked is found next time
    await this.recover(kind);
  }

  /** I1: inputs back to the inbox, touched workflows out of memory and back by replay. */
  private rollback(failure: TickFailure): void {
    const { hot, runs, inbox } = this.parts;
    inbox.returnToFront(failure.taken.filter((q) => q.input.kind !== 'intent'));
    for (const id of failure.touched) hot.drop(id);
    runs.forget(failure.touched);
    for (const id of failure.touched) runs.resume(id);
  }

  private rejected(failure: TickFailure, kind: WriteFailure): void {
    const { isolation, deps, stats } = this.parts;
    stats.ticksRejected++;
    const ids = new Set(failure.taken.map((q) => inputWorkflowId(q.input) ?? ''));
    for (const id of failure.touched) ids.add(id);
    deps.logger.log('warn', 'Kafka refused a tick; isolating the workflow it came from', {
      error: kind.message,
      workflows: ids.size,
    });
    if (ids.size > 1) {
      isolation.suspect(ids);
      return;
    }
    const [id] = ids;
    this.convict(id ?? '', failure, kind);
  }

  /** The tick held one workflow's inputs only: what it wrote is refused from now on. */
  private convict(id: string, failure: TickFailure, kind: WriteFailure): void {
    const { quarantine, isolation, deps } = this.parts;
    const message = `Kafka refused a record of workflow "${id}": ${kind.message}`;
    const error: ErrorData = {
      name: 'KafkaRejectedError',
      code: ErrorCode.KafkaRejected,
      message,
      details: { type: kind.type ?? null },
    };
    const emits = failure.emits.get(id) ?? [];
    const offsets = failure.taken.flatMap((q) => ('offset' in q.input ? [q.input.offset] : []));
    if (emits.length > 0) {
      for (const callSeq of emits)
        quarantine.refuseEmit(id, callSeq, { ...error, code: ErrorCode.EmitRejected });
    } else if (offsets.length > 0) {
      for (const offset of offsets) quarantine.refuseCommand(offset, error);
    } else {
      quarantine.refuseWorkflow(id, error);
    }
    isolation.passed([id]);
    deps.logger.log('error', 'refused what Kafka would not take', {
      ...workflowFields(id, this.parts.hot.state(id)?.workflow),
      refused: emits.length > 0 ? 'emits' : offsets.length > 0 ? 'commands' : 'workflow',
      error: kind.message,
    });
  }

  /** A refused write spoiled the writer (tick-writer.ts I5): reset it now, or back off as after an outage. */
  private async resetAfterRefusal(): Promise<void> {
    const { deps } = this.parts;
    try {
      await deps.writer.reset();
    } catch (error) {
      await this.recover(this.classified(error));
    }
  }

  /** The kind of a write's failure; a fenced one throws FencedError: the owner must stop. */
  private classified(error: unknown): WriteFailure {
    const kind = this.parts.deps.writer.classify(error);
    if (kind.kind === 'fenced')
      throw new FencedError(`fenced by a newer owner: ${kind.message}`, { cause: error });
    return kind;
  }

  /** Backs off until the writer works again, then reads what the failed tick may have committed (I2). */
  private async recover(first: WriteFailure): Promise<void> {
    const { deps, stats } = this.parts;
    const sinceMs = deps.clock.now();
    let backoffMs = deps.limits.failureBackoffMs;
    let lastError = first.message;
    for (let attempts = 1; !this.parts.stopping(); attempts++) {
      const nextRetryAtMs = deps.clock.now() + backoffMs;
      stats.failing = { sinceMs, attempts, lastError, nextRetryAtMs };
      // Every attempt, so a long outage stays visible: one line per backoff (failureBackoffMs doubling).
      deps.logger.log('warn', 'partition owner backing off', {
        attempts,
        backoffMs,
        error: lastError,
      });
      await sleepOn(deps.clock, backoffMs, this.parts.signal);
      if (this.parts.stopping()) return;
      try {
        await deps.writer.reset();
        await this.resync();
        stats.failing = null;
        return;
      } catch (error) {
        lastError = this.classified(error).message;
        backoffMs = Math.min(backoffMs * 2, deps.limits.failureBackoffMaxMs);
      }
    }
  }

  /** Reads the journal from the cache's checkpoint to its end (I3). */
  private async resync(): Promise<void> {
    const { deps, hot, runs, timers, positions } = this.parts;
    const end = await deps.reader.endOffset();
    const result = await catchUp(
      {
        cache: deps.cache,
        reader: deps.reader,
        partition: deps.partition,
        batchRecordsMax: deps.limits.catchUpBatchRecordsMax,
        stallMs: deps.limits.catchUpStallMs,
        signal: this.parts.signal,
        onBatch: (changes) => {
          for (const id of changes.workflows.keys()) {
            hot.drop(id);
            runs.forget([id]);
            runs.resume(id);
          }
          queueTickTimers(timers, changes.timerEvents, []); // the pending count was taken at the claim
        },
      },
      end,
    );
    positions.caughtUp(result.checkpoint.commandOffset);
    positions.journalOffset = Math.max(positions.journalOffset, result.checkpoint.journalOffset);
  }
}
