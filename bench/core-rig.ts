/**
 * Helpers of bench/core.ts: executors on fresh state dirs in namespaces of one run, clients, bulk starts
 * from a plain producer (as any producer of commands would send them), and readings of what executors did.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { Client } from '../src/client/index.js';
import { Executor, type LimitOptions, type Logger } from '../src/executor/index.js';
import { createKafka, readPartitions, scanJournal, topicNames } from '../src/kafka/index.js';
import type { AnyWorkflowDefinition } from '../src/workflow/index.js';
import { round } from './stats.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Executors, clients and a producer for one benchmark run. */
export class CoreRig {
  readonly dirs: string[] = [];
  private readonly executors: Executor[] = [];
  private readonly clients: Client[] = [];
  private producer: Producer | undefined;

  constructor(
    readonly brokers: readonly string[],
    readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  namespace(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  /** An executor on a fresh state dir, owning every partition of its namespace. */
  async executor(
    suffix: string,
    workflows: readonly AnyWorkflowDefinition[],
    limits: LimitOptions = {},
    partitions = 6,
  ): Promise<Executor> {
    const stateDir = mkdtempSync(join(tmpdir(), 'logbook-core-'));
    this.dirs.push(stateDir);
    const executor = new Executor({
      brokers: this.brokers,
      namespace: this.namespace(suffix),
      workflows,
      stateDir,
      partitions,
      logger: this.logger,
      limits,
    });
    this.executors.push(executor);
    await executor.start();
    while ([...executor.partitionStats().values()].filter((s) => s.phase === 'running').length < partitions)
      await sleep(50);
    return executor;
  }

  client(suffix: string): Client {
    const client = new Client({
      brokers: this.brokers,
      namespace: this.namespace(suffix),
      logger: this.logger,
    });
    this.clients.push(client);
    return client;
  }

  /** Runs `fn(i)` for i < n, `concurrency` at a time. */
  async lanes(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < n) await fn(next++);
    };
    await Promise.all(Array.from({ length: concurrency }, () => lane()));
  }

  /** Lets chores run (eviction, purges) so memory reflects what is live. */
  async settle(executor: Executor): Promise<void> {
    void executor;
    await sleep(6_000);
  }

  /** Sends `n` start commands of `workflow` (ids s-0 …) from a plain producer, 1,000 a batch. */
  async produceStarts(suffix: string, workflow: string, n: number): Promise<void> {
    if (this.producer === undefined) {
      this.producer = createKafka({
        brokers: this.brokers,
        clientId: 'bench-producer',
        logLevelName: 'nothing',
      }).producer();
      await this.producer.connect();
    }
    const topic = topicNames(this.namespace(suffix)).commands;
    for (let from = 0; from < n; from += 1_000) {
      const messages = Array.from({ length: Math.min(1_000, n - from) }, (_, i) => {
        const id = `s-${from + i}`;
        return { key: id, value: JSON.stringify({ type: 'start', workflow, id, input: null }) };
      });
      await this.producer.send({ topic, acks: -1, messages });
    }
  }

  /** Waits until `executor`'s owners journaled `n` WorkflowStarted; returns how many. */
  async waitStarted(executor: Executor, n: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const started = [...executor.partitionStats().values()].reduce((sum, s) => sum + s.workflowsStarted, 0);
      if (started >= n || Date.now() > deadline) return started;
      await sleep(100);
    }
  }

  /** Waits until workflow `id` journaled `steps` StepCompleted; returns their journal times, in order. */
  async stepTimes(suffix: string, id: string, steps: number, timeoutMs: number): Promise<number[]> {
    const client = this.client(suffix);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await client.describe(id, { timeout: '30s' });
      const summary = status.summary as { callCount?: number } | undefined;
      if ((summary?.callCount ?? 0) > steps || Date.now() > deadline) break;
      await sleep(2_000);
    }
    const kafka = createKafka({ brokers: this.brokers, clientId: 'bench-journal', logLevelName: 'nothing' });
    const records = await scanJournal(
      kafka,
      topicNames(this.namespace(suffix)).journal,
      `${this.prefix}.scan`,
    );
    return records.filter((r) => r.workflowId === id && r.body.kind === 'StepCompleted').map((r) => r.atMs);
  }

  /**
   * What the owners of `executor` read when they caught up, and how fast; beside it the floor: the same
   * journal read by a bare KafkaJS consumer that only counts the messages (no decoding, no cache).
   */
  async catchUpRate(suffix: string, executor: Executor): Promise<object> {
    const stats = [...executor.partitionStats().values()];
    const records = stats.reduce((sum, s) => sum + s.catchUpRecords, 0);
    const ms = Math.max(1, ...stats.map((s) => s.catchUpMs));
    const kafka = createKafka({ brokers: this.brokers, clientId: 'bench-raw-read', logLevelName: 'nothing' });
    const topic = topicNames(this.namespace(suffix)).journal;
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    await admin.disconnect();
    let raw = 0;
    const t0 = performance.now();
    await readPartitions(kafka, {
      topic,
      from: new Map([...ends.keys()].map((p) => [p, 0])),
      ends,
      onBatch: (_p, messages) => {
        raw += messages.length;
      },
      stallMs: 30_000,
      groupPrefix: `${this.prefix}.raw`,
    });
    const rawSeconds = (performance.now() - t0) / 1000;
    return {
      records,
      seconds: round(ms / 1000),
      recordsPerSec: round(records / (ms / 1000)),
      rawKafkaJsReadPerSec: round(raw / rawSeconds),
      ofRawRead: round(records / (ms / 1000) / (raw / rawSeconds)),
    };
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
    await Promise.all(this.executors.map((e) => e.stop().catch(() => undefined)));
  }
}
