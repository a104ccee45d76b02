/**
 * A produce request's record headers as the encoding writes them (produce-encoding.ts I2, I3): in
 * KafkaJS's order, each key and value with its UTF-8 size, and a frozen header object's encoded once.
 */
import { byteLength } from './wire-writer.js';

/** A header as written: its key and value, each with its size in bytes. */
export type Header = readonly [
  key: string | Buffer,
  keyBytes: number,
  value: string | Buffer,
  valueBytes: number,
];
const NO_HEADERS: readonly Header[] = [];
/**
 * The headers of frozen header objects, their strings already UTF-8 (produce-encoding.ts I3): a writer that
 * hands every message the same frozen object (the journal's schema header) has it measured and encoded once.
 */
const FROZEN_HEADERS = new WeakMap<object, readonly Header[]>();

/** Headers in KafkaJS's order (keys in object order, array values flattened), undefined if off path. */
export function headersOf(headers: unknown): readonly Header[] | undefined {
  if (headers === undefined) return NO_HEADERS; // KafkaJS's default; it throws on null
  if (typeof headers !== 'object' || headers === null) return undefined;
  return Object.isFrozen(headers) ? frozenHeaders(headers) : measuredHeaders(headers);
}

/** A frozen header object's headers, encoded once if its fields are all plain strings (I3). */
function frozenHeaders(headers: object): readonly Header[] | undefined {
  const known = FROZEN_HEADERS.get(headers);
  if (known !== undefined) return known;
  const fields = Object.values(Object.getOwnPropertyDescriptors(headers));
  if (!fields.every((f) => typeof f.value === 'string')) return measuredHeaders(headers); // getters, Buffers, arrays
  const encoded = Object.entries(headers as Record<string, string>).map(([k, v]): Header => {
    const key = Buffer.from(k, 'utf8');
    const value = Buffer.from(v, 'utf8');
    return [key, key.length, value, value.length];
  });
  FROZEN_HEADERS.set(headers, encoded);
  return encoded;
}

function measuredHeaders(headers: object): Header[] | undefined {
  const out: Header[] = [];
  for (const [key, raw] of Object.entries(headers)) {
    for (const v of Array.isArray(raw) ? (raw as unknown[]) : [raw]) {
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined;
      out.push([key, Buffer.byteLength(key, 'utf8'), v, byteLength(v)]);
    }
  }
  return out;
}
