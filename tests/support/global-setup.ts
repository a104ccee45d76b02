/**
 * Vitest global setup for the integration project: one real Kafka broker for the whole run.
 * With LOGBOOK_BROKERS set, tests use that cluster and nothing is started; otherwise a single-node KRaft
 * broker is started on free ports from the Maven-fetched jars and stopped when the run ends.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestProject } from 'vitest/node';
import { type LocalBroker, startLocalBroker } from '../../src/dev/index.js';
import { tempPrefix } from './temp-dirs.js';

declare module 'vitest' {
  export interface ProvidedContext {
    brokers: string;
  }
}

let broker: LocalBroker | undefined;
const runId = `${process.pid}`;

/** Temporary directories of this run still present (temp-dirs.ts names them all with the run id). */
function leftovers(): string[] {
  process.env.LOGBOOK_TEST_RUN = runId;
  return readdirSync(tmpdir()).filter((name) => name.startsWith(tempPrefix()));
}

export async function setup(project: TestProject): Promise<void> {
  process.env.LOGBOOK_TEST_RUN = runId; // inherited by the test workers (pool: forks)
  const existing = process.env.LOGBOOK_BROKERS;
  if (existing !== undefined && existing !== '') {
    project.provide('brokers', existing);
    return;
  }
  broker = await startLocalBroker();
  process.stdout.write(
    `[global-setup] Kafka ${broker.distribution.version} at ${broker.bootstrap}, ready in ${broker.readyMs} ms, ` +
      `RSS ${broker.rssMb() ?? '?'} MiB\n`,
  );
  project.provide('brokers', broker.bootstrap);
}

export async function teardown(): Promise<void> {
  if (broker !== undefined) {
    process.stdout.write(`[global-setup] stopping Kafka (RSS at end ${broker.rssMb() ?? '?'} MiB)\n`);
    await broker.stop();
  }
  const left = leftovers();
  if (left.length > 0) throw new Error(`tests left temporary directories behind: ${left.join(', ')}`);
}
