/**
 * Vitest global setup for the integration project: one real Kafka broker for the whole run.
 * With LOGBOOK_BROKERS set, tests use that cluster and nothing is started; otherwise a single-node KRaft
 * broker is started on free ports from the Maven-fetched jars and stopped when the run ends.
 */
import type { TestProject } from 'vitest/node';
import { type LocalBroker, startLocalBroker } from '../../src/dev/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    brokers: string;
  }
}

let broker: LocalBroker | undefined;

export async function setup(project: TestProject): Promise<void> {
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
}
