/**
 * `npm run -s bench:peers`: Logbook, Restate and DBOS side by side on this machine, through one harness and
 * one workflow (W1: three no-op steps with ~100-byte results), so their figures share the host's speed of
 * the day and only ratios need carry over. Each system's client and workflow code run in a process of its
 * own (driver.ts); its CPU is that process's and its server's (the Kafka broker, the Restate server,
 * PostgreSQL and its backends), read from /proc. Every system is warmed first, then measured in rounds whose
 * order rotates, and every round is printed.
 *
 * Peers are installed outside the project (`npm run -s bench:peers:install`, PEERS_DIR); PEERS_SYSTEMS
 * chooses which run (default `logbook,restate,dbos`).
 */
import { randomBytes } from 'node:crypto';
import { freePorts } from '../../src/dev/index.js';
import { benchBroker, FLUSH_EVERY_WRITE } from '../broker.js';
import { count } from '../env.js';
import { percentiles, quantile, round } from '../stats.js';
import { deleteTopicsOf } from '../topics.js';
import { sleep } from '../w1-runs.js';
import type { DriverRequest } from './driver.js';
import { ask, type CpuPer, closeDriver, cpuMeter, type Peer, startDriver } from './peer.js';
import { PEER_SYSTEMS, type PeerSystem, peersDir } from './sdks.js';
import { startPostgres, startRestate } from './servers.js';
import { type RoundFigures, summarize } from './summary.js';

const ROUNDS = count('PEERS_ROUNDS', 5);
const LATENCY_RUNS = count('PEERS_LATENCY_RUNS', 300);
const THROUGHPUT_RUNS = count('PEERS_THROUGHPUT_RUNS', 2_000);
const IN_FLIGHT = count('PEERS_IN_FLIGHT', 100);
/** Workflows each system runs at IN_FLIGHT before the rounds, native servers (Restate, PostgreSQL)... */
const WARMUP_RUNS = count('PEERS_WARMUP_RUNS', 5_000, 0);
/** ...and Logbook, whose broker JVM compiles for its first 30,000–40,000 (docs/decisions.md D33). */
const KAFKA_WARMUP_RUNS = count('PEERS_KAFKA_WARMUP_RUNS', 35_000, 0);
const IDLE_SECONDS = count('PEERS_IDLE_SECONDS', 10, 0);
/** How long every system rests after the rounds before idle CPU is read (a broker's JIT, expiring state). */
const IDLE_SETTLE_MS = count('PEERS_IDLE_SETTLE_MS', 20_000, 0);
/**
 * A pause after each system's round, so that work it defers (a compaction, a checkpoint, a purge) does not
 * run in the next system's window. Deferred work is counted in nobody's figures.
 */
const SETTLE_MS = count('PEERS_SETTLE_MS', 3_000, 0);
const SYSTEMS = systems(process.env.PEERS_SYSTEMS ?? PEER_SYSTEMS.join(','));

/** PEERS_SYSTEMS, each a known system once, or the run stops before it starts. */
function systems(list: string): PeerSystem[] {
  const names = list.split(',');
  const unknown = names.filter((n) => !(PEER_SYSTEMS as readonly string[]).includes(n));
  if (unknown.length > 0 || new Set(names).size !== names.length)
    throw new Error(`PEERS_SYSTEMS must name each of ${PEER_SYSTEMS.join(', ')} at most once, not "${list}"`);
  return names as PeerSystem[];
}

const progress = (line: string): void => void process.stderr.write(`[peers] ${line}\n`);

/** What `request` gave on `peer`: its latencies, wall time and CPU per workflow. */
interface Measured {
  readonly latencies: number[];
  readonly wallMs: number;
  readonly cpuMsPerWorkflow: CpuPer;
}

/** Runs `request` on `peer`, reading its driver's and server's CPU around it. */
async function measure(peer: Peer, request: DriverRequest): Promise<Measured> {
  const meter = cpuMeter(peer);
  const done = await ask(peer, request);
  return { latencies: done.latencies, wallMs: done.wallMs, cpuMsPerWorkflow: meter(request.n) };
}

const prefix = (what: string): string => `${what}-${randomBytes(3).toString('hex')}`;

/** One round of one system: W1 one at a time, then IN_FLIGHT at a time. */
async function roundOf(
  peer: Peer,
  r: number,
): Promise<RoundFigures & { w1: ReturnType<typeof percentiles> }> {
  const seq = await measure(peer, { prefix: prefix(`seq-${r}`), n: LATENCY_RUNS, inFlight: 1 });
  const tp = await measure(peer, { prefix: prefix(`tp-${r}`), n: THROUGHPUT_RUNS, inFlight: IN_FLIGHT });
  return {
    w1: percentiles(seq.latencies),
    cpuMsPerSequentialWorkflow: seq.cpuMsPerWorkflow,
    workflowsPerSec: round(THROUGHPUT_RUNS / (tp.wallMs / 1000)),
    cpuMsPerWorkflowAtThroughput: tp.cpuMsPerWorkflow,
  };
}

/** CPU per second of `peer` doing nothing, over IDLE_SECONDS. */
async function idleOf(peer: Peer): Promise<CpuPer> {
  const meter = cpuMeter(peer);
  await sleep(IDLE_SECONDS * 1000);
  return meter(IDLE_SECONDS);
}

type Cleanups = (() => Promise<void>)[];

/** Logbook: the bench's broker (or LOGBOOK_BROKERS with BENCH_BROKER_PID) and a namespace of its own. */
async function startLogbook(cleanups: Cleanups): Promise<Peer> {
  const { broker, brokers, brokerPid } = await benchBroker();
  const ns = prefix('peers');
  cleanups.push(broker === undefined ? () => deleteTopicsOf(brokers, ns) : () => broker.stop());
  if (brokerPid === undefined) throw new Error('bench:peers on LOGBOOK_BROKERS needs BENCH_BROKER_PID');
  const server = { pid: brokerPid, stop: async () => undefined };
  const driver = await startDriver('logbook', { PEERS_KAFKA: brokers.join(','), PEERS_NAMESPACE: ns });
  return { system: 'logbook', driver, server };
}

/** Restate: a server of its own, and the driver's endpoint on a free port. */
async function startRestatePeer(cleanups: Cleanups, dir: string): Promise<Peer> {
  const { server, admin, ingress } = await startRestate(dir);
  cleanups.push(() => server.stop());
  const [endpointPort] = await freePorts([undefined]);
  const driver = await startDriver('restate', {
    RESTATE_LOGGING: 'WARN', // the SDK logs every invocation's start and end at INFO
    PEERS_DIR: dir,
    PEERS_RESTATE_ADMIN: admin,
    PEERS_RESTATE_INGRESS: ingress,
    PEERS_RESTATE_ENDPOINT_PORT: String(endpointPort),
  });
  return { system: 'restate', driver, server };
}

/** DBOS: a PostgreSQL cluster of its own. */
async function startDbosPeer(cleanups: Cleanups, dir: string): Promise<Peer> {
  const { server, url } = await startPostgres();
  cleanups.push(() => server.stop());
  const driver = await startDriver('dbos', { PEERS_DIR: dir, PEERS_POSTGRES_URL: url });
  return { system: 'dbos', driver, server };
}

async function startPeers(peers: Peer[], cleanups: Cleanups): Promise<void> {
  const dir = peersDir();
  const starts = {
    logbook: () => startLogbook(cleanups),
    restate: () => startRestatePeer(cleanups, dir),
    dbos: () => startDbosPeer(cleanups, dir),
  };
  for (const system of SYSTEMS) {
    peers.push(await starts[system]());
    progress(`${system} started`);
  }
}

/** Warms `peer` at IN_FLIGHT, then with 1,000 workflows one at a time, printing what each gave. */
async function warmUp(peer: Peer): Promise<void> {
  const n = peer.system === 'logbook' ? KAFKA_WARMUP_RUNS : WARMUP_RUNS;
  if (n === 0) return;
  const wide = await measure(peer, { prefix: prefix('warm'), n, inFlight: IN_FLIGHT });
  const seq = await measure(peer, { prefix: prefix('warm'), n: 1_000, inFlight: 1 });
  progress(
    `${peer.system} warm-up: ${n} at ${IN_FLIGHT} in flight, ${round(n / (wide.wallMs / 1000))} wf/s, ` +
      `then 1,000 one at a time, p50 ${round(quantile(seq.latencies, 0.5))} ms`,
  );
}

/** Stops every driver, then every server (PostgreSQL outlives this process unless stopped). */
async function cleanUp(peers: readonly Peer[], cleanups: Cleanups): Promise<void> {
  for (const peer of peers) await closeDriver(peer.driver);
  for (const cleanup of cleanups.splice(0).reverse())
    await cleanup().catch((e: unknown) => progress(`cleanup: ${String(e)}`));
}

async function main(): Promise<void> {
  const peers: Peer[] = [];
  const cleanups: Cleanups = [];
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      progress(`${signal}: stopping the peers`);
      void cleanUp(peers, cleanups).finally(() => process.exit(1));
    });
  try {
    await startPeers(peers, cleanups);
    for (const peer of peers) await warmUp(peer);
    const rounds = new Map<PeerSystem, RoundFigures[]>(peers.map((p) => [p.system, []]));
    for (let r = 0; r < ROUNDS; r++)
      for (let i = 0; i < peers.length; i++) {
        const peer = peers[(i + r) % peers.length] as Peer; // the order rotates every round
        const figures = await roundOf(peer, r);
        await sleep(SETTLE_MS);
        rounds.get(peer.system)?.push(figures);
        progress(`round ${r + 1} ${peer.system}: ${JSON.stringify(figures)}`);
      }
    const idle: Partial<Record<PeerSystem, CpuPer>> = {};
    if (IDLE_SECONDS > 0) {
      await sleep(IDLE_SETTLE_MS);
      for (const peer of peers) idle[peer.system] = await idleOf(peer);
    }
    progress(`idle ms of CPU a second: ${JSON.stringify(idle)}`);
    const report = {
      flushEveryWrite: FLUSH_EVERY_WRITE,
      latencyRuns: LATENCY_RUNS,
      throughput: { runs: THROUGHPUT_RUNS, inFlight: IN_FLIGHT },
      rounds: Object.fromEntries(rounds),
      idleCpuMsPerSec: idle,
      ...summarize(rounds),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await cleanUp(peers, cleanups);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
