/**
 * `npm run bench`: Logbook's benchmark, printed as one JSON object on stdout (progress and per-round
 * figures on stderr as they come). All figures come from one run against one local broker, beside the
 * raw-Kafka floor measured in the same round (this machine is noisy; compare ratios, not absolutes).
 *
 * W1 is a 3-step workflow of no-op steps with ~100-byte results.
 *   idle:       at the end, with the benchmark's executors stopped: the (warm) broker alone; an executor
 *               owning every partition of a namespace where no workflow ever ran, beside it (the issue's
 *               figure); then a connected client too: CPU ms per second of each.
 *   warm-up:    before any figure, on the measured executor: the floor once, then each path until the
 *               broker's JIT compiler is quiet on it (under 5 % of the broker's CPU in a chunk): chunks
 *               of BENCH_WARMUP_RUNS workflows 100 in flight, then chunks of 1,000 one at a time, at most
 *               BENCH_WARMUP_MAX_CHUNKS (8) of each; every chunk is printed. A fresh broker's JIT took
 *               half its CPU for the first 10,000 workflows; each figure's CPU gives `brokerJit`, the
 *               part of the broker's that was its JIT compiler.
 *   rounds:     BENCH_ROUNDS times: the floor; BENCH_LATENCY_RUNS workflows started and awaited one at a
 *               time (end to end, client → result, and CPU per workflow of node and broker together);
 *               BENCH_THROUGHPUT_RUNS workflows with BENCH_IN_FLIGHT in flight (workflows/s, CPU each).
 *   wide:       the throughput run again with BENCH_WIDE_IN_FLIGHT in flight, then with two more
 *               executors in the same group (1 vs 3 executors; all in this one process).
 * Per-step cost: BENCH_LONG_RUNS workflows of 50 no-op steps, one at a time; (their end-to-end p50 − W1's)
 * / 47 is the engine's cost of one durable step, commit included, set against the idempotent-produce floor
 * of the same round. (The journal's gaps between StepCompleted records are printed too, in whole ms.)
 * Every W1 figure gives `ticksPerWorkflow` too: ticks the measured executors wrote, a workflow (the
 * owners' counters). Node's CPU per workflow is about a fixed cost plus a cost per tick (D40), so it says
 * how much of a figure is batching. `appendRequestsPerWorkflow` is the same for the produce requests that
 * carried the owners' single produces (D41: one request may carry several owners'). `summary` holds the
 * medians of the rounds after the first, beside the targets (summary.ts).
 *
 * Env: LOGBOOK_BROKERS (else a local broker is started; then BENCH_BROKER_PID gives its PID for the
 * broker's CPU), BENCH_FLUSH_EVERY_WRITE=1 (a started broker flushes every write:
 * `log.flush.interval.messages=1`), BENCH_PARTITIONS (6), BENCH_ROUNDS (5), BENCH_LATENCY_RUNS (300),
 * BENCH_THROUGHPUT_RUNS (2000), BENCH_IN_FLIGHT (100), BENCH_WIDE_IN_FLIGHT (1000; 0 skips the wide
 * runs), BENCH_WARMUP_RUNS (5000), BENCH_IDLE_SECONDS (25; read in whole 5 s windows, the median
 * one counts), BENCH_IDLE_SETTLE_MS (15000), BENCH_LONG_RUNS (20), BENCH_WARMUP_MAX_CHUNKS (8), BENCH_LIMITS (executor
 * limits as JSON, e.g. `{"singleProduceTicks":false}` for the transactional path), BENCH_BROKER_JFR (a file:
 * the started broker records a JDK Flight Recording there, for docs/decisions.md "Where the time goes").
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { Client } from '../src/client/index.js';
import type { Executor, LimitOptions } from '../src/executor/index.js';
import { createKafka, scanJournal } from '../src/kafka/index.js';
import { benchBroker, FLUSH_EVERY_WRITE } from './broker.js';
import { count } from './env.js';
import { measureFloor } from './floor.js';
import { collectGarbage, idleCpu, idleExecutor } from './idle.js';
import { percentiles, quantile, round } from './stats.js';
import { type Round, roundFigures, summarize } from './summary.js';
import { deleteTopicsOf } from './topics.js';
import {
  allRunning,
  appendRequestsOf,
  LONG_STEPS,
  longSequential,
  newExecutor,
  progress,
  type Setup,
  sequential,
  sleep,
  throughput,
  ticksOf,
} from './w1-runs.js';
import { warmBroker } from './warm-up.js';

const PARTITIONS = count('BENCH_PARTITIONS', 6);
const ROUNDS = count('BENCH_ROUNDS', 5);
const LATENCY_RUNS = count('BENCH_LATENCY_RUNS', 300);
const THROUGHPUT_RUNS = count('BENCH_THROUGHPUT_RUNS', 2_000);
const IN_FLIGHT = count('BENCH_IN_FLIGHT', 100);
const WIDE_IN_FLIGHT = count('BENCH_WIDE_IN_FLIGHT', 1_000, 0);
const WARMUP_RUNS = count('BENCH_WARMUP_RUNS', 5_000);
/** Each path warms in chunks, at most this many (warm-up.ts). */
const WARMUP_MAX_CHUNKS = count('BENCH_WARMUP_MAX_CHUNKS', 8);
const IDLE_SECONDS = count('BENCH_IDLE_SECONDS', 25);
const LONG_RUNS = count('BENCH_LONG_RUNS', 20);
const IDLE_SETTLE_MS = count('BENCH_IDLE_SETTLE_MS', 15_000, 0);
/** Executor limits over the defaults, as JSON (experiments: `{"singleProduceTicks":false}`, say). */
const LIMITS = JSON.parse(process.env.BENCH_LIMITS ?? '{}') as LimitOptions;
const FLOOR_RUNS = Math.min(LATENCY_RUNS, 200);

/** ROUNDS rounds: the floor, W1 one at a time, the long workflow, W1 at IN_FLIGHT. */
async function runRounds(setup: Setup, kafka: Kafka): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const floor = await measureFloor(kafka, `${setup.ns}-r${r}`, FLOOR_RUNS);
    const seq = await sequential(setup, `lat-${r}`, LATENCY_RUNS);
    const longP50 = await longSequential(setup, `long-${r}`, LONG_RUNS);
    const stepMs = (longP50 - quantile(seq.latencies, 0.5)) / (LONG_STEPS - 3);
    const tp = await throughput(setup, `tp-${r}`, THROUGHPUT_RUNS, IN_FLIGHT);
    const latencyIds = Array.from({ length: LATENCY_RUNS }, (_, i) => `lat-${r}-${i}`);
    const seqTicks = seq.ticksPerWorkflow;
    rounds.push({
      floor,
      latencyIds,
      latencies: seq.latencies,
      stepMs,
      seqCpu: seq.cpuMsPerWorkflow,
      seqTicks,
      tp,
    });
    progress(
      `round ${r + 1}: e2e ${JSON.stringify(percentiles(seq.latencies))} ms, ` +
        `step ${round(stepMs)} ms, ${tp.workflowsPerSec} wf/s, cpu/wf seq ${JSON.stringify(seq.cpuMsPerWorkflow)}, ` +
        `at load ${JSON.stringify(tp.cpuMsPerWorkflow)}, ticks/wf seq ${seqTicks} at load ${tp.ticksPerWorkflow}, ` +
        `idempotent produce p50 ${floor.idempotentProduceMs.p50}`,
    );
  }
  return rounds;
}

/** WIDE_IN_FLIGHT in flight on one executor, then two more join `executors`: 100 and WIDE_IN_FLIGHT. */
async function wideRuns(setup: Setup, executors: Executor[], stateDir: () => string) {
  if (WIDE_IN_FLIGHT === 0) return undefined;
  progress(`wide: ${WIDE_IN_FLIGHT} in flight, 1 executor`);
  const one = await throughput(setup, 'wide1', THROUGHPUT_RUNS * 2, WIDE_IN_FLIGHT);
  progress(`wide: 3 executors, ${IN_FLIGHT} and ${WIDE_IN_FLIGHT} in flight`);
  executors.push(newExecutor(setup, stateDir()), newExecutor(setup, stateDir()));
  await Promise.all(executors.slice(1).map((e) => e.start()));
  await allRunning(executors, PARTITIONS);
  const threeNarrow = await throughput(setup, 'three', THROUGHPUT_RUNS, IN_FLIGHT);
  const threeWide = await throughput(setup, 'wide3', THROUGHPUT_RUNS * 2, WIDE_IN_FLIGHT);
  return { oneExecutor: one, threeExecutors: { narrow: threeNarrow, wide: threeWide } };
}

/** Idle CPU once the benchmark's executors have stopped: the broker alone, then beside an idle executor. */
async function idleFigures(setup: Setup, executors: readonly Executor[], stateDir: () => string) {
  await setup.client.close();
  await Promise.all(executors.map((e) => e.stop()));
  await sleep(10_000); // the broker settles after the load (group leaves, transactions expire)
  collectGarbage();
  const brokerAlone = await idleCpu(setup, 'the broker alone', IDLE_SECONDS);
  const withExecutor = await idleExecutor(setup, stateDir(), {
    seconds: IDLE_SECONDS,
    settleMs: IDLE_SETTLE_MS,
  });
  return {
    brokerAloneMsPerSec: brokerAlone,
    executorAndBrokerMsPerSec: withExecutor.executorAndBroker,
    executorClientAndBrokerMsPerSec: withExecutor.withClient,
  };
}

async function main(): Promise<void> {
  const { broker, brokers, brokerPid } = await benchBroker();
  const ns = `bench-${randomBytes(3).toString('hex')}`;
  const stateDirs: string[] = [];
  const stateDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'logbook-bench-'));
    stateDirs.push(dir);
    return dir;
  };
  const kafka = createKafka({ brokers, clientId: 'logbook-bench' });
  const client = new Client({ brokers, namespace: ns });
  const executors: Executor[] = [];
  const ticks = (): number => ticksOf(executors);
  const appendRequests = (): number | undefined => appendRequestsOf(executors);
  const setup: Setup = {
    brokers,
    ns,
    brokerPid,
    client,
    partitions: PARTITIONS,
    limits: LIMITS,
    ticks,
    appendRequests,
  };
  executors.push(newExecutor(setup, stateDir()));
  try {
    await executors[0]?.start();
    await allRunning(executors, PARTITIONS);
    const warmOptions = { throughputChunk: WARMUP_RUNS, inFlight: IN_FLIGHT, maxChunks: WARMUP_MAX_CHUNKS };
    const warmUp = await warmBroker(setup, kafka, { ...warmOptions, floorRuns: FLOOR_RUNS });
    const rounds = await runRounds(setup, kafka);
    const wide = await wideRuns(setup, executors, stateDir);
    progress('reading the journal');
    const perRound = roundFigures(rounds, await scanJournal(kafka, `${ns}.journal`, ns, 300_000));
    const idle = await idleFigures(setup, executors, stateDir);
    const report = {
      machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      kafka: broker?.distribution.version ?? 'external',
      flushEveryWrite: FLUSH_EVERY_WRITE,
      limits: LIMITS,
      partitions: PARTITIONS,
      idle,
      warmUp,
      rounds: perRound,
      ...(wide === undefined ? {} : { wide }),
      summary: summarize(perRound, idle.executorAndBrokerMsPerSec.total),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await client.close();
    await Promise.all(executors.map((e) => e.stop()));
    if (broker === undefined) await deleteTopicsOf(brokers, ns); // its namespaces all start with `ns`
    await broker?.stop();
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
