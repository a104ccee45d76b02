/**
 * `npm run bench:trace`: where one sequential W1 workflow's time goes, request by request. Every Kafka
 * request of the process (client and executor) is timed at KafkaJS's Connection.send; for each of
 * BENCH_TRACE_RUNS workflows started and awaited one at a time (after BENCH_WARMUP_RUNS of warm-up) the
 * run is cut into phases, and their p50 and mean are printed as JSON with the request sequences seen, and
 * the mean of each phase over the slowest 2 % (the tail) with the request each of them waited longest for.
 *
 *   clientStart        client.start() called → the client's Produce of the start command sent
 *   clientProduce      that Produce's round trip
 *   commandDelivered   its response → the executor's command Fetch answered
 *   toFirstWrite       the Fetch answered → the owner's first journal write sent (decide, encode)
 *   executorRequests   the executor's write round trips, summed (single produces, a transaction)
 *   executorGaps       the time between them, summed (commit handling, cache, step runs, next tick)
 *   toClientEvent      the last write answered → the client's event Fetch answered (commit markers)
 *   toResult           that Fetch → result() resolved
 *
 * Env: LOGBOOK_BROKERS (else a local broker is started), BENCH_PARTITIONS (6), BENCH_WARMUP_RUNS (1000),
 * BENCH_TRACE_RUNS (1000). The timing wrapper costs some latency itself: read shares, not absolutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../src/client/index.js';
import { type LocalBroker, startLocalBroker } from '../src/dev/index.js';
import { Executor } from '../src/executor/index.js';
import { parseBrokers } from '../src/kafka/index.js';
import { type ConnectionInternals, kafkajsConnection } from '../src/kafka/kafkajs-internals.js';
import { env } from './env.js';
import { percentiles, quantile, round } from './stats.js';
import { deleteTopicsOf } from './topics.js';
import { w1 } from './w1.js';

const PARTITIONS = env('BENCH_PARTITIONS', 6);
const WARMUP_RUNS = env('BENCH_WARMUP_RUNS', 1_000);
const TRACE_RUNS = env('BENCH_TRACE_RUNS', 1_000);

interface Request {
  readonly api: string;
  readonly executor: boolean;
  readonly sentMs: number;
  readonly doneMs: number;
}

/** Times every request of every KafkaJS connection into `sink()` while it returns an array. */
function timeRequests(sink: () => Request[] | undefined): void {
  const connection = kafkajsConnection();
  const send = connection.prototype.send;
  connection.prototype.send = async function (this: ConnectionInternals, args) {
    const sentMs = performance.now();
    try {
      return await send.call(this, args);
    } finally {
      const api = args.request.apiName;
      sink()?.push({
        api,
        executor: this.clientId.startsWith('logbook-exec'),
        sentMs,
        doneMs: performance.now(),
      });
    }
  };
}

/** The executor's requests that write a tick; lookups and group commits run beside them. */
const WRITE_APIS = new Set(['Produce', 'AddPartitionsToTxn', 'EndTxn']);

/** One workflow's requests cut into the phases of the header, or undefined if one is missing. */
function phases(requests: readonly Request[], startMs: number, resultMs: number) {
  const seen = requests.filter((r) => r.executor && r.api !== 'Fetch' && r.api !== 'Heartbeat');
  seen.sort((a, b) => a.sentMs - b.sentMs);
  const writes = seen.filter((r) => WRITE_APIS.has(r.api)); // not the lookups and commits beside them
  const produce = requests.find((r) => !r.executor && r.api === 'Produce');
  const command = requests.find((r) => r.executor && r.api === 'Fetch' && r.doneMs > startMs);
  const events = requests
    .filter((r) => !r.executor && r.api === 'Fetch')
    .sort((a, b) => b.doneMs - a.doneMs)[0];
  const first = writes[0];
  const last = writes.at(-1);
  if (produce === undefined || command === undefined || events === undefined) return undefined;
  if (first === undefined || last === undefined) return undefined;
  let busy = 0;
  let longest = first;
  let gaps = 0;
  for (const [i, w] of writes.entries()) {
    busy += w.doneMs - w.sentMs;
    if (w.doneMs - w.sentMs > longest.doneMs - longest.sentMs) longest = w;
    const before = writes[i - 1];
    if (before !== undefined) gaps += Math.max(0, w.sentMs - before.doneMs);
  }
  return {
    sequence: seen.map((w) => w.api).join(','),
    longestWrite: { api: longest.api, ms: longest.doneMs - longest.sentMs },
    clientStart: produce.sentMs - startMs,
    clientProduce: produce.doneMs - produce.sentMs,
    commandDelivered: command.doneMs - produce.doneMs,
    toFirstWrite: first.sentMs - command.doneMs,
    executorRequests: busy,
    executorGaps: gaps,
    toClientEvent: events.doneMs - last.doneMs,
    toResult: resultMs - events.doneMs,
  };
}

type Phases = Exclude<ReturnType<typeof phases>, undefined>;

const mean = (values: readonly number[]): number =>
  values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** A traced workflow's phases and its end-to-end time. */
type Traced = Phases & { readonly endToEndMs: number };

/** The tail: the mean of each phase over the slowest 2 % of the traced workflows, and how many they were. */
function slowestPhases(traced: readonly Traced[]) {
  const tail = [...traced]
    .sort((a, b) => b.endToEndMs - a.endToEndMs)
    .slice(0, Math.max(1, Math.ceil(traced.length * 0.02)));
  const longestWrites = new Map<string, number[]>();
  for (const t of tail)
    longestWrites.set(t.longestWrite.api, [
      ...(longestWrites.get(t.longestWrite.api) ?? []),
      t.longestWrite.ms,
    ]);
  return {
    workflows: tail.length,
    endToEndMeanMs: round(mean(tail.map((t) => t.endToEndMs))),
    meanByPhase: Object.fromEntries(PHASES.map((name) => [name, round(mean(tail.map((t) => t[name])))])),
    longestWriteByApi: Object.fromEntries(
      [...longestWrites].map(([api, ms]) => [api, { workflows: ms.length, meanMs: round(mean(ms)) }]),
    ),
  };
}
const PHASES = [
  'clientStart',
  'clientProduce',
  'commandDelivered',
  'toFirstWrite',
  'executorRequests',
  'executorGaps',
  'toClientEvent',
  'toResult',
] as const;

async function main(): Promise<void> {
  let requests: Request[] | undefined;
  timeRequests(() => requests);
  let broker: LocalBroker | undefined;
  if (process.env.LOGBOOK_BROKERS === undefined) broker = await startLocalBroker({ heapMaxMb: 1024 });
  const brokers = broker === undefined ? parseBrokers(process.env.LOGBOOK_BROKERS ?? '') : [broker.bootstrap];
  const namespace = `trace-${Date.now().toString(36)}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'logbook-trace-'));
  const executor = new Executor({
    brokers,
    namespace,
    workflows: [w1],
    stateDir,
    partitions: PARTITIONS,
    logger: { log: () => undefined },
  });
  const client = new Client({ brokers, namespace });
  try {
    await executor.start();
    const running = () => [...executor.partitionStats().values()].filter((s) => s.phase === 'running');
    while (running().length < PARTITIONS) await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < WARMUP_RUNS; i++) await (await client.start(w1, { id: `warm-${i}` })).result();
    const traced: Traced[] = [];
    const latencies: number[] = [];
    for (let i = 0; i < TRACE_RUNS; i++) {
      requests = [];
      const startMs = performance.now();
      await (await client.start(w1, { id: `trace-${i}` })).result();
      const resultMs = performance.now();
      latencies.push(resultMs - startMs);
      const cut = phases(requests, startMs, resultMs);
      requests = undefined;
      if (cut !== undefined) traced.push({ ...cut, endToEndMs: resultMs - startMs });
    }
    const byPhase = Object.fromEntries(
      PHASES.map((name) => {
        const values = traced.map((t) => t[name]);
        return [name, { p50: round(quantile(values, 0.5)), mean: round(mean(values)) }];
      }),
    );
    const slowest = slowestPhases(traced);
    const sequences = new Map<string, number[]>();
    for (const [i, t] of traced.entries())
      sequences.set(t.sequence, [...(sequences.get(t.sequence) ?? []), i]);
    const requestSequences = [...sequences]
      .sort((a, b) => b[1].length - a[1].length)
      .slice(0, 8)
      .map(([sequence, runs]) => ({
        sequence,
        workflows: runs.length,
        endToEndP50Ms: round(
          quantile(
            runs.map((i) => traced[i]?.endToEndMs ?? Number.NaN),
            0.5,
          ),
        ),
      }));
    const out = {
      runs: TRACE_RUNS,
      traced: traced.length,
      endToEndMs: percentiles(latencies),
      byPhase,
      slowest,
      requestSequences,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    await client.close();
    await executor.stop();
    rmSync(stateDir, { recursive: true, force: true });
    if (broker === undefined) await deleteTopicsOf(brokers, namespace);
    await broker?.stop();
  }
}

await main();
