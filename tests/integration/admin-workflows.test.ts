/**
 * Proves the workflow API on the real broker (list-query.ts I1–I4, detail-query.ts I1–I3,
 * journal-history.ts I1–I3): an executor owning 3 partitions runs 3-step trips, some failing after two
 * compensable steps so compensations run, and workflows held running on a signal. `/api/workflows` pages
 * through all of them with a small limit (every id exactly once) and filters by status and name;
 * `/api/workflow-counts` counts them; `/api/workflows/<id>` answers a running workflow's history from the
 * cache and a finished one's from the journal, both equal to scanJournal's records for the id, in order,
 * also when read page by page; an unknown id is a 404 naming its partition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowPageJson, WorkflowSummaryJson } from '../../src/admin/api-types.js';
import type { WorkflowDetailJson } from '../../src/admin/workflows/index.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { held, trip } from '../fixtures/workflows/trips.js';
import { runCli } from '../support/cli.js';
import { Engine, recordsOf } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const OK = ['ok-1', 'ok/2', 'ok 3 é', 'ok-4', 'ok-5', 'ok-6'];
const FAILING = ['bad-1', 'bad-2', 'bad-3'];
const HELD = ['held-1', 'held-2'];
const ALL = [...OK, ...FAILING, ...HELD];

let engine: Engine;
let baseUrl: string;

async function getJson<T>(path: string, status = 200): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`);
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function allIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const suffix: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page: WorkflowPageJson = await getJson(`/api/workflows?${query}${suffix}`);
    expect(page.items.length).toBeLessThanOrEqual(Number(new URLSearchParams(query).get('limit') ?? 50));
    ids.push(...page.items.map((i: WorkflowSummaryJson) => i.id));
    cursor = page.nextCursor;
    if (cursor === null) return ids;
  }
  throw new Error('the list never ended');
}

/** A record as the API answers it, from the journal's decoded record. */
function asJson(r: JournalRecord): { seq: number; at: string; kind: string; body: unknown } {
  return {
    seq: r.seq,
    at: new Date(r.atMs).toISOString(),
    kind: r.body.kind,
    body: JSON.parse(JSON.stringify(r.body)),
  };
}

/** Every history record of `id` read page by page with `limit`. */
async function pagedHistory(id: string, limit: number): Promise<WorkflowDetailJson['history']['records']> {
  const records: WorkflowDetailJson['history']['records'][number][] = [];
  let from: number | null = 1;
  while (from !== null) {
    const d: WorkflowDetailJson = await getJson(
      `/api/workflows/${encodeURIComponent(id)}?from=${from}&limit=${limit}`,
    );
    expect(d.history.records.length).toBeLessThanOrEqual(limit);
    records.push(...d.history.records);
    from = d.history.nextFrom;
  }
  return records;
}

beforeAll(async () => {
  engine = new Engine(uniqueNamespace('admin-wf'));
  const executor = await engine.executor({ workflows: [trip, held], partitions: 3, adminPort: 0 });
  baseUrl = executor.adminAddress?.url ?? '';
  const client = engine.client();
  const handles = await Promise.all([
    ...OK.map((id) => client.start(trip, { id, input: { fail: false, note: `<b>${id}</b>` } })),
    ...FAILING.map((id) => client.start(trip, { id, input: { fail: true } })),
  ]);
  await Promise.all(HELD.map((id) => client.start(held, { id })));
  await Promise.allSettled(handles.map((h) => h.result({ timeout: '60s' })));
  for (const id of HELD)
    await waitFor(
      async () => {
        const d = await getJson<WorkflowDetailJson>(`/api/workflows/${id}`);
        return d.pending.signalWaits.length === 1;
      },
      { timeoutMs: 30_000, message: `${id} never waited for its signal` },
    );
});

afterAll(async () => {
  await engine?.closeAll();
});

describe('/api/workflows', () => {
  it('pages through every workflow exactly once with a small limit', async () => {
    const ids = await allIds('limit=2');
    expect([...ids].sort()).toEqual([...ALL].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('filters by status and by name', async () => {
    expect((await allIds('limit=2&status=failed')).sort()).toEqual([...FAILING].sort());
    expect((await allIds('limit=3&status=completed')).sort()).toEqual([...OK].sort());
    expect((await allIds('limit=1&status=running')).sort()).toEqual([...HELD].sort());
    expect((await allIds('limit=2&workflow=held')).sort()).toEqual([...HELD].sort());
    expect((await allIds('limit=4&workflow=trip&status=failed')).sort()).toEqual([...FAILING].sort());
    expect(await allIds('status=cancelled')).toEqual([]);
  });

  it('counts workflows by status', async () => {
    const counts = await getJson<{ counts: Record<string, number>; capped: boolean; partitions: number[] }>(
      '/api/workflow-counts',
    );
    expect(counts).toEqual({
      counts: { running: HELD.length, stuck: 0, completed: OK.length, failed: FAILING.length, cancelled: 0 },
      capped: false,
      partitions: [0, 1, 2],
    });
  });
});

describe('logbook list --admin (the CLI against this server)', () => {
  it('lists from the running executor’s API, with the status filter, and says so', async () => {
    const run = await runCli(engine.brokers, engine.namespace, [
      'list',
      '--status',
      'failed',
      '--json',
      '--admin',
      baseUrl,
    ]);
    expect(run.code, run.err).toBe(0);
    expect(run.err).toContain(baseUrl);
    const listed = run.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as WorkflowSummaryJson);
    expect(listed.map((w) => w.id).sort()).toEqual([...FAILING].sort());
    expect(new Set(listed.map((w) => w.status))).toEqual(new Set(['failed']));
  });
});

describe('/api/workflows/<id>', () => {
  it('answers a finished, compensated workflow’s full history from the journal, in order, also paged', async () => {
    const journal = await engine.journal();
    const id = 'bad-2';
    const expected = recordsOf(journal, id).map(asJson);
    expect(expected.map((r) => r.kind)).toContain('CompensationStarted');
    const d = await getJson<WorkflowDetailJson>(`/api/workflows/${id}`);
    expect(d).toMatchObject({ id, workflow: 'trip', status: 'failed', error: { name: 'TerminalError' } });
    expect(d.history).toMatchObject({ source: 'journal', from: 1, nextFrom: null, unavailable: null });
    expect(d.history.records).toEqual(expected);
    expect(await pagedHistory(id, 4)).toEqual(expected);
    const ok = await getJson<WorkflowDetailJson>(`/api/workflows/${encodeURIComponent('ok 3 é')}`);
    expect(ok.result).toEqual({
      seat: { seat: '12A', note: '<b>ok 3 é</b>' },
      paid: { charged: 120 },
      ticket: { ticket: 'T-1' },
    });
    expect(ok.history.records).toEqual(recordsOf(journal, 'ok 3 é').map(asJson));
  });

  it('answers a running workflow’s summary and full history from the cache, in order, also paged', async () => {
    const journal = await engine.journal();
    const id = 'held-1';
    const expected = recordsOf(journal, id).map(asJson);
    expect(expected.at(-1)?.kind).toBe('SignalAwaited');
    const d = await getJson<WorkflowDetailJson>(`/api/workflows/${id}`);
    expect(d).toMatchObject({ id, workflow: 'held', status: 'running', result: null, error: null });
    expect(d.pending.signalWaits).toMatchObject([{ name: 'go' }]);
    expect(d.history.source).toBe('cache');
    expect(d.history.records).toEqual(expected);
    expect(await pagedHistory(id, 2)).toEqual(expected);
  });

  it('answers 404 JSON for an unknown id, naming its partition', async () => {
    const missing = await getJson<{ error: { name: string; partition: number } }>(
      '/api/workflows/nobody',
      404,
    );
    expect(missing.error.name).toBe('WorkflowNotFoundError');
    expect(missing.error.partition).toBeGreaterThanOrEqual(0);
  });
});
