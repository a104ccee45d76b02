/**
 * The command validator: a command in its JSON form (parsed JSON, or the JSON view of an Avro command)
 * becomes a typed Command, or a rejection with a reason. Hand-written, without a JSON Schema library, to
 * follow schemas/command.schema.json exactly. decode.ts calls it for both wire forms.
 *
 * I1. COMMAND_SHAPES mirrors the schema's `$defs`: each shape's `required` list and its other properties,
 *     in schema order. A unit test loads command.schema.json and compares them, so the two cannot drift.
 * I2. Checks run in one order and the first failure is the reason: `type` (CommandUnknownType), then per
 *     object: required fields, unknown fields (additionalProperties: false), then each field's type
 *     (CommandSchemaViolation). Reasons name the field path, e.g. "parent.callSeq".
 * I3. An optional field may be absent or null; both give the Command's default: input, payload, result,
 *     details → null; reason → ''; idempotency, parent → null.
 * I4. Ids are 1 to 256 characters, counted in code points as JSON Schema's maxLength counts them, and never
 *     start with "__": Logbook keys its own journal records that way (`__owner/<partition>`).
 */
import { ErrorCode } from '../errors.js';
import type { ChildOutcome, ErrorData, JsonValue } from '../journal/index.js';
import { idProblem, NAME_LENGTH_MAX, nameProblem } from '../machine/names.js';
import type { Command, CommandType } from './command.js';
import { CommandInvalidError } from './command-invalid-error.js';

/** Fields an object shape requires, and the ones it also allows. */
export interface CommandShape {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

/** Names of the object shapes in command.schema.json `$defs`. */
export type CommandShapeName = CommandType | 'parentRef' | 'outcomeOk' | 'outcomeFailed' | 'errorData';

/** Every object shape of schemas/command.schema.json, keyed by its `$defs` name (I1). */
export const COMMAND_SHAPES: { readonly [N in CommandShapeName]: CommandShape } = {
  start: { required: ['type', 'workflow', 'id'], optional: ['input', 'idempotency', 'parent'] },
  signal: { required: ['type', 'id', 'name'], optional: ['payload'] },
  cancel: { required: ['type', 'id'], optional: ['reason'] },
  query: { required: ['type', 'id', 'requestId'], optional: [] },
  childResult: { required: ['type', 'id', 'callSeq', 'childId', 'outcome'], optional: [] },
  parentRef: { required: ['workflowId', 'callSeq'], optional: [] },
  outcomeOk: { required: ['ok'], optional: ['result'] },
  outcomeFailed: { required: ['ok', 'error'], optional: [] },
  errorData: { required: ['name', 'code', 'message'], optional: ['details'] },
};

/** Every command type, in schema order. */
export const COMMAND_TYPES: readonly CommandType[] = ['start', 'signal', 'cancel', 'query', 'childResult'];

/** Longest id or name, in characters (I4). Never lower it: accepted ids are in journals. */
export const COMMAND_NAME_LENGTH_MAX = NAME_LENGTH_MAX;

/** Largest `callSeq`: the largest long avsc writes exactly (2^53 - 2), so JSON and Avro agree. */
const SEQ_MAX = 9_007_199_254_740_990;

type JsonObject = { readonly [key: string]: JsonValue };

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCommandType(value: string): value is CommandType {
  return (COMMAND_TYPES as readonly string[]).includes(value);
}

/** Says what a value is, briefly, for a reason sentence. */
function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function violation(path: string, rule: string, value: JsonValue | undefined): CommandInvalidError {
  return new CommandInvalidError(
    ErrorCode.CommandSchemaViolation,
    `Field "${path}" must be ${rule}; got ${describe(value)}.`,
  );
}

const NAME_RULE = `a string of 1 to ${COMMAND_NAME_LENGTH_MAX} characters`;

/** Typed reads of one object's fields; every failure names the field's full path (I2). */
class Fields {
  private constructor(
    private readonly object: JsonObject,
    private readonly prefix: string,
  ) {}

  /** Checks that `value` is an object with `shape`'s required fields and no others (I2). */
  static enter(value: JsonValue | undefined, path: string, shape: CommandShapeName): Fields {
    if (!isObject(value)) throw violation(path, 'an object', value);
    const prefix = path === '' ? '' : `${path}.`;
    const { required, optional } = COMMAND_SHAPES[shape];
    for (const key of required) {
      if (!Object.hasOwn(value, key)) {
        throw new CommandInvalidError(
          ErrorCode.CommandSchemaViolation,
          `Field "${prefix}${key}" is missing.`,
        );
      }
    }
    for (const key of Object.keys(value)) {
      if (!required.includes(key) && !optional.includes(key)) {
        const allowed = [...required, ...optional].join(', ');
        throw new CommandInvalidError(
          ErrorCode.CommandSchemaViolation,
          `Field "${prefix}${key}" is not allowed here; the fields allowed are ${allowed}.`,
        );
      }
    }
    return new Fields(value, prefix);
  }

  /** The field's value; undefined when absent. Own properties only, never the prototype's. */
  get(key: string): JsonValue | undefined {
    return Object.hasOwn(this.object, key) ? this.object[key] : undefined;
  }

  path(key: string): string {
    return this.prefix + key;
  }

  string(key: string): string {
    const value = this.get(key);
    if (typeof value !== 'string') throw violation(this.path(key), 'a string', value);
    return value;
  }

  name(key: string): string {
    const value = this.get(key);
    if (typeof value !== 'string' || nameProblem(value) !== undefined) {
      throw violation(this.path(key), NAME_RULE, value);
    }
    return value;
  }

  id(key: string): string {
    const value = this.name(key);
    const problem = idProblem(value);
    if (problem !== undefined) throw violation(this.path(key), problem, value);
    return value;
  }

  seq(key: string): number {
    const value = this.get(key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > SEQ_MAX) {
      throw violation(this.path(key), `an integer from 1 to ${SEQ_MAX}`, value);
    }
    return value;
  }

  /** Any JSON value; absent means null (I3). */
  json(key: string): JsonValue {
    return this.get(key) ?? null;
  }

  /** Absent or null gives null (I3); anything else must pass `read`. */
  optional<T>(key: string, read: (this: Fields, key: string) => T): T | null {
    const value = this.get(key);
    return value === undefined || value === null ? null : read.call(this, key);
  }
}

function parentRef(fields: Fields): { readonly workflowId: string; readonly callSeq: number } | null {
  const value = fields.get('parent');
  if (value === undefined || value === null) return null;
  const parent = Fields.enter(value, fields.path('parent'), 'parentRef');
  return { workflowId: parent.id('workflowId'), callSeq: parent.seq('callSeq') };
}

function errorData(fields: Fields, key: string): ErrorData {
  const error = Fields.enter(fields.get(key), fields.path(key), 'errorData');
  return {
    name: error.string('name'),
    code: error.string('code'),
    message: error.string('message'),
    details: error.json('details'),
  };
}

function childOutcome(fields: Fields): ChildOutcome {
  const value = fields.get('outcome');
  const path = fields.path('outcome');
  // `ok` picks the shape (outcomeOk or outcomeFailed), so it is checked before either shape.
  const ok = isObject(value) && Object.hasOwn(value, 'ok') ? value.ok : undefined;
  if (ok === true) return { ok: true, result: Fields.enter(value, path, 'outcomeOk').json('result') };
  if (ok === false)
    return { ok: false, error: errorData(Fields.enter(value, path, 'outcomeFailed'), 'error') };
  if (!isObject(value)) throw violation(path, 'an object', value);
  throw violation(`${path}.ok`, 'true or false', ok);
}

/** Builds each command type from its checked fields, reading them in schema order (I2). */
const BUILDERS: { readonly [T in CommandType]: (fields: Fields) => Extract<Command, { type: T }> } = {
  start: (f) => ({
    type: 'start',
    workflow: f.name('workflow'),
    id: f.id('id'),
    input: f.json('input'),
    idempotency: f.optional('idempotency', f.name),
    parent: parentRef(f),
  }),
  signal: (f) => ({ type: 'signal', id: f.id('id'), name: f.name('name'), payload: f.json('payload') }),
  cancel: (f) => ({ type: 'cancel', id: f.id('id'), reason: f.optional('reason', f.string) ?? '' }),
  query: (f) => ({ type: 'query', id: f.id('id'), requestId: f.name('requestId') }),
  childResult: (f) => ({
    type: 'childResult',
    id: f.id('id'),
    callSeq: f.seq('callSeq'),
    childId: f.id('childId'),
    outcome: childOutcome(f),
  }),
};

/**
 * Checks a command's JSON form against schemas/command.schema.json and returns the typed Command.
 * Throws CommandInvalidError (CommandUnknownType or CommandSchemaViolation) with a one-sentence reason.
 */
export function validateCommand(value: JsonValue): Command {
  if (!isObject(value)) throw violation('(command)', 'a JSON object', value);
  const type = Object.hasOwn(value, 'type') ? value.type : undefined;
  if (typeof type !== 'string' || !isCommandType(type)) {
    throw new CommandInvalidError(
      ErrorCode.CommandUnknownType,
      `Field "type" must be one of ${COMMAND_TYPES.join(', ')}; got ${describe(type)}.`,
    );
  }
  return BUILDERS[type](Fields.enter(value, '', type));
}
