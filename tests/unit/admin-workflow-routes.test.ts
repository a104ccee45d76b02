/**
 * Proves the workflow routes over a node cache with no broker (list-query.ts I1–I5, detail-query.ts I1,
 * I2, api-routes.ts I1, I2): pages through every workflow of the owned partitions exactly once with a small
 * limit, in partition then id order; filters by status and name; a filter that skips more than
 * LIST_KEYS_EXAMINED_MAX keys answers a short page and a cursor that continues after the skipped keys;
 * counts by status; a running workflow's summary and history pages come from the cache; unknown ids and
 * ids of partitions owned elsewhere are 404 JSON naming the partition; bad parameters are 400.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { WorkflowPageJson } from '../../src/admin/api-types.js';
import type { ExecutorView } from '../../src/admin/executor-view.js';
import type { AdminResponse } from '../../src/admin/http-types.js';
import {
  LIST_KEYS_EXAMINED_MAX,
  type WorkflowDetailJson,
  workflowHandlers,
} from '../../src/admin/workflows/index.js';
import { MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import { body, CacheFeeder, cacheView } from './admin-fixture.js';

/** Ids 'p<partition>-…' live on that partition; partitions 0 and 1 are owned, 2 is not. */
const partitionOf = (id: string) => Number(id.slice(1, id.indexOf('-')));

async function get(view: ExecutorView, path: string): Promise<AdminResponse> {
  for (const handler of workflowHandlers(view)) {
    const response = await handler({ method: 'GET', url: new URL(path, 'http://x'), headers: {} });
    if (response !== undefined) return response;
  }
  throw new Error(`no handler answered ${path}`);
}

async function getJson<T>(view: ExecutorView, path: string, status = 200): Promise<T> {
  const response = await get(view, path);
  expect(response.status, response.body).toBe(status);
  expect(response.contentType).toContain('application/json');
  return JSON.parse(response.body) as T;
}

async function allPages(view: ExecutorView, query: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const suffix: string = cursor === null ? '' : `&cursor=${cursor}`;
    const page: WorkflowPageJson = await getJson(view, `/api/workflows?${query}${suffix}`);
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null);
  return { ids, pages };
}

describe('workflow routes on a cache', () => {
  let view: ExecutorView;
  const expected: string[] = [];

  beforeEach(async () => {
    const node = new NodeCache(new MemoryKvStore());
    await node.open();
    expected.length = 0;
    for (const p of [0, 1, 2]) {
      const feeder = new CacheFeeder(node, p);
      const ids = Array.from({ length: 9 }, (_, n) => `p${p}-${n}`);
      await feeder.write(ids.map((id, n) => [id, body.started(n % 2 === 0 ? 'trip' : 'order', n)] as const));
      await feeder.write(ids.map((id) => [id, body.stepStarted(1, 'a')] as const));
      const ended = ids.filter((_, n) => n % 3 !== 0);
      await feeder.write(
        ended.map((id, n) => [id, n % 2 === 0 ? body.completed(n) : body.failed('no seats')] as const),
      );
      if (p < 2) expected.push(...ids);
    }
    view = cacheView(node, [0, 1], partitionOf);
  });

  it('pages through every workflow of the owned partitions exactly once, in partition then id order', async () => {
    const { ids, pages } = await allPages(view, 'limit=4');
    expect(ids).toEqual(expected);
    expect(pages).toBeGreaterThanOrEqual(5);
    const one: WorkflowPageJson = await getJson(view, '/api/workflows?limit=2');
    expect(one.items).toHaveLength(2);
    expect(one.items[0]).toMatchObject({ id: 'p0-0', workflow: 'trip', status: 'running', partition: 0 });
    expect(one.items[0]?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('filters by status and by name, each id once', async () => {
    const running = await allPages(view, 'limit=2&status=running');
    expect(running.ids).toEqual(expected.filter((id) => Number(id.split('-')[1]) % 3 === 0));
    const failed = await allPages(view, 'limit=2&status=failed');
    expect(failed.ids).toEqual(['p0-2', 'p0-5', 'p0-8', 'p1-2', 'p1-5', 'p1-8']);
    const trips = await allPages(view, 'limit=1&workflow=trip&status=completed');
    expect(trips.ids).toEqual(['p0-4', 'p1-4']);
    const orders = await allPages(view, 'limit=3&workflow=order');
    expect(orders.ids).toEqual(expected.filter((id) => Number(id.split('-')[1]) % 2 === 1));
    const none = await allPages(view, 'workflow=nope');
    expect(none.ids).toEqual([]);
  });

  it('counts the owned partitions’ workflows by status', async () => {
    const counts = await getJson<{ counts: Record<string, number>; capped: boolean; partitions: number[] }>(
      view,
      '/api/workflow-counts',
    );
    expect(counts.partitions).toEqual([0, 1]);
    expect(counts.capped).toBe(false);
    expect(counts.counts).toEqual({ running: 6, stuck: 0, completed: 6, failed: 6, cancelled: 0 });
  });

  it('answers a running workflow’s summary and its history from the cache, paged', async () => {
    const d = await getJson<WorkflowDetailJson>(view, '/api/workflows/p1-3?limit=1');
    expect(d).toMatchObject({ id: 'p1-3', status: 'running', partition: 1, workflow: 'order', error: null });
    expect(d.pending.calls).toMatchObject([{ callSeq: 1, kind: 'step', name: 'a', attempt: 1 }]);
    expect(d.history).toMatchObject({ source: 'cache', from: 1, nextFrom: 2, unavailable: null });
    expect(d.history.records.map((r) => r.kind)).toEqual(['WorkflowStarted']);
    const rest = await getJson<WorkflowDetailJson>(view, '/api/workflows/p1-3?from=2');
    expect(rest.history.records.map((r) => [r.seq, r.kind])).toEqual([[2, 'StepStarted']]);
    expect(rest.history.nextFrom).toBeNull();
  });

  it('answers 404 JSON for an unknown id and for an id of a partition owned elsewhere, naming it', async () => {
    const unknown = await getJson<{ error: { name: string; partition: number } }>(
      view,
      '/api/workflows/p0-99',
      404,
    );
    expect(unknown.error).toMatchObject({ name: 'WorkflowNotFoundError', partition: 0 });
    const elsewhere = await getJson<{ error: { name: string; partition: number; message: string } }>(
      view,
      '/api/workflows/p2-1',
      404,
    );
    expect(elsewhere.error).toMatchObject({ name: 'NotOwnedError', partition: 2 });
    expect(elsewhere.error.message).toContain('partition 2, which another executor owns');
    const page = await get(view, '/workflows/p2-1');
    expect(page.status).toBe(404);
    expect(page.body).toContain('another executor owns');
  });

  it('answers 400 for bad parameters and a tampered cursor, 405 for other methods', async () => {
    await getJson(view, '/api/workflows?status=bogus', 400);
    await getJson(view, '/api/workflows?cursor=%21%21', 400);
    await getJson(view, '/api/workflows/p0-1?limit=0', 400);
    const post = await workflowHandlers(view)[0]?.({
      method: 'POST',
      url: new URL('http://x/api/workflows'),
      headers: {},
    });
    expect(post?.status).toBe(405);
    const other = await workflowHandlers(view)[0]?.({
      method: 'GET',
      url: new URL('http://x/metrics'),
      headers: {},
    });
    expect(other).toBeUndefined();
  });
});

describe('a filter that skips many keys', () => {
  it(`stops after LIST_KEYS_EXAMINED_MAX (${LIST_KEYS_EXAMINED_MAX}) keys with a cursor that continues after them`, async () => {
    const node = new NodeCache(new MemoryKvStore());
    await node.open();
    const feeder = new CacheFeeder(node, 0);
    const n = LIST_KEYS_EXAMINED_MAX + 500;
    const ids = Array.from({ length: n }, (_, i) => `p0-${String(i).padStart(5, '0')}`);
    await feeder.write(
      ids.map((id, i) => [id, body.started(i === n - 1 || i === 3 ? 'rare' : 'common')] as const),
    );
    const view = cacheView(node, [0], partitionOf);
    const first: WorkflowPageJson = await getJson(view, '/api/workflows?workflow=rare&limit=10');
    expect(first.items.map((i) => i.id)).toEqual([ids[3]]); // the cap came first: a short page
    expect(first.nextCursor).not.toBeNull();
    const second: WorkflowPageJson = await getJson(
      view,
      `/api/workflows?workflow=rare&limit=10&cursor=${first.nextCursor}`,
    );
    expect(second.items.map((i) => i.id)).toEqual([ids[n - 1]]);
    expect(second.nextCursor).toBeNull();
  });
});
