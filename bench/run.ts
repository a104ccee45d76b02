/**
 * `npm run bench`: Logbook's benchmark, printed as one JSON object. All figures come from one run
 * against one local broker, beside the raw-Kafka floor measured in the same run (this machine is noisy;
 * compare ratios, not absolutes).
 *
 * W1 is a 3-step workflow of no-op steps with ~100-byte results.
 *   latency:    300 workflows started and awaited one at a time (end to end, client → result)
 *   throughput: 2,000 workflows, 100 in flight
 * Per-step overhead is read from the journal: the time between consecutive StepCompleted records of one
 * workflow (no-op steps, so it is the engine's cost of one durable step, commit included), and set against
 * the floor's raw KafkaJS transactional produce + offset commit round trip (`perStepOverRawTxnCommit`).
 *
 * Env: LOGBOOK_BROKERS (else a local broker is started), BENCH_PARTITIONS (default 6),
 * BENCH_LATENCY_RUNS (300), BENCH_THROUGHPUT_RUNS (2000), BENCH_IN_FLIGHT (100).
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/client/index.js';
import { type LocalBroker, startLocalBroker } from '../src/dev/index.js';
import { Executor } from '../src/executor/index.js';
import type { JournalRecord } from '../src/journal/index.js';
import { createKafka, parseBrokers, scanJournal } from '../src/kafka/index.js';
import { workflow } from '../src/workflow/index.js';
import { measureFloor } from './floor.js';
import { percentiles, quantile, round } from './stats.js';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PARTITIONS = env('BENCH_PARTITIONS', 6);
const LATENCY_RUNS = env('BENCH_LATENCY_RUNS', 300);
const THROUGHPUT_RUNS = env('BENCH_THROUGHPUT_RUNS', 2_000);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 100);
const payload = 'x'.repeat(90);

const w1 = workflow('w1', async (ctx) => {
  const a = await ctx.step('one', () => ({ v: payload }));
  const b = await ctx.step('two', () => ({ v: a.v }));
  return ctx.step('three', () => ({ v: b.v }));
});

async function main(): Promise<void> {
  let broker: LocalBroker | undefined;
  if (process.env.LOGBOOK_BROKERS === undefined) broker = await startLocalBroker({ heapMaxMb: 1024 });
  const brokers = broker === undefined ? parseBrokers(process.env.LOGBOOK_BROKERS ?? '') : [broker.bootstrap];
  const ns = `bench-${randomBytes(3).toString('hex')}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'logbook-bench-'));
  const kafka = createKafka({ brokers, clientId: 'logbook-bench' });
  const executor = new Executor({
    brokers,
    namespace: ns,
    workflows: [w1],
    stateDir,
    partitions: PARTITIONS,
    logger: { log: () => undefined },
  });
  const client = new Client({ brokers, namespace: ns });
  try {
    const floor = await measureFloor(kafka, ns, LATENCY_RUNS);
    await executor.start();
    while ([...executor.partitionStats().values()].filter((s) => s.phase === 'running').length < PARTITIONS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (let i = 0; i < 20; i++)
      await (await client.start(w1, { id: `warm-${i}` })).result({ timeout: '30s' });

    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      const t = performance.now();
      await (await client.start(w1, { id: `lat-${i}` })).result({ timeout: '30s' });
      latencies.push(performance.now() - t);
    }
    const journal = new Map<string, JournalRecord[]>();
    for (const r of await scanJournal(kafka, `${ns}.journal`, ns, 120_000)) {
      journal.set(r.workflowId, [...(journal.get(r.workflowId) ?? []), r]);
    }
    const stepGaps: number[] = [];
    const startToEnd: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      const records = journal.get(`lat-${i}`) ?? [];
      const steps = records.filter((r) => r.body.kind === 'StepCompleted').map((r) => r.atMs);
      for (let s = 1; s < steps.length; s++) stepGaps.push((steps[s] ?? 0) - (steps[s - 1] ?? 0));
      const first = records[0]?.atMs;
      const last = records.at(-1)?.atMs;
      if (first !== undefined && last !== undefined) startToEnd.push(last - first);
    }

    const t0 = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < THROUGHPUT_RUNS) {
        const id = `tp-${next++}`;
        await (await client.start(w1, { id })).result({ timeout: '120s' });
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => lane()));
    const seconds = (performance.now() - t0) / 1000;

    const stepP50 = quantile(stepGaps, 0.5);
    const report = {
      machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      kafka: broker?.distribution.version ?? 'external',
      partitions: PARTITIONS,
      floor,
      w1Latency: {
        endToEndMs: percentiles(latencies),
        journalStartToCompletedMs: percentiles(startToEnd),
        perStepMs: percentiles(stepGaps),
        perStepOverRawTxnCommit: round(stepP50 / floor.rawTxnWithOffsetsMs.p50),
      },
      w1Throughput: {
        workflows: THROUGHPUT_RUNS,
        inFlight: IN_FLIGHT,
        seconds: round(seconds),
        workflowsPerSec: round(THROUGHPUT_RUNS / seconds),
        stepsPerSec: round((THROUGHPUT_RUNS * 3) / seconds),
      },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await client.close();
    await executor.stop();
    await broker?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
