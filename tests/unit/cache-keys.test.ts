/**
 * Proves the cache's binary keyspace (cache/keys.ts I1–I2): numbers in keys (partition, seq, fire and
 * finish times) sort as numbers sort; ids with '/', NUL, non-BMP characters ('🚀-sleep', 'a😀b') or
 * '\uffff' never collide with each other or with their prefixes, and read back unchanged; every range
 * (a tag of a partition, one workflow's history, timers from a point, retention before a time) returns
 * exactly the keys it names — in particular one id's history never includes another id's keys, and
 * non-BMP ids are not skipped (a string '\uffff' upper bound once skipped them).
 */
import { describe, expect, it } from 'vitest';
import {
  checkpointKey,
  historyKey,
  historyRange,
  idOfWorkflowKey,
  parseRetentionKey,
  parseTimerKey,
  partitionRange,
  retentionKey,
  retentionRangeBefore,
  Tag,
  timerKey,
  timerRangeFrom,
  timerSortKey,
  workflowKey,
} from '../../src/cache/keys.js';

/** Ids that broke or could break a string keyspace: separators, NUL, prefixes, non-BMP, the top of the BMP. */
const IDS = [
  'a',
  'ab',
  'a/b',
  'a/',
  '/a',
  'a\u0000',
  'a\u0000b',
  '\u0000',
  'a😀b',
  'a😀',
  '🚀-sleep',
  '🚀',
  '\uffff',
  'a\uffff',
  'é',
  'e\u0301',
  'x'.repeat(256),
  '😀'.repeat(256),
];

/** The keys of `all` in `range`, as LevelDB selects them: gte ≤ key < lt, by bytes. */
function inRange(all: readonly Buffer[], range: { gte: Buffer; lt: Buffer }): Buffer[] {
  return all.filter((k) => Buffer.compare(k, range.gte) >= 0 && Buffer.compare(k, range.lt) < 0);
}

const byBytes = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);
const hex = (keys: readonly Buffer[]): string[] => keys.map((k) => k.toString('hex'));

/** Sorting keys made from `values` by their bytes puts them in the values' numeric order. */
function sortsNumerically(values: readonly number[], key: (n: number) => Buffer): void {
  const shuffled = [...values].reverse();
  const sorted = shuffled.map((v) => ({ v, k: key(v) })).sort((a, b) => byBytes(a.k, b.k));
  expect(sorted.map((s) => s.v)).toEqual([...values].sort((a, b) => a - b));
}

describe('numbers in keys sort as numbers', () => {
  const u32 = [0, 1, 9, 10, 127, 128, 255, 256, 65_535, 65_536, 16_777_216, 2 ** 31, 2 ** 32 - 1];
  const times = [0, 1, 255, 256, 999, 1_000, 2 ** 32, 1_700_000_000_000, 1_700_000_000_001, 2 ** 53 - 1];
  it.each([
    ['partition (checkpoint)', u32, (p: number) => checkpointKey(p)],
    ['partition (workflow)', u32, (p: number) => workflowKey(Tag.workflow, p, 'a')],
    ['seq (history)', u32, (s: number) => historyKey(0, 'a', s)],
    ['fireAtMs (timer)', times, (t: number) => timerKey(0, t, 'a', 'sleep:1')],
    ['finishedAtMs (retention)', times, (t: number) => retentionKey(0, t, 'a')],
  ])('%s', (_what, values, key) => {
    sortsNumerically(values, key);
  });

  it('a timer key puts time before id, so an early timer of a long id sorts before a later one of a short id', () => {
    expect(byBytes(timerKey(0, 1, 'z'.repeat(100), 't'), timerKey(0, 2, 'a', 't'))).toBeLessThan(0);
    expect(byBytes(retentionKey(0, 1, 'zz'), retentionKey(0, 2, 'a'))).toBeLessThan(0);
  });

  it('reads fire and finish times back, clamping negatives to 0 and dropping fractions', () => {
    expect(parseTimerKey(timerKey(0, 2 ** 53 - 1, 'a', 't')).fireAtMs).toBe(2 ** 53 - 1);
    expect(parseTimerKey(timerKey(0, -5, 'a', 't')).fireAtMs).toBe(0);
    expect(parseRetentionKey(retentionKey(0, 12.9, 'a')).finishedAtMs).toBe(12);
  });
});

describe('odd ids never collide and read back unchanged', () => {
  it.each([
    ['workflow', (id: string) => workflowKey(Tag.workflow, 7, id)],
    ['history', (id: string) => historyKey(7, id, 1)],
    ['timer', (id: string) => timerKey(7, 5, id, 'sleep:1')],
    ['retention', (id: string) => retentionKey(7, 5, id)],
  ])('%s keys are distinct for distinct ids', (_what, key) => {
    expect(new Set(hex(IDS.map(key))).size).toBe(IDS.length);
  });

  it.each(IDS.map((id) => [JSON.stringify(id), id]))(
    '%s reads back from every key that holds it',
    (_n, id) => {
      expect(idOfWorkflowKey(workflowKey(Tag.done, 3, id))).toBe(id);
      expect(parseRetentionKey(retentionKey(3, 42, id))).toEqual({ finishedAtMs: 42, workflowId: id });
      const timer = parseTimerKey(timerKey(3, 42, id, 'retry:1:2'));
      expect(timer).toEqual({
        fireAtMs: 42,
        workflowId: id,
        timerId: 'retry:1:2',
        sortKey: timerSortKey(id, 'retry:1:2'),
      });
    },
  );

  it('a timer key tells (id, timerId) pairs apart even when their concatenations are equal', () => {
    const pairs: [string, string][] = [
      ['a', 'b/c'],
      ['a/b', 'c'],
      ['a\u0000', 'b'],
      ['a', '\u0000b'],
      ['🚀', '-sleep'],
      ['🚀-', 'sleep'],
    ];
    const keys = pairs.map(([id, t]) => timerKey(0, 1, id, t));
    expect(new Set(hex(keys)).size).toBe(pairs.length);
    expect(keys.map((k) => parseTimerKey(k)).map((t) => [t.workflowId, t.timerId])).toEqual(pairs);
  });
});

describe('ranges return exactly the keys they name', () => {
  const partitions = [0, 1, 2, 0xffffffff];
  const seqs = [1, 2, 255, 256, 2 ** 32 - 1];
  const history = partitions.flatMap((p) => IDS.flatMap((id) => seqs.map((s) => historyKey(p, id, s))));

  it.each(IDS.map((id) => [JSON.stringify(id), id]))(
    'the history of %s: only its own keys, in seq order',
    (_n, id) => {
      for (const p of partitions) {
        const found = inRange(history, historyRange(p, id)).sort(byBytes);
        expect(hex(found)).toEqual(hex(seqs.map((s) => historyKey(p, id, s))));
      }
    },
  );

  /** One key of each kind per id for each of `ps`, every tag. */
  function everyKey(ps: readonly number[]): Buffer[] {
    return Object.values(Tag).flatMap((tag) =>
      ps.flatMap((p) => {
        if (tag === Tag.checkpoint) return [checkpointKey(p)];
        if (tag === Tag.history) return IDS.map((id) => historyKey(p, id, 1));
        if (tag === Tag.timer) return IDS.map((id) => timerKey(p, 9, id, 't'));
        if (tag === Tag.retention) return IDS.map((id) => retentionKey(p, 9, id));
        return IDS.map((id) => workflowKey(tag, p, id));
      }),
    );
  }

  it.each([
    ['partitions 0, 1, 2 and Kafka’s largest', [0, 1, 2, 2 ** 31 - 1]],
    ['partition 2^32 - 1, the largest a key holds', [0, 1, 0xffffffff]],
  ])('each tag of each partition is one contiguous range: %s', (_what, ps) => {
    const all = everyKey(ps);
    for (const tag of Object.values(Tag)) {
      for (const p of ps) {
        const found = inRange(all, partitionRange(tag, p));
        const what = `tag ${String.fromCharCode(tag)} p ${p}`;
        for (const k of found) expect([k[0], k.readUInt32BE(1)], what).toEqual([tag, p]);
        expect(found.length, what).toBe(tag === Tag.checkpoint ? 1 : IDS.length);
      }
    }
  });

  it('workflow ranges include non-BMP and \\uffff ids (no string upper bound skips them)', () => {
    const keys = IDS.map((id) => workflowKey(Tag.active, 4, id));
    const found = inRange(keys, partitionRange(Tag.active, 4)).map(idOfWorkflowKey);
    expect(found.sort()).toEqual([...IDS].sort());
  });

  it('timers from a point: that timer and every later one of the partition, nothing earlier or elsewhere', () => {
    const timers = [2, 1].flatMap((p) =>
      [5, 10, 15].flatMap((at) => IDS.map((id) => timerKey(p, at, id, 'sleep:1'))),
    );
    const mine = timers.filter((k) => k.readUInt32BE(1) === 1).sort(byBytes);
    expect(hex(inRange(timers, timerRangeFrom(1, undefined)).sort(byBytes))).toEqual(hex(mine));
    for (const [i, key] of mine.entries()) {
      const from = parseTimerKey(key);
      expect(hex(inRange(timers, timerRangeFrom(1, from)).sort(byBytes))).toEqual(hex(mine.slice(i)));
    }
  });

  it('retention before a time: the partition’s entries that finished strictly before it', () => {
    const entries = [3, 4].flatMap((p) =>
      [0, 99, 100, 101].flatMap((at) => IDS.map((id) => retentionKey(p, at, id))),
    );
    const found = inRange(entries, retentionRangeBefore(3, 100)).map(parseRetentionKey);
    expect(found).toHaveLength(2 * IDS.length);
    for (const r of found) expect(r.finishedAtMs).toBeLessThan(100);
    expect(inRange(entries, retentionRangeBefore(4, 0))).toEqual([]);
  });
});
