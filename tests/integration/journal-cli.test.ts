/**
 * Proves the audit commands read the journal straight from Kafka as README says: `logbook journal show`
 * prints one decoded record per line in seq order, and `logbook journal verify` reports a clean journal
 * with exit 0.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import { Engine } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';

const twoSteps = workflow('twoSteps', async (ctx) => {
  await ctx.step('one', () => 1);
  return ctx.step('two', () => 2);
});

async function cli(engine: Engine, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      ...args,
      '--brokers',
      engine.brokers.join(','),
      '--namespace',
      engine.namespace,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

let engine: Engine;
afterEach(async () => engine.closeAll());

describe('logbook journal', () => {
  it('show prints the workflow records in order, and verify finds no problem', async () => {
    engine = new Engine(uniqueNamespace('journal-cli'));
    await engine.executor({ workflows: [twoSteps] });
    await (await engine.client().start(twoSteps, { id: 'j-1' })).result({ timeout: '30s' });

    const show = await cli(engine, ['journal', 'show', 'j-1']);
    expect(show.code).toBe(0);
    const records = show.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; body: { kind: string; result?: unknown } });
    expect(records.map((r) => r.body.kind)).toEqual([
      'WorkflowStarted',
      'StepStarted',
      'StepCompleted',
      'StepStarted',
      'StepCompleted',
      'WorkflowCompleted',
    ]);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records[5]?.body.result).toBe(2);

    const verify = await cli(engine, ['journal', 'verify']);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.out) as {
      workflows: number;
      problems: unknown[];
      byStatus: Record<string, number>;
    };
    expect(report).toMatchObject({ workflows: 1, problems: [], byStatus: { completed: 1 } });
  });
});
