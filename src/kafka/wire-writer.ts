/**
 * Kafka's wire encoding at a moving offset into a buffer sized in advance: big-endian fields, zigzag
 * varints, length-prefixed strings and bytes, and the sizes of each, so a caller can size a buffer first
 * and fill it once (produce-encoding.ts).
 *
 * I1. Varints are computed on doubles, exactly for magnitudes up to 2^52; callers keep within that.
 */

/** KafkaJS's 64-bit value (`utils/long.js`), as far as the encoding reads it. */
export interface Int64 {
  getHighBits(): number;
  getLowBits(): number;
}

/** A string's UTF-8 bytes, or a Buffer's length. */
export function byteLength(v: string | Buffer): number {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

/** Bytes of a NULLABLE_STRING: an int16 length (-1 for null), then UTF-8. */
export function nullableStringBytes(v: string | null): number {
  return v === null ? 2 : 2 + Buffer.byteLength(v, 'utf8');
}

/** Bytes of `bytes` bytes behind a varint length; a negative `bytes` is null (length -1, no data). */
export function lengthPrefixed(bytes: number): number {
  return bytes < 0 ? varIntBytes(-1) : varIntBytes(bytes) + bytes;
}

function zigZag(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

/** Bytes of a zigzag varint (a 32-bit value). */
export function varIntBytes(v: number): number {
  return unsignedVarBytes(zigZag(v));
}

function zigZag64(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** Bytes of a zigzag varlong (I1). */
export function varLongBytes(v: number): number {
  return unsignedVarBytes(zigZag64(v));
}

function unsignedVarBytes(u: number): number {
  let bytes = 1;
  for (let x = u; x >= 128; x = Math.floor(x / 128)) bytes++;
  return bytes;
}

/** Writes big-endian fields and varints at a moving offset into a buffer sized in advance. */
export class Writer {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  skip(bytes: number): number {
    const at = this.offset;
    this.offset += bytes;
    return at;
  }
  int8(v: number): void {
    this.offset = this.buf.writeInt8(v, this.offset);
  }
  int16(v: number): void {
    this.offset = this.buf.writeInt16BE(v, this.offset);
  }
  int32(v: number): void {
    this.offset = this.buf.writeInt32BE(v, this.offset);
  }
  int64(v: Int64): void {
    this.offset = this.buf.writeInt32BE(v.getHighBits(), this.offset);
    this.offset = this.buf.writeInt32BE(v.getLowBits(), this.offset);
  }
  string(v: string): void {
    const bytes = Buffer.byteLength(v, 'utf8');
    this.int16(bytes);
    this.offset += this.buf.write(v, this.offset, bytes, 'utf8');
  }
  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.string(v);
  }
  varInt(v: number): void {
    this.unsignedVar(zigZag(v));
  }
  varLong(v: number): void {
    this.unsignedVar(zigZag64(v));
  }
  varBytes(v: string | Buffer | null, bytes: number): void {
    if (v === null) {
      this.varInt(-1);
      return;
    }
    this.varInt(bytes);
    if (typeof v === 'string') this.offset += this.buf.write(v, this.offset, bytes, 'utf8');
    else this.offset += v.copy(this.buf, this.offset);
  }
  private unsignedVar(u: number): void {
    let x = u;
    while (x >= 128) {
      this.buf[this.offset++] = (x % 128) | 128;
      x = Math.floor(x / 128);
    }
    this.buf[this.offset++] = x;
  }
}
