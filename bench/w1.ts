/** W1, the benchmarks' workflow: 3 no-op steps with ~100-byte results. */
import { workflow } from '../src/workflow/index.js';

export const payload = 'x'.repeat(90);

export const w1 = workflow('w1', async (ctx) => {
  const a = await ctx.step('one', () => ({ v: payload }));
  const b = await ctx.step('two', () => ({ v: a.v }));
  return ctx.step('three', () => ({ v: b.v }));
});
