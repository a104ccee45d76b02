/**
 * Encoding commands for `ns.commands`, for the client, the CLI and tests. Each encoder decodes its own
 * output before returning it, so a caller learns why a command would be rejected before sending it.
 *
 * I1. What these functions return always decodes with decodeCommand to an equal command (given no key or
 *     the id as key, and a commandBytesMax of at least its length).
 * I2. The Confluent frame is byte 0, the schema id as 4 bytes big-endian, then Avro binary of command.avsc.
 */
import { ConfigError, ErrorCode, errorMessage } from '../errors.js';
import type { Command } from './command.js';
import { CONFLUENT_HEADER_BYTES, commandToAvro } from './command-avro.js';
import { CommandInvalidError } from './command-invalid-error.js';
import { decodeCommand } from './decode.js';

/** Returns `value` if it decodes (I1); throws CommandInvalidError with the decoder's code and reason. */
function checked(value: Buffer, command: Command): Buffer {
  const result = decodeCommand({ key: null, value }, { commandBytesMax: Math.max(value.length, 1) });
  if (!result.ok) {
    throw new CommandInvalidError(
      result.code,
      `Cannot encode ${command.type} "${command.id}": ${result.reason}`,
    );
  }
  return value;
}

/** Encodes a command as UTF-8 JSON (schemas/command.schema.json). Throws CommandInvalidError. */
export function encodeCommandJson(command: Command): Buffer {
  let value: Buffer;
  try {
    value = Buffer.from(JSON.stringify(command), 'utf8');
  } catch (error) {
    throw new CommandInvalidError(
      ErrorCode.CommandBadJson,
      `Cannot encode ${command.type} "${command.id}" as JSON: ${errorMessage(error)}.`,
      { cause: error },
    );
  }
  return checked(value, command);
}

/**
 * Encodes a command as Avro (schemas/command.avsc) in the Confluent wire format with `schemaId` (I2).
 * Throws ConfigError for a schema id outside 0..2^32-1, CommandInvalidError for an invalid command.
 */
export function encodeCommandAvro(command: Command, schemaId = 1): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffff_ffff) {
    throw new ConfigError(`A Confluent schema id is an integer from 0 to 4294967295; got ${schemaId}.`);
  }
  let body: Buffer;
  try {
    body = commandToAvro(command);
  } catch (error) {
    throw new CommandInvalidError(
      ErrorCode.CommandBadAvro,
      `Cannot encode ${command.type} "${command.id}" as Avro: ${errorMessage(error)}.`,
      { cause: error },
    );
  }
  const value = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + body.length);
  value.writeUInt8(0, 0);
  value.writeUInt32BE(schemaId, 1);
  body.copy(value, CONFLUENT_HEADER_BYTES);
  return checked(value, command);
}
