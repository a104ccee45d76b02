/**
 * The workflows the simulation runs: every feature a body can use (steps with transient failures and
 * retries, sleeps, signals with timeouts, parallel branches with I/O between calls, compensations,
 * emits — one to a topic Kafka refuses —, children). Whether a step attempt fails is a pure function of the
 * seed, the workflow, the step and the attempt, so a replay can tell what the live run saw.
 */
import { TerminalError, workflow } from '../../../src/index.js';
import type { AnyWorkflowDefinition } from '../../../src/workflow/index.js';

/** A 32-bit FNV-1a hash of `text`. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Every kind of workflow the simulation starts, and the input each takes. */
export const SIM_KINDS = ['chain', 'sleepy', 'waiter', 'fanout', 'saga', 'emitter', 'parent'] as const;

const retry = { maxAttempts: 4, initialInterval: 20, backoffCoefficient: 2 } as const;

/** The simulation's workflows for `seed`. */
export function simWorkflows(seed: number): AnyWorkflowDefinition[] {
  const flaky = (wf: string, step: string, attempt: number): boolean =>
    hash(`${seed}|${wf}|${step}|${attempt}`) % 100 < 25;
  const run = (wf: string, step: string, attempt: number, value: unknown): unknown => {
    if (flaky(wf, step, attempt)) throw new Error(`transient failure of ${step} (attempt ${attempt})`);
    return value;
  };
  const chain = workflow('chain', async (ctx, input: { n: number }) => {
    let sum = 0;
    for (let i = 0; i < input.n; i++) {
      sum += await ctx.step(`c${i}`, ({ attempt }) => run(ctx.workflowId, `c${i}`, attempt, i) as number, {
        retry,
      });
    }
    return sum;
  });
  const sleepy = workflow('sleepy', async (ctx, input: { ms: number }) => {
    const before = await ctx.step('before', () => 1);
    await ctx.sleep(input.ms);
    return before + (await ctx.step('after', () => 2));
  });
  const waiter = workflow('waiter', async (ctx) => {
    try {
      return await ctx.signal<string>('go', { timeout: 2_000 });
    } catch (error) {
      return (error as Error).name;
    }
  });
  const fanout = workflow('fanout', async (ctx) => {
    const branch = async (b: number): Promise<string> => {
      const first = await ctx.step(`load${b}`, () => `l${b}`);
      await new Promise((resolve) => setTimeout(resolve, hash(`${seed}${ctx.workflowId}${b}`) % 3)); // non-ctx I/O
      return `${first}:${await ctx.step('save', () => `s${b}`)}`;
    };
    return Promise.all([branch(0), branch(1), branch(2)]);
  });
  const saga = workflow('saga', async (ctx) => {
    await ctx.step('a', () => 'a', { compensate: () => 'undo a' });
    await ctx.step('b', () => 'b', { compensate: () => 'undo b' });
    return ctx.step('c', () => {
      if (hash(`${seed}|${ctx.workflowId}|c`) % 2 === 0) throw new TerminalError('c refused');
      return 'c';
    });
  });
  const emitter = workflow('emitter', async (ctx) => {
    await ctx.emit('sim.outbox', ctx.workflowId, { ok: true });
    try {
      await ctx.emit('sim.refuses', ctx.workflowId, { ok: false });
      return 'refused-not';
    } catch (error) {
      return (error as Error).name;
    }
  });
  const parent = workflow('parent', async (ctx) => ctx.child(chain, `${ctx.workflowId}-child`, { n: 2 }));
  return [chain, sleepy, waiter, fanout, saga, emitter, parent] as unknown as AnyWorkflowDefinition[];
}

/** The start input of a workflow of `kind`, from a random number. */
export function simInput(kind: (typeof SIM_KINDS)[number], r: number): unknown {
  if (kind === 'chain') return { n: 1 + Math.floor(r * 4) };
  if (kind === 'sleepy') return { ms: 50 + Math.floor(r * 500) };
  return null;
}
