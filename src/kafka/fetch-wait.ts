/**
 * How long a consumer's next fetch may wait on the broker: short while records flow, long once the
 * consumer has been quiet for a while (fetch-wait-patch.ts gives it to KafkaJS). Pure: the caller passes
 * the time.
 *
 * I1. A wait never delays a record at the position being fetched: the broker answers a fetch as soon as
 *     one arrives. The wait bounds how often a quiet consumer asks, and so what an idle executor costs
 *     (three requests a second at 500 ms, two every few seconds at the idle wait). It also bounds how late
 *     a member hears of a rebalance, since KafkaJS heartbeats between fetches (and under the eager
 *     protocol the members that rejoined wait for it), and how late a seek or a resume made during a
 *     fetch takes effect.
 * I2. The wait is `activeMs` while anything is going on: records came within `idleAfterMs`, a partition is
 *     paused (a resume must not wait out a long fetch), the group was just (re)joined, or `wake` was
 *     called (a seek). Otherwise it is `idleMs`.
 * I3. `stop` ends the fetch in flight at once (the patch answers it with no records), so a long wait never
 *     holds up a consumer's stop. Each fetch listens for the stop only while it is in flight (`onStop`
 *     gives the unsubscribe): a listener left on a promise that lives as long as the consumer would keep
 *     every fetched batch reachable.
 */

/** A consumer's waits (I2). */
export interface FetchWaitLimits {
  /** The wait while records flow. */
  readonly activeMs: number;
  /** The wait once nothing came for `idleAfterMs`. */
  readonly idleMs: number;
  /** Quiet time after which the wait grows to `idleMs`. */
  readonly idleAfterMs: number;
}

/** The idle wait of Logbook's consumers: as often as a Java consumer's default heartbeat. */
export const IDLE_FETCH_WAIT_MS = 3_000;
/** Quiet time before a consumer's fetches wait `IDLE_FETCH_WAIT_MS`. */
export const IDLE_AFTER_MS = 5_000;

/**
 * A consumer's waits for a group session of `sessionTimeoutMs`: a heartbeat goes out at least three times
 * per session (Kafka's own rule for `heartbeat.interval.ms`), so the idle wait is at most a third of it.
 */
export function fetchWaitLimits(activeMs: number, sessionTimeoutMs: number): FetchWaitLimits {
  const idleMs = Math.max(activeMs, Math.min(IDLE_FETCH_WAIT_MS, Math.floor(sessionTimeoutMs / 3)));
  return { activeMs, idleMs, idleAfterMs: IDLE_AFTER_MS };
}

/** One consumer's fetch wait (I1–I3). */
export class FetchWait {
  private activeAtMs: number;
  private generation: unknown;
  private stopping = false;
  private readonly stopListeners = new Set<() => void>();

  constructor(
    readonly limits: FetchWaitLimits,
    nowMs: number,
  ) {
    const { activeMs, idleMs, idleAfterMs } = limits;
    if (!(activeMs > 0 && idleMs >= activeMs && idleAfterMs >= 0))
      throw new RangeError(
        `fetch waits need 0 < activeMs <= idleMs and idleAfterMs >= 0: ${JSON.stringify(limits)}`,
      );
    this.activeAtMs = nowMs;
  }

  /**
   * The wait of the next fetch of a group at `generation` with `paused` partitions held back; a new
   * generation or a paused partition counts as activity (I2).
   */
  next(generation: unknown, paused: number, nowMs: number): number {
    if (generation !== this.generation || paused > 0) {
      this.generation = generation;
      this.activeAtMs = nowMs;
    }
    return nowMs - this.activeAtMs >= this.limits.idleAfterMs ? this.limits.idleMs : this.limits.activeMs;
  }

  /** A fetch brought `records` records (I2); paused partitions are counted by `next`. */
  fetched(records: number, nowMs: number): void {
    if (records > 0) this.activeAtMs = nowMs;
  }

  /** The next fetch waits `activeMs` (a seek, say) (I2). */
  wake(nowMs: number): void {
    this.activeAtMs = nowMs;
  }

  /** Ends the fetch in flight at once (I3). */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    const listeners = [...this.stopListeners];
    this.stopListeners.clear();
    for (const listener of listeners) listener();
  }

  get stopped(): boolean {
    return this.stopping;
  }

  /** Calls `listener` once, at `stop`; returns the unsubscribe (I3). */
  onStop(listener: () => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /** Listeners waiting for the stop: one per fetch in flight (I3). */
  get listening(): number {
    return this.stopListeners.size;
  }
}
