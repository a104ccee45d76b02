/**
 * Proves the journal tools of issue 8 on the real broker, with no executor running once the histories are
 * written: `journal replay` prints every record of a finished workflow in order and, with `--at`, the
 * workflow as it stood between two steps; `journal verify --workflows` passes on the code that wrote the
 * histories and fails (exit 1) naming the diverging call on changed code; `journal export` round-trips
 * (every line parses, counts equal the journal's for each filter); `list` folds the journal with a status
 * filter and a limit, merges the pages of admin APIs (a node:http test double of the admin server, sending
 * the Bearer token), and falls back to the journal when the admin URL refuses.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowSummaryJson } from '../../src/admin/api-types.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { toolsApproval, toolsFailing, toolsOrder } from '../fixtures/workflows/journal-tools.js';
import { adminDouble, type CliRun, runCli, urlOf } from '../support/cli.js';
import { Engine, readJournal } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

let engine: Engine;
let journal: JournalRecord[];

function cli(args: string[], env: NodeJS.ProcessEnv = {}, namespace = engine.namespace): Promise<CliRun> {
  return runCli(engine.brokers, namespace, args, env);
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const parsed = (text: string): JournalRecord[] => lines(text).map((l) => JSON.parse(l) as JournalRecord);

beforeAll(async () => {
  engine = new Engine(uniqueNamespace('journal-tools'));
  await engine.executor({ workflows: [toolsOrder, toolsApproval, toolsFailing], partitions: 3 });
  const client = engine.client();
  for (const id of ['o-1', 'o-2', 'o-3'])
    await (await client.start(toolsOrder, { id, input: { sku: `sku-${id}` } })).result({ timeout: '30s' });
  const failing = await client.start(toolsFailing, { id: 'f-1' });
  await expect(failing.result({ timeout: '30s' })).rejects.toThrow(/out of stock/);
  for (const id of ['a-1', 'a-2']) await client.start(toolsApproval, { id });
  await waitFor(
    async () => (await engine.journal()).filter((r) => r.body.kind === 'SignalAwaited').length === 2,
    { timeoutMs: 30_000, message: 'the approvals never waited for their signal' },
  );
  await engine.closeAll(); // every tool below reads the journal with no executor running
  journal = await readJournal(engine.brokers, engine.namespace);
});

afterAll(async () => engine.closeAll());

describe('logbook journal replay', () => {
  it('prints every record of a finished workflow in journal order, and how it ended', async () => {
    const run = await cli(['journal', 'replay', 'o-1']);
    expect(run.code).toBe(0);
    const [header, ...rest] = lines(run.out);
    expect(header).toMatch(/^offset\s+time\s+seq\s+kind/);
    const expected = journal.filter((r) => r.workflowId === 'o-1');
    const records = rest.slice(0, -1);
    expect(records.map((l) => l.split(/\s+/)[3])).toEqual(expected.map((r) => r.body.kind));
    expect(records.map((l) => Number(l.split(/\s+/)[2]))).toEqual(expected.map((r) => r.seq));
    expect(records[2]).toMatch(/#1 validate\s+1\s+\d+ms\s+true\s+ok/);
    expect(rest.at(-1)).toMatch(/^ended: completed after \d+ ms, 8 records$/);

    const json = await cli(['journal', 'replay', 'o-1', '--json']);
    expect(parsed(json.out)).toEqual(expected);
  });

  it('--at an offset between step 1 and step 2 shows the workflow running, step 1 finished, step 2 pending', async () => {
    const timeline = lines((await cli(['journal', 'replay', 'o-2'])).out);
    const started2 = timeline.find((l) => /StepStarted\s+#2 charge/.test(l));
    const offset = started2?.split(/\s+/)[0];
    expect(offset).toMatch(/^\d+$/);

    const run = await cli(['journal', 'replay', 'o-2', '--at', String(offset)]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('status: running');
    expect(run.out).toMatch(/finished calls \(1\):\n {2}#1 step validate: ok/);
    expect(run.out).toMatch(/pending calls \(1\):\n {2}#2 step charge: attempt running \(attempt 1\)/);

    const json = await cli(['journal', 'replay', 'o-2', '--at', String(offset), '--json']);
    const snapshot = JSON.parse(json.out) as { status: string; records: number; pendingCalls: unknown[] };
    expect(snapshot).toMatchObject({
      status: 'running',
      records: 4,
      pendingCalls: [{ callSeq: 2, name: 'charge' }],
    });

    const end = await cli(['journal', 'replay', 'o-2', '--at', new Date(Date.now() + 60_000).toISOString()]);
    expect(end.out).toContain('status: completed');
  });

  it('an id the journal does not hold, or a namespace without a journal, is one sentence and exit 1', async () => {
    const run = await cli(['journal', 'replay', 'nobody']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^logbook: no workflow "nobody" in t-journal-tools-\w+\.journal\.\n$/);
    const nowhere = await cli(['journal', 'replay', 'o-1'], {}, 'no-such-namespace');
    expect(nowhere.code).toBe(1);
    expect(nowhere.err).toBe(
      'logbook: there is no journal topic no-such-namespace.journal: no executor has run in that namespace (check --namespace or LOGBOOK_NAMESPACE).\n',
    );
  });
});

describe('logbook journal verify --workflows', () => {
  it('passes on the code that wrote the histories, structural checks included', async () => {
    const run = await cli(['journal', 'verify', '--workflows', 'tests/fixtures/workflows/journal-tools.ts']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out.trim()).toBe('checked 6 workflows (2 not ended): 0 diverged; journal rules: no problem');
  });

  it('fails with exit 1 on changed code, naming each diverging workflow and its first diverging call', async () => {
    const run = await cli([
      'journal',
      'verify',
      '--workflows',
      'tests/fixtures/workflows/journal-tools-changed.ts',
    ]);
    expect(run.code).toBe(1);
    const out = lines(run.out);
    expect(out.slice(0, -1).sort()).toEqual(
      ['o-1', 'o-2', 'o-3'].map(
        (id) => `diverged  ${id} (toolsOrder) at call 2: expected step "charge", found step "capture"`,
      ),
    );
    expect(out.at(-1)).toBe('checked 6 workflows (2 not ended): 3 diverged; journal rules: no problem');

    const one = await cli([
      'journal',
      'verify',
      '--workflows',
      'tests/fixtures/workflows/journal-tools-changed.ts',
      '--id',
      'o-2',
      '--json',
    ]);
    expect(one.code).toBe(1);
    const report = JSON.parse(one.out) as { code: { checked: number; diverged: unknown[] } };
    expect(report.code.checked).toBe(1);
    expect(report.code.diverged).toEqual([
      {
        workflowId: 'o-2',
        workflow: 'toolsOrder',
        callSeq: 2,
        expected: 'step "charge"',
        found: 'step "capture"',
      },
    ]);
  });

  it('without --workflows prints the structural JSON report as before', async () => {
    const run = await cli(['journal', 'verify']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({
      records: journal.length,
      workflows: 6,
      problems: [],
      byStatus: { completed: 3, failed: 1, running: 2 },
    });
  });
});

describe('logbook journal export', () => {
  it('round-trips: every line parses, and each filter exports exactly the journal records it names', async () => {
    const all = await cli(['journal', 'export']);
    expect(all.code).toBe(0);
    expect(parsed(all.out).length).toBe(journal.length);
    expect(new Set(parsed(all.out).map((r) => JSON.stringify(r)))).toEqual(
      new Set(journal.map((r) => JSON.stringify(r))),
    );

    const byId = parsed((await cli(['journal', 'export', '--id', 'a-1'])).out);
    expect(byId).toEqual(journal.filter((r) => r.workflowId === 'a-1'));

    const ids = new Set(
      journal.flatMap((r) =>
        r.body.kind === 'WorkflowStarted' && r.body.workflow === 'toolsOrder' ? [r.workflowId] : [],
      ),
    );
    const byName = parsed((await cli(['journal', 'export', '--workflow', 'toolsOrder'])).out);
    expect(byName.length).toBe(journal.filter((r) => ids.has(r.workflowId)).length);
    expect(byName.every((r) => ids.has(r.workflowId))).toBe(true);

    const times = journal.map((r) => r.atMs).sort((a, b) => a - b);
    const [from, to] = [
      times[Math.floor(times.length / 3)] ?? 0,
      times[Math.floor((2 * times.length) / 3)] ?? 0,
    ];
    const window = await cli([
      'journal',
      'export',
      '--from',
      new Date(from).toISOString(),
      '--to',
      new Date(to).toISOString(),
    ]);
    expect(parsed(window.out).length).toBe(journal.filter((r) => r.atMs >= from && r.atMs < to).length);
  });
});

describe('logbook list', () => {
  it('folds the journal when no admin URL is given, with a status filter and a limit', async () => {
    const running = await cli(['list', '--status', 'running', '--json']);
    expect(running.code).toBe(0);
    expect(running.err).toMatch(/from the journal .* \(no admin URL given\)/);
    const items = lines(running.out).map((l) => JSON.parse(l) as WorkflowSummaryJson);
    expect(items.map((i) => i.id).sort()).toEqual(['a-1', 'a-2']);
    expect(items.every((i) => i.workflow === 'toolsApproval' && i.status === 'running')).toBe(true);

    const two = await cli(['list', '--status', 'completed', '--limit', '2']);
    expect(lines(two.out)).toHaveLength(2);
    expect(lines(two.out).every((l) => /^o-\d\s+toolsOrder\s+completed\s+\S+Z \S+Z$/.test(l))).toBe(true);

    const failed = await cli(['list', '--status', 'failed']);
    expect(lines(failed.out).map((l) => l.split(/\s+/)[0])).toEqual(['f-1']);
  });

  it('merges the pages of several admin APIs, sending the token, and falls back when the URL refuses', async () => {
    const at = (s: number) => new Date(1_800_000_000_000 + s * 1000).toISOString();
    const summary = (id: string, s: number): WorkflowSummaryJson => ({
      id,
      workflow: 'remote',
      status: 'running',
      partition: 0,
      startedAt: at(0),
      updatedAt: at(s),
    });
    const seen: IncomingHttpHeaders[] = [];
    const first = await adminDouble([summary('r-1', 1), summary('r-3', 3)], seen);
    const second = await adminDouble([summary('r-2', 2)], seen);
    const refusing = urlOf(first);
    try {
      const run = await cli(['list', '--json', '--admin', `${urlOf(first)},${urlOf(second)}`], {
        LOGBOOK_ADMIN_TOKEN: 's3cret',
      });
      expect(run.code).toBe(0);
      expect(run.err).toMatch(/from the admin API at/);
      expect(lines(run.out).map((l) => (JSON.parse(l) as WorkflowSummaryJson).id)).toEqual([
        'r-3',
        'r-2',
        'r-1',
      ]);
      expect(seen.length).toBe(3); // two pages from the first, one from the second
      expect(seen.every((h) => h.authorization === 'Bearer s3cret')).toBe(true);
    } finally {
      await Promise.all([first, second].map((server) => new Promise((done) => server.close(done))));
    }

    // The first double is closed now: its port refuses connections.
    const fallback = await cli(['list', '--status', 'running'], { LOGBOOK_ADMIN_URL: refusing });
    expect(fallback.code).toBe(0);
    expect(fallback.err).toContain(`from the journal`);
    expect(fallback.err).toContain(`no admin API answered at ${refusing}`);
    expect(
      lines(fallback.out)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(['a-1', 'a-2']);
  });
});
