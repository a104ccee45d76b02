/**
 * Decoding `ns.commands`: one Kafka message → a typed Command, or a rejection (code and reason) that the
 * partition owner sends to `ns.dlq` before moving on (DESIGN §2, STYLE §3 first path). Runs for every
 * command on the owner's loop, so it never throws for bad input.
 *
 * I1. The checks run in this order, and the first failure is the rejection: no value (CommandNotDecodable);
 *     more than commandBytesMax bytes (CommandOversize); framing (below); JSON or Avro decoding; the
 *     schema (validate.ts); the key.
 * I2. Framing by the first byte: `{` after optional JSON whitespace (and an optional UTF-8 BOM) is JSON;
 *     byte 0 with at least 5 bytes is Confluent-framed Avro of command.avsc; anything else is
 *     CommandNotDecodable.
 * I3. A message key, when present, must be the command's id byte for byte: the key chose the partition,
 *     and a command on the wrong partition would reach an owner that does not hold the workflow.
 * I4. Only CommandInvalidError becomes a rejection; any other error is a bug and propagates.
 */
import { ConfigError, ErrorCode, errorMessage } from '../errors.js';
import type { JsonValue } from '../journal/index.js';
import type { Command } from './command.js';
import { avroCommandJson, CONFLUENT_HEADER_BYTES } from './command-avro.js';
import { CommandInvalidError, type DecodeResult } from './command-invalid-error.js';
import { parseStrictJson } from './strict-json.js';
import { validateCommand } from './validate.js';

/** The parts of a Kafka message the decoder reads. */
export interface CommandMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Limits on commands, from the executor's configuration. */
export interface CommandLimits {
  /** Largest accepted message value, in bytes. */
  readonly commandBytesMax: number;
}

const OPEN_BRACE = 0x7b;
const CONFLUENT_MAGIC = 0x00;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

function reject(code: CommandInvalidError['rejection'], reason: string): CommandInvalidError {
  return new CommandInvalidError(code, reason);
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** Index of the first byte after an optional BOM and JSON whitespace. */
function firstSignificantByte(value: Buffer): number {
  let i = value[0] === UTF8_BOM[0] && value[1] === UTF8_BOM[1] && value[2] === UTF8_BOM[2] ? 3 : 0;
  while (i < value.length && isJsonWhitespace(value[i] ?? 0)) i++;
  return i;
}

function parseJsonCommand(value: Buffer): JsonValue {
  try {
    return parseStrictJson(value);
  } catch (error) {
    const what = error instanceof SyntaxError ? 'valid JSON' : 'valid UTF-8';
    throw reject(ErrorCode.CommandBadJson, `The value is not ${what}: ${errorMessage(error)}.`);
  }
}

/** The command's JSON form, by framing (I2). */
function jsonFormOf(value: Buffer): JsonValue {
  const first = firstSignificantByte(value);
  if (value[first] === OPEN_BRACE) return parseJsonCommand(value);
  if (value[0] === CONFLUENT_MAGIC) {
    if (value.length >= CONFLUENT_HEADER_BYTES) return avroCommandJson(value);
    throw reject(
      ErrorCode.CommandNotDecodable,
      `The value starts with byte 0 (Confluent Avro) but has only ${value.length} bytes; the frame alone needs ${CONFLUENT_HEADER_BYTES}.`,
    );
  }
  const byte = value[first];
  const found = byte === undefined ? 'only whitespace' : `byte 0x${byte.toString(16).padStart(2, '0')}`;
  throw reject(
    ErrorCode.CommandNotDecodable,
    `The value starts with ${found}, so it is neither a JSON object ("{") nor Confluent-framed Avro (byte 0).`,
  );
}

function checkKey(key: Buffer | null, id: string): void {
  if (key === null || key.equals(Buffer.from(id, 'utf8'))) return;
  throw reject(
    ErrorCode.CommandKeyMismatch,
    `The message key ${JSON.stringify(key.toString('utf8'))} is not the command's id ${JSON.stringify(id)}; ` +
      'the key decides the partition, so the command would reach the wrong owner.',
  );
}

function decodeOrThrow(message: CommandMessage, limits: CommandLimits): Command {
  const value = message.value;
  if (value === null || value.length === 0) {
    throw reject(ErrorCode.CommandNotDecodable, 'The message has no value; a command is JSON or Avro.');
  }
  if (value.length > limits.commandBytesMax) {
    throw reject(
      ErrorCode.CommandOversize,
      `The value has ${value.length} bytes, more than commandBytesMax (${limits.commandBytesMax}).`,
    );
  }
  const command = validateCommand(jsonFormOf(value));
  checkKey(message.key, command.id);
  return command;
}

/**
 * Decodes one `ns.commands` message (I1). Never throws for bad input: returns `{ ok: false, code, reason }`
 * with an ErrorCode value and a one-sentence reason for the DLQ. Throws ConfigError when
 * `commandBytesMax` is not a positive integer.
 */
export function decodeCommand(message: CommandMessage, limits: CommandLimits): DecodeResult {
  if (!Number.isSafeInteger(limits.commandBytesMax) || limits.commandBytesMax < 1) {
    throw new ConfigError(`commandBytesMax must be a positive integer; got ${limits.commandBytesMax}.`);
  }
  try {
    return { ok: true, command: decodeOrThrow(message, limits) };
  } catch (error) {
    if (error instanceof CommandInvalidError)
      return { ok: false, code: error.rejection, reason: error.message };
    throw error; // I4
  }
}
