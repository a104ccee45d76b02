/**
 * Commands as Avro: schemas/command.avsc in the Confluent wire format (byte 0, a 4-byte big-endian schema
 * id, then the Avro binary). decode.ts turns an Avro command into its JSON form and validates it with the
 * same validator as JSON commands, so both wire forms obey one set of rules.
 *
 * I1. Without a schema registry the writer schema is assumed to be command.avsc, whatever the schema id.
 * I2. A null Avro field is an absent JSON field; JSON payload fields are bytes holding UTF-8 JSON.
 * I3. Only the fields of the command's type are non-null; others are rejected by the validator as fields
 *     that are not allowed, exactly as in JSON.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { ErrorCode, errorMessage } from '../errors.js';
import { type JsonValue, jsonBytes } from '../journal/index.js';
import type { Command, CommandType } from './command.js';
import { CommandInvalidError } from './command-invalid-error.js';
import { parseStrictJson } from './strict-json.js';

/** Bytes before the Avro record: the magic byte 0 and a 4-byte schema id. */
export const CONFLUENT_HEADER_BYTES = 5;

interface AvroErrorData {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly details: Buffer | null;
}

interface AvroOutcome {
  readonly ok: boolean;
  readonly result: Buffer | null;
  readonly error: AvroErrorData | null;
}

/** A logbook.commands.Command as avsc reads and writes it (I2). */
interface AvroCommand {
  readonly type: CommandType;
  readonly id: string;
  readonly workflow: string | null;
  readonly input: Buffer | null;
  readonly idempotency: string | null;
  readonly parent: { readonly workflowId: string; readonly callSeq: number } | null;
  readonly name: string | null;
  readonly payload: Buffer | null;
  readonly reason: string | null;
  readonly requestId: string | null;
  readonly callSeq: number | null;
  readonly childId: string | null;
  readonly outcome: AvroOutcome | null;
}

type AvroFields = Omit<AvroCommand, 'type' | 'id'>;

const NO_FIELDS: AvroFields = {
  workflow: null,
  input: null,
  idempotency: null,
  parent: null,
  name: null,
  payload: null,
  reason: null,
  requestId: null,
  callSeq: null,
  childId: null,
  outcome: null,
};

function loadCommandType(): avsc.Type {
  // Resolved from this file, so it works from both src/commands and dist/commands.
  const text = readFileSync(new URL('../../schemas/command.avsc', import.meta.url), 'utf8');
  return avsc.Type.forSchema(JSON.parse(text), { wrapUnions: 'auto' });
}

const COMMAND_TYPE = loadCommandType();

/** Each type's non-null Avro fields. */
const TO_AVRO: {
  readonly [T in CommandType]: (command: Extract<Command, { type: T }>) => Partial<AvroFields>;
} = {
  start: (c) => ({
    workflow: c.workflow,
    input: jsonBytes(c.input),
    idempotency: c.idempotency,
    parent: c.parent,
  }),
  signal: (c) => ({ name: c.name, payload: jsonBytes(c.payload) }),
  cancel: (c) => ({ reason: c.reason }),
  query: (c) => ({ requestId: c.requestId }),
  childResult: (c) => ({
    callSeq: c.callSeq,
    childId: c.childId,
    outcome: c.outcome.ok
      ? { ok: true, result: jsonBytes(c.outcome.result), error: null }
      : {
          ok: false,
          result: null,
          error: { ...c.outcome.error, details: jsonBytes(c.outcome.error.details) },
        },
  }),
};

/** Avro binary of command.avsc for `command`, without the Confluent header. Throws what avsc throws. */
export function commandToAvro(command: Command): Buffer {
  // The table pairs each type with its own mapper; TS cannot correlate the two, hence the widening.
  const toAvro = TO_AVRO[command.type] as (command: Command) => Partial<AvroFields>;
  return COMMAND_TYPE.toBuffer({ ...NO_FIELDS, ...toAvro(command), type: command.type, id: command.id });
}

function jsonField(bytes: Buffer, path: string): JsonValue {
  try {
    return parseStrictJson(bytes);
  } catch (error) {
    throw new CommandInvalidError(
      ErrorCode.CommandBadJson,
      `Avro field "${path}" does not hold UTF-8 JSON: ${errorMessage(error)}.`,
      { cause: error },
    );
  }
}

function outcomeJson(outcome: AvroOutcome): JsonValue {
  const json: { [key: string]: JsonValue } = { ok: outcome.ok };
  if (outcome.result !== null) json.result = jsonField(outcome.result, 'outcome.result');
  const error = outcome.error;
  if (error !== null) {
    const details = error.details === null ? null : jsonField(error.details, 'outcome.error.details');
    json.error = { name: error.name, code: error.code, message: error.message, details };
  }
  return json;
}

/** The JSON form of a decoded Avro command: null fields dropped, JSON bytes parsed (I2). */
function jsonForm(avro: AvroCommand): JsonValue {
  const json: { [key: string]: JsonValue } = { type: avro.type, id: avro.id };
  for (const key of [
    'workflow',
    'idempotency',
    'name',
    'reason',
    'requestId',
    'callSeq',
    'childId',
  ] as const) {
    const value = avro[key];
    if (value !== null) json[key] = value;
  }
  if (avro.input !== null) json.input = jsonField(avro.input, 'input');
  if (avro.payload !== null) json.payload = jsonField(avro.payload, 'payload');
  if (avro.parent !== null)
    json.parent = { workflowId: avro.parent.workflowId, callSeq: avro.parent.callSeq };
  if (avro.outcome !== null) json.outcome = outcomeJson(avro.outcome);
  return json;
}

/**
 * Reads a Confluent-framed Avro command (the caller has checked the magic byte and length) into its JSON
 * form. Throws CommandInvalidError: CommandBadAvro when the record does not decode with command.avsc,
 * CommandBadJson when a JSON payload field does not hold UTF-8 JSON.
 */
export function avroCommandJson(value: Buffer): JsonValue {
  let avro: AvroCommand;
  try {
    avro = COMMAND_TYPE.fromBuffer(value.subarray(CONFLUENT_HEADER_BYTES));
  } catch (error) {
    const schemaId = value.readUInt32BE(1);
    throw new CommandInvalidError(
      ErrorCode.CommandBadAvro,
      `The value has the Confluent Avro frame (schema id ${schemaId}) but does not decode with schemas/command.avsc: ${errorMessage(error)}.`,
      { cause: error },
    );
  }
  return jsonForm(avro);
}
