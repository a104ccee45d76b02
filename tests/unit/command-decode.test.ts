/**
 * Proves the command decoder: every command type decodes from JSON and from Confluent-framed Avro to the
 * same Command, with optional fields defaulted; every bad message is rejected with its own code and a
 * reason sentence naming what is wrong; the hand-written validator agrees with schemas/command.schema.json
 * and schemas/command.avsc; and the encoders only produce what the decoder accepts.
 */
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_TYPES,
  type Command,
  CommandInvalidError,
  type CommandMessage,
  type CommandRejectionCode,
  decodeCommand,
  encodeCommandAvro,
  encodeCommandJson,
} from '../../src/commands/index.js';
import { COMMAND_SHAPES, type CommandShapeName } from '../../src/commands/validate.js';
import { ConfigError, ErrorCode } from '../../src/errors.js';

const LIMITS = { commandBytesMax: 4096 };

function readSchema(name: string): string {
  return readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8');
}

/** A reader's own Type for Avro commands, from the schema file alone. */
const AVRO_TYPE = avsc.Type.forSchema(JSON.parse(readSchema('command.avsc')));

/** A message with a JSON (or any text) value. */
function text(value: string, key: string | null = null): CommandMessage {
  return { key: key === null ? null : Buffer.from(key), value: Buffer.from(value) };
}

/** A message with raw bytes as its value. */
function bytes(value: readonly number[]): CommandMessage {
  return { key: null, value: Buffer.from(value) };
}

/** A Confluent-framed Avro message (schema id 1) written by avsc alone; unset fields take their default. */
function avro(fields: Record<string, unknown>): CommandMessage {
  return { key: null, value: Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), AVRO_TYPE.toBuffer(fields)]) };
}

/** A childResult command's JSON text around an outcome's JSON text. */
function childJson(outcome: string, callSeq = '1'): string {
  return `{"type":"childResult","id":"o-1","callSeq":${callSeq},"childId":"c","outcome":${outcome}}`;
}

function decoded(message: CommandMessage): Command {
  const result = decodeCommand(message, LIMITS);
  if (!result.ok) throw new Error(`expected a command, got ${result.code}: ${result.reason}`);
  return result.command;
}

const error = { name: 'CardDeclined', code: 'LB_STEP_FAILED', message: 'declined', details: { tries: 3 } };
const start = {
  type: 'start',
  workflow: 'order',
  id: 'o-1',
  input: null,
  idempotency: null,
  parent: null,
} as const;
const child = { type: 'childResult', id: 'o-1', callSeq: 1, childId: 'c' } as const;
const signal = { type: 'signal', id: 'o-1', name: 'n' } as const;
const START = '{"type":"start","workflow":"order","id":"o-1"}';

/** START with a `parent` field holding the given JSON text. */
function withParent(parent: string): string {
  return `${START.slice(0, -1)},"parent":${parent}}`;
}

/** Commands of every type, with and without their optional fields. */
const COMMANDS: readonly Command[] = [
  { ...start, input: { sku: 'A' } },
  { ...start, input: [1, 2], idempotency: 'req-42', parent: { workflowId: 'p', callSeq: 4 } },
  { type: 'signal', id: 'o-1', name: 'approval', payload: { approved: true, by: 'zoë 𝄞' } },
  { type: 'signal', id: 'o-1', name: 'ping', payload: null },
  { type: 'cancel', id: 'o-1', reason: 'customer asked' },
  { type: 'cancel', id: 'o-1', reason: '' },
  { type: 'query', id: 'o-1', requestId: 'q-7' },
  { ...child, outcome: { ok: true, result: { tracking: 'Z1' } } },
  { ...child, callSeq: 9_007_199_254_740_990, outcome: { ok: false, error } },
];
const CASES = COMMANDS.map((command) => [command.type, command] as const);

describe('good commands', () => {
  it('covers every command type', () => {
    expect(new Set(COMMANDS.map((command) => command.type))).toEqual(new Set(COMMAND_TYPES));
  });

  it.each(CASES)('%s round-trips as JSON, keyed by its id', (_type, command) => {
    expect(decoded({ key: Buffer.from(command.id), value: encodeCommandJson(command) })).toEqual(command);
  });

  it.each(CASES)('%s round-trips as Confluent Avro, unkeyed', (_type, command) => {
    const value = encodeCommandAvro(command, 42);
    expect([...value.subarray(0, 5)]).toEqual([0, 0, 0, 0, 42]);
    expect(decoded({ key: null, value })).toEqual(command);
  });

  const astral = '𝄞'.repeat(256);
  const failed = { ok: false, error: { name: 'E', code: 'C', message: 'm', details: null } } as const;
  const noDetails = '{"ok":false,"error":{"name":"E","code":"C","message":"m"}}';
  const cancel = { type: 'cancel', id: 'o-1', reason: '' } as const;
  const okNull = { ...child, outcome: { ok: true, result: null } } as const;
  it.each([
    ['start without optional fields', START, start],
    ['explicit nulls', `${START.slice(0, -1)},"input":null,"idempotency":null,"parent":null}`, start],
    ['signal without payload', '{"type":"signal","id":"o-1","name":"n"}', { ...signal, payload: null }],
    ['cancel without reason', '{"type":"cancel","id":"o-1"}', cancel],
    ['a null reason', '{"type":"cancel","id":"o-1","reason":null}', cancel],
    ['an ok outcome without result', childJson('{"ok":true}'), okNull],
    ['error details left out', childJson(noDetails), { ...child, outcome: failed }],
    ['whitespace and a BOM first', `\uFEFF \n\t${START}`, start],
    ['an id of 256 astral characters', `{"type":"cancel","id":"${astral}"}`, { ...cancel, id: astral }],
    ['callSeq written 4.0', childJson('{"ok":true}', '4.0'), { ...okNull, callSeq: 4 }],
  ])('accepts JSON with %s', (_what, json, expected) => {
    expect(decoded(text(json))).toEqual(expected);
  });

  it('accepts Avro written by any writer with schemas/command.avsc alone', () => {
    const message = avro({ ...signal, payload: Buffer.from('{"a":1}') });
    expect(decoded(message)).toEqual({ ...signal, payload: { a: 1 } });
  });
});

type Bad = readonly [what: string, message: CommandMessage, fragment: string];
const ERR = '{"ok":false,"error":{"name":"E","code":7,"message":"m"}}';
const TRAILING = [...(avro({ type: 'cancel', id: 'o' }).value ?? []), 1];

/** Bad messages by rejection code; typed so every code has rows. [what, message, part of the reason]. */
const BAD: { readonly [C in CommandRejectionCode]: readonly Bad[] } = {
  [ErrorCode.CommandNotDecodable]: [
    ['a null value (a tombstone)', { key: Buffer.from('o-1'), value: null }, 'no value'],
    ['an empty value', text(''), 'no value'],
    ['a JSON array', text('[{"type":"start"}]'), 'byte 0x5b'],
    ['plain text', text('start o-1'), 'byte 0x73'],
    ['only whitespace', text('  \n'), 'only whitespace'],
    ['a Confluent magic byte without a schema id', bytes([0, 0, 1]), 'only 3 bytes'],
  ],
  [ErrorCode.CommandOversize]: [['a value over commandBytesMax', text(START.padEnd(5000)), '(4096)']],
  [ErrorCode.CommandBadJson]: [
    ['truncated JSON', text('{"type":"start","workflow":'), 'not valid JSON'],
    ['JSON with a trailing comma', text('{"type":"cancel","id":"o-1",}'), 'not valid JSON'],
    ['invalid UTF-8', bytes([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'not valid UTF-8'],
    ['an Avro input that is not JSON', avro({ ...start, input: Buffer.from('{x') }), 'Avro field "input"'],
  ],
  [ErrorCode.CommandBadAvro]: [
    ['Avro bytes that do not decode', bytes([0, 0, 0, 0, 1, 0x7f, 0x7f]), 'schema id 1'],
    ['Avro with a trailing byte', bytes(TRAILING), 'trailing data'],
  ],
  [ErrorCode.CommandUnknownType]: [
    ['no type', text('{"id":"o-1"}'), 'got nothing'],
    ['an unknown type', text('{"type":"stop","id":"o-1"}'), 'got "stop"'],
    ['a type that is not a string', text('{"type":1,"id":"o-1"}'), 'got 1'],
  ],
  [ErrorCode.CommandSchemaViolation]: [
    ['start without workflow', text('{"type":"start","id":"o-1"}'), 'Field "workflow" is missing'],
    ['a numeric id', text('{"type":"start","workflow":"w","id":1}'), 'Field "id" must be a string of 1 to'],
    ['an empty id', text('{"type":"cancel","id":""}'), 'Field "id"'],
    ['a 257-character id', text(`{"type":"cancel","id":"${'x'.repeat(257)}"}`), 'a string of 257 characters'],
    ['an id in the reserved "__" space', text('{"type":"cancel","id":"__owner/3"}'), 'reserved for Logbook'],
    ['an unknown field', text('{"type":"cancel","id":"o-1","why":"k"}'), 'Field "why" is not allowed'],
    ['a parent without callSeq', text(withParent('{"workflowId":"p"}')), '"parent.callSeq" is missing'],
    ['a parent that is a string', text(withParent('"p"')), 'Field "parent" must be an object'],
    ['a callSeq of 0', text(childJson('{"ok":true}', '0')), 'Field "callSeq" must be an integer'],
    ['a fractional callSeq', text(childJson('{"ok":true}', '1.5')), 'got 1.5'],
    ['an outcome without ok', text(childJson('{}')), 'Field "outcome.ok" must be true or false'],
    ['a failed outcome without error', text(childJson('{"ok":false}')), '"outcome.error" is missing'],
    ['an ok outcome with error', text(childJson('{"ok":true,"error":{}}')), '"outcome.error" is not allowed'],
    ['a numeric error code', text(childJson(ERR)), 'Field "outcome.error.code" must be a string'],
    ['a reason that is not a string', text('{"type":"cancel","id":"o-1","reason":false}'), 'got false'],
    ['an Avro start without workflow', avro({ type: 'start', id: 'o-1' }), 'Field "workflow" is missing'],
    ['an Avro signal that sets workflow', avro({ ...signal, workflow: 'w' }), '"workflow" is not allowed'],
  ],
  [ErrorCode.CommandKeyMismatch]: [
    ['a key that is not the id', text(START, 'o-2'), 'key "o-2" is not the command\'s id "o-1"'],
    ['an empty key', text(START, ''), 'key ""'],
  ],
};

const BAD_CASES = Object.entries(BAD).flatMap(([code, rows]) =>
  rows.map(([what, message, fragment]) => [what, code, message, fragment] as const),
);

describe('bad commands', () => {
  it.each(BAD_CASES)('rejects %s as %s', (_what, code, message, fragment) => {
    const result = decodeCommand(message, LIMITS);
    expect(result).toMatchObject({ ok: false, code });
    if (result.ok) return;
    expect(result.reason).toContain(fragment);
    // A reason is one clear sentence: a capital letter first, a full stop last.
    expect(result.reason).toMatch(/^[A-Z].*\.$/s);
  });

  it('treats a bad commandBytesMax as configuration, not as a bad command', () => {
    expect(() => decodeCommand(text(START), { commandBytesMax: 0 })).toThrow(ConfigError);
  });
});

interface SchemaObject {
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, { readonly enum?: readonly unknown[] }>>;
  readonly additionalProperties?: boolean;
  readonly oneOf?: readonly { readonly $ref: string }[];
  readonly $defs: Readonly<Record<string, SchemaObject>>;
}

const SCHEMA: SchemaObject = JSON.parse(readSchema('command.schema.json'));

/** A full JSON command of each type, every optional field set. */
const FULL: { readonly [T in Command['type']]: Record<string, unknown> } = {
  start: { ...start, input: 1, idempotency: 'k', parent: { workflowId: 'p', callSeq: 1 } },
  signal: { type: 'signal', id: 'o-1', name: 'approval', payload: 1 },
  cancel: { type: 'cancel', id: 'o-1', reason: 'r' },
  query: { type: 'query', id: 'o-1', requestId: 'q' },
  childResult: { ...child, outcome: { ok: true, result: 1 } },
};

function propertiesOf(name: string): string[] {
  return Object.keys(SCHEMA.$defs[name]?.properties ?? {});
}

describe('the validator follows schemas/command.schema.json', () => {
  it('has the same command types, in the same order, as the schema', () => {
    expect(SCHEMA.properties?.type?.enum).toEqual(COMMAND_TYPES);
    expect(SCHEMA.oneOf?.map((branch) => branch.$ref)).toEqual(
      COMMAND_TYPES.map((type) => `#/$defs/${type}`),
    );
  });

  it.each(Object.keys(COMMAND_SHAPES) as CommandShapeName[])(
    '%s requires and allows the schema fields',
    (name) => {
      const { required, optional } = COMMAND_SHAPES[name];
      expect(SCHEMA.$defs[name]?.required).toEqual(required);
      expect(new Set(propertiesOf(name))).toEqual(new Set([...required, ...optional]));
      expect(SCHEMA.$defs[name]?.additionalProperties).toBe(false);
    },
  );

  it.each(COMMAND_TYPES)(
    '%s is rejected without a field the schema requires, accepted without others',
    (type) => {
      const full = FULL[type];
      expect(propertiesOf(type)).toEqual(Object.keys(full));
      for (const field of Object.keys(full)) {
        const { [field]: _dropped, ...rest } = full;
        const result = decodeCommand(text(JSON.stringify(rest)), LIMITS);
        const required = SCHEMA.$defs[type]?.required?.includes(field) ?? false;
        expect(result.ok, `${type} without ${field}`).toBe(!required);
        if (!result.ok) expect(result.reason).toContain(`"${field}"`);
      }
    },
  );

  it('puts every JSON field in schemas/command.avsc, and the type enum in the same order', () => {
    const avroSchema = JSON.parse(readSchema('command.avsc')) as {
      fields: { name: string; type: unknown }[];
    };
    const jsonFields = new Set(COMMAND_TYPES.flatMap(propertiesOf));
    expect(new Set(avroSchema.fields.map((field) => field.name))).toEqual(jsonFields);
    expect(avroSchema.fields[0]?.type).toMatchObject({ type: 'enum', symbols: COMMAND_TYPES });
  });
});

describe('command encoders', () => {
  it('refuse a command the decoder would reject, with the same code and reason', () => {
    const bad: Command = { ...start, workflow: '' };
    expect(() => encodeCommandJson(bad)).toThrow(CommandInvalidError);
    expect(() => encodeCommandJson(bad)).toThrow(
      'Cannot encode start "o-1": Field "workflow" must be a string',
    );
    expect(() => encodeCommandAvro(bad)).toThrow(
      expect.objectContaining({ code: ErrorCode.CommandSchemaViolation }),
    );
  });

  it('refuse a payload JSON cannot carry', () => {
    const bad = { type: 'signal', id: 'o-1', name: 'n', payload: 1n } as unknown as Command;
    expect(() => encodeCommandJson(bad)).toThrow(expect.objectContaining({ code: ErrorCode.CommandBadJson }));
  });

  it.each([-1, 1.5, 2 ** 32])('refuse the schema id %s', (schemaId) => {
    expect(() => encodeCommandAvro({ type: 'cancel', id: 'o-1', reason: '' }, schemaId)).toThrow(ConfigError);
  });
});
