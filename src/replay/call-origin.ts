/**
 * Call origins: which call a body's new call comes "after", so that a replay finds each call's callSeq
 * however long the body's own I/O between calls took (records.ts I5).
 *
 * Each workflow body runs inside an AsyncLocalStorage context. A ctx call reads the context it is made in
 * — `parentSeq`, the call made last before it in this async context, and a counter of calls made in that
 * context so far (its rank) — then enters a fresh context named after itself, so everything the calling
 * code does afterwards, across awaits of `fs.promises` or timers, carries the new call as its origin.
 * Parallel branches each carry their own origin, so the order in which their I/O finishes does not matter.
 *
 * I1. (parentSeq, rank) is a function of the body's code and the values it got, never of timing, as long
 *     as each branch makes a ctx call before its first non-ctx await. Branches that await I/O before any
 *     ctx call share their parent's context; their calls are ranked in the order they come (README).
 * I2. This is the only file of src/replay that may import node:async_hooks (biome.json): AsyncLocalStorage
 *     carries a value along async continuations and does no I/O.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The async context a call is made in. */
export interface CallOrigin {
  /** The run the context belongs to (a ctx of another run never takes this one's origins). */
  readonly owner: object;
  /** The call this context comes after; 0 for the body's start. */
  readonly parentSeq: number;
  /** Calls made in this context so far (the next call's rank). */
  next: number;
  /**
   * Journal time this context stands at: when its call settles, the time of the record that settled it;
   * before that, the time its parent context stood at when the call was made. `ctx.now()` reads it, so a
   * branch sees the same time on replay whatever other branches' records arrived meanwhile (I1).
   */
  atMs: number;
}

const storage = new AsyncLocalStorage<CallOrigin>();

/** Runs `fn` (a body's start) in the root context of `owner`. */
export function runInOrigin<T>(origin: CallOrigin, fn: () => T): T {
  return storage.run(origin, fn);
}

/** The context the current code runs in, if it belongs to `owner`. */
export function currentOrigin(owner: object): CallOrigin | undefined {
  const origin = storage.getStore();
  return origin?.owner === owner ? origin : undefined;
}

/** Makes call `callSeq` the origin of everything the current code does from here on (I1); returns it. */
export function enterOrigin(owner: object, callSeq: number, atMs: number): CallOrigin {
  const origin = { owner, parentSeq: callSeq, next: 0, atMs };
  storage.enterWith(origin);
  return origin;
}
