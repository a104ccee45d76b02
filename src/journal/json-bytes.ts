/**
 * JSON payloads as Avro `bytes`: user inputs, results, signal payloads and error details travel through
 * Avro as UTF-8 JSON text (DESIGN §2, "JSON bytes by default"), so any reader can parse them without
 * knowing the workflow's types.
 *
 * I1. `undefined` (a step or workflow that returns nothing) is written as JSON `null`: JSON has no
 *     undefined, and a reader must always find valid JSON in these bytes.
 * I2. Both functions may throw what JSON.stringify / JSON.parse throw; the codecs wrap those errors.
 */
import type { JsonValue } from './json.js';

/**
 * Encodes a JSON value as UTF-8 JSON bytes; `undefined`, and values JSON.stringify drops at the top level
 * (functions, symbols), become `null` (I1). Throws TypeError for BigInt or cyclic values (I2).
 */
export function jsonBytes(value: JsonValue | undefined): Buffer {
  // JSON.stringify returns undefined for undefined, functions and symbols, though its type says string.
  const text: string | undefined = JSON.stringify(value);
  return Buffer.from(text ?? 'null', 'utf8');
}

/** Parses UTF-8 JSON bytes written by {@link jsonBytes}. Throws SyntaxError when they are not JSON (I2). */
export function parseJsonBytes(bytes: Buffer): JsonValue {
  // JSON.parse yields exactly the JsonValue shapes; the annotation only names them.
  const value: JsonValue = JSON.parse(bytes.toString('utf8'));
  return value;
}
