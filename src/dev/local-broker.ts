/**
 * A single-node KRaft Kafka broker on 127.0.0.1, run from Maven-fetched jars (no Docker, no tarball).
 *
 * Steps (shared/kafka-recipe.md §5): write server.properties with real ports and a fresh data dir → format
 * the storage with a new cluster id → start `kafka.Kafka` with stdout to broker.log → wait for
 * "Kafka Server started" in the log → check readiness from the client side (describe + create a topic).
 *
 * I1. Every start uses a fresh data dir unless one is given, so a cluster id never meets another's storage.
 * I2. `stop()` signals only the broker's own PID (never `pkill java`): SIGTERM, then SIGKILL after a grace
 *     period, and resolves only once the process has exited and its port is closed.
 * I3. If the Node process exits without calling stop(), an exit hook kills the broker so none is left behind.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BrokerStartError, errorMessage } from '../errors.js';
import { waitForCluster } from '../kafka/index.js';
import { freePort, isPortOpen } from './free-port.js';
import {
  checkJava,
  ensureBrokerJars,
  type KafkaDistribution,
  resolveDistribution,
  serverPropertiesTemplate,
} from './kafka-distribution.js';

const run = promisify(execFile);

/** Options for {@link startLocalBroker}. */
export interface LocalBrokerOptions {
  /** Client (PLAINTEXT) port; a free one when absent. */
  readonly port?: number;
  /** Controller port; a free one when absent. */
  readonly controllerPort?: number;
  /** Where the run's config, data and log go; a fresh temp dir when absent (I1). */
  readonly runDir?: string;
  readonly distribution?: KafkaDistribution;
  /** Budget for the broker to become ready, from the JVM's start. */
  readonly readyTimeoutMs?: number;
  readonly heapMaxMb?: number;
}

/** A running local broker. */
export interface LocalBroker {
  readonly bootstrap: string;
  readonly port: number;
  readonly pid: number;
  readonly runDir: string;
  readonly logFile: string;
  readonly distribution: KafkaDistribution;
  /** Time from the call to client-side readiness, including formatting. */
  readonly readyMs: number;
  /** Resident memory of the broker JVM now, in MiB (from /proc), or undefined where unknown. */
  rssMb(): number | undefined;
  /** Stops the broker (I2) and removes a run dir this module created. */
  stop(): Promise<void>;
}

const STARTED_LINE = 'Kafka Server started';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Kafka-shaped cluster id: 16 random bytes, base64url, 22 chars, not starting with '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function writeServerProperties(file: string, port: number, controllerPort: number, dataDir: string): void {
  const text = readFileSync(serverPropertiesTemplate, 'utf8')
    .replaceAll('@PORT@', String(port))
    .replaceAll('@CONTROLLER_PORT@', String(controllerPort))
    .replaceAll('@DATA_DIR@', dataDir);
  writeFileSync(file, text);
}

function logTail(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no broker log)';
  }
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

async function waitForStartedLine(child: ChildProcess, logFile: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new BrokerStartError(
        `Kafka exited during start-up (${child.exitCode ?? child.signalCode}):\n${logTail(logFile)}`,
      );
    }
    if (readFileSync(logFile, 'utf8').includes(STARTED_LINE)) return;
    await sleep(100);
  }
  throw new BrokerStartError(`Kafka did not log "${STARTED_LINE}" in time:\n${logTail(logFile)}`);
}

async function stopProcess(child: ChildProcess, port: number, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  while (await isPortOpen(port, 200)) await sleep(50);
}

/** Formats fresh storage and starts a broker; resolves once a client can use it. */
export async function startLocalBroker(options: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const startedAt = Date.now();
  const distribution = options.distribution ?? resolveDistribution();
  await checkJava();
  const libDir = await ensureBrokerJars(distribution);
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const ownsRunDir = options.runDir === undefined;
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'logbook-kafka-'));
  mkdirSync(runDir, { recursive: true });
  const configFile = join(runDir, 'server.properties');
  const logFile = join(runDir, 'broker.log');
  writeServerProperties(configFile, port, controllerPort, join(runDir, 'data'));

  const classpath = join(libDir, '*'); // an argument array, no shell: java expands the wildcard
  const jvmBase = [distribution.logConfigArg, '-cp', classpath];
  try {
    await run('java', [
      ...jvmBase,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      newClusterId(),
      '-c',
      configFile,
      '--ignore-formatted',
    ]);
  } catch (error) {
    throw new BrokerStartError(`Formatting Kafka storage failed: ${errorMessage(error)}`, { cause: error });
  }

  const logFd = openSync(logFile, 'a');
  const heap = `${options.heapMaxMb ?? 512}m`;
  const jvm = [
    '-Xms256m',
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
  ];
  const child = spawn('java', [...jvm, ...jvmBase, 'kafka.Kafka', configFile], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new BrokerStartError('Could not spawn java for the Kafka broker.');
  const killOnExit = (): void => void child.kill('SIGKILL'); // I3
  process.once('exit', killOnExit);

  const bootstrap = `127.0.0.1:${port}`;
  const deadline = startedAt + (options.readyTimeoutMs ?? 90_000);
  try {
    await waitForStartedLine(child, logFile, deadline);
    await waitForCluster([bootstrap], {
      timeoutMs: Math.max(1_000, deadline - Date.now()),
      transactions: true,
    });
  } catch (error) {
    await stopProcess(child, port, 5_000);
    process.removeListener('exit', killOnExit);
    if (error instanceof BrokerStartError) throw error;
    throw new BrokerStartError(
      `Kafka started but is not answering clients: ${errorMessage(error)}\n${logTail(logFile)}`,
      {
        cause: error,
      },
    );
  }

  return {
    bootstrap,
    port,
    pid,
    runDir,
    logFile,
    distribution,
    readyMs: Date.now() - startedAt,
    rssMb: () => processRssMb(pid),
    stop: async () => {
      await stopProcess(child, port, 20_000);
      process.removeListener('exit', killOnExit);
      if (ownsRunDir) rmSync(runDir, { recursive: true, force: true });
    },
  };
}
