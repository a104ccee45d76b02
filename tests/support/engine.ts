/**
 * Helpers to run the engine in integration tests: in-process executors and clients with their own
 * namespace, executor child processes (`logbook worker`, as a user runs it), and journal readers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Producer } from 'kafkajs';
import { Client } from '../../src/client/index.js';
import { Executor, type ExecutorOptions } from '../../src/executor/index.js';
import type { JournalRecord } from '../../src/journal/index.js';
import { createKafka, scanJournal, topicNames } from '../../src/kafka/index.js';
import { testBrokers } from './kafka.js';
import { LogRing } from './log-ring.js';
import { tempDir } from './temp-dirs.js';
import { waitFor } from './wait-for.js';

export { tempDir } from './temp-dirs.js';

/** Executors and clients made by one test, closed by `closeAll`. */
export class Engine {
  private readonly executors: Executor[] = [];
  private readonly clients: Client[] = [];
  private readonly children: ChildProcess[] = [];
  private raw: Producer | undefined;
  readonly brokers: string[];

  /** An engine in `namespace`, on the run's broker unless `brokers` names another (a test's own). */
  constructor(
    readonly namespace: string,
    brokers?: readonly string[],
  ) {
    this.brokers = brokers === undefined ? testBrokers() : [...brokers];
  }

  /** Starts an in-process executor in this namespace; resolves once it owns `owning` partitions (default all). */
  async executor(
    options: Omit<ExecutorOptions, 'brokers' | 'namespace'>,
    owning?: number,
  ): Promise<Executor> {
    const ring = new LogRing(`executor ${this.executors.length + 1} of ${this.namespace}`);
    ring.dumpOnFailure();
    const executor = new Executor({
      brokers: this.brokers,
      namespace: this.namespace,
      stateDir: tempDir('state'),
      partitions: 1,
      sessionTimeoutMs: 6_000,
      logger: ring.logger(),
      ...options,
    });
    this.executors.push(executor);
    await executor.start();
    const wanted = owning ?? executor.config.partitions;
    await waitFor(
      () => [...executor.partitionStats().values()].filter((s) => s.phase === 'running').length >= wanted,
      {
        timeoutMs: 60_000,
        message: `executor never owned ${wanted} partitions`,
      },
    );
    return executor;
  }

  /** A client in this namespace. */
  client(): Client {
    const client = new Client({ brokers: this.brokers, namespace: this.namespace, requeryMs: 1_000 });
    this.clients.push(client);
    return client;
  }

  /** A plain Kafka producer (as any producer of raw commands would be), connected once per test. */
  async rawProducer(): Promise<Producer> {
    if (this.raw === undefined) {
      this.raw = createKafka({ brokers: this.brokers, clientId: 'test-raw-commands' }).producer();
      await this.raw.connect();
    }
    return this.raw;
  }

  /** Spawns `logbook worker` for `module` as a child process. */
  worker(
    module: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ): { child: ChildProcess; output: () => string } {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'worker',
        '--workflows',
        module,
        '--brokers',
        this.brokers.join(','),
        '--namespace',
        this.namespace,
        '--session-timeout',
        '6s',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    this.children.push(child);
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    return { child, output: () => text };
  }

  /** Every journal record of the namespace, read_committed, decoded with the engine's codec. */
  async journal(): Promise<JournalRecord[]> {
    return readJournal(this.brokers, this.namespace);
  }

  /** Stops everything this test started. */
  async closeAll(): Promise<void> {
    for (const child of this.children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.raw?.disconnect().catch(() => undefined);
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(this.executors.map((e) => e.stop().catch(() => undefined)));
  }
}

/** Every record of `ns.journal` up to its current end, read_committed, decoded with the engine's codec. */
export async function readJournal(brokers: readonly string[], namespace: string): Promise<JournalRecord[]> {
  const kafka = createKafka({ brokers, clientId: 'test-journal' });
  return scanJournal(kafka, topicNames(namespace).journal, `${namespace}.test`, 30_000);
}

/** The records of one workflow, in journal order. */
export function recordsOf(records: readonly JournalRecord[], workflowId: string): JournalRecord[] {
  return records.filter((r) => r.workflowId === workflowId);
}
