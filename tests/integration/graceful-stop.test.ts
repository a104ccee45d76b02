/**
 * Graceful stop under load: SIGTERM on a busy `logbook worker` stops taking work, lets the open
 * transaction finish, leaves the group and exits 0; no transaction is left open (a read_committed reader
 * reaches the end of the journal before anyone fences the partitions), and no workflow is lost (a new
 * executor completes every one, each exactly once).
 */
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { threeSteps } from '../fixtures/workflows/steps-log.js';
import { Engine, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const WORKFLOWS = 100;
const PARTITIONS = 2;

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('graceful stop', () => {
  it('SIGTERM under load exits 0 with no transaction left open and no workflow lost', async () => {
    engine = new Engine(uniqueNamespace('graceful'));
    const stepLog = join(tempDir('steps'), 'steps.log');
    writeFileSync(stepLog, '');
    // Each step takes 200 ms, so once every workflow has started its first step, the last of the 300 is
    // at least 400 ms away: the SIGTERM below lands under load even on a loaded machine.
    const env = { LOGBOOK_TEST_STEP_LOG: stepLog, LOGBOOK_TEST_STEP_DELAY_MS: '200' };
    const worker = engine.worker(
      'tests/fixtures/workflows/steps-log.ts',
      ['--partitions', String(PARTITIONS), '--state-dir', tempDir('w')],
      env,
    );
    await waitFor(() => worker.output().includes('"worker":"started"'), { timeoutMs: 60_000 });
    const client = engine.client();
    const handles = await Promise.all(
      Array.from({ length: WORKFLOWS }, (_, i) =>
        client.start(threeSteps, { id: `g-${i}`, input: { n: i } }),
      ),
    );
    const lines = (): number => readFileSync(stepLog, 'utf8').split('\n').length - 1;
    await waitFor(() => lines() >= WORKFLOWS, { timeoutMs: 60_000, intervalMs: 5 });

    worker.child.kill('SIGTERM');
    const [code] = (await once(worker.child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(worker.output()).toContain('"worker":"stopped","signal":"SIGTERM"');
    expect(lines()).toBeLessThan(WORKFLOWS * 3); // it really stopped under load

    // No open transaction: read_committed readers reach the end while nobody has fenced the old producers.
    const beforeTakeover = await engine.journal();
    expect(beforeTakeover.length).toBeGreaterThan(0);

    process.env.LOGBOOK_TEST_STEP_LOG = stepLog;
    await engine.executor({ workflows: [threeSteps], partitions: PARTITIONS });
    await Promise.all(handles.map((h) => h.result({ timeout: '60s' })));
    const journal = await engine.journal();
    const completed = journal.filter((r) => r.body.kind === 'WorkflowCompleted').map((r) => r.workflowId);
    expect(new Set(completed).size).toBe(WORKFLOWS);
    expect(completed).toHaveLength(WORKFLOWS);
  });
});
