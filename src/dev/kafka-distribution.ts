/**
 * Which Kafka the local broker runs, and where its jars come from.
 *
 * The jars are not committed and not bundled: Maven copies the runtime classpath of `kafka_2.13` (plus
 * the logging backend the POM leaves out) from `deploy/kafka/pom.xml` into a per-user cache outside the
 * repository, once per version.
 *
 * I1. A cache folder is either complete or absent: Maven writes into a temporary sibling that is renamed
 *     into place only after it succeeds, so an interrupted fetch never leaves half a classpath.
 * I2. One folder per Kafka version, so two versions never share a classpath.
 * I3. A missing Java 17+ or Maven is reported as one sentence saying what to install (PrerequisiteError).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError, PrerequisiteError } from '../errors.js';

const run = promisify(execFile);

/** A Kafka version Logbook knows how to run locally. */
export interface KafkaDistribution {
  /** Short name accepted by KAFKA_VERSION: `3.9` or `4.1`. */
  readonly line: string;
  readonly version: string;
  /** Maven profile in deploy/kafka/pom.xml. */
  readonly mavenProfile: string;
  /** The JVM system property that points the broker at its console log config. */
  readonly logConfigArg: string;
}

/** Repository (or installed package) root: src/dev and dist/dev both sit two levels below it. */
export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const kafkaDeployDir = join(packageRoot, 'deploy', 'kafka');

const distributions: readonly KafkaDistribution[] = [
  {
    line: '3.9',
    version: '3.9.1',
    mavenProfile: 'kafka39',
    logConfigArg: `-Dlog4j.configuration=file:${join(kafkaDeployDir, 'log4j.properties')}`,
  },
  {
    line: '4.1',
    version: '4.1.1',
    mavenProfile: 'kafka4',
    logConfigArg: `-Dlog4j2.configurationFile=${join(kafkaDeployDir, 'log4j2.properties')}`,
  },
];

/** Picks the distribution named by `KAFKA_VERSION` (`3.9`, `3.9.1`, `4.1`, `4.1.1`); 3.9 by default. */
export function resolveDistribution(
  requested: string | undefined = process.env.KAFKA_VERSION,
): KafkaDistribution {
  const wanted = requested === undefined || requested === '' ? '3.9' : requested;
  const found = distributions.find((d) => d.line === wanted || d.version === wanted);
  if (found === undefined) {
    const known = distributions.map((d) => d.line).join(', ');
    throw new ConfigError(`KAFKA_VERSION=${wanted} is not supported; use one of ${known}.`);
  }
  return found;
}

/** The server.properties template the broker's per-run config is written from. */
export const serverPropertiesTemplate = join(kafkaDeployDir, 'server.properties');

/** Folder holding the broker jars for `dist` (LOGBOOK_KAFKA_LIB overrides it). */
export function jarCacheDir(dist: KafkaDistribution): string {
  const override = process.env.LOGBOOK_KAFKA_LIB;
  if (override !== undefined && override !== '') return override;
  const cacheHome = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cacheHome, 'logbook', `kafka-${dist.version}`, 'lib');
}

function hasBrokerJar(dir: string): boolean {
  return (
    existsSync(dir) &&
    readdirSync(dir).some((file) => file.startsWith('kafka_2.13-') && file.endsWith('.jar'))
  );
}

/** Throws PrerequisiteError unless `java` 17 or newer is on PATH (I3). */
export async function checkJava(): Promise<void> {
  let output: string;
  try {
    const { stderr, stdout } = await run('java', ['-version']);
    output = `${stderr}${stdout}`;
  } catch {
    throw new PrerequisiteError(
      'The local Kafka broker needs Java 17 or newer on PATH: install a JDK 17+ (for example `apt-get install openjdk-17-jre-headless`), or set LOGBOOK_BROKERS to an existing Kafka cluster.',
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match?.[1] === '1' ? Number(match[2]) : Number(match?.[1]);
  if (!(major >= 17)) {
    throw new PrerequisiteError(
      `The local Kafka broker needs Java 17 or newer, but \`java -version\` reports ${match?.[0] ?? 'an unknown version'}: install a JDK 17+, or set LOGBOOK_BROKERS to an existing Kafka cluster.`,
    );
  }
}

/** Returns the folder of broker jars for `dist`, fetching them with Maven on first use (I1, I2, I3). */
export async function ensureBrokerJars(dist: KafkaDistribution): Promise<string> {
  const libDir = jarCacheDir(dist);
  if (hasBrokerJar(libDir)) return libDir;
  try {
    await run('mvn', ['-v']);
  } catch {
    throw new PrerequisiteError(
      `The Kafka ${dist.version} broker jars are not in ${libDir} yet, and fetching them needs Maven on PATH: install Maven (for example \`apt-get install maven\`), or set LOGBOOK_BROKERS to an existing Kafka cluster.`,
    );
  }
  const partial = `${libDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(dirname(libDir), { recursive: true });
  const args = ['-B', '-q', '-f', join(kafkaDeployDir, 'pom.xml'), `-P${dist.mavenProfile}`];
  args.push('dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`);
  try {
    await run('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    const detail =
      error instanceof Error && 'stdout' in error ? String(error.stdout).slice(-2_000) : String(error);
    throw new PrerequisiteError(`Maven could not fetch the Kafka ${dist.version} broker jars: ${detail}`);
  }
  if (!hasBrokerJar(libDir)) {
    rmSync(libDir, { recursive: true, force: true });
    renameSync(partial, libDir);
  } else {
    rmSync(partial, { recursive: true, force: true }); // another process won the race; its copy is complete
  }
  return libDir;
}
