/**
 * A narrow port through which a partition owner tells the outside what its ticks committed: the admin
 * server's metrics (src/admin/metrics.ts) fold it into counters. The owner never imports a metrics library;
 * without an admin server the executor passes nothing and the owner calls nothing.
 *
 * I1. Called only after a tick's write returned (owner-tick.ts I1), once per tick, with exactly the
 *     journal records and dead letters that write carried: counters folded from it equal the journal's,
 *     except for a tick whose journal records landed and whose events' produce then failed with its outcome
 *     unknown (tick-events.ts I6): the owner stops, and no one observes that tick.
 * I2. Synchronous and cheap: the owner's loop waits for it. An observer must not throw; one that does is a
 *     bug of the observer, and it stops the owner like any other bug (STYLE §3), so implementations guard
 *     themselves.
 * I3. What the observer is handed is read-only and valid only during the call.
 * I4. A write that reported a failure yet landed (an EndTxn or produce that timed out after the broker took
 *     it) is not observed: the owner reads such records back from the journal like any catch-up, and a
 *     catch-up cannot tell this executor's records from an earlier owner's. Counters may then fall short of
 *     the journal by that write; they never exceed it.
 */
import type { JournalRecord } from '../journal/index.js';
import type { DeadLetter } from '../machine/index.js';

/** What one committed tick wrote (I1). */
export interface CommittedTick {
  readonly partition: number;
  /** The journal records of the write, in journal order. */
  readonly records: readonly JournalRecord[];
  /** The workflow name of each workflow id the records name (from the tick's states). */
  readonly workflowNames: ReadonlyMap<string, string>;
  /** The dead letters (rejected commands) of the write. */
  readonly deadLetters: readonly DeadLetter[];
  /** How long the write (a transaction, a single produce, or the journal's and the events') took, in ms. */
  readonly writeMs: number;
}

/** Told of every committed tick of an owner (I1, I2). */
export interface TickObserver {
  tickCommitted(tick: CommittedTick): void;
}

/** Tells `observer` what a tick's write carried (I1), with the workflow name `nameOf` gives each record's id. */
export function observeTick(
  observer: TickObserver | undefined,
  tick: Omit<CommittedTick, 'workflowNames'>,
  nameOf: (workflowId: string) => string | undefined,
): void {
  if (observer === undefined) return;
  const workflowNames = new Map<string, string>();
  for (const { workflowId } of tick.records) {
    const name = workflowId === '' ? undefined : nameOf(workflowId);
    if (name !== undefined) workflowNames.set(workflowId, name);
  }
  observer.tickCommitted({ ...tick, workflowNames });
}
