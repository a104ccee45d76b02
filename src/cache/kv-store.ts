/**
 * The ordered key-value store under the cache: LevelDB (classic-level) on a node, or an in-memory map for
 * the no-broker simulation. Keys and values are bytes; keys sort by bytes (unsigned), as LevelDB sorts.
 *
 * I1. Only this folder imports classic-level (STYLE §1).
 * I2. A batch is atomic: after a crash either all of its operations are there or none.
 * I3. Writes use `sync: false`: a crash of the machine may lose the latest batches, which catch-up from
 *     the journal re-applies (the cache is disposable, DESIGN §6).
 * I4. LevelDB's bytes come back as Buffers sharing their memory, never copied.
 * I5. `getManySync` reads on the calling thread: no trip through libuv's pool, so a read of a few keys
 *     answers in microseconds instead of a loop turn or two. It blocks the event loop for as long as
 *     LevelDB takes, so callers keep it to a few keys (partition-cache.ts I5).
 */
import { ClassicLevel } from 'classic-level';

/** One operation of a batch. */
export type KvOp =
  | { readonly type: 'put'; readonly key: Buffer; readonly value: Buffer }
  | { readonly type: 'del'; readonly key: Buffer };

/** A key range: `gte` inclusive, `lt` exclusive. */
export interface KvRange {
  readonly gte: Buffer;
  readonly lt: Buffer;
  readonly limit?: number;
  readonly reverse?: boolean;
}

/** An ordered key-value store. */
export interface KvStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]>;
  /** `getMany` on the calling thread (I5). */
  getManySync(keys: readonly Buffer[]): (Buffer | undefined)[];
  /** Entries in `range`, in key order (reverse order with `reverse`). */
  entries(range: KvRange): AsyncIterable<readonly [Buffer, Buffer]>;
  /** Applies `ops` atomically (I2, I3). */
  write(ops: readonly KvOp[]): Promise<void>;
  /** Deletes every key in `range`. */
  clear(range: KvRange): Promise<void>;
}

/** Entries an iterator reads per crossing into LevelDB. */
const ENTRIES_PER_READ = 1_000;

/** A Buffer over the same memory as `view` (I4). */
function asBuffer(view: Uint8Array): Buffer {
  return Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** The store of a node: LevelDB in `directory`. */
export class LevelKvStore implements KvStore {
  /** 'view' (Uint8Array) is classic-level's own form: keys and values cross without transcoding (I4). */
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;

  constructor(directory: string) {
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
  }

  async open(): Promise<void> {
    await this.db.open({ createIfMissing: true });
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    const value = await this.db.get(key);
    return value === undefined ? undefined : asBuffer(value);
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return [];
    return (await this.db.getMany([...keys])).map((v) => (v === undefined ? undefined : asBuffer(v)));
  }

  getManySync(keys: readonly Buffer[]): (Buffer | undefined)[] {
    return keys.map((key) => {
      const value = this.db.getSync(key);
      return value === undefined ? undefined : asBuffer(value);
    });
  }

  async *entries(range: KvRange): AsyncIterable<readonly [Buffer, Buffer]> {
    const options = {
      gte: range.gte,
      lt: range.lt,
      limit: range.limit ?? -1,
      reverse: range.reverse ?? false,
    };
    const iterator = this.db.iterator(options);
    try {
      for (;;) {
        const entries = await iterator.nextv(ENTRIES_PER_READ); // one crossing per chunk, not per entry
        if (entries.length === 0) return;
        for (const [key, value] of entries) yield [asBuffer(key), asBuffer(value)];
      }
    } finally {
      await iterator.close();
    }
  }

  async write(ops: readonly KvOp[]): Promise<void> {
    if (ops.length === 0) return;
    const batch = this.db.batch(); // chained: ~35 % cheaper per op than an array batch here
    try {
      for (const op of ops)
        if (op.type === 'put') batch.put(op.key, op.value);
        else batch.del(op.key);
    } catch (error) {
      await batch.close();
      throw error;
    }
    await batch.write({ sync: false }); // I3
  }

  async clear(range: KvRange): Promise<void> {
    await this.db.clear({ gte: range.gte, lt: range.lt });
  }
}

/** An in-memory store with LevelDB's ordering, for tests and the simulation (no durability). */
export class MemoryKvStore implements KvStore {
  private readonly map = new Map<string, Buffer>();
  private sorted: string[] | undefined;

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async get(key: Buffer): Promise<Buffer | undefined> {
    return this.map.get(key.toString('latin1'));
  }

  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    return this.read(keys);
  }

  getManySync(keys: readonly Buffer[]): (Buffer | undefined)[] {
    return this.read(keys);
  }

  private read(keys: readonly Buffer[]): (Buffer | undefined)[] {
    return keys.map((k) => this.map.get(k.toString('latin1')));
  }

  /** Keys as latin1 strings: one char a byte, so string order is byte order. */
  private keys(): string[] {
    this.sorted ??= [...this.map.keys()].sort();
    return this.sorted;
  }

  async *entries(range: KvRange): AsyncIterable<readonly [Buffer, Buffer]> {
    const gte = range.gte.toString('latin1');
    const lt = range.lt.toString('latin1');
    const inRange = this.keys().filter((k) => k >= gte && k < lt);
    if (range.reverse === true) inRange.reverse();
    const limited = range.limit === undefined || range.limit < 0 ? inRange : inRange.slice(0, range.limit);
    for (const k of limited) {
      const value = this.map.get(k);
      if (value !== undefined) yield [Buffer.from(k, 'latin1'), value];
    }
  }

  async write(ops: readonly KvOp[]): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.map.set(op.key.toString('latin1'), op.value);
      else this.map.delete(op.key.toString('latin1'));
    }
    this.sorted = undefined;
  }

  async clear(range: KvRange): Promise<void> {
    const dels: KvOp[] = [];
    for await (const [key] of this.entries(range)) dels.push({ type: 'del', key });
    await this.write(dels);
  }
}
