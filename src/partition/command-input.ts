/**
 * Command intake for a partition owner: a consumed Kafka message becomes one input for `decide`, and a
 * tick that consumed commands journals their position.
 *
 * I1. A message that does not decode becomes a `badCommand` input (DLQ), never an exception.
 * I2. A command whose id hashes (murmur2) to another partition becomes a `misrouted` input: it is forwarded
 *     to its owner, never run here (owner.ts I6).
 * I3. A decoded command's valid `traceparent`/`tracestate` headers ride on its input (D24); an invalid
 *     traceparent is ignored and reported to `onTraceIgnored`, never a rejection (tracing I2).
 */
import { type Command, decodeCommand } from '../commands/index.js';
import { JOURNAL_SCHEMA_VERSION, type JournalRecord } from '../journal/index.js';
import type { Input } from '../machine/index.js';
import { type MessageHeaders, traceFromHeaders } from '../tracing/index.js';

/** A command message as the consumer hands it over. */
export interface CommandMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: MessageHeaders;
}

/** The input for one command message read on `partition`; `partitionOf` is Kafka's partitioner (I1–I3). */
export function commandInput(
  message: CommandMessage,
  partition: number,
  partitionOf: (id: string) => number,
  commandBytesMax: number,
  onTraceIgnored?: (command: Command, reason: string) => void,
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
  const { command } = decoded;
  const { trace, ignored } = traceFromHeaders(message.headers); // I3
  if (ignored !== undefined) onTraceIgnored?.(command, ignored);
  if (partitionOf(command.id) !== partition) {
    const misrouted = { kind: 'misrouted', command, offset: message.offset } as const;
    return trace === undefined ? misrouted : { ...misrouted, trace };
  }
  const input = { kind: 'command', command, offset: message.offset, raw } as const;
  return trace === undefined ? input : { ...input, trace };
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
