/**
 * Broker outages are weathered, not fatal (issue 6). On a broker of its own, this test puts a `logbook
 * worker` under load (workflows sleeping, then running two steps), takes the broker down for 30 s — first
 * with SIGKILL, then with SIGTERM — and restarts it on the same data and ports. It proves: the worker never
 * exits (an unhandled rejection would end it), a client call during the outage fails with a clear,
 * retriable LogbookError instead of hanging or crashing, result() waiters just wait, and after each
 * restart every workflow completes exactly once (one StepCompleted per step, one WorkflowCompleted each).
 */
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBroker, startLocalBroker } from '../../src/dev/index.js';
import { ErrorCode, LogbookError } from '../../src/index.js';
import { napper } from '../fixtures/workflows/outage.js';
import { Engine, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const OUTAGE_MS = 30_000;
const PARTITIONS = 3;

let broker: LocalBroker;
let engine: Engine;

beforeAll(async () => {
  broker = await startLocalBroker({ brokerSessionTimeoutMs: 3_000 });
}, 120_000);
afterAll(async () => broker.stop(), 60_000);
afterEach(async () => engine.closeAll());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every committed record of `id`'s kinds, counted. */
function counts(
  records: readonly { workflowId: string; body: { kind: string; name?: string } }[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of records) {
    const key = `${r.workflowId}|${r.body.kind}|${r.body.name ?? ''}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

describe('broker outage', () => {
  it('30 s down (SIGKILL, then SIGTERM): no process exits, calls fail retriably, every workflow completes once', async () => {
    engine = new Engine(uniqueNamespace('outage'), [broker.bootstrap]);
    const stepLog = join(tempDir('outage-steps'), 'steps.log');
    writeFileSync(stepLog, '');
    const worker = engine.worker(
      'tests/fixtures/workflows/outage.ts',
      ['--partitions', String(PARTITIONS), '--state-dir', tempDir('outage-state')],
      { LOGBOOK_TEST_STEP_LOG: stepLog },
    );
    await waitFor(() => worker.output().includes('"worker":"started"'), {
      timeoutMs: 60_000,
      message: 'no worker',
    });
    const client = engine.client();

    const ids: string[] = [];
    for (const [round, signal] of (['SIGKILL', 'SIGTERM'] as const).entries()) {
      const batch = Array.from({ length: 100 }, (_, i) => `r${round}-${i}`);
      ids.push(...batch);
      const handles = await Promise.all(
        batch.map((id) => client.start(napper, { id, input: { ms: 4_000 } })),
      );
      const results = handles.map((h) => h.result({ timeout: '180s' }));
      await sleep(1_000); // the starts are journaled; the sleeps are pending

      await broker.kill(signal);
      const downAt = Date.now();
      const during = await client.start(napper, { id: `down-${round}`, input: { ms: 0 } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(during).toBeInstanceOf(LogbookError);
      expect(during).toMatchObject({ code: ErrorCode.Kafka, retriable: true });
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
      expect(worker.child.exitCode).toBeNull(); // the worker weathered the outage
      await broker.restart();

      expect(await Promise.all(results)).toEqual(batch.map((id) => [`a:${id}`, `b:${id}`]));
    }

    expect(worker.child.exitCode).toBeNull();
    const journal = await engine.journal();
    const seen = counts(journal);
    for (const id of ids) {
      expect(seen.get(`${id}|WorkflowCompleted|`)).toBe(1);
      expect(seen.get(`${id}|StepCompleted|a`)).toBe(1);
      expect(seen.get(`${id}|StepCompleted|b`)).toBe(1);
      expect(seen.get(`${id}|TimerFired|`)).toBe(1);
    }
    // The owners backed off instead of failing: no claim was written per retry.
    const claims = journal.filter((r) => r.body.kind === 'OwnerClaimed').length;
    expect(claims).toBeLessThanOrEqual(PARTITIONS * 3);
    const lines = readFileSync(stepLog, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(ids.length * 2); // steps ran at least once each

    worker.child.kill('SIGTERM');
    const [code] = (await once(worker.child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(worker.output()).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
  }, 240_000);
});
