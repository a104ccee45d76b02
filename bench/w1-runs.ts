/** The benchmark's workloads: W1 and a 50-step workflow, one at a time or many in flight, with their CPU. */
import type { Client } from '../src/client/index.js';
import { Executor, type LimitOptions } from '../src/executor/index.js';
import { workflow } from '../src/workflow/index.js';
import { cpuMeter, cpuPer } from './cpu.js';
import { quantile, round } from './stats.js';
import { payload, w1 } from './w1.js';

/** W1 with 50 steps: per-step cost is (its end-to-end p50 − W1's) / 47, free of the ms-resolution of atMs. */
export const LONG_STEPS = 50;
export const wLong = workflow('w-long', async (ctx) => {
  let v = payload;
  for (let i = 0; i < LONG_STEPS; i++) v = (await ctx.step(`s${i}`, () => ({ v }))).v;
  return v;
});

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

/** What every phase runs against: the brokers, a namespace with its client, and the executors' shape. */
export interface Setup {
  readonly brokers: string[];
  readonly ns: string;
  readonly brokerPid: number | undefined;
  readonly client: Client;
  readonly partitions: number;
  /** Executor limits over the defaults. */
  readonly limits: LimitOptions;
  /** Ticks the measured executors have written so far, for ticks a workflow (D40); absent: not counted. */
  readonly ticks?: () => number;
  /** Shared append requests the measured executors have sent so far (D41); absent: not counted. */
  readonly appendRequests?: () => number | undefined;
}

/** Ticks `executors` have written so far: their partition owners' counters. */
export function ticksOf(executors: readonly Executor[]): number {
  let ticks = 0;
  for (const e of executors) for (const s of e.partitionStats().values()) ticks += s.ticks;
  return ticks;
}

/** Append requests the executors' shared channels have sent so far (D41); undefined when none shares. */
export function appendRequestsOf(executors: readonly Executor[]): number | undefined {
  const stats = executors.flatMap((e) => e.appendStats() ?? []);
  return stats.length === 0 ? undefined : stats.reduce((n, s) => n + s.requests, 0);
}

/** The counters of `setup` a phase reads before and after itself (D40, D41). */
function counters(setup: Setup): { ticks?: number; appendRequests?: number } {
  const ticks = setup.ticks?.();
  const appendRequests = setup.appendRequests?.();
  return {
    ...(ticks === undefined ? {} : { ticks }),
    ...(appendRequests === undefined ? {} : { appendRequests }),
  };
}

/** Ticks and shared append requests a workflow since `before`, those the setup counts. */
function countersPer(setup: Setup, before: ReturnType<typeof counters>, runs: number) {
  const after = counters(setup);
  const per = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : round((a - b) / runs);
  const ticksPerWorkflow = per(after.ticks, before.ticks);
  const appendRequestsPerWorkflow = per(after.appendRequests, before.appendRequests);
  return {
    ...(ticksPerWorkflow === undefined ? {} : { ticksPerWorkflow }),
    ...(appendRequestsPerWorkflow === undefined ? {} : { appendRequestsPerWorkflow }),
  };
}

/** An executor of `setup`'s namespace, owning up to all its partitions, with W1 and the long workflow. */
export function newExecutor(setup: Setup, stateDir: string): Executor {
  return new Executor({
    brokers: setup.brokers,
    namespace: setup.ns,
    workflows: [w1, wLong],
    stateDir,
    partitions: setup.partitions,
    logger: { log: () => undefined },
    limits: setup.limits,
  });
}

/**
 * Waits until `executors` together run all `partitions`, each of them some (while there are enough to go
 * round): right after executors join, the first one still runs every partition until the rebalance
 * reaches it, and a run measured then measured the handover.
 */
export async function allRunning(executors: readonly Executor[], partitions: number): Promise<void> {
  const running = (e: Executor): number =>
    [...e.partitionStats().values()].filter((s) => s.phase === 'running').length;
  const settled = (): boolean => {
    const each = executors.map(running);
    const total = each.reduce((n, r) => n + r, 0);
    return total === partitions && (executors.length > partitions || each.every((r) => r > 0));
  };
  const deadline = Date.now() + 120_000;
  while (!settled()) {
    if (Date.now() > deadline)
      throw new Error(`executors did not settle on ${partitions} partitions in 120 s`);
    await sleep(50);
  }
}

/** `runs` workflows, `inFlight` at a time: seconds, workflows/s and CPU per workflow. */
export async function throughput(setup: Setup, prefix: string, runs: number, inFlight: number) {
  const meter = cpuMeter(setup.brokerPid);
  const before = counters(setup);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < runs) {
      const id = `${prefix}-${next++}`;
      await (await setup.client.start(w1, { id })).result({ timeout: '300s' });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, () => lane()));
  const spent = meter();
  return {
    workflows: runs,
    inFlight,
    seconds: round(spent.wallMs / 1000),
    workflowsPerSec: round(runs / (spent.wallMs / 1000)),
    cpuMsPerWorkflow: cpuPer(spent, runs),
    ...countersPer(setup, before, runs),
    spent,
  };
}

/** `runs` workflows started and awaited one at a time: latencies and CPU per workflow. */
export async function sequential(setup: Setup, prefix: string, runs: number) {
  const meter = cpuMeter(setup.brokerPid);
  const before = counters(setup);
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await (await setup.client.start(w1, { id: `${prefix}-${i}` })).result({ timeout: '30s' });
    latencies.push(performance.now() - t);
  }
  const spent = meter();
  return { latencies, cpuMsPerWorkflow: cpuPer(spent, runs), ...countersPer(setup, before, runs), spent };
}

/** Median end-to-end ms of `runs` long workflows, one at a time. */
export async function longSequential(setup: Setup, prefix: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await (await setup.client.start(wLong, { id: `${prefix}-${i}` })).result({ timeout: '60s' });
    times.push(performance.now() - t);
  }
  return quantile(times, 0.5);
}
