/**
 * Staged cache writes on the real broker (D36, cache-writes.ts I2): an executor process SIGKILLed with its
 * committed ticks staged (LOGBOOK_CACHE_STAGE_MS holds them for 10 minutes, so none reached LevelDB after
 * the claims) loses nothing. Restarted on the same state dir, its owners read the lost ticks back from the
 * journal; every workflow stays finished once: a second start of each id answers the first run's result,
 * and the journal holds one start and one completion per workflow.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { threeSteps } from '../fixtures/workflows/steps-log.js';
import { Engine, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const WORKFLOWS = 30;
const PARTITIONS = 2;

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('staged cache writes, on the broker', () => {
  it('an executor killed with ticks staged: its restart reads them from the journal, each workflow ends once', async () => {
    engine = new Engine(uniqueNamespace('staged'));
    const stateDir = tempDir('node');
    const args = ['--partitions', String(PARTITIONS), '--state-dir', stateDir];
    const first = engine.worker('tests/fixtures/workflows/steps-log.ts', args, {
      LOGBOOK_CACHE_STAGE_MS: '600000',
    });
    await waitFor(() => first.output().includes('"worker":"started"'), {
      timeoutMs: 60_000,
      message: 'worker never started',
    });
    const client = engine.client();
    const ids = Array.from({ length: WORKFLOWS }, (_, i) => `st-${i}`);
    const handles = await Promise.all(ids.map((id, n) => client.start(threeSteps, { id, input: { n } })));
    const results = await Promise.all(handles.map((h) => h.result({ timeout: '60s' })));
    const exited = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    await exited; // the OS frees the state dir's LevelDB lock only once the process is gone

    const restarted = await engine.executor({ workflows: [threeSteps], partitions: PARTITIONS, stateDir });
    const caughtUp = [0, 1].map((p) => restarted.ownerOf(p)?.stats.catchUpRecords ?? 0);
    // Each workflow journaled 8 records (start, 3 × step start and end, completion); none of them reached
    // the cache (housekeeping does not write the staged batch), so all came back from the journal.
    expect(caughtUp.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(WORKFLOWS * 8);

    const again = await Promise.all(ids.map((id, n) => client.start(threeSteps, { id, input: { n } })));
    expect(await Promise.all(again.map((h) => h.result({ timeout: '60s' })))).toEqual(results);
    const journal = await engine.journal();
    const kinds = (kind: string) => journal.filter((r) => r.body.kind === kind).map((r) => r.workflowId);
    expect(kinds('WorkflowStarted').sort()).toEqual([...ids].sort());
    expect(kinds('WorkflowCompleted').sort()).toEqual([...ids].sort());
  });
});
