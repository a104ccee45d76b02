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
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { benchBroker, FLUSH_EVERY_WRITE } from '../broker.js';
import { count } from '../env.js';
import { percentiles, quantile, round } from '../stats.js';
import { deleteTopicsOf } from '../topics.js';
import type { DriverMessage, DriverRequest } from './driver.js';
import { type PeerSystem, peersDir } from './sdks.js';
import { type PeerServer, startPostgres, startRestate, treeCpuMs } from './servers.js';
import { type RoundFigures, summarize } from './summary.js';

const ROUNDS = count('PEERS_ROUNDS', 3);
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
const SYSTEMS = (process.env.PEERS_SYSTEMS ?? 'logbook,restate,dbos').split(',') as PeerSystem[];

const progress = (line: string): void => void process.stderr.write(`[peers] ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One system under test: its driver process and its server. */
interface Peer {
  readonly system: PeerSystem;
  readonly driver: ChildProcess;
  readonly server: PeerServer;
}

/** The driver's next message; rejects if it exits first. */
function answer(driver: ChildProcess): Promise<DriverMessage> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null): void => {
      driver.off('message', received);
      reject(new Error(`driver exited (${code})`));
    };
    const received = (m: unknown): void => {
      driver.off('exit', exited);
      resolve(m as DriverMessage);
    };
    driver.once('message', received);
    driver.once('exit', exited);
  });
}

/** Asks a driver to close its system and waits for it to exit; one that already exited is left. */
async function closeDriver(driver: ChildProcess): Promise<void> {
  if (driver.exitCode !== null || !driver.connected) return;
  const exited = new Promise((resolve) => driver.once('exit', resolve));
  driver.send('close');
  await exited;
}

async function startDriver(system: PeerSystem, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const driver = fork(join(import.meta.dirname, 'driver.js'), [system], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 2, 2, 'ipc'], // the SDKs log to stdout, which is this run's JSON
  });
  const first = await answer(driver);
  if (first.kind !== 'ready')
    throw new Error(`${system}: ${first.kind === 'failed' ? first.error : first.kind}`);
  return driver;
}

/** Runs `request` on `peer`, reading its driver's and server's CPU around it. */
async function measure(peer: Peer, request: DriverRequest) {
  const pids = [peer.driver.pid ?? 0, peer.server.pid];
  const cpu0 = pids.map(treeCpuMs);
  peer.driver.send(request);
  const done = await answer(peer.driver);
  const cpu1 = pids.map(treeCpuMs);
  if (done.kind !== 'done')
    throw new Error(`${peer.system}: ${done.kind === 'failed' ? done.error : done.kind}`);
  const per = (i: number): number => round(((cpu1[i] ?? 0) - (cpu0[i] ?? 0)) / request.n);
  const cpuMsPerWorkflow = { client: per(0), server: per(1), total: round(per(0) + per(1)) };
  return { latencies: done.latencies, wallMs: done.wallMs, cpuMsPerWorkflow };
}

/** One round of one system: W1 one at a time, then IN_FLIGHT at a time. */
async function roundOf(peer: Peer, r: number) {
  const seq = await measure(peer, {
    prefix: `seq-${r}-${randomBytes(3).toString('hex')}`,
    n: LATENCY_RUNS,
    inFlight: 1,
  });
  const tpRequest = {
    prefix: `tp-${r}-${randomBytes(3).toString('hex')}`,
    n: THROUGHPUT_RUNS,
    inFlight: IN_FLIGHT,
  };
  const tp = await measure(peer, tpRequest);
  return {
    w1: percentiles(seq.latencies),
    cpuMsPerSequentialWorkflow: seq.cpuMsPerWorkflow,
    workflowsPerSec: round(THROUGHPUT_RUNS / (tp.wallMs / 1000)),
    cpuMsPerWorkflowAtThroughput: tp.cpuMsPerWorkflow,
  };
}

/** CPU per second of `peer` doing nothing, over IDLE_SECONDS. */
async function idleOf(peer: Peer) {
  const pids = [peer.driver.pid ?? 0, peer.server.pid];
  const cpu0 = pids.map(treeCpuMs);
  await sleep(IDLE_SECONDS * 1000);
  const cpu1 = pids.map(treeCpuMs);
  const per = (i: number): number => round(((cpu1[i] ?? 0) - (cpu0[i] ?? 0)) / IDLE_SECONDS);
  return { client: per(0), server: per(1), total: round(per(0) + per(1)) };
}

async function startPeers(peers: Peer[], cleanups: (() => Promise<void>)[]): Promise<void> {
  const dir = peersDir();
  for (const system of SYSTEMS) {
    if (system === 'logbook') {
      const { broker, brokers, brokerPid } = await benchBroker();
      const ns = `peers-${randomBytes(3).toString('hex')}`;
      if (broker !== undefined) cleanups.push(() => broker.stop());
      else cleanups.push(() => deleteTopicsOf(brokers, ns));
      const server = { pid: brokerPid ?? 0, stop: async () => undefined };
      const driver = await startDriver(system, { PEERS_KAFKA: brokers.join(','), PEERS_NAMESPACE: ns });
      peers.push({ system, driver, server });
    } else if (system === 'restate') {
      const { server, admin, ingress } = await startRestate(dir);
      cleanups.push(() => server.stop());
      const env = {
        RESTATE_LOGGING: 'WARN', // the SDK logs every invocation's start and end at INFO
        PEERS_DIR: dir,
        PEERS_RESTATE_ADMIN: admin,
        PEERS_RESTATE_INGRESS: ingress,
        PEERS_RESTATE_ENDPOINT_PORT: '9080',
      };
      peers.push({ system, driver: await startDriver(system, env), server });
    } else {
      const { server, url } = await startPostgres();
      cleanups.push(() => server.stop());
      peers.push({
        system,
        driver: await startDriver(system, { PEERS_DIR: dir, PEERS_POSTGRES_URL: url }),
        server,
      });
    }
    progress(`${system} started`);
  }
}

/** Warms `peer` at IN_FLIGHT, then with 1,000 workflows one at a time, printing what each gave. */
async function warmUp(peer: Peer): Promise<void> {
  const n = peer.system === 'logbook' ? KAFKA_WARMUP_RUNS : WARMUP_RUNS;
  if (n === 0) return;
  const id = (): string => `warm-${randomBytes(3).toString('hex')}`;
  const wide = await measure(peer, { prefix: id(), n, inFlight: IN_FLIGHT });
  const seq = await measure(peer, { prefix: id(), n: 1_000, inFlight: 1 });
  progress(
    `${peer.system} warm-up: ${n} at ${IN_FLIGHT} in flight, ${round(n / (wide.wallMs / 1000))} wf/s, ` +
      `then 1,000 one at a time, p50 ${round(quantile(seq.latencies, 0.5))} ms`,
  );
}

async function main(): Promise<void> {
  const peers: Peer[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  try {
    await startPeers(peers, cleanups);
    for (const peer of peers) await warmUp(peer);
    const rounds = new Map<PeerSystem, RoundFigures[]>(peers.map((p) => [p.system, []]));
    for (let r = 0; r < ROUNDS; r++)
      for (let i = 0; i < peers.length; i++) {
        const peer = peers[(i + r) % peers.length] as Peer; // the order rotates every round
        const figures = await roundOf(peer, r);
        rounds.get(peer.system)?.push(figures);
        progress(`round ${r + 1} ${peer.system}: ${JSON.stringify(figures)}`);
      }
    const idle: Record<string, unknown> = {};
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
    for (const peer of peers) await closeDriver(peer.driver);
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((e: unknown) => progress(`cleanup: ${String(e)}`));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
