/**
 * Command intake for a partition owner: a consumed Kafka message becomes one input for `decide`, and a
 * tick that consumed commands journals their position.
 *
 * I1. A message that does not decode becomes a `badCommand` input (DLQ), never an exception.
 * I2. A command whose id hashes (murmur2) to another partition becomes a `misrouted` input: it is forwarded
 *     to its owner, never run here (owner.ts I6).
 */
import { decodeCommand } from '../commands/index.js';
import { JOURNAL_SCHEMA_VERSION, type JournalRecord } from '../journal/index.js';
import type { Input } from '../machine/index.js';

/** A command message as the consumer hands it over. */
export interface CommandMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** The input for one command message read on `partition`; `partitionOf` is Kafka's partitioner (I1, I2). */
export function commandInput(
  message: CommandMessage,
  partition: number,
  partitionOf: (id: string) => number,
  commandBytesMax: number,
): Input {
  const raw = { key: message.key, value: message.value };
  const decoded = decodeCommand(raw, { commandBytesMax });
  if (!decoded.ok) {
    return {
      kind: 'badCommand',
      code: decoded.code,
      reason: decoded.reason,
      offset: message.offset,
      workflowId: null,
      ...raw,
    };
  }
  if (partitionOf(decoded.command.id) !== partition) {
    return { kind: 'misrouted', command: decoded.command, offset: message.offset };
  }
  return { kind: 'command', command: decoded.command, offset: message.offset, raw };
}

/** The partition-level record that journals a command position (owner.ts I7). */
export function commandsConsumed(
  partition: number,
  nextOffset: number,
  atMs: number,
  epoch: number,
): JournalRecord {
  const body = { kind: 'CommandsConsumed', partition, nextOffset } as const;
  // Stamped with the owner's epoch like every record, so a fenced owner's late position is void too.
  const envelope = { schemaVersion: JOURNAL_SCHEMA_VERSION, workflowId: '', seq: 0, atMs, body };
  return epoch > 0 ? { ...envelope, writerEpoch: epoch } : envelope;
}
