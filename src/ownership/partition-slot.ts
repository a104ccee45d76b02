/**
 * One partition's ownership on this node: whether the group assigns it here, and the owner that serves
 * it. Every acquire, release, failure and retry goes through one serial driver and one transition table,
 * so no two owners of a partition ever overlap on a node.
 *
 *   idle ──assigned──▶ starting ──started──▶ owned ──revoked──▶ stopping ──▶ idle
 *                          │                   │
 *                          └──failed──▶ backoff ◀──failed──┘        (backoff ──▶ idle, then again)
 *
 * I1. Serial: one driver per slot does every transition, awaiting each; a request while it runs only
 *     changes what is wanted, and the driver acts on it next. Overlapping acquires are one acquire.
 * I2. A revoke during `starting` stops the owner, which aborts its catch-up and returns only once the
 *     catch-up has ended (owner.ts): a successor never catches up beside it. An owner revoked while it was
 *     being made is disposed without starting.
 * I3. A failed owner is replaced after an exponential backoff (`failedBackoffMs` doubling up to
 *     `failedBackoffMaxMs` over a run of failures; an owner that stayed up `healthyMs` ends the run),
 *     visible as `backoff` with the reason; a run of failures never writes a journal
 *     record per retry: the new owner keeps the old claim unless the journal shows another (claim.ts I3).
 *     A fenced owner waits `fencedBackoffMs` and retakes the partition only if still assigned here.
 * I4. The next owner of a partition starts only after the previous one has stopped.
 * I5. An owner that fails while it is being stopped (its open tick's write failed) is no longer the slot's,
 *     so its failure does not back the slot off; it is logged, and the claim is forgotten by I3's rule, so
 *     a later owner here claims anew after a fence or a write whose outcome is unknown.
 */
import type { Clock } from '../clock.js';
import { errorMessage, FencedError, UnconfirmedWriteError } from '../errors.js';
import { assertBug } from '../machine/index.js';
import type { PartitionOwner, PriorClaim } from '../partition/index.js';

/** Where a slot is. */
export type SlotState = 'idle' | 'starting' | 'owned' | 'stopping' | 'backoff';

const legal: { readonly [S in SlotState]: readonly SlotState[] } = {
  idle: ['starting'],
  starting: ['owned', 'stopping', 'backoff'],
  owned: ['stopping', 'backoff'],
  stopping: ['idle'],
  backoff: ['idle'],
};

/** Backoffs of a slot (I3). */
export interface SlotBackoff {
  readonly failedBackoffMs: number;
  readonly failedBackoffMaxMs: number;
  readonly fencedBackoffMs: number;
  /** An owner that ran this long before it failed counts as healthy: its failure backs off from the start. */
  readonly healthyMs: number;
}

/** What a slot needs to make and drop owners. */
export interface SlotHost {
  /** Makes (does not start) an owner; `priorClaim` when a restart may keep the previous owner's claim. */
  makeOwner(
    partition: number,
    priorClaim: PriorClaim | undefined,
    onFailure: (owner: PartitionOwner, error: unknown) => void,
  ): Promise<PartitionOwner>;
  /** Releases what `makeOwner` connected for `owner` (its writer). */
  disposeOwner(owner: PartitionOwner): Promise<void>;
  /** Told when an owner runs (the consumer resumes the partition from the owner's position). */
  ownerRunning(owner: PartitionOwner): void;
  log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>): void;
}

/** One partition's ownership on this node. */
export class PartitionSlot {
  private state: SlotState = 'idle';
  private wanted = false;
  private current: PartitionOwner | undefined;
  private failure: { error: unknown; fenced: boolean } | undefined;
  private driving: Promise<void> | undefined;
  private failures = 0;
  private ownedAtMs: number | undefined;
  private prior: PriorClaim | undefined;
  private lastError: string | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly partition: number,
    private readonly host: SlotHost,
    private readonly clock: Clock,
    private readonly backoff: SlotBackoff,
  ) {}

  /** The slot's state, and the last failure while backing off. */
  get status(): { state: SlotState; error?: string } {
    return this.lastError === undefined || this.state !== 'backoff'
      ? { state: this.state }
      : { state: this.state, error: this.lastError };
  }

  /** The running owner, if any. */
  get owner(): PartitionOwner | undefined {
    return this.state === 'owned' ? this.current : undefined;
  }

  /**
   * Wants the partition owned here or not (I1). The promise resolves when the driver rests: for
   * `want(false)`, once the partition is released here; for `want(true)` only when it is given up again.
   */
  want(wanted: boolean): Promise<void> {
    this.wanted = wanted;
    if (!wanted && this.state === 'starting') void this.current?.stop(); // I2
    if (!wanted) this.wake?.(); // a release ends a wait; a repeated assignment does not cut a backoff short
    this.driving ??= this.drive().finally(() => {
      this.driving = undefined;
    });
    return this.driving;
  }

  private to(next: SlotState): void {
    assertBug(
      legal[this.state].includes(next),
      `partition ${this.partition} slot: illegal ${this.state} → ${next}`,
    );
    this.state = next;
  }

  /** The serial driver (I1). */
  private async drive(): Promise<void> {
    for (;;) {
      if (this.state === 'idle' && this.wanted) await this.acquire();
      else if (this.state === 'owned' && (!this.wanted || this.failure !== undefined)) await this.release();
      else if (this.state === 'owned') await this.waitForChange();
      else return;
    }
  }

  /** Waits until `want` or an owner failure wakes the driver, or `ms` pass. */
  private async waitForChange(ms = Number.POSITIVE_INFINITY): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (Number.isFinite(ms)) this.clock.setTimer(resolve, ms);
    });
    this.wake = undefined;
  }

  private async acquire(): Promise<void> {
    this.to('starting');
    this.failure = undefined;
    let owner: PartitionOwner | undefined;
    try {
      owner = await this.host.makeOwner(this.partition, this.prior, (failed, error) =>
        this.onOwnerFailure(failed, error),
      );
      this.current = owner;
      if (this.wanted) await owner.start(); // revoked while being made: never started (I2)
    } catch (error) {
      if (owner !== undefined) await this.host.disposeOwner(owner);
      this.current = undefined;
      if (!this.wanted) {
        this.to('stopping'); // stopped while starting (I2): not a failure
        this.to('idle');
        return;
      }
      await this.backOff(error, error instanceof FencedError);
      return;
    }
    if (owner.currentPhase !== 'running' || !this.wanted) {
      await owner.stop();
      this.failedWhileStopping(owner); // I5
      await this.host.disposeOwner(owner);
      this.current = undefined;
      this.to('stopping');
      this.to('idle');
      return;
    }
    this.to('owned');
    this.ownedAtMs = this.clock.now();
    this.prior = { offset: owner.claimOffset };
    this.host.ownerRunning(owner);
  }

  private onOwnerFailure(owner: PartitionOwner, error: unknown): void {
    if (owner !== this.current) return;
    this.failure = { error, fenced: error instanceof FencedError };
    this.wake?.();
  }

  private async release(): Promise<void> {
    const owner = this.current;
    const failure = this.failure;
    this.current = undefined;
    if (failure !== undefined) {
      if (owner !== undefined) await this.host.disposeOwner(owner);
      await this.backOff(failure.error, failure.fenced);
      return;
    }
    this.to('stopping');
    if (owner !== undefined) {
      await owner.stop();
      this.failedWhileStopping(owner); // I5
      await this.host.disposeOwner(owner);
    }
    this.to('idle');
  }

  /** I5: a failure during `stop` is logged, and forgets the claim as a backoff would. */
  private failedWhileStopping(owner: PartitionOwner): void {
    if (owner.currentPhase !== 'failed') return;
    const error = owner.failedWith;
    this.forgetClaimAfter(error);
    this.host.log('warn', 'partition owner failed while stopping', {
      partition: this.partition,
      error: errorMessage(error),
    });
  }

  /** Forgets the claim a next owner would keep when the failure leaves it in doubt (owner-failure.ts I4). */
  private forgetClaimAfter(error: unknown): void {
    if (error instanceof FencedError || error instanceof UnconfirmedWriteError) this.prior = undefined;
  }

  /** I3: waits before the next try; a fenced owner's next one claims anew. */
  private async backOff(error: unknown, fenced: boolean): Promise<void> {
    this.to('backoff');
    const healthy =
      this.ownedAtMs !== undefined && this.clock.now() - this.ownedAtMs >= this.backoff.healthyMs;
    this.ownedAtMs = undefined;
    if (healthy) this.failures = 0; // a failure after a long healthy run starts the doubling afresh (I3)
    this.failures++;
    this.lastError = errorMessage(error);
    this.forgetClaimAfter(error); // owner-failure.ts I4
    const { failedBackoffMs, failedBackoffMaxMs, fencedBackoffMs } = this.backoff;
    const waitMs = fenced
      ? fencedBackoffMs
      : Math.min(failedBackoffMs * 2 ** (this.failures - 1), failedBackoffMaxMs);
    this.host.log(
      fenced ? 'warn' : 'error',
      fenced ? 'partition fenced; retaking it if still assigned' : 'partition owner failed; backing off',
      {
        partition: this.partition,
        failures: this.failures,
        backoffMs: waitMs,
        error: this.lastError,
      },
    );
    if (this.wanted) await this.waitForChange(waitMs); // a release while backing off ends the wait
    this.to('idle');
  }
}
