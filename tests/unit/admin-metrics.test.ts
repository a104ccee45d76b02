/**
 * Proves the metric folding without a broker: each journal record kind feeds the counter it names, with
 * the workflow's name (or `_unknown`), a step failure is `retried` or `failed` by whether a retry was
 * scheduled, dead letters count by code; the registry's text parses strictly as Prometheus and its
 * counters equal the records folded; label sets past the cap go to `_other`; readiness gives a reason for
 * every partition that is not ready, and is never vacuous; watermarks are fetched at most once per TTL;
 * the partitions JSON gives the command lag and why an owner fails.
 */
import { describe, expect, it } from 'vitest';
import { AdminMetrics, SERIES_PER_METRIC_MAX } from '../../src/admin/admin-metrics.js';
import type { PartitionReport } from '../../src/admin/executor-view.js';
import { tickSamples, UNKNOWN_WORKFLOW } from '../../src/admin/metric-fold.js';
import { partitionJson } from '../../src/admin/partitions-json.js';
import { readiness } from '../../src/admin/readiness.js';
import { WatermarkCache } from '../../src/admin/watermark-cache.js';
import { JOURNAL_SCHEMA_VERSION, type JournalRecord, type RecordBody } from '../../src/journal/index.js';
import type { CommittedTick } from '../../src/partition/index.js';
import { newOwnerStats } from '../../src/partition/owner-config.js';
import { parsePrometheus, promValue } from '../support/prometheus.js';

const error = { name: 'Error', code: 'E', message: 'no', details: null };

function rec(workflowId: string, body: RecordBody): JournalRecord {
  return { schemaVersion: JOURNAL_SCHEMA_VERSION, workflowId, seq: 1, atMs: 0, body };
}

const step = (
  kind: 'StepCompleted' | 'StepFailed',
  name: string,
  retryAtMs: number | null,
  durationMs = 20,
) =>
  kind === 'StepCompleted'
    ? ({ kind, callSeq: 1, name, result: null, attempt: 1, startedAtMs: 0, durationMs } as const)
    : ({ kind, callSeq: 1, name, error, attempt: 1, startedAtMs: 0, durationMs, retryAtMs } as const);

function tick(records: JournalRecord[], codes: string[] = []): CommittedTick {
  return {
    partition: 0,
    records,
    workflowNames: new Map([
      ['o-1', 'order'],
      ['o-2', 'order'],
    ]),
    deadLetters: codes.map((code) => ({ code, reason: 'r', offset: '0', key: null, value: null })),
    writeMs: 4,
  };
}

const started = (id: string) =>
  rec(id, {
    kind: 'WorkflowStarted',
    workflow: 'order',
    input: null,
    idempotencyKey: null,
    parent: null,
    trace: null,
  });

describe('folding a committed tick', () => {
  it.each([
    [started('o-1'), [['workflowsStarted', { workflow: 'order' }, 1]]],
    [
      rec('o-1', { kind: 'WorkflowCompleted', result: 1 }),
      [['workflowsCompleted', { workflow: 'order' }, 1]],
    ],
    [rec('o-2', { kind: 'WorkflowFailed', error }), [['workflowsFailed', { workflow: 'order' }, 1]]],
    [
      rec('o-1', { kind: 'WorkflowCancelled', reason: 'x' }),
      [['workflowsCancelled', { workflow: 'order' }, 1]],
    ],
    [rec('o-1', { kind: 'WorkflowStuck', error }), [['workflowsStuck', { workflow: 'order' }, 1]]],
    [rec('x-9', { kind: 'WorkflowFailed', error }), [['workflowsFailed', { workflow: UNKNOWN_WORKFLOW }, 1]]],
    [
      rec('o-1', step('StepCompleted', 'pay', null)),
      [
        ['stepAttempts', { workflow: 'order', step: 'pay', outcome: 'completed' }, 1],
        ['stepDurationSeconds', { workflow: 'order', step: 'pay' }, 0.02],
      ],
    ],
    [
      rec('o-1', step('StepFailed', 'pay', 99)),
      [
        ['stepAttempts', { workflow: 'order', step: 'pay', outcome: 'retried' }, 1],
        ['stepDurationSeconds', { workflow: 'order', step: 'pay' }, 0.02],
      ],
    ],
    [
      rec('o-1', step('StepFailed', 'pay', null)),
      [
        ['stepAttempts', { workflow: 'order', step: 'pay', outcome: 'failed' }, 1],
        ['stepDurationSeconds', { workflow: 'order', step: 'pay' }, 0.02],
      ],
    ],
    [rec('o-1', { kind: 'CancelRequested', reason: 'x' }), []],
    [rec('', { kind: 'CommandsConsumed', partition: 0, nextOffset: 3 }), []],
  ] as const)('%j', (record, expected) => {
    const samples = tickSamples(tick([record])).slice(2); // after the two tick histograms
    expect(samples.map((s) => [s.metric, s.labels, s.value])).toEqual(expected);
  });

  it('observes the write latency and the record count, and counts dead letters by code', () => {
    const samples = tickSamples(
      tick([started('o-1'), started('o-2')], ['LB_CMD_BAD_JSON', 'LB_CMD_BAD_JSON']),
    );
    expect(samples.filter((s) => s.metric === 'tickCommitSeconds').map((s) => s.value)).toEqual([0.004]);
    expect(samples.filter((s) => s.metric === 'tickRecords').map((s) => s.value)).toEqual([2]);
    expect(samples.filter((s) => s.metric === 'deadLetters')).toHaveLength(2);
  });
});

function report(over: Partial<PartitionReport>): PartitionReport {
  return { ...newOwnerStats(), phase: 'running', slot: 'owned', ...over };
}

describe('the registry', () => {
  it('answers strict Prometheus text whose counters equal what was folded, gauges from the reports', async () => {
    const reports = new Map([
      [0, report({ timersPending: 3, timersInMemory: 1 })],
      [1, report({ phase: 'starting', slot: 'starting', catchUpOffset: 99, catchUpEndOffset: 1_000 })],
    ]);
    const metrics = new AdminMetrics(() => reports, { log: () => undefined });
    metrics.tickCommitted(
      tick([
        started('o-1'),
        rec('o-1', step('StepFailed', 'pay', 5)),
        rec('o-1', step('StepCompleted', 'pay', null)),
      ]),
    );
    metrics.tickCommitted(
      tick([rec('o-1', { kind: 'WorkflowCompleted', result: null })], ['LB_CMD_BAD_JSON']),
    );
    const families = parsePrometheus((await metrics.text()).body);
    expect(promValue(families, 'logbook_workflows_started_total', { workflow: 'order' })).toBe(1);
    expect(promValue(families, 'logbook_workflows_completed_total', { workflow: 'order' })).toBe(1);
    expect(promValue(families, 'logbook_step_attempts_total', { outcome: 'retried' })).toBe(1);
    expect(promValue(families, 'logbook_step_attempts_total', { outcome: 'completed' })).toBe(1);
    expect(promValue(families, 'logbook_step_duration_seconds_count', { step: 'pay' })).toBe(2);
    expect(promValue(families, 'logbook_dead_letters_total', { code: 'LB_CMD_BAD_JSON' })).toBe(1);
    expect(promValue(families, 'logbook_tick_records_sum')).toBe(4);
    expect(promValue(families, 'logbook_tick_commit_seconds_count')).toBe(2);
    expect(promValue(families, 'logbook_catch_up_lag_records', { partition: '1' })).toBe(900);
    expect(promValue(families, 'logbook_catch_up_lag_records', { partition: '0' })).toBe(0);
    expect(promValue(families, 'logbook_timers_pending', { partition: '0' })).toBe(3);
    expect(promValue(families, 'logbook_partitions_owned')).toBe(1);
    expect(promValue(families, 'logbook_owners_failing')).toBe(0);
  });

  it('two executors in one process keep separate registries', async () => {
    const a = new AdminMetrics(() => new Map(), { log: () => undefined });
    const b = new AdminMetrics(() => new Map(), { log: () => undefined });
    a.tickCommitted(tick([started('o-1')]));
    expect(promValue(parsePrometheus((await a.text()).body), 'logbook_workflows_started_total')).toBe(1);
    expect(promValue(parsePrometheus((await b.text()).body), 'logbook_workflows_started_total')).toBe(0);
  });

  it(`past ${SERIES_PER_METRIC_MAX} label sets a metric counts under _other, and the total still adds up`, async () => {
    const metrics = new AdminMetrics(() => new Map(), { log: () => undefined });
    const n = SERIES_PER_METRIC_MAX + 5;
    for (let i = 0; i < n; i++)
      metrics.tickCommitted(tick([rec('o-1', step('StepCompleted', `s-${i}`, null))]));
    const families = parsePrometheus((await metrics.text()).body);
    expect(promValue(families, 'logbook_step_attempts_total')).toBe(n);
    expect(promValue(families, 'logbook_step_attempts_total', { step: '_other' })).toBe(5);
  });
});

describe('readiness', () => {
  it('is 503 before the first assignment', () => {
    expect(readiness(undefined, new Map())).toMatchObject({
      ready: false,
      reason: /no partition assignment/,
    });
  });

  it('is ready with an empty assignment (more executors than partitions)', () => {
    expect(readiness(new Set(), new Map()).ready).toBe(true);
  });

  it.each([
    ['no report yet', undefined, /claiming: its owner is being made/],
    ['writing its claim', report({ phase: 'starting', slot: 'starting' }), /claiming: writing its claim/],
    [
      'catching up',
      report({ phase: 'starting', slot: 'starting', catchUpOffset: 10, catchUpEndOffset: 51 }),
      /catching up: journal offset 10 of 50 \(40 records to go\)/,
    ],
    [
      'failing',
      report({ failing: { sinceMs: 0, attempts: 3, lastError: 'broker down', nextRetryAtMs: 1 } }),
      /failing: broker down \(3 attempts\)/,
    ],
    [
      'backing off',
      report({ phase: 'backoff', slot: 'backoff', slotError: 'fenced' }),
      /backing off.*fenced/,
    ],
    ['stopping', report({ phase: 'stopping', slot: 'stopping' }), /owner stopping/],
  ])('%s: not ready, with its reason', (_name, r, reason) => {
    const reports = new Map<number, PartitionReport>(r === undefined ? [] : [[1, r]]);
    const result = readiness(new Set([0, 1]), new Map([[0, report({})], ...reports]));
    expect(result.ready).toBe(false);
    expect(result.partitions).toEqual([
      { partition: 0, ready: true, reason: null },
      { partition: 1, ready: false, reason: expect.stringMatching(reason) },
    ]);
  });
});

describe('the watermark cache', () => {
  it('asks the broker at most once per TTL, shares a request in flight, and does not cache a failure', async () => {
    let nowMs = 0;
    let calls = 0;
    let fail = false;
    const cache = new WatermarkCache(
      async () => {
        calls++;
        if (fail) throw new Error('broker down');
        return new Map([[0, calls]]);
      },
      () => nowMs,
      1_000,
    );
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect([a.get(0), b.get(0), calls]).toEqual([1, 1, 1]);
    nowMs = 999;
    expect((await cache.get()).get(0)).toBe(1);
    nowMs = 1_000;
    fail = true;
    await expect(cache.get()).rejects.toThrow('broker down');
    fail = false;
    expect((await cache.get()).get(0)).toBe(3);
  });
});

describe('the strict Prometheus parser', () => {
  it.each([
    ['a sample before TYPE', 'x 1\n'],
    ['a bad value', '# TYPE x gauge\nx one\n'],
    ['a bad label', '# TYPE x gauge\nx{a=b} 1\n'],
    ['a duplicate series', '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    ['a foreign sample', '# TYPE x gauge\ny 1\n'],
    ['no final newline', '# TYPE x gauge\nx 1'],
    [
      'a histogram whose +Inf is not its count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    ],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePrometheus(text)).toThrow();
  });
});

describe('the partitions JSON', () => {
  const positions = { journalOffset: 41, confirmedOffset: 39, nextCommandOffset: 8 };

  it('gives the command lag as high watermark minus next command offset, null when either is unknown', () => {
    expect(partitionJson(0, report({}), positions, 12)).toMatchObject({
      phase: 'running',
      ready: true,
      reason: null,
      journalOffset: 41,
      confirmedOffset: 39,
      nextCommandOffset: 8,
      commandHighWatermark: 12,
      commandLag: 4,
      failing: null,
    });
    expect(partitionJson(0, report({}), positions, undefined).commandLag).toBeNull();
    expect(partitionJson(0, report({}), undefined, 12).commandLag).toBeNull();
  });

  it('says why an owner fails: its write retried, or the owner replaced after a backoff', () => {
    const failing = { sinceMs: 0, attempts: 4, lastError: 'broker down', nextRetryAtMs: 1_000 };
    expect(partitionJson(0, report({ failing }), positions, 8).failing).toEqual({
      reason: 'broker down',
      attempts: 4,
      since: '1970-01-01T00:00:00.000Z',
      nextRetryAt: '1970-01-01T00:00:01.000Z',
    });
    const backoff = report({ phase: 'backoff', slot: 'backoff', slotError: 'fenced by a newer owner' });
    expect(partitionJson(0, backoff, undefined, 8).failing).toEqual({
      reason: 'fenced by a newer owner',
      attempts: null,
      since: null,
      nextRetryAt: null,
    });
  });

  it('answers a partition whose first owner is being made with nulls, not ready', () => {
    expect(partitionJson(3, undefined, undefined, undefined)).toMatchObject({
      partition: 3,
      phase: 'starting',
      ready: false,
      reason: 'claiming: its owner is being made',
      journalOffset: null,
      catchUp: { journalOffset: null, endOffset: null, recordsToGo: null },
    });
  });
});
