/** The benchmark's warm-up: the broker's JIT compiles each path before any figure is taken. */
import type { Kafka } from 'kafkajs';
import { type CpuSpent, type cpuPer, jitShare } from './cpu.js';
import { measureFloor } from './floor.js';
import { round } from './stats.js';
import { progress, type Setup, sequential, throughput } from './w1-runs.js';

/** A path is warm once the broker's JIT compiler used less than this share of the broker's CPU in a chunk. */
const JIT_QUIET_SHARE = 0.05;
/** Workflows in a chunk of the sequential warm-up. */
const SEQ_WARMUP_RUNS = 1_000;

export interface WarmUpOptions {
  /** Workflows in a chunk of the warm-up at throughput, and how many are in flight. */
  readonly throughputChunk: number;
  readonly inFlight: number;
  /** Chunks of each path at most. */
  readonly maxChunks: number;
  /** Raw-Kafka floor runs, once. */
  readonly floorRuns: number;
}

/** One warm-up chunk's figures, printed so warm-up is visible. */
export interface WarmChunk {
  readonly workflows: number;
  readonly cpuMsPerWorkflow: ReturnType<typeof cpuPer>;
  /** The share of the broker's CPU its JIT compiler used; undefined when it cannot be read. */
  readonly brokerJitShare: number | undefined;
}

/** One path's warm-up: its chunks, and whether the compiler went quiet before the cap. */
export interface WarmPath {
  readonly chunks: WarmChunk[];
  /** False when the last chunk still had the compiler at JIT_QUIET_SHARE or more; undefined if unread. */
  readonly quiet: boolean | undefined;
}

/**
 * Warms one path (a hundred in flight, or one at a time) in chunks of `chunkRuns` until the broker's JIT
 * compiler is quiet on it (JIT_QUIET_SHARE) or `maxChunks` have run; when the compiler's CPU cannot be
 * read (no broker PID), one chunk. Each path has code of its own: a broker warmed with 9,000 workflows a
 * hundred in flight then spent 6.5 s of its 20 compiling while 4,000 ran one at a time.
 */
async function warmUntilQuiet(
  label: string,
  chunkRuns: number,
  maxChunks: number,
  run: (
    prefix: string,
    runs: number,
  ) => Promise<{ cpuMsPerWorkflow: ReturnType<typeof cpuPer>; spent: CpuSpent }>,
): Promise<WarmPath> {
  const chunks: WarmChunk[] = [];
  let share: number | undefined;
  do {
    const { cpuMsPerWorkflow, spent } = await run(`warm-${label}-${chunks.length}`, chunkRuns);
    share = jitShare(spent);
    const shown = share === undefined ? undefined : round(share);
    chunks.push({ workflows: chunkRuns, cpuMsPerWorkflow, brokerJitShare: shown });
    progress(
      `warm-up ${label}: ${chunks.length * chunkRuns} workflows, cpu/wf ${JSON.stringify(cpuMsPerWorkflow)}, broker JIT share ${shown}`,
    );
  } while (share !== undefined && share >= JIT_QUIET_SHARE && chunks.length < maxChunks);
  const quiet = share === undefined ? undefined : share < JIT_QUIET_SHARE;
  if (quiet === false) progress(`warm-up ${label}: stopped at ${maxChunks} chunks with the JIT still busy`);
  return { chunks, quiet };
}

/**
 * Warms the broker before any figure: the raw-Kafka floor once, then each path until the broker's JIT is
 * quiet on it. It runs on the measured namespace and executors, so the rounds run on an executor that has
 * just finished tens of thousands of workflows, as a long-running one has (on a fresh one, throughput at
 * 100 in flight was up to 20 % higher in one A/B and level in another: docs/decisions.md D33).
 */
export async function warmBroker(setup: Setup, kafka: Kafka, options: WarmUpOptions) {
  await measureFloor(kafka, `${setup.ns}-warm-floor`, options.floorRuns);
  return {
    atThroughput: await warmUntilQuiet('tp', options.throughputChunk, options.maxChunks, (prefix, runs) =>
      throughput(setup, prefix, runs, options.inFlight),
    ),
    sequential: await warmUntilQuiet('seq', SEQ_WARMUP_RUNS, options.maxChunks, (prefix, runs) =>
      sequential(setup, prefix, runs),
    ),
  };
}
