/**
 * The peers' servers for the peers benchmark: a Restate server (its npm package's binary, defaults but for
 * the data directory and free ports) and a PostgreSQL 15 cluster for DBOS (Debian's binaries, defaults but for the port and
 * trust auth on loopback). Both keep their defaults' durability: Restate fsyncs its RocksDB WAL, PostgreSQL
 * fsyncs every commit.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, readProcTreeStat } from '../../src/dev/index.js';
import { sleep } from '../w1-runs.js';
import { restateServerBin } from './sdks.js';

export interface PeerServer {
  /** The process whose tree is the server (children included: PostgreSQL's backends). */
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * CPU ms of `pid` and every process under it (Linux /proc, 100 ticks a second). A live process's figure
 * includes the children it has reaped, so a PostgreSQL backend that exits between two readings still
 * counts, through the postmaster. The scan is not atomic: a child reaped between reading its parent and
 * itself is missed or counted twice, which pooled connections make rare.
 */
export function treeCpuMs(pid: number): number {
  if (!Number.isInteger(pid) || pid <= 1)
    throw new Error(`treeCpuMs: no process tree to read for pid ${pid}`);
  const stats = new Map<number, { parent: number; cpuMs: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcTreeStat(Number(entry));
    if (stat !== undefined) stats.set(Number(entry), stat);
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, { parent }] of stats)
      if (tree.has(parent) && !tree.has(child)) {
        tree.add(child);
        grew = true;
      }
  }
  let ms = 0;
  for (const p of tree) ms += stats.get(p)?.cpuMs ?? 0;
  return ms;
}

/** Waits until `ready`; fails when `alive` says the process exited first, or after `timeoutMs`. */
async function until(what: string, alive: () => boolean, ready: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (!alive()) throw new Error(`${what} exited before it was ready`);
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within 10 s. */
function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A Restate server on free ports, data in a temporary directory. */
export async function startRestate(peersDir: string) {
  const baseDir = mkdtempSync(join(tmpdir(), 'logbook-peers-restate-'));
  const [node, admin, ingress] = await freePorts([undefined, undefined, undefined]);
  const address = (port: number | undefined): string => `127.0.0.1:${port}`;
  const child = spawn(
    restateServerBin(peersDir),
    ['--base-dir', baseDir, '--no-logo', '--listen-mode', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        RUST_LOG: 'error',
        RESTATE_BIND_ADDRESS: address(node),
        RESTATE_ADMIN__BIND_ADDRESS: address(admin),
        RESTATE_INGRESS__BIND_ADDRESS: address(ingress),
      },
    },
  );
  const server: PeerServer = {
    pid: child.pid ?? 0,
    stop: async () => {
      await stopProcess(child);
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
  const adminUrl = `http://${address(admin)}`;
  try {
    const alive = (): boolean => child.exitCode === null && child.signalCode === null;
    await until('restate-server', alive, async () => (await fetch(`${adminUrl}/health`)).ok);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { server, admin: adminUrl, ingress: `http://${address(ingress)}` };
}

const PG_BIN = process.env.PEERS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Runs a PostgreSQL binary as the `postgres` user when this process is root (PostgreSQL refuses root). */
function pg(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]]
    : [join(PG_BIN, bin), args];
  execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A PostgreSQL 15 cluster on a free port of 127.0.0.1, trust auth, data in a temporary directory. */
export async function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'logbook-peers-pg-'));
  const data = join(dir, 'data');
  const [port] = await freePorts([undefined]);
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    if (process.getuid?.() === 0) chownSync(dir, ...postgresIds());
    pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
    pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  } catch (error) {
    removeDir();
    throw error;
  }
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const server: PeerServer = {
    pid,
    stop: async () => {
      pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      removeDir();
    },
  };
  return { server, url: `postgresql://postgres@127.0.0.1:${port}/logbook_peers_dbos` };
}

/** The `postgres` user's uid and gid. */
function postgresIds(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  return [uid, gid];
}
