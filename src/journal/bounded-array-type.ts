/**
 * An Avro array type that refuses block counts larger than the bytes left to read. avsc trusts the count:
 * it allocates `new Array(count)` and loops `count` times, so a corrupt 40-byte journal value with a count
 * near 2^31 exhausts the heap and kills the process instead of failing to decode. codec.ts installs this
 * type through avsc's `typeHook` option, which lets a caller supply the Type for a schema.
 *
 * I1. Used only for arrays whose items take at least one byte each (every Avro type but null, so the
 *     hook checks); for them a count above the remaining bytes cannot be valid.
 * I2. Reads exactly what avsc's ArrayType reads (block counts, negative counts followed by a byte size,
 *     a zero count ending the array), so the wire format is unchanged and writing is avsc's own.
 */
import avsc from 'avsc';

/** The parts of avsc's internal Tap (a cursor over a Buffer) this type reads. */
interface AvscTap {
  readonly buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
}

/** What an avsc Type's internal reader looks like. */
interface AvscReader {
  _read(tap: AvscTap): unknown;
}

/** ArrayType with a bounded block count (I1, I2). */
class BoundedArrayType extends avsc.types.ArrayType {
  _read(tap: AvscTap): unknown[] {
    // itemsType is an avsc Type, so it has the internal reader every avsc Type has.
    const items = this.itemsType as unknown as AvscReader;
    const values: unknown[] = [];
    for (let count = tap.readLong(); count !== 0; count = tap.readLong()) {
      if (count < 0) {
        count = -count;
        tap.skipLong(); // The block's size in bytes, which only skipping readers use.
      }
      const left = tap.buf.length - tap.pos;
      if (count > left) throw new Error(`array block of ${count} items but only ${left} bytes left`);
      for (let i = 0; i < count; i++) values.push(items._read(tap));
    }
    return values;
  }
}

/** A typeHook for avsc's forSchema: bounded arrays for every array whose items are not null (I1). */
export function boundedArrayHook(schema: avsc.Schema, opts: avsc.ForSchemaOptions): avsc.Type | undefined {
  if (typeof schema !== 'object' || Array.isArray(schema) || schema instanceof avsc.Type) return undefined;
  if (schema.type !== 'array') return undefined;
  if (!('items' in schema) || schema.items === 'null') return undefined;
  return new BoundedArrayType(schema, opts);
}
