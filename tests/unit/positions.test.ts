/**
 * The command position an owner lets the consumer group hold (positions.ts I2): only what no newer owner
 * can void — never a position that only unconfirmed single produces account for.
 */
import { describe, expect, it } from 'vitest';
import { Positions } from '../../src/partition/positions.js';

describe('Positions.confirmedCommandOffset', () => {
  it('starts at the committed group offset', () => {
    expect(new Positions(7).confirmedCommandOffset).toBe(7);
  });

  it('follows a transaction at once', () => {
    const positions = new Positions(0);
    positions.journalWritten(10, true, 1_000);
    positions.committed(5);
    expect(positions.confirmedCommandOffset).toBe(5);
  });

  it('waits while a single produce is unconfirmed, and moves when a transaction confirms it', () => {
    const positions = new Positions(0);
    positions.journalWritten(10, true, 1_000);
    positions.committed(5);
    positions.journalWritten(11, false, 1_001); // a single produce that consumed commands 5..8
    positions.committed(9);
    expect(positions.nextCommandOffset).toBe(9);
    expect(positions.confirmedCommandOffset).toBe(5);
    positions.committed(12); // a tick that wrote nothing, after the unconfirmed one
    expect(positions.confirmedCommandOffset).toBe(5);
    positions.journalWritten(12, true, 1_002); // the next transaction confirms everything before it
    positions.committed(13);
    expect(positions.confirmedCommandOffset).toBe(13);
  });

  it('moves on a tick that wrote nothing when nothing is unconfirmed', () => {
    const positions = new Positions(3);
    positions.committed(4);
    expect(positions.confirmedCommandOffset).toBe(4);
  });

  it('moves when a claim or a journal read confirms everything', () => {
    const positions = new Positions(0);
    positions.journalWritten(3, false, 1_000);
    positions.committed(2);
    expect(positions.confirmedCommandOffset).toBe(0);
    positions.confirmed(1_500);
    expect(positions.confirmedCommandOffset).toBe(2);
  });
});
