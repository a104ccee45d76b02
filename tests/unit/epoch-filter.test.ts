/**
 * Proves the epoch rule every journal reader applies (records.ts I4): a claim opens epoch offset + 1, a
 * record stamped with an older epoch is void, and records without an epoch (schema v1) always count.
 */
import { describe, expect, it } from 'vitest';
import { EpochFilter, epochOfClaimAt, type JournalRecord, type RecordBody } from '../../src/journal/index.js';

const claim: RecordBody = { kind: 'OwnerClaimed', partition: 0, claimId: 'c', executorId: 'e' };
const fired: RecordBody = { kind: 'TimerFired', timerId: 't', callSeq: 1 };
const rec = (body: RecordBody, writerEpoch?: number): JournalRecord => ({
  schemaVersion: 2,
  workflowId: body.kind === 'OwnerClaimed' ? '' : 'w',
  seq: body.kind === 'OwnerClaimed' ? 0 : 1,
  atMs: 1,
  ...(writerEpoch === undefined ? {} : { writerEpoch }),
  body,
});

describe('EpochFilter', () => {
  it('opens epoch offset + 1 at each claim, so the first claim (offset 0) opens epoch 1', () => {
    expect(epochOfClaimAt(0)).toBe(1);
    const f = new EpochFilter();
    expect(f.accept(rec(claim), 0)).toBe(true);
    expect(f.current).toBe(1);
  });

  it.each([
    ['the current epoch', 11, true],
    ['an older epoch (a fenced owner writing after the claim)', 1, false],
    ['no epoch (schema v1 or a transactional writer)', undefined, true],
  ] as const)('a record stamped with %s is %s', (_what, writerEpoch, valid) => {
    const f = new EpochFilter();
    f.accept(rec(claim), 0); // owner A: epoch 1
    f.accept(rec(claim), 10); // owner B: epoch 11
    expect(f.accept(rec(fired, writerEpoch), 12)).toBe(valid);
    expect(f.voidCount).toBe(valid ? 0 : 1);
  });

  it('starts from a cached epoch when reading from a checkpoint', () => {
    const f = new EpochFilter(11);
    expect(f.accept(rec(fired, 1), 20)).toBe(false);
    expect(f.accept(rec(fired, 11), 21)).toBe(true);
  });
});
