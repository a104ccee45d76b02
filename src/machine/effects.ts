/**
 * Effects: what one `decide` call wants written, all in the tick's single transaction.
 *
 * I1. Effects are data; the partition owner turns them into Kafka messages. Nothing here is sent twice:
 *     a tick either commits all of its effects or none.
 */

import type { ErrorData, JournalRecord, JsonValue } from '../journal/index.js';
import type { Command } from './command.js';
import type { JournalPosition, WorkflowStatus } from './state.js';

/** A workflow event for `ns.events`: what clients and downstream consumers wait on. */
export type WorkflowEvent =
  | {
      readonly type:
        | 'WorkflowStarted'
        | 'WorkflowCompleted'
        | 'WorkflowFailed'
        | 'WorkflowCancelled'
        | 'WorkflowStuck';
      readonly id: string;
      readonly workflow: string;
      readonly atMs: number;
      readonly result?: JsonValue;
      readonly error?: ErrorData;
    }
  | {
      readonly type: 'WorkflowStatus';
      readonly id: string;
      readonly requestId: string;
      readonly atMs: number;
      readonly status: WorkflowStatus | 'unknown';
      readonly workflow?: string;
      readonly result?: JsonValue;
      readonly error?: ErrorData;
      /** Bounded whatever the history length (workflow-outcome.ts). */
      readonly summary?: JsonValue;
      /** Past the cache's retention: the result and error are in the journal record here (client.ts reads it). */
      readonly archived?: JournalPosition;
    };

/** A rejected command on its way to `ns.dlq`. */
export interface DeadLetter {
  readonly code: string;
  readonly reason: string;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** A user message from `ctx.emit`, written in the same transaction as its `Emitted` record. */
export interface Emit {
  /** The workflow that emitted it (its trace goes with the message). */
  readonly workflowId: string;
  readonly topic: string;
  readonly key: string;
  readonly value: JsonValue;
}

/** A step attempt to run once the decision's records are committed (its StepStarted is among them). */
export interface StepAttempt {
  readonly workflowId: string;
  readonly callSeq: number;
  readonly attempt: number;
}

/** A due timer the machine found not due yet (the clock stepped back): it goes back on the queue. */
export interface TimerNotDue {
  readonly workflowId: string;
  readonly timerId: string;
  readonly fireAtMs: number;
}

/** All effects of one decision. */
export interface Effects {
  readonly records: JournalRecord[];
  readonly events: WorkflowEvent[];
  readonly deadLetters: DeadLetter[];
  readonly emits: Emit[];
  /** Commands for other workflows (child starts, child results), routed by their id. */
  readonly commands: Command[];
  /** Not written anywhere: step attempts to start after the commit (I1 holds: they start once). */
  readonly attempts: StepAttempt[];
  /** Not written anywhere: timers to put back on the queue. */
  readonly timersNotDue: TimerNotDue[];
}

/** A fresh, empty set of effects. */
export function noEffects(): Effects {
  return {
    records: [],
    events: [],
    deadLetters: [],
    emits: [],
    commands: [],
    attempts: [],
    timersNotDue: [],
  };
}

/** True when the effects write nothing to Kafka (attempts and timers are only local). */
export function writesNothing(e: Effects): boolean {
  return e.records.length + e.events.length + e.deadLetters.length + e.emits.length + e.commands.length === 0;
}
