/**
 * The workflow whose histories `npm run bench:journal` writes, for `journal verify --workflows` to replay
 * them against: W1 of bench/run.ts, three steps in a row.
 */
import { workflow } from '../src/workflow/index.js';

/** Three steps; bench/journal.ts writes histories of exactly this shape. */
export const w1 = workflow('w1', async (ctx, input: { sku: string }) => {
  const a = await ctx.step('one', () => ({ v: input.sku }));
  const b = await ctx.step('two', () => ({ v: a.v }));
  return ctx.step('three', () => ({ v: b.v }));
});
