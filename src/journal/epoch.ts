/**
 * The epoch rule (records.ts I4, DESIGN §5a), for every reader of a journal partition: each OwnerClaimed
 * opens an epoch (its offset + 1); a record stamped with an older epoch was written by a fenced owner
 * after it lost the partition, and is void.
 *
 * I1. Records without an epoch (writerEpoch absent or 0: schema v1, or claims themselves) are never void.
 * I2. Epochs are offsets + 1, so the first claim of a partition (offset 0) opens epoch 1, never 0.
 */
import type { JournalRecord } from './records.js';

/** The epoch a claim at `offset` opens (I2). */
export function epochOfClaimAt(offset: number): number {
  return offset + 1;
}

/** Applies the epoch rule to one partition's records, in offset order. */
export class EpochFilter {
  private voided = 0;

  /** `epoch`: the epoch in force before the first record this filter sees (0 when reading from offset 0). */
  constructor(private epoch = 0) {}

  /** The epoch in force after the records seen so far. */
  get current(): number {
    return this.epoch;
  }

  /** Records found void so far. */
  get voidCount(): number {
    return this.voided;
  }

  /** True when `record`, read at `offset`, is valid; a claim opens its epoch (I1, I2). */
  accept(record: JournalRecord, offset: number): boolean {
    if (record.body.kind === 'OwnerClaimed') {
      this.epoch = Math.max(this.epoch, epochOfClaimAt(offset));
      return true;
    }
    const writer = record.writerEpoch ?? 0;
    if (writer > 0 && writer < this.epoch) {
      this.voided++;
      return false;
    }
    return true;
  }
}
