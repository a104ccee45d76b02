/**
 * Proves the cache's range reads for the admin routes (partition-cache.ts I1, cache-changes.ts I5) on both
 * stores: `workflowsAfter` merges running ('w') and finished ('d') workflows in id byte order, resumes
 * strictly after an id (ids that prefix each other, '/', NUL and emoji included), reads only the kind asked
 * for, and never returns more than its limit; the journal offset of each WorkflowStarted is kept ('s') and
 * survives the workflow's end; `historyFrom` reads a running workflow's history from a seq, bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type KvStore, LevelKvStore, MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import { decodeRecord } from '../../src/journal/index.js';
import { tempDir } from '../support/temp-dirs.js';
import { body, CacheFeeder } from './admin-fixture.js';

const P = 3;
const STORES: readonly [string, () => KvStore][] = [
  ['MemoryKvStore', () => new MemoryKvStore()],
  ['LevelKvStore', () => new LevelKvStore(tempDir('range-reads'))],
];

/** Ids in UTF-8 byte order: 'a' < 'a\0' < 'a/b' < 'ab' < 'b' < 'é' < '🚀'. */
const IDS = ['a', 'a\0', 'a/b', 'ab', 'b', 'é', '🚀'];
const FINISHED = new Set(['a\0', 'ab', '🚀']);

describe.each(STORES)('PartitionCache range reads on %s', (_name, makeStore) => {
  let node: NodeCache;
  afterEach(async () => node.close());

  async function seeded(): Promise<CacheFeeder> {
    node = new NodeCache(makeStore());
    await node.open();
    const feeder = new CacheFeeder(node, P);
    await feeder.write([...IDS].reverse().map((id) => [id, body.started('trip', id)] as const));
    await feeder.write(IDS.map((id) => [id, body.stepStarted(1, 'a')] as const));
    await feeder.write(
      [...FINISHED].flatMap((id) => [
        [id, body.stepDone(1, 'a', 1)] as const,
        [id, body.completed(id)] as const,
      ]),
    );
    return feeder;
  }

  it('merges running and finished workflows in id byte order and resumes strictly after an id', async () => {
    await seeded();
    const cache = node.partition(P);
    const all = await cache.workflowsAfter(undefined, 100, 'all');
    expect(all.map((w) => w.id)).toEqual(IDS);
    expect(all.map((w) => w.cached.kind)).toEqual(IDS.map((id) => (FINISHED.has(id) ? 'done' : 'running')));
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await cache.workflowsAfter(after, 2, 'all');
      expect(page.length).toBeLessThanOrEqual(2);
      paged.push(...page.map((w) => w.id));
      after = page.at(-1)?.id;
      if (page.length < 2) break;
    }
    expect(paged).toEqual(IDS); // each once, in order, across the merge
    expect((await cache.workflowsAfter('a', 100, 'all')).map((w) => w.id)).toEqual(IDS.slice(1));
    expect((await cache.workflowsAfter('🚀', 100, 'all')).map((w) => w.id)).toEqual([]);
  });

  it('reads only running or only finished workflows when asked, and nothing of another partition', async () => {
    await seeded();
    const cache = node.partition(P);
    const running = await cache.workflowsAfter(undefined, 100, 'running');
    expect(running.map((w) => w.id)).toEqual(IDS.filter((id) => !FINISHED.has(id)));
    const done = await cache.workflowsAfter(undefined, 100, 'done');
    expect(done.map((w) => w.id)).toEqual(IDS.filter((id) => FINISHED.has(id)));
    expect(done.map((w) => w.cached.state.status)).toEqual(['completed', 'completed', 'completed']);
    expect(await node.partition(P + 1).workflowsAfter(undefined, 100, 'all')).toEqual([]);
    expect(await cache.workflowsAfter(undefined, 0, 'all')).toEqual([]);
  });

  it('keeps the journal offset of each WorkflowStarted, also once the workflow finished', async () => {
    const feeder = await seeded();
    const cache = node.partition(P);
    for (const id of IDS) {
      const start = feeder.records.find((r) => r.record.workflowId === id && r.record.seq === 1);
      expect(await cache.startOffset(id)).toBe(start?.offset);
    }
    expect(await cache.startOffset('unknown')).toBeUndefined();
    const done = (await cache.workflows(['ab'])).get('ab');
    const terminal = feeder.records.find((r) => r.record.workflowId === 'ab' && r.record.seq === 4);
    expect(done).toMatchObject({ kind: 'done', terminalOffset: terminal?.offset });
  });

  it('reads a running workflow’s history from a seq, at most limit records', async () => {
    node = new NodeCache(makeStore());
    await node.open();
    const feeder = new CacheFeeder(node, P);
    await feeder.write([['long', body.started('trip')]]);
    for (let n = 1; n <= 300; n++) await feeder.write([['long', body.stepStarted(n, `s${n}`)]]);
    const cache = node.partition(P);
    const page = await cache.historyFrom('long', 258, 10);
    expect(page.map((r) => r.seq)).toEqual([258, 259, 260, 261, 262, 263, 264, 265, 266, 267]);
    expect(page.map((r) => decodeRecord(r.value).seq)).toEqual(page.map((r) => r.seq));
    expect((await cache.historyFrom('long', 1, 1000)).length).toBe(301);
    expect(await cache.historyFrom('long', 302, 10)).toEqual([]);
    expect(await cache.historyFrom('long', 1, 0)).toEqual([]);
  });
});
