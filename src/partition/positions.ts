/**
 * Where a partition owner stands in the command topic and the journal.
 *
 * I1. `nextCommandOffset` is the command position the journal accounts for (committed ticks only); a
 *     command below it is a redelivery and is dropped (owner.ts I3). `nextOfferOffset` is how far the
 *     consumer has handed commands to the inbox.
 * I2. `confirmedCommandOffset` is the command position no newer owner can void: that of the last tick
 *     when no single-produce tick was waiting for confirmation. The executor commits it to the consumer
 *     group, outside any tick (command-consumer.ts I6), so the group offset is never ahead of the journal.
 * I3. `journalOffset` is the last journal offset this owner wrote or caught up to; `confirmedOffset` is set
 *     while single-produce ticks after it wait for a transaction to confirm them (cache-changes.ts
 *     Checkpoint), and `confirmedAtMs` is when the last transaction (or the claim) confirmed everything.
 */

/** A snapshot of an owner's positions, as the admin surface shows them (I1, I3). */
export interface OwnerPositions {
  /** The last journal offset written or caught up to. */
  readonly journalOffset: number;
  /** The last journal offset a transaction (or the claim) confirmed; single-produce ticks after it wait (I3). */
  readonly confirmedOffset: number;
  /** The command position the journal accounts for. */
  readonly nextCommandOffset: number;
}

/** An owner's positions (I1, I2). */
export class Positions {
  nextCommandOffset: number;
  nextOfferOffset: number;
  /** I2. */
  confirmedCommandOffset: number;
  /** This owner's epoch: its claim's journal offset + 1, stamped on every record (records.ts I4). */
  epoch = 0;
  /** I3. */
  journalOffset = -1;
  confirmedOffset: number | undefined;
  confirmedAtMs = Number.NEGATIVE_INFINITY;

  constructor(committedCommandOffset: number) {
    this.nextCommandOffset = committedCommandOffset;
    this.nextOfferOffset = committedCommandOffset;
    this.confirmedCommandOffset = committedCommandOffset;
  }

  /** Catch-up found the journal accounts for commands up to `offset`. */
  caughtUp(offset: number): void {
    this.nextCommandOffset = Math.max(this.nextCommandOffset, offset);
    this.nextOfferOffset = Math.max(this.nextOfferOffset, this.nextCommandOffset);
  }

  /** Journal records up to `lastOffset` were written; by a transaction when `confirmed` (I3). */
  journalWritten(lastOffset: number, confirmed: boolean, nowMs: number): void {
    if (confirmed) this.confirmed(nowMs);
    else this.confirmedOffset ??= this.journalOffset;
    this.journalOffset = Math.max(this.journalOffset, lastOffset);
  }

  /** Everything written so far is confirmed (a transaction committed, or the journal was read) (I3). */
  confirmed(nowMs: number): void {
    this.confirmedOffset = undefined;
    this.confirmedAtMs = nowMs;
    this.confirmedCommandOffset = this.nextCommandOffset;
  }

  /** A tick that accounts for commands up to `next` was written (after `journalWritten`, if it wrote). */
  committed(next: number): void {
    this.nextCommandOffset = Math.max(this.nextCommandOffset, next);
    if (this.confirmedOffset === undefined) this.confirmedCommandOffset = this.nextCommandOffset; // I2
  }
}
