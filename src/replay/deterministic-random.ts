/**
 * Deterministic randomness for `ctx.random()` and `ctx.uuid()`: a PRNG seeded from the workflow id, so a
 * replayed body draws the same numbers in the same order without journaling them.
 *
 * I1. Same workflow id and same call order → same values, on every node and Node version (32-bit integer
 *     arithmetic only: FNV-1a for the seed, mulberry32 for the stream). Never change either: replay of
 *     running workflows depends on them.
 */

/** FNV-1a 32-bit hash of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A mulberry32 stream seeded from `seedText` (I1). */
export class DeterministicRandom {
  private state: number;

  constructor(seedText: string) {
    this.state = fnv1a(seedText);
  }

  /** Next value in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** A UUID in version-4 layout, from 16 bytes of the stream. */
  uuid(): string {
    const bytes: number[] = [];
    for (let i = 0; i < 16; i++) bytes.push(Math.floor(this.next() * 256));
    bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
    bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
