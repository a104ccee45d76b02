/**
 * `npm run -s bench:core`: the bounded core's figures (issue 6), as one JSON object, against one local
 * broker, beside the raw-Kafka floor measured in the same run (compare ratios; this machine is noisy).
 *
 *   finishedHeap    heap retained per finished workflow after GC, over CORE_FINISHED workflows (target < 100 B)
 *   sleepers        CORE_SLEEPERS workflows in ctx.sleep('1h') on one executor: start rate, RSS (< 1 GiB)
 *   longWorkflow    one workflow of CORE_LONG_STEPS sequential no-op steps: time per step of the first and
 *                   the last 10 % (ratio target ≤ 1.5), then replayed from an empty cache after a takeover
 *   catchUp         a new node catching up that whole journal from an empty cache: records/s
 *
 * Each phase's figures go to stderr as it ends; the whole report to stdout at the end.
 * Needs `node --expose-gc` (the npm script passes it). Env: LOGBOOK_BROKERS (else a local broker is
 * started), CORE_FINISHED (30000), CORE_SLEEPERS (100000), CORE_LONG_STEPS (100000).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { type LocalBroker, startLocalBroker } from '../src/dev/index.js';
import { type Executor, silentLogger } from '../src/executor/index.js';
import { createKafka, parseBrokers } from '../src/kafka/index.js';
import { workflow } from '../src/workflow/index.js';
import { CoreRig } from './core-rig.js';
import { env } from './env.js';
import { measureFloor } from './floor.js';
import { round } from './stats.js';

const FINISHED = env('CORE_FINISHED', 30_000);
const SLEEPERS = env('CORE_SLEEPERS', 100_000);
const LONG_STEPS = env('CORE_LONG_STEPS', 100_000);
/** Sleepers leave memory after this long idle (the executor option `idleEvictMs`; its default is 60 s). */
const SLEEPER_IDLE_EVICT_MS = env('CORE_IDLE_EVICT_MS', 5_000);

const quick = workflow('quick', async (ctx) => ctx.step('one', () => 1));
const napper = workflow('napper', async (ctx) => {
  await ctx.sleep('1h');
  return 'woke';
});
const long = workflow('long', async (ctx, input: { steps: number }) => {
  let n = 0;
  for (let i = 0; i < input.steps; i++) n += await ctx.step('noop', () => 1);
  return { n, last: await ctx.signal<string>('finish') };
});

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc (npm run -s bench:core does)');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Heap retained per finished workflow: before and after FINISHED workflows, after GC. */
async function finishedHeap(rig: CoreRig): Promise<object> {
  const executor = await rig.executor('finished', [quick]);
  const client = rig.client('finished');
  for (let i = 0; i < 200; i++)
    await (await client.start(quick, { id: `warm-${i}` })).result({ timeout: '30s' });
  await rig.settle(executor);
  const before = heapAfterGc();
  const t0 = performance.now();
  await rig.lanes(FINISHED, 200, async (i) =>
    (await client.start(quick, { id: `f-${i}` })).result({ timeout: '60s' }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await rig.settle(executor);
  const after = heapAfterGc();
  return {
    workflows: FINISHED,
    workflowsPerSec: round(FINISHED / seconds),
    heapBeforeMiB: round(before / 2 ** 20),
    heapAfterMiB: round(after / 2 ** 20),
    bytesPerFinishedWorkflow: round((after - before) / FINISHED),
    hotWorkflowsAfter: [...executor.partitionStats().values()].reduce((sum, s) => sum + s.hotWorkflows, 0),
  };
}

/** SLEEPERS workflows asleep for an hour: how fast they start, and what it costs in memory. */
async function sleepers(rig: CoreRig): Promise<object> {
  const executor = await rig.executor('sleepers', [napper], { idleEvictMs: SLEEPER_IDLE_EVICT_MS });
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 100);
  const t0 = performance.now();
  await rig.produceStarts('sleepers', 'napper', SLEEPERS);
  const started = await rig.waitStarted(executor, SLEEPERS, 600_000);
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 12_000)); // idle eviction (5 s idle + a housekeeping round)
  clearInterval(sampler);
  await rig.settle(executor);
  const stats = [...executor.partitionStats().values()];
  return {
    workflows: started,
    startedPerSec: round(started / seconds),
    rssBeforeMiB: round(rssBefore / 2 ** 20),
    idleEvictMs: SLEEPER_IDLE_EVICT_MS,
    rssPeakMiB: round(rssPeak / 2 ** 20), // sampled every 100 ms, starts and eviction included
    rssAfterEvictionMiB: round(process.memoryUsage().rss / 2 ** 20),
    hotWorkflowsAfterEviction: stats.reduce((sum, s) => sum + s.hotWorkflows, 0),
    timersInMemory: stats.reduce((sum, s) => sum + s.timersInMemory, 0),
  };
}

/** One LONG_STEPS-step workflow; then a node with an empty cache takes over and finishes it by replay. */
async function longWorkflow(rig: CoreRig): Promise<{ figures: object; executor: Executor }> {
  const first = await rig.executor('long', [long], {}, 1);
  const client = rig.client('long');
  const t0 = performance.now();
  await client.start(long, { id: 'long-1', input: { steps: LONG_STEPS } });
  const stepTimes = await rig.stepTimes('long', 'long-1', LONG_STEPS, 3_600_000);
  const runSeconds = (performance.now() - t0) / 1000;
  await first.stop();
  const tenth = Math.max(1, Math.floor(LONG_STEPS / 10));
  const perStep = (from: number, to: number): number =>
    ((stepTimes[to] ?? 0) - (stepTimes[from] ?? 0)) / (to - from);
  const firstMs = perStep(0, tenth - 1);
  const lastMs = perStep(LONG_STEPS - tenth, LONG_STEPS - 1);
  const t1 = performance.now();
  const second = await rig.executor('long', [long], {}, 1); // a fresh state dir: catch-up from offset 0
  const catchUpSeconds = (performance.now() - t1) / 1000;
  await client.signal('long-1', 'finish', 'done');
  const t2 = performance.now();
  const result = (await client.handle<{ n: number; last: string }>('long-1').result({ timeout: '1h' })) as {
    n: number;
  };
  return {
    executor: second,
    figures: {
      steps: LONG_STEPS,
      runSeconds: round(runSeconds),
      firstTenthMsPerStep: round(firstMs),
      lastTenthMsPerStep: round(lastMs),
      lastOverFirst: round(lastMs / firstMs),
      takeoverCatchUpSeconds: round(catchUpSeconds),
      replayFromEmptyCacheSeconds: round((performance.now() - t2) / 1000),
      replayedResultOk: result.n === LONG_STEPS,
    },
  };
}

async function main(): Promise<void> {
  let broker: LocalBroker | undefined;
  if (process.env.LOGBOOK_BROKERS === undefined) broker = await startLocalBroker({ heapMaxMb: 1024 });
  const brokers = broker === undefined ? parseBrokers(process.env.LOGBOOK_BROKERS ?? '') : [broker.bootstrap];
  const rig = new CoreRig(brokers, `core-${randomBytes(3).toString('hex')}`, silentLogger);
  try {
    const floor = await measureFloor(
      createKafka({ brokers, clientId: 'bench-floor', logLevelName: 'nothing' }),
      rig.prefix,
      200,
    );
    const report: Record<string, unknown> = {
      machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      kafka: broker?.distribution.version ?? 'external',
      floor,
    };
    const phase = (name: string, figures: object): void => {
      report[name] = figures;
      process.stderr.write(`${JSON.stringify({ phase: name, ...figures })}\n`); // as each one ends
    };
    phase('finishedHeap', await finishedHeap(rig));
    phase('sleepers', await sleepers(rig));
    const longRun = await longWorkflow(rig);
    phase('longWorkflow', longRun.figures);
    phase('catchUp', await rig.catchUpRate('long', longRun.executor)); // beside a bare KafkaJS read
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await rig.close();
    await broker?.stop();
    for (const dir of rig.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
