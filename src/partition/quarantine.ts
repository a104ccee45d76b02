/**
 * What Kafka refused, so it is never tried again: emit calls, commands and workflows a record-level
 * rejection was traced to (owner-failure.ts). The intake converts their inputs (intake.ts I4):
 *
 *   an emit call      → its call fails with KafkaRejectedError (CallRejected), the body can catch it;
 *   a command         → the DLQ, with code LB_KAFKA_REJECTED and Kafka's reason;
 *   a workflow        → parked as stuck with the reason (once); its further intents, step outcomes and
 *                       due timers become that same stuck decision (no record) until a new owner
 *                       replays it.
 *
 * I1. Bounded: at most `QUARANTINE_MAX` entries of each kind; the oldest are forgotten first (they have
 *     been converted by then: the owner quarantines an entry right before retrying its inputs).
 * I2. Kept only for the life of this owner: a new owner retries, so a fixed cluster heals on a restart.
 */
import { ErrorCode } from '../errors.js';
import type { ErrorData } from '../journal/index.js';
import type { Input } from '../machine/index.js';

/** Entries of each kind a quarantine keeps, at most (I1). */
export const QUARANTINE_MAX = 10_000;

function bounded<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value);
  if (map.size > QUARANTINE_MAX) {
    const [oldest] = map.keys();
    if (oldest !== undefined) map.delete(oldest);
  }
}

/** Refused calls, commands and workflows of one owner (I2). */
export class Quarantine {
  private readonly emits = new Map<string, ErrorData>();
  private readonly commands = new Map<string, ErrorData>();
  private readonly workflows = new Map<string, ErrorData>();

  /** Refuses emit call `callSeq` of `workflowId` from now on. */
  refuseEmit(workflowId: string, callSeq: number, error: ErrorData): void {
    bounded(this.emits, `${callSeq}\u0000${workflowId}`, error);
  }

  /** Sends the command at `offset` to the DLQ from now on. */
  refuseCommand(offset: string, error: ErrorData): void {
    bounded(this.commands, offset, error);
  }

  /** Parks `workflowId` as stuck from now on. */
  refuseWorkflow(workflowId: string, error: ErrorData): void {
    bounded(this.workflows, workflowId, error);
  }

  /** True when nothing is quarantined (the common case: conversion is skipped). */
  get empty(): boolean {
    return this.emits.size + this.commands.size + this.workflows.size === 0;
  }

  /** `input` as the quarantine has it decided (intake.ts I4). */
  convert(input: Input): Input {
    if (this.empty) return input;
    if (input.kind === 'command' || input.kind === 'misrouted' || input.kind === 'badCommand') {
      const error = this.commands.get(input.offset);
      if (error === undefined) return input;
      const reason = `Kafka refused what this command led to: ${error.message}`;
      const code = ErrorCode.KafkaRejected;
      if (input.kind === 'command') {
        const { key, value } = input.raw;
        return {
          kind: 'badCommand',
          code,
          reason,
          offset: input.offset,
          workflowId: input.command.id,
          key,
          value,
        };
      }
      // A forward or a dead letter Kafka refused: the DLQ gets the reason without the bytes it refused.
      const workflowId = input.kind === 'misrouted' ? input.command.id : input.workflowId;
      return { kind: 'badCommand', code, reason, offset: input.offset, workflowId, key: null, value: null };
    }
    if (input.kind !== 'intent' && input.kind !== 'stepOutcome' && input.kind !== 'timerDue') return input;
    const parked = this.workflows.get(input.workflowId);
    if (parked !== undefined) {
      // Whatever would move it on becomes the one stuck record (written once: decide-intent I1).
      return { kind: 'intent', workflowId: input.workflowId, intent: { type: 'stuck', error: parked } };
    }
    if (input.kind !== 'intent') return input;
    const { intent } = input;
    if (intent.type !== 'emit') return input;
    const error = this.emits.get(`${intent.callSeq}\u0000${input.workflowId}`);
    if (error === undefined) return input;
    const { callSeq, parentSeq, topic } = intent;
    return {
      ...input,
      intent: { type: 'rejected', callSeq, parentSeq, callKind: 'emit', name: topic, error },
    };
  }
}
