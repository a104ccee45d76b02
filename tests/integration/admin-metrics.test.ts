/**
 * Proves the admin server on the real broker: after 100 workflows (some failing, some with retried steps,
 * some cancelled) and a few bad commands, `/metrics` parses strictly as Prometheus text and its counters
 * equal what the journal (scanJournal) and the DLQ hold; `/readyz` is 503 with a catching-up reason while
 * a new executor rebuilds a long journal from an empty cache, and 200 after; the token rule holds both
 * ways (a non-loopback host without a token refuses to start, in-process and from the CLI; with a token,
 * 401 without or with a wrong one, 200 with it or its cookie, /healthz always 200); a handler that throws
 * answers 500 and the executor keeps running workflows; requests over the named limits, with a body, or
 * with another method than GET and HEAD are refused; a taken admin port fails start(); `logbook_timers_pending`
 * counts every pending timer of a partition, past `timerHeapMax` too, after fires, and after a restart.
 */
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HEADERS_COUNT_MAX, URL_CHARS_MAX } from '../../src/admin/admin-server.js';
import { freePort } from '../../src/dev/index.js';
import { ConfigError } from '../../src/errors.js';
import { Executor, TerminalError, workflow } from '../../src/index.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { topicNames } from '../../src/kafka/index.js';
import { DLQ_HEADERS } from '../../src/partition/index.js';
import { consumeUntil } from '../support/consume.js';
import { Engine, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { type PromFamily, parsePrometheus, promSamples, promValue } from '../support/prometheus.js';
import { waitFor } from '../support/wait-for.js';

const TOKEN = 'integration-admin-token-0123456789';

const shop = workflow('shop', async (ctx, input: { n: number }) => {
  await ctx.step('reserve', () => 'reserved');
  if (input.n % 4 === 1)
    await ctx.step(
      'flaky',
      ({ attempt }) => {
        if (attempt === 1) throw new Error('transient');
        return 'ok';
      },
      { retry: { maxAttempts: 3, initialInterval: '10ms' } },
    );
  if (input.n % 10 === 7) await ctx.signal('approval');
  if (input.n % 5 === 0)
    await ctx.step('charge', () => {
      throw new TerminalError('card declined');
    });
  return input.n;
});

const audit = workflow('audit', async (ctx, input: { n: number }) => ctx.step('log', () => input.n));

const quick = workflow('quick', async (ctx, input: { n: number }) => ctx.step('only', () => input.n));

const nap = workflow('nap', async (ctx, input: { ms: number }) => {
  await ctx.sleep(input.ms);
  return input.ms;
});

/** Waits for `wake` (a pending signal-timeout timer an hour out until it comes), then naps `ms`. */
const wakeThenNap = workflow('wake-then-nap', async (ctx, input: { ms: number }) => {
  await ctx.signal('wake', { timeout: '1h' });
  await ctx.sleep(input.ms);
  return input.ms;
});

let engine: Engine;
afterEach(async () => engine.closeAll());

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The counters the journal holds, keyed like the metrics' label sets. */
function journalCounts(records: readonly JournalRecord[]): Map<string, number> {
  const names = new Map<string, string>();
  const counts = new Map<string, number>();
  const add = (key: string, by = 1) => counts.set(key, (counts.get(key) ?? 0) + by);
  const ending: Record<string, string> = {
    WorkflowCompleted: 'completed',
    WorkflowFailed: 'failed',
    WorkflowCancelled: 'cancelled',
    WorkflowStuck: 'stuck',
  };
  for (const r of records) {
    const body = r.body;
    if (body.kind !== 'OwnerClaimed') add('records');
    if (body.kind === 'WorkflowStarted') {
      names.set(r.workflowId, body.workflow);
      add(`started/${body.workflow}`);
    }
    const workflowName = names.get(r.workflowId) ?? '?';
    const end = ending[body.kind];
    if (end !== undefined) add(`${end}/${workflowName}`);
    if (body.kind === 'StepCompleted' || body.kind === 'StepFailed') {
      const outcome =
        body.kind === 'StepCompleted' ? 'completed' : body.retryAtMs === null ? 'failed' : 'retried';
      add(`step/${workflowName}/${body.name}/${outcome}`);
      add('stepDurationMs', body.durationMs);
    }
  }
  return counts;
}

/** The same counters as the scrape answers them. */
function metricCounts(families: ReadonlyMap<string, PromFamily>): Map<string, number> {
  const counts = new Map<string, number>();
  counts.set('records', promValue(families, 'logbook_tick_records_sum'));
  for (const end of ['started', 'completed', 'failed', 'cancelled', 'stuck'])
    for (const s of promSamples(families, `logbook_workflows_${end}_total`))
      counts.set(`${end}/${s.labels.workflow}`, s.value);
  for (const s of promSamples(families, 'logbook_step_attempts_total'))
    counts.set(`step/${s.labels.workflow}/${s.labels.step}/${s.labels.outcome}`, s.value);
  counts.set('stepDurationMs', Math.round(promValue(families, 'logbook_step_duration_seconds_sum') * 1000));
  return counts;
}

describe('the admin server on the real broker', () => {
  it('/metrics parses as Prometheus text and its counters equal the journal after 100 workflows', async () => {
    engine = new Engine(uniqueNamespace('admin-metrics'));
    const executor = await engine.executor({ workflows: [shop, audit], partitions: 3, adminPort: 0 });
    const base = executor.adminAddress?.url;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = engine.client();
    const ids = Array.from({ length: 100 }, (_, n) => n);
    const handles = await Promise.all(
      ids.map((n) =>
        n < 90
          ? client.start(shop, { id: `shop-${n}`, input: { n } })
          : client.start(audit, { id: `audit-${n}`, input: { n } }),
      ),
    );
    const waiting = ids.filter((n) => n < 90 && n % 10 === 7);
    await Promise.all(waiting.map((n) => client.cancel(`shop-${n}`, 'test cancels it')));
    const outcomes = await Promise.all(
      handles.map((h) =>
        h.result({ timeout: '60s' }).then(
          () => 'completed',
          (e: Error) => e.name,
        ),
      ),
    );
    expect(outcomes.filter((o) => o !== 'completed').length).toBeGreaterThan(0);

    const producer = await engine.rawProducer();
    const { commands, dlq } = topicNames(engine.namespace);
    await producer.send({
      topic: commands,
      messages: [
        { key: 'bad-1', value: 'not json' },
        { key: 'bad-2', value: JSON.stringify({ type: 'start', workflow: 'nope', id: 'bad-2', input: {} }) },
        { key: 'bad-3', value: JSON.stringify({ type: 'signal', id: 'bad-3', name: 'x', payload: null }) },
      ],
    });
    const dead = await consumeUntil({ brokers: engine.brokers, topic: dlq, until: (r) => r.length >= 3 });
    const dlqCodes = new Map<string, number>();
    for (const d of dead) {
      const code = String(d.message.headers?.[DLQ_HEADERS.code] ?? '');
      dlqCodes.set(code, (dlqCodes.get(code) ?? 0) + 1);
    }

    // Quiet: the same scrape twice in a row, 300 ms apart, and every dead letter counted.
    let last = '';
    const text = await waitFor(
      async () => {
        const { status, text } = await get(`${base}/metrics`);
        expect(status).toBe(200);
        const families = parsePrometheus(text); // strict: throws on any bad line
        const counted = promValue(families, 'logbook_dead_letters_total');
        const stable = text.replace(/^logbook_(catch_up|timers|partitions|owners).*$/gm, '');
        const done = stable === last && counted === dead.length;
        last = stable;
        return done ? text : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, message: 'the metrics never settled' },
    );
    const families = parsePrometheus(text);
    const fromJournal = journalCounts(await engine.journal());
    expect(metricCounts(families)).toEqual(fromJournal);
    expect(fromJournal.get('started/shop')).toBe(90);
    expect(fromJournal.get('started/audit')).toBe(10);
    expect(fromJournal.get('failed/shop')).toBeGreaterThan(0);
    expect(fromJournal.get('cancelled/shop')).toBe(waiting.length);
    expect(fromJournal.get('step/shop/flaky/retried')).toBeGreaterThan(0);
    for (const [code, n] of dlqCodes)
      expect(promValue(families, 'logbook_dead_letters_total', { code })).toBe(n);
    expect(promValue(families, 'logbook_step_duration_seconds_count')).toBe(
      promValue(families, 'logbook_step_attempts_total'),
    );
    expect(promValue(families, 'logbook_partitions_owned')).toBe(3);
    expect(promValue(families, 'logbook_owners_failing')).toBe(0);

    const partitions = JSON.parse((await get(`${base}/api/partitions`)).text) as {
      partitions: { partition: number; phase: string; commandLag: number; journalOffset: number }[];
    };
    expect(partitions.partitions.map((p) => [p.partition, p.phase, p.commandLag])).toEqual([
      [0, 'running', 0],
      [1, 'running', 0],
      [2, 'running', 0],
    ]);
  });

  it('/readyz is 503 with a catching-up reason while a new executor rebuilds the journal, and 200 after', async () => {
    engine = new Engine(uniqueNamespace('admin-ready'));
    const first = await engine.executor({ workflows: [quick], partitions: 2 });
    const client = engine.client();
    const count = 1_500;
    const handles = await Promise.all(
      Array.from({ length: count }, (_, n) => client.start(quick, { id: `q-${n}`, input: { n } })),
    );
    await Promise.all(handles.map((h) => h.result({ timeout: '90s' })));
    await first.stop(); // leaves the group: the next executor gets both partitions at once

    const port = await freePort();
    const second = new Executor({
      brokers: engine.brokers,
      namespace: engine.namespace,
      workflows: [quick],
      stateDir: tempDir('state-empty'),
      partitions: 2,
      sessionTimeoutMs: 6_000,
      logger: { log: () => undefined },
      adminPort: port,
      limits: { catchUpBatchRecordsMax: 20 }, // a checkpoint every 20 records: catch-up takes its time
    });
    const seen: { status: number; body: { partitions?: { reason: string | null }[] } }[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        try {
          const { status, text } = await get(`http://127.0.0.1:${port}/readyz`);
          seen.push({ status, body: JSON.parse(text) });
          if (status === 200) return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 5)); // not listening yet
        }
      }
    })();
    try {
      await second.start();
      await waitFor(() => seen.at(-1)?.status === 200, { timeoutMs: 90_000, message: 'never ready' });
    } finally {
      polling = false;
      await poll;
      await second.stop();
    }
    const catchingUp = seen.filter(
      (s) => s.status === 503 && s.body.partitions?.some((p) => /^catching up: /.test(p.reason ?? '')),
    );
    expect(catchingUp.length).toBeGreaterThan(0);
    const toGo = catchingUp
      .flatMap((s) => s.body.partitions ?? [])
      .map((p) => /\((\d+) records to go\)/.exec(p.reason ?? '')?.[1])
      .filter((n) => n !== undefined)
      .map(Number);
    expect(Math.max(...toGo)).toBeGreaterThan(1_000); // it had real work to do
    expect(new Set(toGo).size).toBeGreaterThan(2); // and was seen making progress
    expect(seen.findIndex((s) => s.status === 200)).toBe(seen.length - 1); // 503 until ready, then 200
    expect(seen.at(-1)?.body).toEqual({
      ready: true,
      reason: null,
      partitions: [
        { partition: 0, ready: true, reason: null },
        { partition: 1, ready: true, reason: null },
      ],
    });
  });

  it('refuses a non-loopback admin host without a token, in-process and from the CLI', async () => {
    engine = new Engine(uniqueNamespace('admin-refuse'));
    const saved = process.env.LOGBOOK_ADMIN_TOKEN;
    delete process.env.LOGBOOK_ADMIN_TOKEN;
    try {
      expect(() => new Executor({ workflows: [quick], adminPort: 0, adminHost: '0.0.0.0' })).toThrow(
        ConfigError,
      );
    } finally {
      if (saved !== undefined) process.env.LOGBOOK_ADMIN_TOKEN = saved;
    }
    const worker = engine.worker(
      'tests/fixtures/workflows/steps-log.ts',
      ['--state-dir', tempDir('cli'), '--admin-port', '0', '--admin-host', '0.0.0.0'],
      { LOGBOOK_ADMIN_TOKEN: '' },
    );
    const [code] = (await once(worker.child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(worker.output()).toMatch(/^logbook: the admin server on 0\.0\.0\.0 would be reachable .* token/);
    expect(worker.output().trim().split('\n')).toHaveLength(1);
  });

  it('with a token: 401 without it or with a wrong one, 200 with it or its cookie, /healthz always 200', async () => {
    engine = new Engine(uniqueNamespace('admin-token'));
    const worker = engine.worker('tests/fixtures/workflows/steps-log.ts', [
      '--state-dir',
      tempDir('cli'),
      '--admin-port',
      '0',
      '--admin-token',
      TOKEN,
    ]);
    const started = await waitFor(
      () => {
        const line = worker
          .output()
          .split('\n')
          .find((l) => l.startsWith('{"worker":"started"'));
        return line === undefined ? undefined : (JSON.parse(line) as { admin?: string });
      },
      { timeoutMs: 60_000, message: 'the worker never started' },
    );
    const base = started.admin ?? '';
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const wrong = { authorization: 'Bearer integration-admin-token-wrong00000' };
    const right = { authorization: `Bearer ${TOKEN}` };
    expect((await get(`${base}/healthz`)).status).toBe(200);
    for (const path of ['/metrics', '/readyz', '/api/partitions']) {
      const without = await get(`${base}${path}`);
      expect([path, without.status]).toEqual([path, 401]);
      expect(JSON.parse(without.text)).toMatchObject({ error: 'unauthorized', reason: expect.any(String) });
      expect([path, (await get(`${base}${path}`, wrong)).status]).toEqual([path, 401]);
    }
    expect((await get(`${base}/metrics`, right)).status).toBe(200);
    await waitFor(async () => (await get(`${base}/readyz`, right)).status === 200, {
      timeoutMs: 60_000,
      message: 'the worker never became ready',
    });
    const redirect = await get(`${base}/metrics?token=${TOKEN}`);
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toBe('/metrics');
    const cookie = redirect.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^logbook_admin_token=[^;]+; HttpOnly; SameSite=Strict; Path=\/$/);
    expect((await get(`${base}/metrics`, { cookie: cookie.split(';')[0] ?? '' })).status).toBe(200);

    worker.child.kill('SIGTERM'); // with fetch's keep-alive connections still open: stop must not hang
    const [code] = (await once(worker.child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });

  it('a handler that throws answers 500 with a JSON message, and the executor keeps working', async () => {
    engine = new Engine(uniqueNamespace('admin-500'));
    const logs: string[] = [];
    const executor = await engine.executor({
      workflows: [quick],
      adminPort: 0,
      logger: { log: (_level, message) => void logs.push(message) },
    });
    const base = executor.adminAddress?.url ?? '';
    executor.partitionStats = () => {
      throw new Error('injected: partition reports unavailable');
    };
    for (const path of ['/readyz', '/metrics']) {
      const broken = await get(`${base}${path}`);
      expect([path, broken.status]).toEqual([path, 500]);
      expect(JSON.parse(broken.text)).toEqual({
        error: 'internal error',
        message: 'injected: partition reports unavailable',
      });
    }
    expect(logs.filter((m) => m === 'admin handler failed')).toHaveLength(2);
    expect((await get(`${base}/healthz`)).status).toBe(200);
    const handle = await engine.client().start(quick, { id: 'after-500', input: { n: 7 } });
    expect(await handle.result({ timeout: '30s' })).toBe(7);
    Reflect.deleteProperty(executor, 'partitionStats'); // the class's own method again
    expect((await get(`${base}/readyz`)).status).toBe(200);
  });

  it('refuses a long URL (414), too many headers (431), a body (413) and other methods (405); HEAD has no body; a taken port fails start()', async () => {
    engine = new Engine(uniqueNamespace('admin-limits'));
    const executor = await engine.executor({ workflows: [quick], adminPort: 0 });
    const { host, port } = executor.adminAddress ?? { host: '', port: 0 };
    const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest({ host, port, method, path, headers }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const many = Object.fromEntries(
      Array.from({ length: HEADERS_COUNT_MAX + 1 }, (_, i) => [`x-h${i}`, '1']),
    );
    expect((await send('GET', `/healthz?${'a'.repeat(URL_CHARS_MAX)}`, {})).status).toBe(414);
    expect((await send('GET', '/healthz', many)).status).toBe(431);
    expect((await send('GET', '/healthz', { 'content-length': '6' }, 'a body')).status).toBe(413);
    expect((await send('POST', '/healthz', {})).status).toBe(405);
    expect((await send('DELETE', '/metrics', {})).status).toBe(405);
    expect(await send('HEAD', '/healthz', {})).toEqual({ status: 200, body: '' });
    expect((await send('GET', '/healthz', {})).status).toBe(200);

    const taken = new Executor({
      brokers: engine.brokers,
      namespace: uniqueNamespace('admin-port-taken'),
      workflows: [quick],
      stateDir: tempDir('state-taken'),
      partitions: 1,
      logger: { log: () => undefined },
      adminPort: port, // the first executor's
    });
    await expect(taken.start()).rejects.toMatchObject({ code: 'LB_PORT_IN_USE' });
    expect((await send('GET', '/healthz', {})).status).toBe(200); // the first one is untouched
  });

  it('logbook_timers_pending counts every pending timer, past timerHeapMax, after fires and after a restart', async () => {
    engine = new Engine(uniqueNamespace('admin-timers'));
    const stateDir = tempDir('timers-state');
    const options = {
      workflows: [nap, wakeThenNap],
      partitions: 1,
      stateDir,
      adminPort: 0,
      limits: { timerHeapMax: 4 },
    };
    const pending = async (executor: Executor): Promise<number> => {
      const text = (await get(`${executor.adminAddress?.url}/metrics`)).text;
      return promValue(parsePrometheus(text), 'logbook_timers_pending', { partition: '0' });
    };
    const first = await engine.executor(options);
    const client = engine.client();
    const long = Array.from({ length: 10 }, (_, i) =>
      client.start(nap, { id: `long-${i}`, input: { ms: 3_600_000 } }),
    );
    // No timer here can come due while the test looks: the short naps start only when the test wakes them.
    const short = Array.from({ length: 3 }, (_, i) =>
      client.start(wakeThenNap, { id: `short-${i}`, input: { ms: 300 } }),
    );
    await Promise.all([...long, ...short]);
    await waitFor(async () => (await pending(first)) === 13, {
      timeoutMs: 20_000,
      message: 'never 13 pending',
    });
    expect(first.ownerOf(0)?.stats.timersInMemory).toBeLessThanOrEqual(4); // most wait in the cache only
    for (let i = 0; i < 3; i++) await client.signal(`short-${i}`, 'wake', null); // their 300 ms naps fire
    for (const handle of await Promise.all(short)) await handle.result({ timeout: '30s' });
    await waitFor(async () => (await pending(first)) === 10, {
      timeoutMs: 20_000,
      message: 'never 10 pending',
    });
    await first.stop();

    const again = await engine.executor(options); // the same state dir: counted from the cache at the claim
    await waitFor(async () => (await pending(again)) === 10, {
      timeoutMs: 20_000,
      message: 'not 10 after restart',
    });
  });
});
