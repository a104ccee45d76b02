/**
 * `npm run bench`: Logbook's benchmark, printed as one JSON object on stdout (progress and per-round
 * figures on stderr as they come). All figures come from one run against one local broker, beside the
 * raw-Kafka floor measured in the same round (this machine is noisy; compare ratios, not absolutes).
 *
 * W1 is a 3-step workflow of no-op steps with ~100-byte results.
 *   idle:       at the end, with the benchmark's executors stopped: the (warm) broker alone; an executor
 *               owning every partition of a namespace where no workflow ever ran, beside it (the issue's
 *               figure); then a connected client too: CPU ms per second of each.
 *   warm-up:    BENCH_WARMUP_RUNS workflows, 100 in flight, then BENCH_LATENCY_RUNS one at a time, before any
 *               figure (the broker's JIT compiles both paths; a fresh broker's CPU per workflow halves).
 *   rounds:     BENCH_ROUNDS times: the floor; BENCH_LATENCY_RUNS workflows started and awaited one at a
 *               time (end to end, client → result, and CPU per workflow of node and broker together);
 *               BENCH_THROUGHPUT_RUNS workflows with BENCH_IN_FLIGHT in flight (workflows/s, CPU each).
 *   wide:       the throughput run again with BENCH_WIDE_IN_FLIGHT in flight, then with two more
 *               executors in the same group (1 vs 3 executors; all in this one process).
 * Per-step cost: BENCH_LONG_RUNS workflows of 50 no-op steps, one at a time; (their end-to-end p50 − W1's)
 * / 47 is the engine's cost of one durable step, commit included, set against the idempotent-produce floor
 * of the same round. (The journal's gaps between StepCompleted records are printed too, in whole ms.) `summary` holds the medians of the rounds after the
 * first, beside the issue's targets.
 *
 * Env: LOGBOOK_BROKERS (else a local broker is started; then BENCH_BROKER_PID gives its PID for the
 * broker's CPU), BENCH_FLUSH_EVERY_WRITE=1 (a started broker flushes every write:
 * `log.flush.interval.messages=1`), BENCH_PARTITIONS (6), BENCH_ROUNDS (3), BENCH_LATENCY_RUNS (300),
 * BENCH_THROUGHPUT_RUNS (2000), BENCH_IN_FLIGHT (100), BENCH_WIDE_IN_FLIGHT (1000; 0 skips the wide
 * runs), BENCH_WARMUP_RUNS (5000), BENCH_IDLE_SECONDS (25; read in whole 5 s windows, the median
 * one counts), BENCH_IDLE_SETTLE_MS (15000), BENCH_LONG_RUNS (20), BENCH_LIMITS (executor
 * limits as JSON, e.g. `{"singleProduceTicks":false}` for the transactional path), BENCH_BROKER_JFR (a file:
 * the started broker records a JDK Flight Recording there, for docs/decisions.md "Where the time goes").
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/client/index.js';
import { type LocalBroker, startLocalBroker } from '../src/dev/index.js';
import { Executor, type LimitOptions } from '../src/executor/index.js';
import type { JournalRecord } from '../src/journal/index.js';
import { createKafka, parseBrokers, scanJournal } from '../src/kafka/index.js';
import { workflow } from '../src/workflow/index.js';
import { cpuMeter, cpuPer } from './cpu.js';
import { type Floor, measureFloor } from './floor.js';
import { percentiles, quantile, quantileBy, round } from './stats.js';
import { deleteTopicsOf } from './topics.js';
import { payload, w1 } from './w1.js';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PARTITIONS = env('BENCH_PARTITIONS', 6);
const ROUNDS = env('BENCH_ROUNDS', 3);
const LATENCY_RUNS = env('BENCH_LATENCY_RUNS', 300);
const THROUGHPUT_RUNS = env('BENCH_THROUGHPUT_RUNS', 2_000);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 100);
const WIDE_IN_FLIGHT = env('BENCH_WIDE_IN_FLIGHT', 1_000);
const WARMUP_RUNS = env('BENCH_WARMUP_RUNS', 5_000);
const IDLE_SECONDS = env('BENCH_IDLE_SECONDS', 25);
/** Idle CPU is read in windows this long; the median window is the figure (idleCpu). */
const IDLE_WINDOW_SECONDS = 5;
const LONG_RUNS = env('BENCH_LONG_RUNS', 20);
const IDLE_SETTLE_MS = env('BENCH_IDLE_SETTLE_MS', 15_000);
const FLUSH_EVERY_WRITE = process.env.BENCH_FLUSH_EVERY_WRITE === '1';
/** Executor limits over the defaults, as JSON (experiments: `{"singleProduceTicks":false}`, say). */
const LIMITS = JSON.parse(process.env.BENCH_LIMITS ?? '{}') as LimitOptions;

/** W1 with 50 steps: per-step cost is (its end-to-end p50 − W1's) / 47, free of the ms-resolution of atMs. */
const LONG_STEPS = 50;
const wLong = workflow('w-long', async (ctx) => {
  let v = payload;
  for (let i = 0; i < LONG_STEPS; i++) v = (await ctx.step(`s${i}`, () => ({ v }))).v;
  return v;
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const progress = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

interface Setup {
  readonly brokers: string[];
  readonly ns: string;
  readonly brokerPid: number | undefined;
  readonly client: Client;
}

function newExecutor(setup: Setup, stateDir: string): Executor {
  return new Executor({
    brokers: setup.brokers,
    namespace: setup.ns,
    workflows: [w1, wLong],
    stateDir,
    partitions: PARTITIONS,
    logger: { log: () => undefined },
    limits: LIMITS,
  });
}

async function allRunning(executors: readonly Executor[]): Promise<void> {
  const running = (): number =>
    executors.reduce(
      (n, e) => n + [...e.partitionStats().values()].filter((s) => s.phase === 'running').length,
      0,
    );
  while (running() < PARTITIONS) await sleep(50);
}

/** `runs` workflows, `inFlight` at a time: seconds, workflows/s and CPU per workflow. */
async function throughput(setup: Setup, prefix: string, runs: number, inFlight: number) {
  const meter = cpuMeter(setup.brokerPid);
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
  };
}

/** `runs` workflows started and awaited one at a time: latencies and CPU per workflow. */
async function sequential(setup: Setup, prefix: string, runs: number) {
  const meter = cpuMeter(setup.brokerPid);
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await (await setup.client.start(w1, { id: `${prefix}-${i}` })).result({ timeout: '30s' });
    latencies.push(performance.now() - t);
  }
  return { latencies, cpuMsPerWorkflow: cpuPer(meter(), runs) };
}

/** Median end-to-end ms of `runs` long workflows, one at a time. */
async function longSequential(setup: Setup, prefix: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await (await setup.client.start(wLong, { id: `${prefix}-${i}` })).result({ timeout: '60s' });
    times.push(performance.now() - t);
  }
  return quantile(times, 0.5);
}

/**
 * Idle CPU of a warm broker with an executor owning every partition of a namespace of its own (the
 * issue's figure), then with a connected client beside it: no workflow ever ran there, so no cleanup of
 * finished ones (their history is purged in bounded rounds after a burst) is counted as idle.
 */
async function idleExecutor(setup: Setup, dir: string) {
  const idle = {
    ...setup,
    ns: `${setup.ns}-idle`,
    client: new Client({ brokers: setup.brokers, namespace: `${setup.ns}-idle` }),
  };
  const executor = newExecutor(idle, dir);
  const settle = async (): Promise<void> => {
    await sleep(IDLE_SETTLE_MS);
    collectGarbage(); // the earlier phases' garbage is not the idle executor's cost
  };
  try {
    await executor.start();
    await allRunning([executor]);
    await settle();
    const executorAndBroker = await idleCpu(
      idle,
      `an executor owning ${PARTITIONS} partitions, no workflows`,
    );
    await idle.client.describe('nobody', { timeout: '30s' }).catch(() => undefined); // connects the client
    await settle();
    const withClient = await idleCpu(idle, 'the same and a connected client');
    return { executorAndBroker, withClient };
  } finally {
    await idle.client.close();
    await executor.stop();
  }
}

/** A full GC now, when Node runs with --expose-gc (npm run bench does). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * CPU per second of doing nothing (`what`), over IDLE_SECONDS in whole windows of IDLE_WINDOW_SECONDS: the
 * window with the median total is the figure (a broker's JIT compiles in bursts for minutes after a
 * load), and every window is printed so the bursts stay visible.
 */
async function idleCpu(setup: Setup, what: string) {
  const count = Math.max(1, Math.round(IDLE_SECONDS / IDLE_WINDOW_SECONDS));
  progress(`idle: ${what}, ${count} windows of ${IDLE_WINDOW_SECONDS} s`);
  const windows: ReturnType<typeof cpuPer>[] = [];
  for (let i = 0; i < count; i++) {
    const meter = cpuMeter(setup.brokerPid);
    await sleep(IDLE_WINDOW_SECONDS * 1000);
    windows.push(cpuPer(meter(), IDLE_WINDOW_SECONDS));
  }
  const figure = quantileBy(windows, 0.5, (w) => w.total ?? w.node);
  if (figure === undefined) throw new Error('idleCpu: no window was measured');
  progress(`idle: ${JSON.stringify(figure)} ms of CPU a second (windows: ${JSON.stringify(windows)})`);
  return figure;
}

/** Per-step gaps and journal start-to-completed times of the workflows `ids`, from the journal. */
function journalFigures(journal: Map<string, number[][]>, ids: readonly string[]) {
  const stepGaps: number[] = [];
  const startToEnd: number[] = [];
  for (const id of ids) {
    const [all = [], steps = []] = journal.get(id) ?? [];
    for (let s = 1; s < steps.length; s++) stepGaps.push((steps[s] ?? 0) - (steps[s - 1] ?? 0));
    const first = all[0];
    const last = all.at(-1);
    if (first !== undefined && last !== undefined) startToEnd.push(last - first);
  }
  return { stepGaps, startToEnd };
}

/** Record times by workflow id: [all records, StepCompleted records]. */
function indexJournal(records: readonly JournalRecord[]): Map<string, number[][]> {
  const journal = new Map<string, number[][]>();
  for (const r of records) {
    let entry = journal.get(r.workflowId);
    if (entry === undefined) {
      entry = [[], []];
      journal.set(r.workflowId, entry);
    }
    entry[0]?.push(r.atMs);
    if (r.body.kind === 'StepCompleted') entry[1]?.push(r.atMs);
  }
  return journal;
}

const median = (values: readonly number[]): number => round(quantile(values, 0.5));

async function main(): Promise<void> {
  let broker: LocalBroker | undefined;
  if (process.env.LOGBOOK_BROKERS === undefined) {
    const jfr = process.env.BENCH_BROKER_JFR;
    broker = await startLocalBroker({
      heapMaxMb: 1024,
      ...(jfr === undefined
        ? {}
        : { jvmOptions: [`-XX:StartFlightRecording=filename=${jfr},settings=profile,dumponexit=true`] }),
      ...(FLUSH_EVERY_WRITE ? { extraProperties: { 'log.flush.interval.messages': '1' } } : {}),
    });
  }
  const brokers = broker === undefined ? parseBrokers(process.env.LOGBOOK_BROKERS ?? '') : [broker.bootstrap];
  const pidEnv = process.env.BENCH_BROKER_PID;
  const brokerPid = broker?.pid ?? (pidEnv === undefined ? undefined : Number(pidEnv));
  const ns = `bench-${randomBytes(3).toString('hex')}`;
  const stateDirs: string[] = [];
  const stateDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'logbook-bench-'));
    stateDirs.push(dir);
    return dir;
  };
  const kafka = createKafka({ brokers, clientId: 'logbook-bench' });
  const setup: Setup = { brokers, ns, brokerPid, client: new Client({ brokers, namespace: ns }) };
  const executors = [newExecutor(setup, stateDir())];
  try {
    await executors[0]?.start();
    await allRunning(executors);
    progress(`warm-up: ${WARMUP_RUNS} workflows, 100 in flight, then ${LATENCY_RUNS} one at a time`);
    await throughput(setup, 'warm', WARMUP_RUNS, IN_FLIGHT);
    await sequential(setup, 'warm-seq', LATENCY_RUNS);

    const rounds: {
      floor: Floor;
      latencyIds: string[];
      latencies: number[];
      stepMs: number;
      seqCpu: ReturnType<typeof cpuPer>;
      tp: Awaited<ReturnType<typeof throughput>>;
    }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const floor = await measureFloor(kafka, `${ns}-r${r}`, Math.min(LATENCY_RUNS, 200));
      const seq = await sequential(setup, `lat-${r}`, LATENCY_RUNS);
      const longP50 = await longSequential(setup, `long-${r}`, LONG_RUNS);
      const stepMs = (longP50 - quantile(seq.latencies, 0.5)) / (LONG_STEPS - 3);
      const tp = await throughput(setup, `tp-${r}`, THROUGHPUT_RUNS, IN_FLIGHT);
      const latencyIds = Array.from({ length: LATENCY_RUNS }, (_, i) => `lat-${r}-${i}`);
      rounds.push({ floor, latencyIds, latencies: seq.latencies, stepMs, seqCpu: seq.cpuMsPerWorkflow, tp });
      progress(
        `round ${r + 1}: e2e ${JSON.stringify(percentiles(seq.latencies))} ms, ` +
          `step ${round(stepMs)} ms, ${tp.workflowsPerSec} wf/s, cpu/wf seq ${JSON.stringify(seq.cpuMsPerWorkflow)}, ` +
          `at load ${JSON.stringify(tp.cpuMsPerWorkflow)}, idempotent produce p50 ${floor.idempotentProduceMs.p50}`,
      );
    }

    let wide: Record<string, unknown> | undefined;
    if (WIDE_IN_FLIGHT > 0) {
      progress(`wide: ${WIDE_IN_FLIGHT} in flight, 1 executor`);
      const one = await throughput(setup, 'wide1', THROUGHPUT_RUNS * 2, WIDE_IN_FLIGHT);
      progress(`wide: 3 executors, ${IN_FLIGHT} and ${WIDE_IN_FLIGHT} in flight`);
      executors.push(newExecutor(setup, stateDir()), newExecutor(setup, stateDir()));
      await Promise.all(executors.slice(1).map((e) => e.start()));
      await allRunning(executors);
      const threeNarrow = await throughput(setup, 'three', THROUGHPUT_RUNS, IN_FLIGHT);
      const threeWide = await throughput(setup, 'wide3', THROUGHPUT_RUNS * 2, WIDE_IN_FLIGHT);
      wide = { oneExecutor: one, threeExecutors: { narrow: threeNarrow, wide: threeWide } };
    }

    progress('reading the journal');
    const journal = indexJournal(await scanJournal(kafka, `${ns}.journal`, ns, 300_000));
    const perRound = rounds.map((r) => {
      const { stepGaps, startToEnd } = journalFigures(journal, r.latencyIds);
      return {
        floor: r.floor,
        w1Latency: {
          endToEndMs: percentiles(r.latencies),
          journalStartToCompletedMs: percentiles(startToEnd),
          perStepMs: round(r.stepMs),
          perStepJournalGapMs: percentiles(stepGaps),
          perStepOverIdempotentProduce: round(r.stepMs / r.floor.idempotentProduceMs.p50),
          perStepOverRawTxnCommit: round(r.stepMs / r.floor.rawTxnWithOffsetsMs.p50),
          cpuMsPerWorkflow: r.seqCpu,
        },
        w1Throughput: r.tp,
      };
    });
    await setup.client.close();
    await Promise.all(executors.map((e) => e.stop()));
    await sleep(10_000); // the broker settles after the load (group leaves, transactions expire)
    collectGarbage();
    const brokerAlone = await idleCpu(setup, 'the broker alone');
    const withExecutor = await idleExecutor(setup, stateDir());
    const idle = {
      brokerAloneMsPerSec: brokerAlone,
      executorAndBrokerMsPerSec: withExecutor.executorAndBroker,
      executorClientAndBrokerMsPerSec: withExecutor.withClient,
    };
    const settled = perRound.length > 1 ? perRound.slice(1) : perRound;
    const pick = (f: (r: (typeof perRound)[number]) => number | undefined): number =>
      median(settled.map(f).filter((v): v is number => v !== undefined));
    const summary = {
      rounds: settled.length,
      perStepOverIdempotentProduce: { value: pick((r) => r.w1Latency.perStepOverIdempotentProduce), max: 2 },
      w1EndToEndP50Ms: { value: pick((r) => r.w1Latency.endToEndMs.p50), max: 5 },
      w1EndToEndP99Ms: { value: pick((r) => r.w1Latency.endToEndMs.p99), max: 15 },
      workflowsPerSec: { value: pick((r) => r.w1Throughput.workflowsPerSec), min: 1_500 },
      cpuMsPerSequentialWorkflow: { value: pick((r) => r.w1Latency.cpuMsPerWorkflow.total), max: 5 },
      cpuMsPerWorkflowAtThroughput: { value: pick((r) => r.w1Throughput.cpuMsPerWorkflow.total), max: 1.2 },
      idleCpuMsPerSec: { value: withExecutor.executorAndBroker.total, max: 20 },
    };
    const report = {
      machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      kafka: broker?.distribution.version ?? 'external',
      flushEveryWrite: FLUSH_EVERY_WRITE,
      limits: LIMITS,
      partitions: PARTITIONS,
      idle,
      rounds: perRound,
      ...(wide === undefined ? {} : { wide }),
      summary,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await setup.client.close();
    await Promise.all(executors.map((e) => e.stop()));
    if (broker === undefined) await deleteTopicsOf(brokers, ns); // its namespaces all start with `ns`
    await broker?.stop();
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
