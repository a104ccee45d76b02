/**
 * The broker JVM of one local run: started, signalled, and started again on the same config and data.
 *
 * I1. One process at a time: `start()` refuses while the previous JVM is still running, so two brokers
 *     never share a data dir or a port.
 * I2. Signals go only to the broker's own PID (never `pkill java`); `signal()` resolves only once the
 *     process has exited and its client port is closed. SIGTERM turns into SIGKILL after the grace period.
 * I3. While started, one exit hook kills the *current* JVM if Node exits without stopping it; it follows
 *     the process across restarts and is removed by `release()`.
 * I4. Readiness reads only the log written since this start: broker.log is appended to across restarts
 *     (and across runs on a kept data dir), so an earlier "Kafka Server started" never counts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerStartError, errorMessage } from '../errors.js';
import { waitForCluster } from '../kafka/index.js';
import { isPortOpen } from './free-port.js';
import type { KafkaDistribution } from './kafka-distribution.js';

/** What it takes to launch `kafka.Kafka` for one run dir. */
export interface BrokerLaunch {
  readonly distribution: KafkaDistribution;
  /** Folder of the broker jars. */
  readonly libDir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** Client (PLAINTEXT) port, for readiness and the closed-port check. */
  readonly port: number;
  readonly heapMaxMb: number;
  /** More JVM options, after Logbook's (a flight recording, say). */
  readonly jvmOptions?: readonly string[];
}

/** A signal {@link BrokerProcess.signal} may send. */
export type BrokerSignal = 'SIGKILL' | 'SIGTERM';

const STARTED_LINE = 'Kafka Server started';
const LOG_POLL_MS = 100;
const PORT_POLL_MS = 50;
const PORT_PROBE_TIMEOUT_MS = 200;
const MIN_CLIENT_WAIT_MS = 1_000;
const FAILED_START_GRACE_MS = 5_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The JVM arguments that put the broker jars on the classpath with Logbook's log config. */
export function jvmBaseArgs(launch: Pick<BrokerLaunch, 'distribution' | 'libDir'>): string[] {
  // an argument array, no shell: java expands the wildcard
  return [launch.distribution.logConfigArg, '-cp', join(launch.libDir, '*')];
}

/** The last `lines` lines of `logFile`, for error messages. */
export function logTail(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log)';
  }
}

/** Linux's USER_HZ: /proc counts CPU in clock ticks of 10 ms on every Linux this runs on. */
const MS_PER_TICK = 10;

/**
 * A /proc `stat` file's name and the fields after it (state first), or undefined if it cannot be read. The
 * name sits in parentheses and may hold spaces or parentheses itself, so fields count from the last.
 */
function procStatFields(path: string): { readonly name: string; readonly fields: string[] } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const nameEnd = stat.lastIndexOf(')');
    return { name: stat.slice(stat.indexOf('(') + 1, nameEnd), fields: stat.slice(nameEnd + 2).split(' ') };
  } catch {
    return undefined;
  }
}

const ticksMs = (fields: readonly string[], ...at: number[]): number =>
  at.reduce((ms, i) => ms + Number(fields[i]) * MS_PER_TICK, 0);

/**
 * The command name and CPU time (user + system, ms) in a /proc `stat` file: a process's
 * (`/proc/<pid>/stat`) or one of its threads' (`/proc/<pid>/task/<tid>/stat`). Undefined if it cannot be
 * read (Linux only).
 */
export function readProcStat(path: string): { readonly name: string; readonly cpuMs: number } | undefined {
  const stat = procStatFields(path);
  return stat === undefined ? undefined : { name: stat.name, cpuMs: ticksMs(stat.fields, 11, 12) };
}

/**
 * A process's parent and the CPU time (ms) it and the children it has reaped used (utime, stime, cutime,
 * cstime), from `/proc/<pid>/stat`; undefined if it cannot be read (Linux only, or the process is gone).
 */
export function readProcTreeStat(
  pid: number,
): { readonly parent: number; readonly cpuMs: number } | undefined {
  const stat = procStatFields(`/proc/${pid}/stat`);
  return stat === undefined
    ? undefined
    : { parent: Number(stat.fields[1]), cpuMs: ticksMs(stat.fields, 11, 12, 13, 14) };
}

/** CPU time (user + system) `pid` has used, in ms (readProcStat). */
export function processCpuMs(pid: number): number | undefined {
  return readProcStat(`/proc/${pid}/stat`)?.cpuMs;
}

/** Resident set size of `pid` in MiB, read from /proc (Linux only). */
export function processRssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Math.round(Number(match[1]) / 1024);
  } catch {
    return undefined;
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Waits for the started line in the part of `logFile` after byte `fromByte` (I4). */
async function waitForStartedLine(
  child: ChildProcess,
  logFile: string,
  fromByte: number,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    if (!isRunning(child)) {
      throw new BrokerStartError(
        `Kafka exited during start-up (${child.exitCode ?? child.signalCode}):\n${logTail(logFile)}`,
      );
    }
    if (readFileSync(logFile).subarray(fromByte).toString('utf8').includes(STARTED_LINE)) return;
    await sleep(LOG_POLL_MS);
  }
  throw new BrokerStartError(`Kafka did not log "${STARTED_LINE}" in time:\n${logTail(logFile)}`);
}

/** The broker JVM for one {@link BrokerLaunch}; see the file header for its invariants. */
export class BrokerProcess {
  private child: ChildProcess | undefined;
  private hooked = false;
  private readonly killOnExit = (): void => void this.child?.kill('SIGKILL'); // I3

  constructor(private readonly launch: BrokerLaunch) {}

  /** PID of the current (or last) JVM; 0 before the first start. */
  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Spawns `kafka.Kafka` and resolves once a client can use it; on failure the JVM is stopped. */
  async start(deadline: number): Promise<void> {
    if (this.child !== undefined && isRunning(this.child)) {
      throw new BrokerStartError(`The Kafka broker (pid ${this.child.pid}) is still running.`); // I1
    }
    const { logFile, port } = this.launch;
    const fromByte = existsSync(logFile) ? statSync(logFile).size : 0;
    const child = this.spawnJvm();
    if (!this.hooked) process.on('exit', this.killOnExit);
    this.hooked = true;
    const bootstrap = `127.0.0.1:${port}`;
    try {
      await waitForStartedLine(child, logFile, fromByte, deadline);
      await waitForCluster([bootstrap], {
        timeoutMs: Math.max(MIN_CLIENT_WAIT_MS, deadline - Date.now()),
        transactions: true,
      });
    } catch (error) {
      await this.signal('SIGTERM', FAILED_START_GRACE_MS);
      this.release();
      if (error instanceof BrokerStartError) throw error;
      throw new BrokerStartError(
        `Kafka started but is not answering clients: ${errorMessage(error)}\n${logTail(logFile)}`,
        { cause: error },
      );
    }
  }

  /** Sends `signal` to the current JVM, if running, and waits until it exited and the port closed (I2). */
  async signal(signal: BrokerSignal, graceMs: number): Promise<void> {
    const child = this.child;
    if (child !== undefined && isRunning(child)) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    while (await isPortOpen(this.launch.port, PORT_PROBE_TIMEOUT_MS)) await sleep(PORT_POLL_MS);
  }

  /** Removes the exit hook (I3); call once the JVM has been stopped for good. */
  release(): void {
    process.removeListener('exit', this.killOnExit);
    this.hooked = false;
  }

  private spawnJvm(): ChildProcess {
    const { configFile, logFile, heapMaxMb } = this.launch;
    const jvm = ['-Xms256m', `-Xmx${heapMaxMb}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20'];
    // No hsperfdata: its sampler woke the JVM every 50 ms, ~1 ms/s of an idle broker (D38). `jcmd <pid>`
    // still attaches; the benchmark's JFR recording starts from a JVM flag.
    jvm.push('-XX:-UsePerfData');
    jvm.push('-Djava.awt.headless=true', ...(this.launch.jvmOptions ?? []));
    const logFd = openSync(logFile, 'a');
    const child = spawn('java', [...jvm, ...jvmBaseArgs(this.launch), 'kafka.Kafka', configFile], {
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    if (child.pid === undefined) throw new BrokerStartError('Could not spawn java for the Kafka broker.');
    this.child = child;
    return child;
  }
}
