/**
 * `npm run -s bench:ab`: two sets of executor limits, A and B, side by side in one process against one
 * broker, interleaved round by round (A B, then B A, ...), so the host's drift falls on both alike. On this
 * noisy machine separate runs of `npm run -s bench` disagree by more than a 5 % change; interleaved rounds
 * of one run do not. Each round of a variant starts an executor with its limits (its own state dir, kept
 * across its rounds), runs W1 one at a time and then IN_FLIGHT at a time, and stops it. Prints JSON: every
 * round, the medians of each variant, B ÷ A of those, and the median of each round's own B ÷ A.
 *
 * Env: BENCH_AB_A and BENCH_AB_B (executor limits as JSON; `{}` is the defaults), BENCH_AB_ROUNDS (4 per
 * variant), BENCH_LATENCY_RUNS (600), BENCH_THROUGHPUT_RUNS (2000), BENCH_IN_FLIGHT (100), BENCH_PARTITIONS
 * (6), BENCH_WARMUP_RUNS (5000), BENCH_WARMUP_MAX_CHUNKS (8), BENCH_FLUSH_EVERY_WRITE, LOGBOOK_BROKERS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/client/index.js';
import type { LimitOptions } from '../src/executor/index.js';
import { createKafka } from '../src/kafka/index.js';
import { benchBroker, FLUSH_EVERY_WRITE } from './broker.js';
import { count } from './env.js';
import { percentiles, quantile, round } from './stats.js';
import { deleteTopicsOf } from './topics.js';
import { allRunning, newExecutor, progress, type Setup, sequential, throughput } from './w1-runs.js';
import { warmBroker } from './warm-up.js';

const VARIANTS = {
  A: JSON.parse(process.env.BENCH_AB_A ?? '{}') as LimitOptions,
  B: JSON.parse(process.env.BENCH_AB_B ?? '{}') as LimitOptions,
};
type Variant = keyof typeof VARIANTS;
const ROUNDS = count('BENCH_AB_ROUNDS', 4);
const LATENCY_RUNS = count('BENCH_LATENCY_RUNS', 600);
const THROUGHPUT_RUNS = count('BENCH_THROUGHPUT_RUNS', 2_000);
const IN_FLIGHT = count('BENCH_IN_FLIGHT', 100);
const PARTITIONS = count('BENCH_PARTITIONS', 6);
const WARMUP_RUNS = count('BENCH_WARMUP_RUNS', 5_000);
const WARMUP_MAX_CHUNKS = count('BENCH_WARMUP_MAX_CHUNKS', 8);

interface Figures {
  readonly variant: Variant;
  readonly round: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly seqCpuMs: Record<string, number | undefined>;
  readonly workflowsPerSec: number;
  readonly loadCpuMs: Record<string, number | undefined>;
}

/** One round of `variant`: its executor started, W1 one at a time and in flight, the executor stopped. */
async function measure(setup: Setup, variant: Variant, r: number, stateDir: string): Promise<Figures> {
  const executor = newExecutor({ ...setup, limits: VARIANTS[variant] }, stateDir);
  await executor.start();
  try {
    await allRunning([executor], setup.partitions);
    await sequential(setup, `${variant}${r}-settle`, 50); // the claim's catch-up and first ticks, unmeasured
    const seq = await sequential(setup, `${variant}${r}-seq`, LATENCY_RUNS);
    const tp = await throughput(setup, `${variant}${r}-tp`, THROUGHPUT_RUNS, IN_FLIGHT);
    const e2e = percentiles(seq.latencies);
    const figures = {
      variant,
      round: r,
      p50Ms: e2e.p50,
      p99Ms: e2e.p99,
      seqCpuMs: seq.cpuMsPerWorkflow,
      workflowsPerSec: tp.workflowsPerSec,
      loadCpuMs: tp.cpuMsPerWorkflow,
    };
    progress(`${variant} round ${r}: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await executor.stop();
  }
}

const median = (values: readonly number[]): number => round(quantile(values, 0.5));

/** Each variant's medians over its rounds, and B ÷ A. */
function summarize(rounds: readonly Figures[]) {
  const of = (v: Variant) => {
    const mine = rounds.filter((f) => f.variant === v);
    return {
      p50Ms: median(mine.map((f) => f.p50Ms)),
      p99Ms: median(mine.map((f) => f.p99Ms)),
      seqCpuMs: median(mine.map((f) => f.seqCpuMs.total ?? f.seqCpuMs.node ?? Number.NaN)),
      seqNodeCpuMs: median(mine.map((f) => f.seqCpuMs.node ?? Number.NaN)),
      workflowsPerSec: median(mine.map((f) => f.workflowsPerSec)),
      loadCpuMs: median(mine.map((f) => f.loadCpuMs.total ?? f.loadCpuMs.node ?? Number.NaN)),
    };
  };
  const a = of('A');
  const b = of('B');
  const ratio = Object.fromEntries(
    Object.entries(a).map(([k, v]) => [k, round(b[k as keyof typeof b] / v)]),
  ) as Record<keyof typeof a, number>;
  return { A: a, B: b, bOverA: ratio, bOverAByRound: pairedRatios(rounds) };
}

/** The median over rounds of each round's B ÷ A: the two ran minutes apart, so drift cancels best here. */
function pairedRatios(rounds: readonly Figures[]) {
  const pairs = [...new Set(rounds.map((f) => f.round))].flatMap((r) => {
    const a = rounds.find((f) => f.round === r && f.variant === 'A');
    const b = rounds.find((f) => f.round === r && f.variant === 'B');
    return a === undefined || b === undefined ? [] : [[a, b] as const];
  });
  const seqCpu = (f: Figures) => f.seqCpuMs.total ?? f.seqCpuMs.node ?? Number.NaN;
  const loadCpu = (f: Figures) => f.loadCpuMs.total ?? f.loadCpuMs.node ?? Number.NaN;
  const by = (figure: (f: Figures) => number) => median(pairs.map(([a, b]) => figure(b) / figure(a)));
  return {
    p50Ms: by((f) => f.p50Ms),
    p99Ms: by((f) => f.p99Ms),
    seqCpuMs: by(seqCpu),
    seqNodeCpuMs: by((f) => f.seqCpuMs.node ?? Number.NaN),
    workflowsPerSec: by((f) => f.workflowsPerSec),
    loadCpuMs: by(loadCpu),
  };
}

async function main(): Promise<void> {
  const { broker, brokers, brokerPid } = await benchBroker();
  const ns = `bench-${randomBytes(3).toString('hex')}`;
  const newDir = (): string => mkdtempSync(join(tmpdir(), 'logbook-bench-'));
  const dirs = { A: newDir(), B: newDir(), warming: newDir() };
  const client = new Client({ brokers, namespace: ns });
  const setup: Setup = { brokers, ns, brokerPid, client, partitions: PARTITIONS, limits: VARIANTS.A };
  const rounds: Figures[] = [];
  try {
    const warming = newExecutor(setup, dirs.warming);
    await warming.start();
    await allRunning([warming], PARTITIONS);
    const kafka = createKafka({ brokers, clientId: 'logbook-bench' });
    const options = { throughputChunk: WARMUP_RUNS, inFlight: IN_FLIGHT, maxChunks: WARMUP_MAX_CHUNKS };
    await warmBroker(setup, kafka, { ...options, floorRuns: 200 });
    await warming.stop();
    for (let r = 1; r <= ROUNDS; r++) {
      const order: Variant[] = r % 2 === 1 ? ['A', 'B'] : ['B', 'A'];
      for (const v of order) rounds.push(await measure(setup, v, r, dirs[v]));
    }
    const report = {
      flushEveryWrite: FLUSH_EVERY_WRITE,
      variants: VARIANTS,
      rounds,
      summary: summarize(rounds),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await client.close();
    if (broker === undefined) await deleteTopicsOf(brokers, ns);
    await broker?.stop();
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
