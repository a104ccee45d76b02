/**
 * Effects: what one `decide` call wants written, all in the tick's single transaction.
 *
 * I1. Effects are data; the partition owner turns them into Kafka messages. Nothing here is sent twice:
 *     a tick either commits all of its effects or none.
 */
import type { Command } from '../commands/command.js';
import type { ErrorData, JournalRecord, JsonValue } from '../journal/index.js';
import type { WorkflowStatus } from './state.js';

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
      readonly summary?: JsonValue;
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
  readonly topic: string;
  readonly key: string;
  readonly value: JsonValue;
}

/** All effects of one decision. */
export interface Effects {
  readonly records: JournalRecord[];
  readonly events: WorkflowEvent[];
  readonly deadLetters: DeadLetter[];
  readonly emits: Emit[];
  /** Commands for other workflows (child starts, child results), routed by their id. */
  readonly commands: Command[];
}

/** A fresh, empty set of effects. */
export function noEffects(): Effects {
  return { records: [], events: [], deadLetters: [], emits: [], commands: [] };
}
