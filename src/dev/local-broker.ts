/**
 * A single-node KRaft Kafka broker on 127.0.0.1, run from Maven-fetched jars (no Docker, no tarball).
 *
 * Steps (shared/kafka-recipe.md §5): write server.properties with real ports → format the storage with a new
 * cluster id, unless the data dir is formatted already → start `kafka.Kafka` with stdout appended to
 * broker.log → wait for "Kafka Server started" in the log → check readiness from the client side (describe +
 * create a topic + a transaction). The JVM's lifecycle is in broker-process.ts.
 *
 * I1. Storage is never reformatted: a data dir that holds meta.properties is started as it is, with the
 *     cluster id it holds, so a kept `runDir` keeps its data across runs; otherwise it is formatted with a
 *     new cluster id. Without `runDir` every start gets a fresh temp dir, so a cluster id never meets
 *     another's storage.
 * I2. `stop()` and `kill()` signal only the broker's own PID (never `pkill java`) and resolve only once the
 *     process has exited and its client port is closed; `stop()` sends SIGTERM, then SIGKILL after a grace
 *     period.
 * I3. If the Node process exits without calling stop(), an exit hook kills the broker so none is left
 *     behind; after a restart() it kills the restarted process.
 * I4. `restart()` starts the broker again on the same server.properties, ports and data (no formatting) and
 *     resolves once clients can use it, as the first start does.
 * I5. `stop()` is final: it removes a run dir this module created, and a later restart() is refused.
 * I6. `kill()`, `restart()` and `stop()` run one at a time, in call order: a stop() called during a
 *     restart() waits for it, then stops the restarted JVM.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BrokerStartError, errorMessage } from '../errors.js';
import {
  type BrokerLaunch,
  BrokerProcess,
  type BrokerSignal,
  jvmBaseArgs,
  processRssMb,
} from './broker-process.js';
import { freePorts } from './free-port.js';
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
  /** Where the run's config, data and log go, kept by stop(); a fresh temp dir when absent (I1). */
  readonly runDir?: string;
  readonly distribution?: KafkaDistribution;
  /** Budget for the broker to become ready, from the call (and from each restart() call). */
  readonly readyTimeoutMs?: number;
  /** Maximum JVM heap of the broker, in MiB. */
  readonly heapMaxMb?: number;
  /**
   * `broker.session.timeout.ms` (heartbeats at a quarter of it, at most Kafka's 2 s); Kafka's 9 s when
   * absent. A restart after SIGKILL waits this long for the dead broker's registration to expire.
   */
  readonly brokerSessionTimeoutMs?: number;
  /**
   * More `server.properties` lines, appended after Logbook's (the benchmark's
   * `log.flush.interval.messages=1`, say). Keys are Kafka's; values are written as given.
   */
  readonly extraProperties?: Readonly<Record<string, string>>;
  /** More JVM options for the broker (the benchmark's `-XX:StartFlightRecording=…`, say). */
  readonly jvmOptions?: readonly string[];
}

/** A running local broker. */
export interface LocalBroker {
  readonly bootstrap: string;
  readonly port: number;
  /** PID of the current broker JVM; restart() changes it. */
  readonly pid: number;
  /** The cluster id of the storage: new, or read from the data dir's meta.properties (I1). */
  readonly clusterId: string;
  /** True when the data dir was formatted by an earlier run and its data was kept (I1). */
  readonly reusedStorage: boolean;
  readonly runDir: string;
  /** The broker's log, under runDir; appended to by every start. */
  readonly logFile: string;
  readonly distribution: KafkaDistribution;
  /** Time from the call to client-side readiness of the first start, including formatting. */
  readonly readyMs: number;
  /** Resident memory of the broker JVM now, in MiB (from /proc), or undefined where unknown. */
  rssMb(): number | undefined;
  /**
   * Sends `signal` to the broker's own PID and resolves once it has exited and the client port is closed
   * (I2); a SIGTERM that does not stop it within the stop grace period becomes a SIGKILL. Keeps the run dir.
   */
  kill(signal: BrokerSignal): Promise<void>;
  /**
   * Starts the broker again on the same config, ports and data, first stopping it as stop() does if it is
   * still running; resolves once clients can use it (I4). Refused after stop() (I5).
   */
  restart(): Promise<void>;
  /** Stops the broker (I2), also after a restart, and removes a run dir this module created (I5). */
  stop(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 90_000;
const DEFAULT_HEAP_MAX_MB = 512;
const STOP_GRACE_MS = 20_000;
/** Kafka's default `broker.heartbeat.interval.ms`. */
const KAFKA_HEARTBEAT_INTERVAL_MS = 2_000;

/** A Kafka-shaped cluster id: 16 random bytes, base64url, 22 chars, not starting with '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

interface ServerSettings {
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly sessionTimeoutMs: number | undefined;
  readonly extraProperties: Readonly<Record<string, string>> | undefined;
}

function writeServerProperties(file: string, settings: ServerSettings): void {
  let text = readFileSync(serverPropertiesTemplate, 'utf8')
    .replaceAll('@PORT@', String(settings.port))
    .replaceAll('@CONTROLLER_PORT@', String(settings.controllerPort))
    .replaceAll('@DATA_DIR@', settings.dataDir);
  const sessionMs = settings.sessionTimeoutMs;
  if (sessionMs !== undefined) {
    const heartbeatMs = Math.min(KAFKA_HEARTBEAT_INTERVAL_MS, Math.floor(sessionMs / 4));
    text += `\n# LocalBrokerOptions.brokerSessionTimeoutMs\nbroker.session.timeout.ms=${sessionMs}\n`;
    text += `broker.heartbeat.interval.ms=${heartbeatMs}\n`;
  }
  const extra = Object.entries(settings.extraProperties ?? {});
  if (extra.length > 0)
    text += `\n# LocalBrokerOptions.extraProperties\n${extra.map(([k, v]) => `${k}=${v}\n`).join('')}`;
  writeFileSync(file, text);
}

/** The cluster id in `dataDir`'s meta.properties, or undefined when the storage is not formatted yet. */
function readClusterId(dataDir: string): string | undefined {
  const file = join(dataDir, 'meta.properties');
  if (!existsSync(file)) return undefined;
  const id = /^cluster\.id=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
  if (id === undefined || id === '') {
    throw new BrokerStartError(`${file} has no cluster.id; remove the data dir to start with new storage.`);
  }
  return id;
}

/** Formats `dataDir` with a new cluster id unless it is formatted already (I1). */
async function prepareStorage(
  launch: BrokerLaunch,
  dataDir: string,
): Promise<{ clusterId: string; reusedStorage: boolean }> {
  const existing = readClusterId(dataDir);
  if (existing !== undefined) return { clusterId: existing, reusedStorage: true };
  const clusterId = newClusterId();
  const format = ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', launch.configFile];
  try {
    await run('java', [...jvmBaseArgs(launch), ...format, '--ignore-formatted']);
  } catch (error) {
    throw new BrokerStartError(`Formatting Kafka storage failed: ${errorMessage(error)}`, { cause: error });
  }
  return { clusterId, reusedStorage: false };
}

type BrokerControls = 'pid' | 'rssMb' | 'kill' | 'restart' | 'stop';

/** The {@link LocalBroker} of a started `broker`: its controls act on the current JVM (I2–I5). */
function localBroker(
  fields: Omit<LocalBroker, BrokerControls>,
  broker: BrokerProcess,
  readyTimeoutMs: number,
  ownsRunDir: boolean,
): LocalBroker {
  let stopped = false;
  let previous: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(operation: () => Promise<T>): Promise<T> => {
    const result = previous.then(operation); // I6
    previous = result.catch(() => undefined);
    return result;
  };
  return {
    ...fields,
    get pid() {
      return broker.pid;
    },
    rssMb: () => processRssMb(broker.pid),
    kill: (signal) => inTurn(() => broker.signal(signal, STOP_GRACE_MS)),
    restart: () =>
      inTurn(async () => {
        if (stopped)
          throw new BrokerStartError('The local broker was stopped; restart() needs a running one.');
        await broker.signal('SIGTERM', STOP_GRACE_MS); // I4: nothing to do after kill()
        await broker.start(Date.now() + readyTimeoutMs);
      }),
    stop: () =>
      inTurn(async () => {
        stopped = true;
        await broker.signal('SIGTERM', STOP_GRACE_MS);
        broker.release();
        if (ownsRunDir) rmSync(fields.runDir, { recursive: true, force: true });
      }),
  };
}

/** Formats storage if needed (I1) and starts a broker; resolves once a client can use it. */
export async function startLocalBroker(options: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const startedAt = Date.now();
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const distribution = options.distribution ?? resolveDistribution();
  await checkJava();
  const libDir = await ensureBrokerJars(distribution);
  const [port = 0, controllerPort = 0] = await freePorts([options.port, options.controllerPort]); // distinct
  const ownsRunDir = options.runDir === undefined;
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), 'logbook-kafka-'));
  mkdirSync(runDir, { recursive: true });
  const dataDir = join(runDir, 'data');
  const launch: BrokerLaunch = {
    distribution,
    libDir,
    configFile: join(runDir, 'server.properties'),
    logFile: join(runDir, 'broker.log'),
    port,
    heapMaxMb: options.heapMaxMb ?? DEFAULT_HEAP_MAX_MB,
    ...(options.jvmOptions === undefined ? {} : { jvmOptions: options.jvmOptions }),
  };
  const broker = new BrokerProcess(launch);
  let storage: Awaited<ReturnType<typeof prepareStorage>>;
  try {
    const sessionTimeoutMs = options.brokerSessionTimeoutMs;
    const extraProperties = options.extraProperties;
    writeServerProperties(launch.configFile, {
      port,
      controllerPort,
      dataDir,
      sessionTimeoutMs,
      extraProperties,
    });
    storage = await prepareStorage(launch, dataDir);
    await broker.start(startedAt + readyTimeoutMs);
  } catch (error) {
    if (ownsRunDir) rmSync(runDir, { recursive: true, force: true }); // the error carries the log's tail
    throw error;
  }
  const fields = { bootstrap: `127.0.0.1:${port}`, port, ...storage, runDir, logFile: launch.logFile };
  const readyMs = Date.now() - startedAt;
  return localBroker({ ...fields, distribution, readyMs }, broker, readyTimeoutMs, ownsRunDir);
}
