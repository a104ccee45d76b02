/**
 * Crash tests (DESIGN §3, §5): an executor child process is SIGKILLed while every workflow is inside its
 * `reserve` step (held there by a gate file), a second executor with its own state dir takes over, and
 * every workflow completes with exactly one StepCompleted per step, while every re-executed step saw the
 * same idempotency key as its first run and ran as the next attempt. On both write paths: single-produce
 * ticks (the default) and transactions only (LOGBOOK_WRITE_PATH=transactional in the killed worker).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { threeSteps } from '../fixtures/workflows/steps-log.js';
import { Engine, tempDir } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const WORKFLOWS = 200;
const PARTITIONS = 4;

function logLines(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('|'));
}

let engine: Engine;
afterEach(async () => {
  await engine.closeAll();
  delete process.env.LOGBOOK_TEST_STEP_LOG;
  delete process.env.LOGBOOK_TEST_GATE;
});

describe.each([
  ['single-produce', true],
  ['transactional', false],
])('crash and takeover, %s ticks', (path, singleProduceTicks) => {
  it('after SIGKILL mid-run, a new owner completes all 200 workflows with one StepCompleted per step', async () => {
    engine = new Engine(uniqueNamespace('crash'));
    const stepLog = join(tempDir('steps'), 'steps.log');
    writeFileSync(stepLog, '');
    const gate = join(tempDir('gate'), 'open');
    const env = { LOGBOOK_TEST_STEP_LOG: stepLog, LOGBOOK_TEST_GATE: gate, LOGBOOK_WRITE_PATH: path };
    const first = engine.worker(
      'tests/fixtures/workflows/steps-log.ts',
      ['--partitions', String(PARTITIONS), '--state-dir', tempDir('a')],
      env,
    );
    await waitFor(() => first.output().includes('"worker":"started"'), {
      timeoutMs: 60_000,
      message: 'worker never started',
    });

    const client = engine.client();
    const handles = await Promise.all(
      Array.from({ length: WORKFLOWS }, (_, i) =>
        client.start(threeSteps, { id: `wf-${i}`, input: { n: i } }),
      ),
    );
    const reserving = (): number => logLines(stepLog).filter(([, step]) => step === 'reserve').length;
    await waitFor(() => reserving() >= WORKFLOWS, {
      timeoutMs: 90_000,
      intervalMs: 20,
      message: 'steps never ran',
    });
    first.child.kill('SIGKILL'); // every workflow is inside `reserve`, waiting at the gate
    expect(logLines(stepLog).filter(([, step]) => step === 'notify')).toHaveLength(0);

    writeFileSync(gate, ''); // the survivor's attempts pass the gate
    process.env.LOGBOOK_TEST_STEP_LOG = stepLog; // the survivor runs in this process
    process.env.LOGBOOK_TEST_GATE = gate;
    await engine.executor({
      workflows: [threeSteps],
      partitions: PARTITIONS,
      limits: { singleProduceTicks },
    });
    const results = await Promise.all(handles.map((h) => h.result({ timeout: '120s' })));
    expect(results).toHaveLength(WORKFLOWS);
    for (const [i, r] of results.entries()) {
      expect(r).toEqual({ n: i, results: ['validate-done', 'reserve-done', 'notify-done'] });
    }

    const journal = await engine.journal();
    const completed = journal.filter((r) => r.body.kind === 'StepCompleted');
    const perStep = new Map<string, number>();
    for (const r of completed) {
      const key = `${r.workflowId}/${r.body.kind === 'StepCompleted' ? r.body.name : ''}`;
      perStep.set(key, (perStep.get(key) ?? 0) + 1);
    }
    expect(perStep.size).toBe(WORKFLOWS * 3);
    expect([...perStep.values()].every((count) => count === 1)).toBe(true);
    expect(journal.filter((r) => r.body.kind === 'WorkflowCompleted')).toHaveLength(WORKFLOWS);

    const keysByStep = new Map<string, Set<string>>();
    const pidsByStep = new Map<string, Set<string>>();
    for (const [workflowId, step, key, , pid] of logLines(stepLog)) {
      const id = `${workflowId}/${step}`;
      keysByStep.set(id, (keysByStep.get(id) ?? new Set()).add(key ?? ''));
      pidsByStep.set(id, (pidsByStep.get(id) ?? new Set()).add(pid ?? ''));
    }
    expect([...keysByStep.values()].every((keys) => keys.size === 1)).toBe(true);
    const reExecuted = [...pidsByStep.entries()].filter(([, pids]) => pids.size > 1).map(([id]) => id);
    // Every `reserve` was in flight at the kill and ran again on the new owner, with the same key (above),
    // as attempt 2: the first attempt's StepStarted was journaled, so the next one is numbered after it.
    expect(reExecuted.filter((id) => id.endsWith('/reserve'))).toHaveLength(WORKFLOWS);
    const survivorAttempts = logLines(stepLog).filter(
      ([, step, , , pid]) => step === 'reserve' && pid === String(process.pid),
    );
    expect(survivorAttempts.every(([, , , attempt]) => attempt === '2')).toBe(true);
    const survivorRan = logLines(stepLog).filter(([, , , , pid]) => pid === String(process.pid)).length;
    expect(survivorRan).toBeGreaterThan(0);
  });
});
