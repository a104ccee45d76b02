/**
 * The peers' servers for the peers benchmark: a Restate server (its npm package's binary, defaults but for
 * the data directory) and a PostgreSQL 15 cluster for DBOS (Debian's binaries, defaults but for the port and
 * trust auth on loopback). Both keep their defaults' durability: Restate fsyncs its RocksDB WAL, PostgreSQL
 * fsyncs every commit.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restateServerBin } from './sdks.js';

export interface PeerServer {
  /** The process whose tree is the server (children included: PostgreSQL's backends). */
  readonly pid: number;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A process's parent and CPU ms: its own (utime, stime) and its reaped children's (cutime, cstime). */
function procStat(pid: number): { parent: number; cpuMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    return { parent: Number(f[1]), cpuMs: ticks * 10 };
  } catch {
    return undefined; // exited while listed
  }
}

/**
 * CPU ms of `pid` and every process under it (Linux /proc, 100 ticks a second). A live process's figure
 * includes the children it has reaped, so a PostgreSQL backend that exits between two readings still
 * counts, through the postmaster.
 */
export function treeCpuMs(pid: number): number {
  const stats = new Map<number, { parent: number; cpuMs: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== undefined) stats.set(Number(entry), stat);
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, { parent }] of stats)
      if (tree.has(parent) && !tree.has(child)) grew = tree.add(child) !== undefined;
  }
  let ms = 0;
  for (const p of tree) ms += stats.get(p)?.cpuMs ?? 0;
  return ms;
}

async function until(what: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs} ms`);
    await sleep(200);
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A Restate server on its default ports (ingress 8080, admin 9070), data in a temporary directory. */
export async function startRestate(peersDir: string) {
  const baseDir = mkdtempSync(join(tmpdir(), 'logbook-peers-restate-'));
  const child = spawn(
    restateServerBin(peersDir),
    ['--base-dir', baseDir, '--no-logo', '--listen-mode', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, RUST_LOG: 'error' },
    },
  );
  const admin = 'http://127.0.0.1:9070';
  await until('restate-server', async () => (await fetch(`${admin}/health`)).ok);
  const server: PeerServer = {
    pid: child.pid ?? 0,
    stop: async () => {
      await stopProcess(child);
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
  return { server, admin, ingress: 'http://127.0.0.1:8080' };
}

const PG_BIN = process.env.PEERS_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PG_PORT = 54329;

/** Runs a PostgreSQL binary as the `postgres` user when this process is root (PostgreSQL refuses root). */
function pg(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]]
    : [join(PG_BIN, bin), args];
  execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A PostgreSQL 15 cluster on 127.0.0.1:54329, trust auth, data in a temporary directory. */
export async function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'logbook-peers-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) chownSync(dir, ...postgresIds());
  pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const options = `-p ${PG_PORT} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const server: PeerServer = {
    pid,
    stop: async () => {
      pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return { server, url: `postgresql://postgres@127.0.0.1:${PG_PORT}/logbook_peers_dbos` };
}

/** The `postgres` user's uid and gid. */
function postgresIds(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  return [uid, gid];
}
