/**
 * The writes of one partition's cache (partition-cache.ts I4, I6): one chain of batches in the order they
 * were made, and the staged batch that committed ticks fold into before it is written (D36).
 *
 * I1. Batches reach the store in the order they were made. After a failed one, every later one fails with
 *     its error without touching the store, so no checkpoint can cover changes that were lost.
 * I2. `stage` folds a committed tick's changes into one pending batch (cache-changes.ts I6). The batch is
 *     written `stageMs` after its first tick, at once when it holds `stageRecordsMax` records, and before
 *     anything reads or writes through the cache (`flush`, `applied`, `settled`). A crash loses at most the
 *     pending batch: the cache is a cache, and the next owner catches up from the journal after the last
 *     checkpoint that was written (DESIGN §6), at most `stageMs` of ticks more than before.
 * I3. Bounded: while ticks stage, at most one batch is in flight. A timer that finds one in flight waits
 *     another `stageMs`, and a tick that fills the pending batch waits for the write before it.
 * I4. A staged tick's states are encoded when it is staged (`CacheChanges.seal`): the machine changes a
 *     workflow's state in place with later ticks, and one of those may fail and be rolled back.
 * I5. `retire` (a newer owner of the partition on this node) drops the pending batch and stages nothing
 *     more: the newer owner caught up from the journal and writes its own checkpoints.
 * I6. With `stageMs` 0 every tick is written as it is staged, after the write before it (no batch waits).
 * I7. A failed write is kept: `check` throws it, so no read after it answers from a store that lacks what
 *     was lost (partition-cache.ts I7).
 */
import type { CacheChanges, Checkpoint } from './cache-changes.js';
import type { KvOp, KvStore } from './kv-store.js';

/** How long and how large a staged batch may grow (I2). */
export interface StageLimits {
  /** Longest time a committed tick waits in the pending batch, in ms; 0: not at all (I6). */
  readonly stageMs: number;
  /** Records the pending batch holds at most before it is written. */
  readonly stageRecordsMax: number;
  /** Bytes of journal records the pending batch holds at most before it is written. */
  readonly stageBytesMax: number;
}

interface Pending {
  readonly changes: CacheChanges;
  checkpoint: Checkpoint;
}

/** One partition cache's write chain and staged batch. */
export class CacheWrites {
  /** The last batch made (I1); rejects when one failed. */
  private last: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private pending: Pending | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retired = false;
  /** The first failed write's error (I7). */
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly store: KvStore,
    private readonly newChanges: () => CacheChanges,
  ) {}

  /** True while a batch is on its way to the store. */
  get writing(): boolean {
    return this.inFlight > 0;
  }

  /** True when the staged batch changed `id`: a read of it must flush first. */
  stages(id: string): boolean {
    return this.pending?.changes.workflows.has(id) ?? false;
  }

  /** True when the staged batch changes the timer index: a read of it must flush first. */
  get stagesTimers(): boolean {
    return this.pending?.changes.changesTimers ?? false;
  }

  /** True once a write failed (I7). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Throws the failed write's error, if one failed (I7). */
  check(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** Writes one batch after every batch made before it (I1); resolves once it is applied. */
  write(ops: readonly KvOp[]): Promise<void> {
    const done = this.last.then(() => this.store.write(ops));
    done.catch((error: unknown) => {
      this.failure ??= { error }; // I7; a caller may leave the rejection to `applied`
    });
    this.inFlight++;
    const settle = (): void => {
      this.inFlight--;
    };
    done.then(settle, settle);
    this.last = done;
    return done;
  }

  /**
   * Folds a committed tick's changes into the staged batch (I2–I4, I6). Rejects when an earlier batch
   * failed, so the tick after a failed write fails its owner.
   */
  async stage(changes: CacheChanges, checkpoint: Checkpoint, limits: StageLimits): Promise<void> {
    if (limits.stageMs > 0) changes.seal(); // I4: before anything else can run
    await this.last; // I1: a failure throws here, before this tick is staged
    if (this.retired) return; // I5
    if (limits.stageMs <= 0) {
      void this.write(changes.toOps(checkpoint)); // I6
      return;
    }
    if (this.pending === undefined) {
      this.pending = { changes: this.newChanges(), checkpoint };
      this.timer = setTimeout(() => this.onTimer(limits.stageMs), limits.stageMs);
      this.timer.unref();
    }
    this.pending.changes.absorb(changes);
    this.pending.checkpoint = checkpoint;
    const { records, bytes } = this.pending.changes;
    if (records < limits.stageRecordsMax && bytes < limits.stageBytesMax) return;
    await this.last; // I3
    void this.flush();
  }

  private onTimer(stageMs: number): void {
    this.timer = undefined;
    if (this.pending === undefined) return;
    if (this.inFlight > 0) {
      this.timer = setTimeout(() => this.onTimer(stageMs), stageMs); // I3
      this.timer.unref();
      return;
    }
    void this.flush();
  }

  /** Writes the staged batch now, if there is one; resolves once everything made so far is applied. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    if (pending === undefined) return this.last;
    this.pending = undefined;
    return this.write(pending.changes.toOps(pending.checkpoint));
  }

  /** Flushes, then resolves once every batch is applied; rejects if one failed (I1). */
  applied(): Promise<void> {
    void this.flush();
    return this.last;
  }

  /** Settles once every batch made so far has settled, without writing the staged one; never rejects. */
  written(): Promise<void> {
    return this.last.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Flushes, then settles once every batch has settled, applied or failed; never rejects. */
  settled(): Promise<void> {
    void this.flush();
    return this.last.then(
      () => undefined,
      () => undefined,
    );
  }

  /** Drops the staged batch and stages nothing more (I5). */
  retire(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    this.retired = true;
  }
}
