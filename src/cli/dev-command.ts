/**
 * `logbook dev`: a local single-node Kafka in the foreground, for development and the demo.
 *
 * I1. Run twice on one port, the second run reports the running broker and exits 0 instead of failing.
 * I2. Ctrl-C (SIGINT) or SIGTERM stops the broker cleanly and leaves no process or port behind.
 * I3. `--data-dir` keeps the broker's data: a second run on the same dir starts on the existing storage and
 *     cluster id (never reformats it) and says so.
 */
import {
  checkJava,
  ensureBrokerJars,
  isPortOpen,
  resolveDistribution,
  startLocalBroker,
} from '../dev/index.js';
import { ErrorCode, LogbookError } from '../errors.js';
import { probeCluster } from '../kafka/index.js';
import { parseFlags, portFlag, stringFlag } from './args.js';

/** Default client port of `logbook dev`; the CLI's other commands default to it too. */
export const DEV_PORT = 9092;

const usage = `logbook dev [--port 9092] [--kafka-version 3.9|4.1] [--data-dir DIR] [--fetch-only]

  --port           client port on 127.0.0.1 (default 9092; the controller gets a free port)
  --kafka-version  3.9 (default) or 4.1; KAFKA_VERSION sets it too
  --data-dir       keep the broker's config, data and log here, across runs (default: a fresh temp dir)
  --fetch-only     fetch the broker jars with Maven into the cache and exit`;

/** Runs `logbook dev`; resolves with the process exit code once the broker has stopped. */
export async function devCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, {
    port: { type: 'string' },
    'kafka-version': { type: 'string' },
    'data-dir': { type: 'string' },
    'fetch-only': { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (args.flags.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const port = portFlag(args, 'port', DEV_PORT);
  const distribution = resolveDistribution(stringFlag(args, 'kafka-version') ?? process.env.KAFKA_VERSION);
  const bootstrap = `127.0.0.1:${port}`;
  if (args.flags['fetch-only'] === true) {
    await checkJava();
    const libDir = await ensureBrokerJars(distribution);
    process.stdout.write(`Kafka ${distribution.version} broker jars are in ${libDir}.\n`);
    return 0;
  }

  if (await isPortOpen(port)) {
    try {
      const info = await probeCluster([bootstrap]);
      process.stdout.write(
        `Kafka is already running at ${bootstrap} (cluster ${info.clusterId}); nothing to do.\n`,
      );
      return 0; // I1
    } catch {
      throw new LogbookError(
        ErrorCode.PortInUse,
        `Port ${port} is in use by something that is not a Kafka broker; pick another with --port.`,
      );
    }
  }

  await checkJava(); // before any output, so a missing JDK is the one line the user sees
  process.stdout.write(`Starting Kafka ${distribution.version} on ${bootstrap} …\n`);
  const runDir = stringFlag(args, 'data-dir');
  const broker = await startLocalBroker({ port, distribution, ...(runDir === undefined ? {} : { runDir }) });
  const rss = broker.rssMb();
  process.stdout.write(
    `Kafka ${distribution.version} ready at ${broker.bootstrap} in ${(broker.readyMs / 1000).toFixed(1)} s ` +
      `(pid ${broker.pid}${rss === undefined ? '' : `, ${rss} MiB`}; log ${broker.logFile}).\n` +
      `Cluster ${broker.clusterId}: ${broker.reusedStorage ? 'the data of an earlier run' : 'new storage'} ` +
      `in ${broker.runDir}.\n` +
      `Use it with LOGBOOK_BROKERS=${broker.bootstrap}. Press Ctrl-C to stop.\n`,
  );

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  process.stdout.write('Stopping Kafka …\n');
  await broker.stop(); // I2
  process.stdout.write('Kafka stopped.\n');
  return 0;
}
