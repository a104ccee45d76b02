/**
 * A system under test in the peers benchmark: its driver process (driver.ts) and its server, and the CPU
 * both use, read from /proc.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { round } from '../stats.js';
import type { DriverMessage, DriverRequest } from './driver.js';
import type { PeerSystem } from './sdks.js';
import { type PeerServer, treeCpuMs } from './servers.js';

/** Longest a driver may take to start or to answer a request before the run fails. */
const ANSWER_TIMEOUT_MS = 15 * 60_000;
/** Longest a closing driver may take to stop its system before it is killed. */
const CLOSE_TIMEOUT_MS = 30_000;

export interface Peer {
  readonly system: PeerSystem;
  readonly driver: ChildProcess;
  readonly server: PeerServer;
}

/** CPU ms per unit of a peer's driver (`client`) and server, and their sum. */
export interface CpuPer {
  readonly client: number;
  readonly server: number;
  readonly total: number;
}

/** The driver's next message; rejects if it exits first or takes longer than ANSWER_TIMEOUT_MS. */
function answer(driver: ChildProcess): Promise<DriverMessage> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      driver.off('message', received);
      driver.off('exit', exited);
    };
    const exited = (code: number | null): void => {
      done();
      reject(new Error(`driver exited (${code})`));
    };
    const received = (m: unknown): void => {
      done();
      resolve(m as DriverMessage);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`driver gave no answer within ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    driver.once('message', received);
    driver.once('exit', exited);
  });
}

const alive = (driver: ChildProcess): boolean =>
  driver.exitCode === null && driver.signalCode === null && driver.connected;

/** Forks `system`'s driver and waits until it is ready. */
export async function startDriver(system: PeerSystem, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const driver = fork(join(import.meta.dirname, 'driver.js'), [system], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 2, 2, 'ipc'], // the SDKs log to stdout, which is this run's JSON
  });
  const first = await answer(driver).catch((error: unknown) => {
    driver.kill('SIGKILL');
    throw error;
  });
  if (first.kind !== 'ready')
    throw new Error(`${system}: ${first.kind === 'failed' ? first.error : first.kind}`);
  return driver;
}

/** Sends `request` to the driver and waits for its answer. */
export async function ask(peer: Peer, request: DriverRequest): Promise<DriverMessage & { kind: 'done' }> {
  if (!alive(peer.driver)) throw new Error(`${peer.system}: its driver is gone`);
  const answered = answer(peer.driver);
  peer.driver.send(request);
  const done = await answered;
  if (done.kind !== 'done')
    throw new Error(`${peer.system}: ${done.kind === 'failed' ? done.error : done.kind}`);
  return done;
}

/** Asks a driver to close its system and waits for it to exit, killing it after CLOSE_TIMEOUT_MS. */
export async function closeDriver(driver: ChildProcess): Promise<void> {
  if (!alive(driver)) return;
  const exited = new Promise((resolve) => driver.once('exit', resolve));
  const kill = setTimeout(() => driver.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
  driver.send('close');
  await exited;
  clearTimeout(kill);
}

/** Starts a CPU reading of `peer`; call the result with a count of units to get CPU per unit since. */
export function cpuMeter(peer: Peer): (units: number) => CpuPer {
  const pids = [peer.driver.pid ?? 0, peer.server.pid];
  const before = pids.map(treeCpuMs);
  return (units) => {
    const after = pids.map(treeCpuMs);
    const per = (i: number): number => round(((after[i] ?? 0) - (before[i] ?? 0)) / units);
    const client = per(0);
    const server = per(1);
    return { client, server, total: round(client + server) };
  };
}
